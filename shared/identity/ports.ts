import type { Role } from './permissions';

/** Ports of the identity context. */

export interface UserRecord {
  id: string;
  tenantId: string;
  email: string;
  name: string;
  passwordHash: string;
  roles: Role[];
  status: 'active' | 'disabled';
  createdAt: string;
  emailVerified?: boolean;
  /** Incremented when every session must end (password reset); tokens carry the version they were issued under. */
  sessionVersion: number;
}

export interface RefreshTokenRecord {
  tokenHash: string;
  tenantId: string;
  userId: string;
  familyId: string;
  /** The user's session version when the token was issued. */
  sessionVersion: number;
  expiresAt: number;
  rotatedAt?: string;
}

/** A single-use token (password reset, email verification), stored by hash. */
export type OneTimeTokenKind = 'password-reset' | 'email-verification';

export interface OneTimeTokenRecord {
  tokenHash: string;
  tenantId: string;
  userId: string;
  expiresAt: number;
}

export class EmailTakenError extends Error {
  override readonly name = 'EmailTakenError';
}

export interface IdentityRepository {
  /** Creates tenant, user and the email lookup atomically; `EmailTakenError` if the email is in use. */
  createTenantWithAdmin(
    tenant: { id: string; name: string; createdAt: string },
    admin: UserRecord,
  ): Promise<void>;
  findUserByEmail(email: string): Promise<UserRecord | undefined>;
  getUser(tenantId: string, userId: string): Promise<UserRecord | undefined>;
  putRefreshToken(record: RefreshTokenRecord): Promise<void>;
  getRefreshToken(tokenHash: string): Promise<RefreshTokenRecord | undefined>;
  /** Marks a token rotated; false if it already was (a concurrent or repeated use). */
  markRotated(tokenHash: string, at: string): Promise<boolean>;
  revokeFamily(tenantId: string, familyId: string, at: string, expiresAt: number): Promise<void>;
  isFamilyRevoked(tenantId: string, familyId: string): Promise<boolean>;
  denyAccessToken(jti: string, expiresAt: number): Promise<void>;
  isAccessTokenDenied(jti: string): Promise<boolean>;
  /** Epoch seconds until which logins for `email` are locked, if they are. */
  getLockout(email: string): Promise<number | undefined>;
  /** Counts a failed login and locks for `lockSeconds(failures)` seconds (0: no lock). */
  recordLoginFailure(
    email: string,
    nowSeconds: number,
    lockSeconds: (failures: number) => number,
  ): Promise<void>;
  clearLoginFailures(email: string): Promise<void>;
  putOneTimeToken(kind: OneTimeTokenKind, record: OneTimeTokenRecord): Promise<void>;
  /** Deletes and returns the token if it exists and has not expired: such a token works once. */
  consumeOneTimeToken(
    kind: OneTimeTokenKind,
    tokenHash: string,
    nowSeconds: number,
  ): Promise<OneTimeTokenRecord | undefined>;
  markEmailVerified(tenantId: string, userId: string): Promise<void>;
  /** Sets a new password hash and ends every session by moving the session version on. */
  setPassword(tenantId: string, userId: string, passwordHash: string): Promise<void>;
}

/** Security events (reuse of a rotated token, ...); the audit context will persist them. */
export interface SecurityEvents {
  record(event: {
    type: string;
    severity: 'low' | 'medium' | 'high';
    tenantId: string;
    details: Record<string, unknown>;
  }): Promise<void>;
}
