import { randomBytes } from 'node:crypto';
import { dynamoAuditLog } from '../../shared/adapters/aws/audit-store';
import { rawAesEnvelopeEncryption } from '../../shared/adapters/aws/envelope-encryption';
import { dynamoIdentityRepository } from '../../shared/adapters/aws/identity-repository';
import { type AuthService, authService, signInThrottle } from '../../shared/identity/auth';
import { type MfaService, mfaService } from '../../shared/identity/mfa';
import { oneTimeTokens } from '../../shared/identity/one-time-tokens';
import { scryptHasher } from '../../shared/identity/passwords';
import type { IdentityRepository, SecurityEvents } from '../../shared/identity/ports';
import { type UserService, userService } from '../../shared/identity/users';
import type { EmailMessage } from '../../shared/platform/email';
import type { RateLimiter } from '../../shared/platform/rate-limit';
import type { TestTables } from './dynamodb';

/**
 * The identity use cases wired to DynamoDB Local, a raw-AES envelope key, a mailbox array and a
 * clock the test moves. Everything but time and mail is the production code path.
 */
export interface IdentityHarness {
  repo: IdentityRepository;
  auth: AuthService;
  mfa: MfaService;
  users: UserService;
  mail: EmailMessage[];
  securityEvents: string[];
  clock: { now: number };
}

export const allowAll: RateLimiter = { hit: async () => ({ allowed: true, retryAfterSeconds: 1, count: 1 }) };

export function identityHarness(
  tables: TestTables,
  options: { limiter?: RateLimiter; start?: string } = {},
): IdentityHarness {
  const clock = { now: Date.parse(options.start ?? '2026-11-22T18:00:00Z') };
  const now = () => clock.now;
  // clock.now is read on every call, so a test moves time by assigning it.
  const repo = dynamoIdentityRepository(tables.doc, tables.names.state);
  const audit = dynamoAuditLog(tables.doc, {
    stateTable: tables.names.state,
    auditTable: tables.names.audit,
    retentionDays: 90,
    now: () => new Date(clock.now),
  });
  const mail: EmailMessage[] = [];
  const events: string[] = [];
  const securityEvents: SecurityEvents = { record: async (event) => void events.push(event.type) };
  const limiter = options.limiter ?? allowAll;
  const limits = { perAccountPerMinute: 5, perIpPerMinute: 20 };
  const throttle = signInThrottle({ limiter, limits, securityEvents });
  const email = { send: async (message: EmailMessage) => void mail.push(message) };
  const mfa = mfaService({
    repo,
    encryption: rawAesEnvelopeEncryption({ keyName: 'test-key', key: randomBytes(32) }),
    audit,
    issuer: 'Vigil (test)',
    throttle: (account) => throttle('mfa', undefined, account),
    now,
  });
  const auth = authService({
    repo,
    hasher: scryptHasher('an-integration-test-pepper-0123456789', { N: 2 ** 10, r: 8, p: 1 }),
    checkPassword: () => undefined,
    issueAccessToken: async (claims) => ({
      token: `access:${JSON.stringify(claims)}`,
      jti: 'jti',
      expiresAt: 0,
    }),
    accessTokenTtlSeconds: 900,
    securityEvents,
    audit,
    email,
    onBackgroundError: () => undefined,
    openSignup: true,
    limiter,
    limits,
    mfa,
    now,
  });
  const users = userService({
    repo,
    audit,
    tokens: oneTimeTokens({ repo, email, onBackgroundError: () => undefined, now }),
    securityEvents,
    now,
  });
  return { repo, auth, mfa, users, mail, securityEvents: events, clock };
}

/** The token a mail carries (the bare-token form, without an app URL). */
export function tokenFromMail(message: EmailMessage | undefined, prefix: string): string {
  const token = new RegExp(`${prefix}_[A-Za-z0-9_-]{43}`).exec(message?.text ?? '')?.[0];
  if (!token) throw new Error(`no ${prefix}_ token in mail: ${message?.text}`);
  return token;
}
