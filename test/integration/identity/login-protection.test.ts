import { beforeAll, describe, expect, it } from 'vitest';
import { dynamoRateLimiter } from '../../../shared/adapters/aws/rate-limiter';
import { type AuthService, lockoutSeconds } from '../../../shared/identity/auth';
import { RateLimitedError, UnauthorizedError } from '../../../shared/platform/errors';
import type { RateLimiter } from '../../../shared/platform/rate-limit';
import { createTestTables, type TestTables } from '../../support/dynamodb';
import { type IdentityHarness, identityHarness } from '../../support/identity';

const password = 'correct horse battery staple';
const origin = { ip: '203.0.113.7' };

describe('login protection', () => {
  let tables: TestTables;
  let harness: IdentityHarness;
  const service = (limiter: RateLimiter): AuthService => {
    harness = identityHarness(tables, { limiter });
    return harness.auth;
  };

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
    harness.clock.now += 61_000 * 4;
    const afterBackoff = await auth.login({ email: 'lock@test.test', password }, origin);

    expect(afterBackoff).toHaveProperty('accessToken');
    expect(harness.securityEvents).toContain('auth.multiple_failed_attempts');
    expect([4, 5, 6, 7, 20].map(lockoutSeconds)).toEqual([0, 60, 120, 240, 3600]);
  });

  it('answers the sixth attempt on an account within a minute with 429 and a retry time', async () => {
    const auth = service(dynamoRateLimiter(tables.doc, tables.names.state, () => harness.clock.now));

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
