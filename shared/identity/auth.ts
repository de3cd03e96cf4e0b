import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { AuditLog } from '../audit/chain';
import type { EmailSender } from '../platform/email';
import {
  BadRequestError,
  ConflictError,
  ForbiddenError,
  RateLimitedError,
  UnauthorizedError,
} from '../platform/errors';
import type { RateLimiter } from '../platform/rate-limit';
import type { PasswordHasher } from './passwords';
import { permissionsOf } from './permissions';
import {
  EmailTakenError,
  type IdentityRepository,
  type OneTimeTokenKind,
  type SecurityEvents,
  type UserRecord,
} from './ports';
import type { AccessClaims, IssuedToken } from './tokens';

/**
 * Sign-up, login, refresh-token rotation and logout. Refresh tokens are opaque 256-bit values stored
 * only as SHA-256 hashes, rotated on every use, and grouped in families: presenting a token that was
 * already rotated revokes the whole family (someone else has a copy) and is a security event.
 */
export const refreshTokenLifetimeSeconds = 30 * 24 * 60 * 60;
/** Password-reset and email-verification tokens work once, for one hour. */
export const oneTimeTokenLifetimeSeconds = 60 * 60;

export interface AuthDeps {
  repo: IdentityRepository;
  hasher: PasswordHasher;
  checkPassword: (password: string) => void;
  issueAccessToken: (claims: AccessClaims) => Promise<IssuedToken>;
  accessTokenTtlSeconds: number;
  securityEvents: SecurityEvents;
  audit: AuditLog;
  email: EmailSender;
  /** Base URL of the app the links in mail point to; without one, mail carries the bare token. */
  appUrl?: string;
  /** Reports failures that must not change the answer (mail delivery). */
  onBackgroundError: (what: string, error: unknown) => void;
  openSignup: boolean;
  limiter: RateLimiter;
  limits: AuthLimits;
  now: () => number;
}

/** Sign-in attempt limits per 60 s window, and the lockout after repeated failures. */
export interface AuthLimits {
  perAccountPerMinute: number;
  perIpPerMinute: number;
}

export const defaultAuthLimits: AuthLimits = { perAccountPerMinute: 5, perIpPerMinute: 20 };

/** Lock after 5 consecutive failures: 1 minute, doubling with each further failure, at most 1 hour. */
export function lockoutSeconds(failures: number): number {
  if (failures < 5) return 0;
  return Math.min(3600, 60 * 2 ** (failures - 5));
}

/** Who is asking, for per-IP limits and security events. */
export interface RequestOrigin {
  ip: string;
  userAgent?: string;
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  tokenType: 'Bearer';
}

const loginFailed = () =>
  new UnauthorizedError('Login failed. Check your email and password.', 'login_failed');
