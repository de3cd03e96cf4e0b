import { beforeAll, describe, expect, it } from 'vitest';
import { dynamoIdentityRepository } from '../../../shared/adapters/aws/identity-repository';
import { dynamoRateLimiter } from '../../../shared/adapters/aws/rate-limiter';
import { type AuthService, authService, lockoutSeconds } from '../../../shared/identity/auth';
import { scryptHasher } from '../../../shared/identity/passwords';
import { RateLimitedError, UnauthorizedError } from '../../../shared/platform/errors';
import type { RateLimiter } from '../../../shared/platform/rate-limit';
import { createTestTables, type TestTables } from '../../support/dynamodb';

const password = 'correct horse battery staple';
const origin = { ip: '203.0.113.7' };

describe('login protection', () => {
  let tables: TestTables;
  let clock = Date.parse('2026-11-22T18:00:00Z');
  const events: string[] = [];

  const service = (limiter: RateLimiter): AuthService =>
    authService({
      repo: dynamoIdentityRepository(tables.doc, tables.names.state),
      hasher: scryptHasher('an-integration-test-pepper-0123456789', { N: 2 ** 10, r: 8, p: 1 }),
      checkPassword: () => undefined,
      issueAccessToken: async () => ({ token: 'access', jti: 'jti', expiresAt: 0 }),
      accessTokenTtlSeconds: 900,
      securityEvents: { record: async (event) => void events.push(event.type) },
      audit: { append: async (event) => ({ ...event, id: 'evt', time: '', seq: 0, prevHash: '', hash: '' }) },
      email: { send: async () => undefined },
      onBackgroundError: () => undefined,
      openSignup: true,
      limiter,
      limits: { perAccountPerMinute: 5, perIpPerMinute: 20 },
      now: () => clock,
    });

  beforeAll(async () => {
    tables = await createTestTables();
  });

  it('locks an account after 5 failures, with growing back-off, telling the user only that login failed', async () => {
    const auth = service({ hit: async () => ({ allowed: true, retryAfterSeconds: 1, count: 1 }) });
    await auth.register({ tenantName: 'Locks', email: 'lock@test.test', password, name: 'L' }, origin);

    for (let i = 0; i < 5; i += 1) {
      await expect(
        auth.login({ email: 'lock@test.test', password: 'wrong password!!' }, origin),
      ).rejects.toBeInstanceOf(UnauthorizedError);
    }
    const whileLocked = auth.login({ email: 'lock@test.test', password }, origin);
    await expect(whileLocked).rejects.toMatchObject({ code: 'login_failed' });
    clock += 61_000 * 4;
    const afterBackoff = await auth.login({ email: 'lock@test.test', password }, origin);

    expect(afterBackoff.accessToken).toBe('access');
    expect(events).toContain('auth.multiple_failed_attempts');
    expect([4, 5, 6, 7, 20].map(lockoutSeconds)).toEqual([0, 60, 120, 240, 3600]);
  });

  it('answers the sixth attempt on an account within a minute with 429 and a retry time', async () => {
    const auth = service(dynamoRateLimiter(tables.doc, tables.names.state, () => clock));

    const outcomes: string[] = [];
    for (let i = 0; i < 6; i += 1) {
      try {
        await auth.login({ email: 'nobody@test.test', password: 'whatever it may be' }, origin);
      } catch (error) {
        outcomes.push(
          error instanceof RateLimitedError ? `429:${error.retryAfterSeconds > 0}` : (error as Error).name,
        );
      }
    }

    expect(outcomes).toEqual([...Array(5).fill('UnauthorizedError'), '429:true']);
  });
});
