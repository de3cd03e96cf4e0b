import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { ConflictError, ForbiddenError, UnauthorizedError } from '../platform/errors';
import type { PasswordHasher } from './passwords';
import { permissionsOf } from './permissions';
import { EmailTakenError, type IdentityRepository, type SecurityEvents, type UserRecord } from './ports';
import type { AccessClaims, IssuedToken } from './tokens';

/**
 * Sign-up, login, refresh-token rotation and logout. Refresh tokens are opaque 256-bit values stored
 * only as SHA-256 hashes, rotated on every use, and grouped in families: presenting a token that was
 * already rotated revokes the whole family (someone else has a copy) and is a security event.
 */
export const refreshTokenLifetimeSeconds = 30 * 24 * 60 * 60;

export interface AuthDeps {
  repo: IdentityRepository;
  hasher: PasswordHasher;
  checkPassword: (password: string) => void;
  issueAccessToken: (claims: AccessClaims) => Promise<IssuedToken>;
  accessTokenTtlSeconds: number;
  securityEvents: SecurityEvents;
  openSignup: boolean;
  now: () => number;
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

  const issuePair = async (user: UserRecord, familyId: string, amr: string[]): Promise<TokenPair> => {
    const access = await deps.issueAccessToken({ sub: user.id, tid: user.tenantId, roles: user.roles, amr });
    const refreshToken = `vrt_${randomBytes(32).toString('base64url')}`;
    await deps.repo.putRefreshToken({
      tokenHash: hashRefreshToken(refreshToken),
      tenantId: user.tenantId,
      userId: user.id,
      familyId,
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
    async register(input: { tenantName: string; email: string; password: string; name: string }) {
      if (!deps.openSignup)
        throw new ForbiddenError(
          'Sign-up is closed. Ask an administrator for an invitation.',
          'signup_closed',
        );
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
      return { tenantId, userId: admin.id, ...(await issuePair(admin, randomUUID(), ['pwd'])) };
    },

    async login(input: { email: string; password: string }): Promise<TokenPair> {
      const user = await deps.repo.findUserByEmail(input.email);
      if (!user) {
        await deps.hasher.verifyDummy(input.password);
        throw loginFailed();
      }
      const ok = await deps.hasher.verify(input.password, user.passwordHash);
      if (!ok || user.status !== 'active') throw loginFailed();
      return issuePair(user, randomUUID(), ['pwd']);
    },

    async refresh(refreshToken: string): Promise<TokenPair> {
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
        return invalidRefresh();
      };
      if (record.rotatedAt) throw await reuse();
      if (await deps.repo.isFamilyRevoked(record.tenantId, record.familyId)) throw invalidRefresh();
      if (!(await deps.repo.markRotated(record.tokenHash, nowIso()))) throw await reuse();
      const user = await deps.repo.getUser(record.tenantId, record.userId);
      if (user?.status !== 'active' || !user) throw invalidRefresh();
      return issuePair(user, record.familyId, ['pwd']);
    },

    async logout(input: {
      tenantId: string;
      jti: string;
      exp: number;
      refreshToken?: string;
    }): Promise<void> {
      await deps.repo.denyAccessToken(input.jti, input.exp);
      if (!input.refreshToken) return;
      const record = await deps.repo.getRefreshToken(hashRefreshToken(input.refreshToken));
      if (record && record.tenantId === input.tenantId) {
        await deps.repo.revokeFamily(record.tenantId, record.familyId, nowIso(), record.expiresAt);
      }
    },

    async me(tenantId: string, userId: string) {
      const user = await deps.repo.getUser(tenantId, userId);
      if (!user) throw new UnauthorizedError();
      return {
        id: user.id,
        tenantId: user.tenantId,
        email: user.email,
        name: user.name,
        roles: user.roles,
        permissions: permissionsOf(user.roles),
      };
    },
  };
}

export type AuthService = ReturnType<typeof authService>;