const invalidRefresh = () =>
  new UnauthorizedError('The refresh token is invalid or has expired.', 'invalid_refresh_token');

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function authService(deps: AuthDeps) {
  const nowIso = () => new Date(deps.now()).toISOString();
  const nowSeconds = () => Math.floor(deps.now() / 1000);

  /** Enforces the sign-in limits; the account key is optional (unknown before a token lookup). */
  const throttle = async (endpoint: string, origin: RequestOrigin, account?: string): Promise<void> => {
    const checks = [deps.limiter.hit(`${endpoint}:ip:${origin.ip}`, deps.limits.perIpPerMinute, 60)];
    if (account)
      checks.push(deps.limiter.hit(`${endpoint}:acct:${account}`, deps.limits.perAccountPerMinute, 60));
    const decisions = await Promise.all(checks);
    const blocked = decisions.filter((d) => !d.allowed);
    if (blocked.length > 0) {
      await deps.securityEvents.record({
        type: 'auth.rate_limited',
        severity: 'medium',
        tenantId: 'platform',
        details: { endpoint, ip: origin.ip },
      });
      throw new RateLimitedError(Math.max(...blocked.map((d) => d.retryAfterSeconds)));
    }
  };

  /** Creates a single-use token of `kind` for `user`, valid for an hour, and returns it. */
  const oneTimeToken = async (kind: OneTimeTokenKind, prefix: string, user: UserRecord): Promise<string> => {
    const token = `${prefix}_${randomBytes(32).toString('base64url')}`;
    await deps.repo.putOneTimeToken(kind, {
      tokenHash: hashRefreshToken(token),
      tenantId: user.tenantId,
      userId: user.id,
      expiresAt: nowSeconds() + oneTimeTokenLifetimeSeconds,
    });
    return token;
  };

  /** Mails a token with instructions; delivery failures are reported, never surfaced to the caller. */
  const mailToken = async (
    user: UserRecord,
    subject: string,
    intro: string,
    path: string,
    endpoint: string,
    token: string,
  ) => {
    const how = deps.appUrl
      ? `Open this link within one hour:\n${deps.appUrl}${path}?token=${encodeURIComponent(token)}`
      : `Within one hour, send this token to ${endpoint}:\n${token}`;
    try {
      await deps.email.send({
        to: user.email,
        subject,
        text: `${intro}\n\n${how}\n\nIt works once. If you did not ask for this, ignore this message.\n`,
      });
    } catch (error) {
      deps.onBackgroundError(subject, error);
    }
  };

  const issuePair = async (user: UserRecord, familyId: string, amr: string[]): Promise<TokenPair> => {
    const access = await deps.issueAccessToken({
      sub: user.id,
      tid: user.tenantId,
      roles: user.roles,
      amr,
      sv: user.sessionVersion,
    });
    const refreshToken = `vrt_${randomBytes(32).toString('base64url')}`;
    await deps.repo.putRefreshToken({
      tokenHash: hashRefreshToken(refreshToken),
      tenantId: user.tenantId,
      userId: user.id,
      familyId,
      sessionVersion: user.sessionVersion,
      expiresAt: nowSeconds() + refreshTokenLifetimeSeconds,
    });
    return {
      accessToken: access.token,
      refreshToken,
      expiresIn: deps.accessTokenTtlSeconds,
      tokenType: 'Bearer',
    };
  };

  return {
    async register(
      input: { tenantName: string; email: string; password: string; name: string },
      origin: RequestOrigin,
    ) {
      if (!deps.openSignup) {
        throw new ForbiddenError(
          'Sign-up is closed. Ask an administrator for an invitation.',
          'signup_closed',
        );
      }
      await throttle('register', origin);
      deps.checkPassword(input.password);
      const tenantId = `t_${randomUUID()}`;
      const admin: UserRecord = {
        id: `u_${randomUUID()}`,
        tenantId,
        email: input.email,
        name: input.name,
        passwordHash: await deps.hasher.hash(input.password),
        roles: ['admin'],
        status: 'active',
        createdAt: nowIso(),
        sessionVersion: 0,
      };
      try {
        await deps.repo.createTenantWithAdmin(
          { id: tenantId, name: input.tenantName, createdAt: admin.createdAt },
          admin,
        );
      } catch (error) {
        if (error instanceof EmailTakenError) {
          throw new ConflictError('This email address cannot be used to sign up.', 'email_unavailable');
        }
        throw error;
      }
      await deps.audit.append({
        tenantId,
        actor: { type: 'user', id: admin.id },
        action: 'auth.register',
        resourceType: 'tenant',
        resourceId: tenantId,
        outcome: 'success',
        ip: origin.ip,
        userAgent: origin.userAgent,
        details: { tenantName: input.tenantName },
      });
      return { tenantId, userId: admin.id, ...(await issuePair(admin, randomUUID(), ['pwd'])) };
    },

    async login(input: { email: string; password: string }, origin: RequestOrigin): Promise<TokenPair> {
      await throttle('login', origin, input.email);
      const lockedUntil = await deps.repo.getLockout(input.email);
      const user = await deps.repo.findUserByEmail(input.email);
      if (!user || (lockedUntil !== undefined && lockedUntil > nowSeconds())) {
        // Same work, same answer as a wrong password: neither existence nor lockout is revealed.
        await deps.hasher.verifyDummy(input.password);
        if (user) await deps.repo.recordLoginFailure(input.email, nowSeconds(), lockoutSeconds);
        throw loginFailed();
      }
      const ok = await deps.hasher.verify(input.password, user.passwordHash);
      const loginAudit = (outcome: 'success' | 'failure') =>
        deps.audit.append({
          tenantId: user.tenantId,
          actor: { type: 'user', id: user.id },
          action: 'auth.login',
          resourceType: 'session',
          outcome,
          ip: origin.ip,
          userAgent: origin.userAgent,
        });
      if (!ok || user.status !== 'active') {
        await loginAudit('failure');
        await deps.repo.recordLoginFailure(input.email, nowSeconds(), lockoutSeconds);
        if (ok === false && ((await deps.repo.getLockout(input.email)) ?? 0) > nowSeconds()) {
          await deps.securityEvents.record({
            type: 'auth.multiple_failed_attempts',
            severity: 'high',
            tenantId: user.tenantId,
            details: { userId: user.id, ip: origin.ip },
          });
        }
        throw loginFailed();
      }
      await deps.repo.clearLoginFailures(input.email);
      await loginAudit('success');
      return issuePair(user, randomUUID(), ['pwd']);
    },

    async refresh(refreshToken: string, origin: RequestOrigin): Promise<TokenPair> {
      await throttle('refresh', origin);
      const record = await deps.repo.getRefreshToken(hashRefreshToken(refreshToken));
      if (!record || record.expiresAt <= nowSeconds()) throw invalidRefresh();
      const reuse = async () => {
        await deps.repo.revokeFamily(record.tenantId, record.familyId, nowIso(), record.expiresAt);
        await deps.securityEvents.record({
          type: 'auth.refresh_token_reuse',
          severity: 'high',
          tenantId: record.tenantId,
          details: { userId: record.userId, familyId: record.familyId },
        });
        await deps.audit.append({
          tenantId: record.tenantId,
          actor: { type: 'anonymous', id: origin.ip },
          action: 'auth.refresh_token_reuse',
          resourceType: 'session',
          resourceId: record.familyId,
          outcome: 'denied',
          ip: origin.ip,
          userAgent: origin.userAgent,
          details: { userId: record.userId, severity: 'high' },
        });
        return invalidRefresh();
      };
      if (record.rotatedAt) throw await reuse();
      if (await deps.repo.isFamilyRevoked(record.tenantId, record.familyId)) throw invalidRefresh();
      if (!(await deps.repo.markRotated(record.tokenHash, nowIso()))) throw await reuse();
      const user = await deps.repo.getUser(record.tenantId, record.userId);
      if (user?.status !== 'active' || !user) throw invalidRefresh();
      if (record.sessionVersion !== user.sessionVersion) throw invalidRefresh();
      return issuePair(user, record.familyId, ['pwd']);
    },

    async logout(
      input: { tenantId: string; userId: string; jti: string; exp: number; refreshToken?: string },
      origin: RequestOrigin,
    ): Promise<void> {
      await deps.repo.denyAccessToken(input.jti, input.exp);
      await deps.audit.append({
        tenantId: input.tenantId,
        actor: { type: 'user', id: input.userId },
        action: 'auth.logout',
        resourceType: 'session',
        outcome: 'success',
        ip: origin.ip,
        userAgent: origin.userAgent,
      });
      if (!input.refreshToken) return;
      const record = await deps.repo.getRefreshToken(hashRefreshToken(input.refreshToken));
      if (record && record.tenantId === input.tenantId) {
        await deps.repo.revokeFamily(record.tenantId, record.familyId, nowIso(), record.expiresAt);
      }
    },

    /**
     * Starts a password reset. The answer never says whether the address has an account: the
     * caller always gets the same 202, and only a known, active user receives a single-use link
     * valid for one hour.
     */
    async requestPasswordReset(email: string, origin: RequestOrigin): Promise<void> {
      await throttle('password-reset', origin, email);
      const user = await deps.repo.findUserByEmail(email);
      if (user?.status !== 'active' || !user) return;
      const token = await oneTimeToken('password-reset', 'vpr', user);
      await mailToken(
        user,
        'Reset your Vigil password',
        `Someone asked to reset the password of your Vigil account (${user.email}). To choose a new password:`,
        '/reset-password',
        'POST /v1/auth/password-reset/confirm with your new password',
        token,
      );
      await deps.audit.append({
        tenantId: user.tenantId,
        actor: { type: 'anonymous', id: origin.ip },
        action: 'auth.password_reset_requested',
        resourceType: 'user',
        resourceId: user.id,
        outcome: 'success',
        ip: origin.ip,
        userAgent: origin.userAgent,
      });
    },

    /** Completes a reset: the token works once, within an hour, and every existing session ends. */
    async confirmPasswordReset(
      input: { token: string; password: string },
      origin: RequestOrigin,
    ): Promise<void> {
      await throttle('password-reset', origin);
      deps.checkPassword(input.password);
      const record = await deps.repo.consumeOneTimeToken(
        'password-reset',
        hashRefreshToken(input.token),
        nowSeconds(),
      );
      if (!record) {
        throw new BadRequestError(
          'The reset link is invalid, used or expired. Ask for a new one.',
          'invalid_reset_token',
        );
      }
      await deps.repo.setPassword(record.tenantId, record.userId, await deps.hasher.hash(input.password));
      await deps.audit.append({
        tenantId: record.tenantId,
        actor: { type: 'user', id: record.userId },
        action: 'auth.password_reset',
        resourceType: 'user',
        resourceId: record.userId,
        outcome: 'success',
        ip: origin.ip,
        userAgent: origin.userAgent,
      });
    },

    /** Mails the signed-in user a single-use link that confirms their address. */
    async requestEmailVerification(tenantId: string, userId: string, origin: RequestOrigin): Promise<void> {
      await throttle('verify-email', origin, userId);
      const user = await deps.repo.getUser(tenantId, userId);
      if (!user || user.emailVerified) return;
      const token = await oneTimeToken('email-verification', 'vev', user);
      await mailToken(
        user,
        'Confirm your email address for Vigil',
        `Confirm that ${user.email} is your address for Vigil:`,
        '/verify-email',
        'POST /v1/auth/verify-email/confirm',
        token,
      );
    },

    async confirmEmailVerification(token: string, origin: RequestOrigin): Promise<void> {
      await throttle('verify-email', origin);
      const record = await deps.repo.consumeOneTimeToken(
        'email-verification',
        hashRefreshToken(token),
        nowSeconds(),
      );
      if (!record) {
        throw new BadRequestError(
          'The verification link is invalid, used or expired. Ask for a new one.',
          'invalid_verification_token',
        );
      }
      await deps.repo.markEmailVerified(record.tenantId, record.userId);
      await deps.audit.append({
        tenantId: record.tenantId,
        actor: { type: 'user', id: record.userId },
        action: 'auth.email_verified',
        resourceType: 'user',
        resourceId: record.userId,
        outcome: 'success',
        ip: origin.ip,
        userAgent: origin.userAgent,
      });
    },

    async me(tenantId: string, userId: string) {
      const user = await deps.repo.getUser(tenantId, userId);
      if (!user) throw new UnauthorizedError();
      return {
        id: user.id,
        type: 'user' as const,
        tenantId: user.tenantId,
        email: user.email,
        emailVerified: user.emailVerified === true,
        name: user.name,
        roles: user.roles,
        permissions: permissionsOf(user.roles),
      };
    },
  };
}

export type AuthService = ReturnType<typeof authService>;
