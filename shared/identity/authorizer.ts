import { UnauthorizedError } from '../platform/errors';
import { effectivePermissions, permissionsOf } from './permissions';
import type { VerifiedAccessToken } from './tokens';

/**
 * The decision behind the Lambda authorizer, for HTTP routes and WebSocket `$connect`: a valid,
 * unrevoked access token yields the principal's tenant, id and permissions; anything else yields
 * `authenticated: 'false'` with a reason, which the handler stack turns into a 401 problem document.
 * The tenant id comes only from here.
 */
export type AuthorizerContext =
  | {
      authenticated: 'true';
      tenantId: string;
      principalId: string;
      principalType: 'user' | 'apiKey';
      permissions: string;
      jti?: string;
      exp?: number;
      sid?: string;
    }
  | { authenticated: 'false'; reason: 'missing_token' | 'invalid_token' | 'revoked_token' };

export interface AuthorizerDeps {
  verify: (token: string) => Promise<VerifiedAccessToken>;
  isDenied: (jti: string) => Promise<boolean>;
  /**
   * The user as stored now: a password reset moves the session version on, an admin may change roles,
   * grants or status; undefined when there is no such user. Without it, the token's claims are trusted.
   */
  currentUser?: (
    tenantId: string,
    userId: string,
  ) => Promise<
    { sessionVersion: number; roles: string[]; grants?: string[]; status: 'active' | 'disabled' } | undefined
  >;
  /** True when the session (refresh-token family) was revoked (logout, session revocation). */
  isSessionRevoked?: (tenantId: string, sessionId: string) => Promise<boolean>;
  /** Resolves a `vgl_` API key to its tenant, id and permissions (and records its use). */
  resolveApiKey?: (
    key: string,
  ) => Promise<{ tenantId: string; id: string; permissions: string[] } | undefined>;
}

/** The credential from `Authorization: Bearer …` (a JWT or a `vgl_` API key) or `X-API-Key`. */
export function bearerToken(authorization: string | undefined, apiKeyHeader?: string): string | undefined {
  const match = /^Bearer\s+([A-Za-z0-9._~+/=-]+)$/i.exec(authorization?.trim() ?? '');
  return match?.[1] ?? (apiKeyHeader?.startsWith('vgl_') ? apiKeyHeader.trim() : undefined);
}

export const decideAccess =
  (deps: AuthorizerDeps) =>
  async (token: string | undefined): Promise<AuthorizerContext> => {
    if (!token) return { authenticated: 'false', reason: 'missing_token' };
    if (token.startsWith('vgl_')) {
      const key = deps.resolveApiKey ? await deps.resolveApiKey(token) : undefined;
      if (!key) return { authenticated: 'false', reason: 'invalid_token' };
      return {
        authenticated: 'true',
        tenantId: key.tenantId,
        principalId: key.id,
        principalType: 'apiKey',
        permissions: key.permissions.join(','),
      };
    }
    let verified: VerifiedAccessToken;
    try {
      verified = await deps.verify(token);
    } catch (error) {
      if (error instanceof UnauthorizedError) return { authenticated: 'false', reason: 'invalid_token' };
      throw error;
    }
    const { sid } = verified;
    const [denied, user, sessionRevoked] = await Promise.all([
      deps.isDenied(verified.jti),
      deps.currentUser
        ? deps.currentUser(verified.tid, verified.sub)
        : Promise.resolve({
            sessionVersion: verified.sv,
            roles: verified.roles,
            grants: [] as string[],
            status: 'active' as const,
          }),
      sid && deps.isSessionRevoked ? deps.isSessionRevoked(verified.tid, sid) : Promise.resolve(false),
    ]);
    if (
      denied ||
      sessionRevoked ||
      !user ||
      user.status !== 'active' ||
      user.sessionVersion !== verified.sv
    ) {
      return { authenticated: 'false', reason: 'revoked_token' };
    }
    // Permissions come from the user as stored now, so a role change or a revoked grant applies at once.
    return {
      authenticated: 'true',
      tenantId: verified.tid,
      principalId: verified.sub,
      principalType: 'user',
      permissions: (deps.currentUser
        ? effectivePermissions(user.roles, user.grants)
        : permissionsOf(verified.roles)
      ).join(','),
      jti: verified.jti,
      exp: verified.exp,
      ...(sid ? { sid } : {}),
    };
  };
