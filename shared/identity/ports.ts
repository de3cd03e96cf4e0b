import type { Permission, Role } from './permissions';

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
  /** Permissions granted to this user on top of their roles. */
  grants?: Permission[];
  /** TOTP second factor: the secret is stored encrypted (envelope encryption, purpose `totp`). */
  mfa?: MfaState;
}

export interface MfaState {
  enabled: boolean;
  /** Ciphertext of the active secret (when enabled). */
  secret?: string;
  /** Ciphertext of a secret set up but not yet confirmed with a code. */
  pendingSecret?: string;
  /** Hashes of the unused recovery codes. */
  recoveryCodeHashes?: string[];
}

/** A login session: one refresh-token family, listed and revocable by its id. */
export interface SessionRecord {
  id: string;
  tenantId: string;
  userId: string;
  createdAt: string;
  lastUsedAt: string;
  ip?: string;
  userAgent?: string;
  /** Authentication methods of the login that opened the session (`pwd`, `otp`, `mfa`). */
  amr: string[];
  expiresAt: number;
  revokedAt?: string;
}

/** Changes an administrator may make to a user. */
export interface UserChanges {
  name?: string;
  roles?: Role[];
  status?: 'active' | 'disabled';
  grants?: Permission[];
}

/** Raised when a change would leave a tenant without an active admin. */
export class LastAdminError extends Error {
  override readonly name = 'LastAdminError';
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
  /** Authentication methods of the login, carried over on rotation. */
  amr?: string[];
}

/** A single-use token (password reset, email verification, invitation, MFA step), stored by hash. */
export type OneTimeTokenKind = 'password-reset' | 'email-verification' | 'invitation' | 'mfa';

export interface OneTimeTokenRecord {
  tokenHash: string;
  tenantId: string;
  /** The user the token is for; for an invitation, the id the new user will get. */
  userId: string;
  expiresAt: number;
  /** Kind-specific data (an invitation's email, role and inviter). */
  data?: Record<string, string>;
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
  /** Adds a user to an existing tenant with its email lookup; `EmailTakenError` if the email is in use. */
  createUser(user: UserRecord): Promise<void>;
  listUsers(tenantId: string): Promise<UserRecord[]>;
  /**
   * Applies `changes` atomically with the tenant's admin count; `LastAdminError` when the change would
   * leave no active admin. Returns the updated user, or undefined if there is no such user.
   */
  updateUser(tenantId: string, userId: string, changes: UserChanges): Promise<UserRecord | undefined>;
  /** Deletes the user and its email lookup; `LastAdminError` for the last active admin. False if absent. */
  deleteUser(tenantId: string, userId: string): Promise<boolean>;
  /** Stores a TOTP secret awaiting confirmation (replacing any earlier pending one). */
  setPendingMfaSecret(tenantId: string, userId: string, ciphertext: string): Promise<void>;
  /** Turns 2FA on with the confirmed secret and fresh recovery codes; false if the pending secret changed. */
  enableMfa(
    tenantId: string,
    userId: string,
    pendingSecret: string,
    recoveryCodeHashes: string[],
  ): Promise<boolean>;
  disableMfa(tenantId: string, userId: string): Promise<void>;
  /** Records that a TOTP time step was used; false if it (or a later one) already was: no replay. */
  claimMfaStep(tenantId: string, userId: string, step: number): Promise<boolean>;
  setRecoveryCodes(tenantId: string, userId: string, hashes: string[]): Promise<void>;
  /** Removes one unused recovery code; false if it is not (or no longer) there. */
  consumeRecoveryCode(tenantId: string, userId: string, hash: string): Promise<boolean>;
  putSession(session: SessionRecord): Promise<void>;
  touchSession(tenantId: string, sessionId: string, at: string, ip: string): Promise<void>;
  getSession(tenantId: string, sessionId: string): Promise<SessionRecord | undefined>;
  /** Unrevoked, unexpired sessions of the tenant (of one user when `userId` is given). */
  listSessions(tenantId: string, nowSeconds: number, userId?: string): Promise<SessionRecord[]>;
  putRefreshToken(record: RefreshTokenRecord): Promise<void>;
  getRefreshToken(tokenHash: string): Promise<RefreshTokenRecord | undefined>;
  /** Marks a token rotated; false if it already was (a concurrent or repeated use). */
  markRotated(tokenHash: string, at: string): Promise<boolean>;
  /** Revokes a session (refresh-token family): no token of it refreshes or authorizes again. */
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
  /** Reads a token without using it up (the MFA step checks the code before consuming). */
  getOneTimeToken(
    kind: OneTimeTokenKind,
    tokenHash: string,
    nowSeconds: number,
  ): Promise<OneTimeTokenRecord | undefined>;
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
