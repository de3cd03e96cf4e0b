import { randomBytes, randomUUID } from 'node:crypto';
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
import type { MfaService } from './mfa';
import { hashToken, oneTimeTokens } from './one-time-tokens';
import type { PasswordHasher } from './passwords';
import { effectivePermissions, type Role } from './permissions';
import { EmailTakenError, type IdentityRepository, type SecurityEvents, type UserRecord } from './ports';
import type { AccessClaims, IssuedToken } from './tokens';

/**
 * Sign-up, login, refresh-token rotation and logout. Refresh tokens are opaque 256-bit values stored
 * only as SHA-256 hashes, rotated on every use, and grouped in families: presenting a token that was
 * already rotated revokes the whole family (someone else has a copy) and is a security event.
 */
export const refreshTokenLifetimeSeconds = 30 * 24 * 60 * 60;
/** Password-reset and email-verification tokens work once, for one hour. */
export const oneTimeTokenLifetimeSeconds = 60 * 60;
/** The MFA step of a login must follow the password within five minutes. */
export const mfaTokenLifetimeSeconds = 5 * 60;
/** Invitations are valid for three days. */
export const invitationLifetimeSeconds = 3 * 24 * 60 * 60;

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
  mfa: MfaService;
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

/** A login whose password was right for a user with 2FA: the code goes to `POST /v1/auth/mfa`. */
export interface MfaChallenge {
  mfaRequired: true;
  mfaToken: string;
  expiresIn: number;
}

const loginFailed = () =>
  new UnauthorizedError('Login failed. Check your email and password.', 'login_failed');
const invalidRefresh = () =>
  new UnauthorizedError('The refresh token is invalid or has expired.', 'invalid_refresh_token');

/**
 * The sign-in attempt limits: per IP and, when the account is known, per account, in 60 s windows.
 * Over a limit: a security event and 429 with `Retry-After`.
 */
export function signInThrottle(deps: Pick<AuthDeps, 'limiter' | 'limits' | 'securityEvents'>) {
  return async (endpoint: string, origin: RequestOrigin | undefined, account?: string): Promise<void> => {
    const checks = [];
    if (origin) checks.push(deps.limiter.hit(`${endpoint}:ip:${origin.ip}`, deps.limits.perIpPerMinute, 60));
    if (account)
      checks.push(deps.limiter.hit(`${endpoint}:acct:${account}`, deps.limits.perAccountPerMinute, 60));
    const decisions = await Promise.all(checks);
    const blocked = decisions.filter((d) => !d.allowed);
    if (blocked.length > 0) {
      await deps.securityEvents.record({
        type: 'auth.rate_limited',
        severity: 'medium',
        tenantId: 'platform',
        details: { endpoint, ...(origin ? { ip: origin.ip } : {}) },
      });
      throw new RateLimitedError(Math.max(...blocked.map((d) => d.retryAfterSeconds)));
    }
  };
}

