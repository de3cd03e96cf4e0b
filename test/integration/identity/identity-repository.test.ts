import { beforeAll, describe, expect, it } from 'vitest';
import { dynamoIdentityRepository } from '../../../shared/adapters/aws/identity-repository';
import { EmailTakenError, type IdentityRepository, type UserRecord } from '../../../shared/identity/ports';
import { createTestTables } from '../../support/dynamodb';

const admin = (tenantId: string, id: string, email: string): UserRecord => ({
  id,
  tenantId,
  email,
  name: 'Admin',
  passwordHash: 'scrypt$1$8$1$c2FsdA==$aGFzaA==',
  roles: ['admin'],
  status: 'active',
  createdAt: '2026-11-22T18:00:00.000Z',
  sessionVersion: 0,
});

describe('DynamoDB identity repository', () => {
  let repo: IdentityRepository;

  beforeAll(async () => {
    const { doc, names } = await createTestTables();
    repo = dynamoIdentityRepository(doc, names.state);
  });

  it('creates a tenant with its admin and finds the admin by email', async () => {
    await repo.createTenantWithAdmin(
      { id: 't1', name: 'One', createdAt: 'now' },
      admin('t1', 'u1', 'a@one.test'),
    );

    expect(await repo.findUserByEmail('a@one.test')).toMatchObject({
      id: 'u1',
      tenantId: 't1',
      roles: ['admin'],
    });
    expect(await repo.getUser('t1', 'u1')).toMatchObject({ email: 'a@one.test' });
    expect(await repo.getUser('t2', 'u1')).toBeUndefined();
  });

  it('refuses a second account for an email and writes nothing of it', async () => {
    await repo.createTenantWithAdmin(
      { id: 't3', name: 'Three', createdAt: 'now' },
      admin('t3', 'u3', 'dup@test.test'),
    );

    await expect(
      repo.createTenantWithAdmin(
        { id: 't4', name: 'Four', createdAt: 'now' },
        admin('t4', 'u4', 'dup@test.test'),
      ),
    ).rejects.toBeInstanceOf(EmailTakenError);
    expect(await repo.getUser('t4', 'u4')).toBeUndefined();
  });

  it('marks a refresh token rotated exactly once and tracks revoked families and denied tokens', async () => {
    await repo.putRefreshToken({
      tokenHash: 'h1',
      tenantId: 't1',
      userId: 'u1',
      familyId: 'f1',
      sessionVersion: 0,
      expiresAt: 2_000_000_000,
    });

    const first = await repo.markRotated('h1', '2026-11-22T18:00:00.000Z');
    const second = await repo.markRotated('h1', '2026-11-22T18:00:01.000Z');
    await repo.revokeFamily('t1', 'f1', 'now', 2_000_000_000);
    await repo.denyAccessToken('jti-1', 2_000_000_000);

    expect([first, second]).toEqual([true, false]);
    expect((await repo.getRefreshToken('h1'))?.rotatedAt).toBe('2026-11-22T18:00:00.000Z');
    expect(await repo.isFamilyRevoked('t1', 'f1')).toBe(true);
    expect(await repo.isFamilyRevoked('t2', 'f1')).toBe(false);
    expect(await repo.isAccessTokenDenied('jti-1')).toBe(true);
    expect(await repo.isAccessTokenDenied('jti-2')).toBe(false);
  });

  it('lets a reset token be consumed once and not after it expires', async () => {
    await repo.putOneTimeToken('password-reset', {
      tokenHash: 'r1',
      tenantId: 't1',
      userId: 'u1',
      expiresAt: 1_800_000_000,
    });
    await repo.putOneTimeToken('password-reset', {
      tokenHash: 'r2',
      tenantId: 't1',
      userId: 'u1',
      expiresAt: 1_800_000_000,
    });

    const first = await repo.consumeOneTimeToken('password-reset', 'r1', 1_799_999_000);
    const second = await repo.consumeOneTimeToken('password-reset', 'r1', 1_799_999_000);
    const expired = await repo.consumeOneTimeToken('password-reset', 'r2', 1_800_000_001);

    expect(first).toMatchObject({ tenantId: 't1', userId: 'u1' });
    expect(second).toBeUndefined();
    expect(expired).toBeUndefined();
  });
});
