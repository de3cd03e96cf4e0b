import type { Permission } from './permissions';

/**
 * Who is calling, as established by the authorizer (never by the request body or path). Every
 * tenant-scoped use case takes its tenant id from here.
 */
export interface Principal {
  tenantId: string;
  /** User id or API key id. */
  id: string;
  type: 'user' | 'apiKey';
  permissions: ReadonlySet<Permission>;
  /** The access token's id and expiry (epoch seconds), for logout and revocation. */
  token?: { jti: string; exp: number };
  /** The session the access token belongs to (users only). */
  sessionId?: string;
}
