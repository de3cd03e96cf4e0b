import { createHash } from 'node:crypto';

/**
 * The audit trail: append-only events, hash-chained per tenant. Each event carries its sequence
 * number, the previous event's hash and its own hash over both and its content, so editing,
 * deleting or reordering any stored event breaks the chain at that point.
 */
export interface AuditActor {
  type: 'user' | 'apiKey' | 'system' | 'anonymous';
  id: string;
}

export interface AuditEventInput {
  tenantId: string;
  actor: AuditActor;
  action: string;
  resourceType: string;
  resourceId?: string;
  outcome: 'success' | 'failure' | 'denied';
  ip?: string;
  userAgent?: string;
  details?: Record<string, unknown>;
}

export interface AuditEvent extends AuditEventInput {
  id: string;
  time: string;
  seq: number;
  prevHash: string;
  hash: string;
}

export const genesisHash = '0'.repeat(64);

/** Canonical JSON: keys sorted at every level, so the hash does not depend on key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

export function hashEvent(event: Omit<AuditEvent, 'hash'>): string {
  return createHash('sha256').update(event.prevHash).update(canonicalJson(event)).digest('hex');
}

export interface ChainBreak {
  seq: number;
  id?: string;
  reason: 'hash_mismatch' | 'previous_hash_mismatch' | 'missing_event';
}

/**
 * Checks events one at a time, in sequence order, against the chain so far; returns the first broken
 * link it meets. Incremental, so a long trail can be verified page by page.
 */
export function chainVerifier() {
  let prevHash = genesisHash;
  let expected = 1;
  return {
    /** How many events verified so far. */
    get verified(): number {
      return expected - 1;
    },
    check(event: AuditEvent): ChainBreak | undefined {
      const { hash, ...rest } = event;
      const broken = (reason: ChainBreak['reason']) => ({ seq: expected, id: event.id, reason });
      if (event.seq !== expected) return broken('missing_event');
      if (event.prevHash !== prevHash) return broken('previous_hash_mismatch');
      if (hashEvent(rest) !== hash) return broken('hash_mismatch');
      prevHash = hash;
      expected += 1;
      return undefined;
    },
  };
}

export interface AuditLog {
  append(event: AuditEventInput): Promise<AuditEvent>;
}

export interface AuditReader {
  /** Events of a tenant in sequence order, a page at a time. */
  page(
    tenantId: string,
    options: { afterSeq?: number; limit: number; newestFirst?: boolean },
  ): Promise<AuditEvent[]>;
  get(tenantId: string, id: string): Promise<AuditEvent | undefined>;
}
