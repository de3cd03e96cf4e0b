import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AuditEventInput, AuditLog } from '../audit/chain';
import { ForbiddenError, NotFoundError } from '../platform/errors';
import { permissions as allPermissions, type Permission } from './permissions';
import type { Principal } from './principal';

/**
 * API keys for SIEMs and automation: `vgl_<id>_<secret>`, shown once, stored as a SHA-256 of the
 * secret (the secret has 256 bits of entropy, so a slow hash adds nothing). A key carries a subset of
 * its creator's permissions — asking for more is refused and recorded as an escalation attempt — and
 * may expire. Revocation deletes it, so the authorizer refuses it on the next request.
 */
export interface ApiKeyRecord {
  id: string;
  tenantId: string;
  name: string;
  secretHash: string;
  permissions: Permission[];
  createdAt: string;
  createdBy: string;
  expiresAt?: string;
  lastUsedAt?: string;
  lastUsedIp?: string;
}

export type ApiKeyView = Omit<ApiKeyRecord, 'secretHash'>;

export interface ApiKeyRepository {
  putApiKey(record: ApiKeyRecord): Promise<void>;
  getApiKey(id: string): Promise<ApiKeyRecord | undefined>;
  listApiKeys(tenantId: string): Promise<ApiKeyRecord[]>;
  /** Deletes the key if it belongs to the tenant; false otherwise. */
  deleteApiKey(tenantId: string, id: string): Promise<boolean>;
  /** Replaces the secret hash if the key belongs to the tenant; false otherwise. */
  replaceSecret(tenantId: string, id: string, secretHash: string): Promise<boolean>;
  recordUse(id: string, at: string, ip: string): Promise<void>;
}

const keyPattern = /^vgl_([A-Za-z0-9]{16})_([A-Za-z0-9_-]{43})$/;

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

function view(record: ApiKeyRecord): ApiKeyView {
  const { secretHash: _secretHash, ...rest } = record;
  return rest;
}

export interface ApiKeyDeps {
  repo: ApiKeyRepository;
  audit: AuditLog;
  now: () => Date;
  onEscalationAttempt: (principal: Principal, requested: string[]) => Promise<void>;
}

export function apiKeyService(deps: ApiKeyDeps) {
  const record = (
    principal: Principal,
    action: string,
    resourceId: string,
    outcome: AuditEventInput['outcome'],
    details?: Record<string, unknown>,
  ) =>
    deps.audit.append({
      tenantId: principal.tenantId,
      actor: { type: principal.type, id: principal.id },
      action,
      resourceType: 'api-key',
      resourceId,
      outcome,
      details,
    });
  return {
    async create(
      principal: Principal,
      input: { name: string; permissions: Permission[]; expiresAt?: string },
    ) {
      const beyond = input.permissions.filter((p) => !principal.permissions.has(p));
      if (beyond.length > 0) {
        await deps.onEscalationAttempt(principal, beyond);
        await record(principal, 'permission.escalation_attempt', 'new', 'denied', { requested: beyond });
        throw new ForbiddenError(
          `You cannot grant permissions you do not hold: ${beyond.join(', ')}.`,
          'permission_escalation',
        );
      }
      const id = randomBytes(12).toString('base64url').replace(/[-_]/g, 'x').slice(0, 16);
      const secret = newSecret();
      const stored: ApiKeyRecord = {
        id,
        tenantId: principal.tenantId,
        name: input.name,
        secretHash: hashSecret(secret),
        permissions: [...new Set(input.permissions)].sort(),
        createdAt: deps.now().toISOString(),
        createdBy: principal.id,
        ...(input.expiresAt ? { expiresAt: input.expiresAt } : {}),
      };
      await deps.repo.putApiKey(stored);
      await record(principal, 'apikey.create', id, 'success', {
        name: input.name,
        permissions: stored.permissions,
      });
      return { ...view(stored), key: `vgl_${id}_${secret}` };
    },

    async list(principal: Principal): Promise<ApiKeyView[]> {
      return (await deps.repo.listApiKeys(principal.tenantId)).map(view);
    },

    async revoke(principal: Principal, id: string): Promise<void> {
      if (!(await deps.repo.deleteApiKey(principal.tenantId, id))) {
        throw new NotFoundError('No such API key.', 'api_key_not_found');
      }
      await record(principal, 'apikey.revoke', id, 'success');
    },

    async rotate(principal: Principal, id: string) {
      const secret = newSecret();
      if (!(await deps.repo.replaceSecret(principal.tenantId, id, hashSecret(secret)))) {
        throw new NotFoundError('No such API key.', 'api_key_not_found');
      }
      const rotated = await deps.repo.getApiKey(id);
      if (!rotated) throw new NotFoundError('No such API key.', 'api_key_not_found');
      await record(principal, 'apikey.rotate', id, 'success');
      return { ...view(rotated), key: `vgl_${id}_${secret}` };
    },
  };
}

/** Resolves a presented key to its record, or undefined when it is unknown, wrong, or expired. */
export async function resolveApiKey(
  repo: Pick<ApiKeyRepository, 'getApiKey'>,
  presented: string,
  now: Date,
): Promise<ApiKeyRecord | undefined> {
  const match = keyPattern.exec(presented);
  if (!match?.[1] || !match[2]) return undefined;
  const record = await repo.getApiKey(match[1]);
  if (!record) return undefined;
  const expected = Buffer.from(record.secretHash, 'hex');
  const actual = Buffer.from(hashSecret(match[2]), 'hex');
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return undefined;
  if (record.expiresAt && Date.parse(record.expiresAt) <= now.getTime()) return undefined;
  return { ...record, permissions: record.permissions.filter((p) => allPermissions.includes(p)) };
}

export function looksLikeApiKey(value: string): boolean {
  return value.startsWith('vgl_');
}
