import { describe, expect, it } from 'vitest';
import {
  type ApiKeyRecord,
  type ApiKeyRepository,
  apiKeyService,
  resolveApiKey,
} from '../../../shared/identity/api-keys';
import type { Permission } from '../../../shared/identity/permissions';
import type { Principal } from '../../../shared/identity/principal';
import { ForbiddenError } from '../../../shared/platform/errors';

function memoryRepo(): ApiKeyRepository {
  const keys = new Map<string, ApiKeyRecord>();
  return {
    putApiKey: async (r) => void keys.set(r.id, r),
    getApiKey: async (id) => keys.get(id),
    listApiKeys: async (tenantId) => [...keys.values()].filter((k) => k.tenantId === tenantId),
    deleteApiKey: async (tenantId, id) => keys.get(id)?.tenantId === tenantId && keys.delete(id),
    replaceSecret: async (tenantId, id, secretHash) => {
      const key = keys.get(id);
      if (key?.tenantId !== tenantId) return false;
      keys.set(id, { ...key, secretHash });
      return true;
    },
    recordUse: async () => undefined,
  };
}

const noAudit = {
  append: async () => ({
    id: 'e',
    tenantId: 't',
    time: '',
    seq: 0,
    prevHash: '',
    hash: '',
    actor: { type: 'system' as const, id: 's' },
    action: 'a',
    resourceType: 'r',
    outcome: 'success' as const,
  }),
};

const analyst: Principal = {
  tenantId: 't1',
  id: 'u1',
  type: 'user',
  permissions: new Set<Permission>(['intel:read', 'enrich:run', 'apikey:manage']),
};

describe('API keys', () => {
  it('refuses to grant permissions the creator does not hold, and reports the attempt', async () => {
    const attempts: string[][] = [];
    const service = apiKeyService({
      repo: memoryRepo(),
      audit: noAudit,
      now: () => new Date(),
      onEscalationAttempt: async (_p, r) => void attempts.push(r),
    });

    await expect(
      service.create(analyst, { name: 'x', permissions: ['intel:read', 'user:manage'] }),
    ).rejects.toBeInstanceOf(ForbiddenError);
    expect(attempts).toEqual([['user:manage']]);
  });

  it('resolves a key only with the right secret and before it expires', async () => {
    const repo = memoryRepo();
    const service = apiKeyService({
      repo,
      audit: noAudit,
      now: () => new Date('2026-11-22T18:00:00Z'),
      onEscalationAttempt: async () => undefined,
    });
    const { key, id } = await service.create(analyst, {
      name: 'siem',
      permissions: ['intel:read'],
      expiresAt: '2026-12-01T00:00:00Z',
    });
    const tampered = `${key.slice(0, -3)}${key.endsWith('AAA') ? 'BBB' : 'AAA'}`;

    expect((await resolveApiKey(repo, key, new Date('2026-11-23T00:00:00Z')))?.id).toBe(id);
    expect(await resolveApiKey(repo, tampered, new Date('2026-11-23T00:00:00Z'))).toBeUndefined();
    expect(await resolveApiKey(repo, key, new Date('2026-12-02T00:00:00Z'))).toBeUndefined();
    expect(await resolveApiKey(repo, 'vgl_short', new Date())).toBeUndefined();
  });
});