export function authService(deps: AuthDeps) {
  const nowIso = () => new Date(deps.now()).toISOString();
  const nowSeconds = () => Math.floor(deps.now() / 1000);

  const throttle = signInThrottle(deps);

  const tokens = oneTimeTokens(deps);

  /** Opens a session (a new refresh-token family) for a completed login and returns its tokens. */
  const openSession = async (user: UserRecord, amr: string[], origin: RequestOrigin): Promise<TokenPair> => {
    const familyId = randomUUID();
    const expiresAt = nowSeconds() + refreshTokenLifetimeSeconds;
    await deps.repo.putSession({
      id: familyId,
      tenantId: user.tenantId,
      userId: user.id,
      createdAt: nowIso(),
      lastUsedAt: nowIso(),
      ip: origin.ip,
      userAgent: origin.userAgent,
      amr,
      expiresAt,
    });
    return issuePair(user, familyId, amr, expiresAt);
  };

  const issuePair = async (
    user: UserRecord,
    familyId: string,
    amr: string[],
    familyExpiresAt: number,
  ): Promise<TokenPair> => {
    const access = await deps.issueAccessToken({
      sub: user.id,
      tid: user.tenantId,
      roles: user.roles,
      amr,
      sv: user.sessionVersion,
      sid: familyId,
    });
    const refreshToken = `vrt_${randomBytes(32).toString('base64url')}`;
    await deps.repo.putRefreshToken({
      tokenHash: hashToken(refreshToken),
      tenantId: user.tenantId,
      userId: user.id,
      familyId,
      sessionVersion: user.sessionVersion,
      amr,
      // The 30-day lifetime is absolute: rotation never extends the family.
      expiresAt: familyExpiresAt,
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
      return { tenantId, userId: admin.id, ...(await openSession(admin, ['pwd'], origin)) };
    },

    /**
     * Checks email and password. Without 2FA the answer is a token pair; with 2FA it is the pair when a
     * valid `totp` code came along, otherwise an MFA challenge to complete at `POST /v1/auth/mfa`.
     */
    async login(
      input: { email: string; password: string; totp?: string },
      origin: RequestOrigin,
    ): Promise<TokenPair | MfaChallenge> {
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
        await deps.securityEvents.record({
          type: 'auth.login_failed',
          severity: 'low',
          tenantId: user.tenantId,
          details: { userId: user.id, ip: origin.ip },
        });
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
      if (user.mfa?.enabled) {
        if (!input.totp) {
          const { token } = await tokens.issue(
            'mfa',
            'vmf',
            { tenantId: user.tenantId, userId: user.id },
            mfaTokenLifetimeSeconds,
          );
          return { mfaRequired: true, mfaToken: token, expiresIn: mfaTokenLifetimeSeconds };
        }
        await deps.mfa.verifySecondFactor(user, { code: input.totp }, origin);
        await loginAudit('success');
        return openSession(user, ['pwd', 'otp', 'mfa'], origin);
      }
      await loginAudit('success');
      return openSession(user, ['pwd'], origin);
    },

    /** Completes a 2FA login: the challenge token (5 min, single use) and a TOTP or recovery code. */
    async completeMfa(
      input: { mfaToken: string; code?: string; recoveryCode?: string },
      origin: RequestOrigin,
    ): Promise<TokenPair> {
      await throttle('mfa', origin);
      const expired = () =>
        new UnauthorizedError('The sign-in step expired or was used. Log in again.', 'invalid_mfa_token');
      const hash = hashToken(input.mfaToken);
      const challenge = await deps.repo.getOneTimeToken('mfa', hash, nowSeconds());
      if (!challenge) throw expired();
      const user = await deps.repo.getUser(challenge.tenantId, challenge.userId);
      if (user?.status !== 'active' || !user) throw expired();
      const factor = await deps.mfa.verifySecondFactor(user, input, origin);
      // Consumed only after a right code, so a typo does not cost the password step; once, so a
      // challenge cannot open two sessions.
      if (!(await deps.repo.consumeOneTimeToken('mfa', hash, nowSeconds()))) throw expired();
      await deps.audit.append({
        tenantId: user.tenantId,
        actor: { type: 'user', id: user.id },
        action: 'auth.login',
        resourceType: 'session',
        outcome: 'success',
        ip: origin.ip,
        userAgent: origin.userAgent,
        details: { secondFactor: factor.method },
      });
      return openSession(user, factor.method === 'otp' ? ['pwd', 'otp', 'mfa'] : ['pwd', 'mfa'], origin);
    },

    async refresh(refreshToken: string, origin: RequestOrigin): Promise<TokenPair> {
      await throttle('refresh', origin);
      const record = await deps.repo.getRefreshToken(hashToken(refreshToken));
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
      await deps.repo.touchSession(record.tenantId, record.familyId, nowIso(), origin.ip);
      return issuePair(user, record.familyId, record.amr ?? ['pwd'], record.expiresAt);
    },

    async logout(
      input: {
        tenantId: string;
        userId: string;
        jti: string;
        exp: number;
        sessionId?: string;
        refreshToken?: string;
      },
      origin: RequestOrigin,
    ): Promise<void> {
      await deps.repo.denyAccessToken(input.jti, input.exp);
      if (input.sessionId) {
        await deps.repo.revokeFamily(
          input.tenantId,
          input.sessionId,
          nowIso(),
          nowSeconds() + refreshTokenLifetimeSeconds,
        );
      }
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
      const record = await deps.repo.getRefreshToken(hashToken(input.refreshToken));
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
      const { token } = await tokens.issue(
        'password-reset',
        'vpr',
        { tenantId: user.tenantId, userId: user.id },
        oneTimeTokenLifetimeSeconds,
      );
      await tokens.mail(
        {
          to: user.email,
          subject: 'Reset your Vigil password',
          intro: `Someone asked to reset the password of your Vigil account (${user.email}). To choose a new password:`,
          path: '/reset-password',
          endpoint: 'POST /v1/auth/password-reset/confirm with your new password',
          validity: 'one hour',
        },
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
        hashToken(input.token),
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
      const { token } = await tokens.issue(
        'email-verification',
        'vev',
        { tenantId: user.tenantId, userId: user.id },
        oneTimeTokenLifetimeSeconds,
      );
      await tokens.mail(
        {
          to: user.email,
          subject: 'Confirm your email address for Vigil',
          intro: `Confirm that ${user.email} is your address for Vigil:`,
          path: '/verify-email',
          endpoint: 'POST /v1/auth/verify-email/confirm',
          validity: 'one hour',
        },
        token,
      );
    },

    async confirmEmailVerification(token: string, origin: RequestOrigin): Promise<void> {
      await throttle('verify-email', origin);
      const record = await deps.repo.consumeOneTimeToken(
        'email-verification',
        hashToken(token),
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

    /**
     * Joins a tenant with an invitation: the token (single use, three days) names the tenant, the
     * address and the role. The new user's address counts as verified: the link reached it.
     */
    async acceptInvitation(
      input: { token: string; password: string; name: string },
      origin: RequestOrigin,
    ): Promise<TokenPair & { tenantId: string; userId: string }> {
      await throttle('invitation', origin);
      deps.checkPassword(input.password);
      const hash = hashToken(input.token);
      const invalid = () =>
        new BadRequestError(
          'The invitation is invalid, used or expired. Ask for a new one.',
          'invalid_invitation',
        );
      const invitation = await deps.repo.getOneTimeToken('invitation', hash, nowSeconds());
      const email = invitation?.data?.email;
      const role = invitation?.data?.role as Role | undefined;
      if (!invitation || !email || !role) throw invalid();
      const user: UserRecord = {
        id: invitation.userId,
        tenantId: invitation.tenantId,
        email,
        name: input.name,
        passwordHash: await deps.hasher.hash(input.password),
        roles: [role],
        status: 'active',
        createdAt: nowIso(),
        sessionVersion: 0,
        emailVerified: true,
      };
      if (!(await deps.repo.consumeOneTimeToken('invitation', hash, nowSeconds()))) throw invalid();
      try {
        await deps.repo.createUser(user);
      } catch (error) {
        if (error instanceof EmailTakenError) {
          throw new ConflictError('This email address already has an account.', 'email_unavailable');
        }
        throw error;
      }
      await deps.audit.append({
        tenantId: user.tenantId,
        actor: { type: 'user', id: user.id },
        action: 'user.invitation_accepted',
        resourceType: 'user',
        resourceId: user.id,
        outcome: 'success',
        ip: origin.ip,
        userAgent: origin.userAgent,
        details: { role, invitedBy: invitation.data?.invitedBy },
      });
      return { tenantId: user.tenantId, userId: user.id, ...(await openSession(user, ['pwd'], origin)) };
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
        grants: user.grants ?? [],
        mfaEnabled: user.mfa?.enabled === true,
        permissions: effectivePermissions(user.roles, user.grants),
      };
    },
  };
}

export type AuthService = ReturnType<typeof authService>;
