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

/** Walks events in sequence order and reports the first broken link, if any. */
export function verifyChain(events: readonly AuditEvent[]): { verified: number; firstBreak?: ChainBreak } {
  let prevHash = genesisHash;
  let expectedSeq = 1;
  for (const event of events) {
    if (event.seq !== expectedSeq)
      return { verified: expectedSeq - 1, firstBreak: { seq: expectedSeq, reason: 'missing_event' } };
    const { hash, ...rest } = event;
    if (event.prevHash !== prevHash) {
      return {
        verified: expectedSeq - 1,
        firstBreak: { seq: event.seq, id: event.id, reason: 'previous_hash_mismatch' },
      };
    }
    if (hashEvent(rest) !== hash) {
      return {
        verified: expectedSeq - 1,
        firstBreak: { seq: event.seq, id: event.id, reason: 'hash_mismatch' },
      };
    }
    prevHash = hash;
    expectedSeq += 1;
  }
  return { verified: events.length };
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
