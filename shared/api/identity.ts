import * as z from 'zod';
import { maxPasswordLength } from '../identity/password-policy';
import { permissions } from '../identity/permissions';
import { defineRoute } from '../platform/http/route';

/** Identity routes: sign-up, login, refresh-token rotation, logout, the caller's profile, and keys. */

const email = z
  .email()
  .max(254)
  .transform((value) => value.toLowerCase());
const password = z
  .string()
  .min(1)
  .max(maxPasswordLength * 4);
const totpCode = z.string().regex(/^\d{6}$/, 'A code is 6 digits.');
const oneTimeToken = z.string().min(10).max(200);
export const roleName = z.enum(['admin', 'analyst', 'viewer']);

const mfaChallenge = z
  .object({ mfaRequired: z.literal(true), mfaToken: z.string(), expiresIn: z.number().int() })
  .meta({ id: 'MfaChallenge' });
const recoveryCodes = z.object({
  recoveryCodes: z.array(z.string()).describe('Single-use recovery codes, shown only now'),
});

export const tokenResponse = z
  .object({
    accessToken: z.string(),
    refreshToken: z.string(),
    expiresIn: z.number().int(),
    tokenType: z.literal('Bearer'),
  })
  .meta({ id: 'TokenResponse' });

export const registerRoute = defineRoute({
  operationId: 'register',
  method: 'POST',
  path: '/v1/auth/register',
  fn: 'identity-auth',
  auth: 'public',
  permission: null,
  summary: 'Create a tenant and its first admin',
  tags: ['auth'],
  request: {
    body: z.object({
      tenantName: z.string().trim().min(2).max(100),
      email,
      password,
      name: z.string().trim().min(1).max(100),
    }),
  },
  responses: {
    201: {
      description: 'Tenant and admin created; tokens for the new admin',
      schema: tokenResponse.extend({ tenantId: z.string(), userId: z.string() }),
    },
    403: { description: 'Open sign-up is disabled' },
    409: { description: 'The email address cannot be used' },
  },
});

export const loginRoute = defineRoute({
  operationId: 'login',
  method: 'POST',
  path: '/v1/auth/login',
  fn: 'identity-auth',
  auth: 'public',
  permission: null,
  summary: 'Log in with email and password (and a TOTP code when 2FA is on)',
  description:
    'Unknown email and wrong password give the same answer in similar time. With 2FA on and no `totp`, ' +
    'the answer is `{mfaRequired, mfaToken}`: send the code with the token to `POST /v1/auth/mfa` within 5 minutes.',
  tags: ['auth'],
  request: { body: z.object({ email, password, totp: totpCode.optional() }) },
  responses: {
    200: { description: 'Tokens, or an MFA challenge', schema: z.union([tokenResponse, mfaChallenge]) },
    401: { description: 'Login failed' },
  },
});

export const mfaLoginRoute = defineRoute({
  operationId: 'completeMfaLogin',
  method: 'POST',
  path: '/v1/auth/mfa',
  fn: 'identity-auth',
  auth: 'public',
  permission: null,
  summary: 'Complete a 2FA login with a TOTP code or a recovery code',
  tags: ['auth'],
  request: {
    body: z
      .object({
        mfaToken: oneTimeToken,
        code: totpCode.optional(),
        recoveryCode: z.string().min(8).max(20).optional(),
      })
      .refine((b) => Boolean(b.code) !== Boolean(b.recoveryCode), 'Send either `code` or `recoveryCode`.'),
  },
  responses: {
    200: { description: 'Tokens', schema: tokenResponse },
    401: { description: 'Invalid code, or the sign-in step expired' },
  },
});

const mfaRoute = (operationId: string, path: string, summary: string) => ({
  operationId,
  method: 'POST' as const,
  path,
  fn: 'identity-auth',
  auth: 'principal' as const,
  permission: 'session:own' as const,
  summary,
  tags: ['2fa'],
  audit: 'self' as const,
});

export const mfaSetupRoute = defineRoute({
  ...mfaRoute('setupMfa', '/v1/auth/2fa/setup', 'Start TOTP enrolment: otpauth URI and QR code'),
  description: 'The secret stays pending until `POST /v1/auth/2fa/verify` confirms a first code.',
  responses: {
    200: {
      description: 'Enrolment data for an authenticator app',
      schema: z.object({ otpauthUri: z.string(), qrCodeDataUrl: z.string() }),
    },
    409: { description: '2FA is already on' },
  },
});

export const mfaVerifyRoute = defineRoute({
  ...mfaRoute('verifyMfa', '/v1/auth/2fa/verify', 'Confirm a first code: turns 2FA on'),
  request: { body: z.object({ code: totpCode }) },
  responses: { 200: { description: '2FA is on; the recovery codes, once', schema: recoveryCodes } },
});

export const mfaDisableRoute = defineRoute({
  ...mfaRoute('disableMfa', '/v1/auth/2fa/disable', 'Turn 2FA off (needs a current code)'),
  request: { body: z.object({ code: totpCode }) },
  responses: { 204: { description: '2FA is off' } },
});

export const mfaRecoveryCodesRoute = defineRoute({
  ...mfaRoute('regenerateRecoveryCodes', '/v1/auth/2fa/recovery-codes', 'Replace the recovery codes'),
  request: { body: z.object({ code: totpCode }) },
  responses: {
    200: { description: 'Ten new recovery codes (the old ones stop working)', schema: recoveryCodes },
  },
});

export const verifyEmailRequestRoute = defineRoute({
  operationId: 'requestEmailVerification',
  method: 'POST',
  path: '/v1/auth/verify-email/request',
  fn: 'identity-auth',
  auth: 'principal',
  permission: 'session:own',
  summary: 'Mail the caller a link that confirms their address',
  tags: ['auth'],
  responses: { 202: { description: 'Accepted', schema: z.object({ status: z.literal('accepted') }) } },
});

export const verifyEmailConfirmRoute = defineRoute({
  operationId: 'confirmEmailVerification',
  method: 'POST',
  path: '/v1/auth/verify-email/confirm',
  fn: 'identity-auth',
  auth: 'public',
  permission: null,
  summary: 'Confirm an address with the mailed token',
  tags: ['auth'],
  request: { body: z.object({ token: oneTimeToken }) },
  responses: {
    204: { description: 'Address confirmed' },
    400: { description: 'Invalid, used or expired token' },
  },
});

export const acceptInvitationRoute = defineRoute({
  operationId: 'acceptInvitation',
  method: 'POST',
  path: '/v1/auth/invitations/accept',
  fn: 'identity-auth',
  auth: 'public',
  permission: null,
  summary: 'Join a tenant with an invitation',
  tags: ['auth'],
  request: {
    body: z.object({ token: oneTimeToken, password, name: z.string().trim().min(1).max(100) }),
  },
  responses: {
    201: {
      description: 'The new user, signed in',
      schema: tokenResponse.extend({ tenantId: z.string(), userId: z.string() }),
    },
    400: { description: 'Invalid, used or expired invitation, or a weak password' },
    409: { description: 'The address already has an account' },
  },
});

export const refreshRoute = defineRoute({
  operationId: 'refresh',
  method: 'POST',
  path: '/v1/auth/refresh',
  fn: 'identity-auth',
  auth: 'public',
  permission: null,
  summary: 'Rotate a refresh token',
  description: 'Each refresh token works once. Presenting a rotated token revokes its whole family.',
  tags: ['auth'],
  request: { body: z.object({ refreshToken: z.string().min(10).max(200) }) },
  responses: {
    200: { description: 'New tokens', schema: tokenResponse },
    401: { description: 'Invalid token' },
  },
});

export const logoutRoute = defineRoute({
  operationId: 'logout',
  audit: 'self',
  method: 'POST',
  path: '/v1/auth/logout',
  fn: 'identity-auth',
  auth: 'principal',
  permission: 'session:own',
  summary: 'Log out',
  description: 'Revokes the refresh-token family and denies the access token until it expires.',
  tags: ['auth'],
  request: { body: z.object({ refreshToken: z.string().min(10).max(200).optional() }) },
  responses: { 204: { description: 'Logged out' } },
});

export const meRoute = defineRoute({
  operationId: 'getMe',
  method: 'GET',
  path: '/v1/me',
  fn: 'identity-auth',
  auth: 'principal',
  permission: 'session:own',
  summary: 'The caller’s profile, roles and permissions',
  tags: ['auth'],
  responses: {
    200: {
      description: 'Profile',
      schema: z.object({
        id: z.string(),
        type: z.enum(['user', 'apiKey']),
        tenantId: z.string(),
        email: z.string().optional(),
        name: z.string().optional(),
        emailVerified: z.boolean().optional(),
        mfaEnabled: z.boolean().optional(),
        roles: z.array(z.string()),
        grants: z.array(z.enum(permissions)).optional(),
        permissions: z.array(z.string()),
      }),
    },
  },
});

export const jwksRoute = defineRoute({
  operationId: 'getJwks',
  method: 'GET',
  path: '/.well-known/jwks.json',
  fn: 'identity-auth',
  auth: 'public',
  permission: null,
  summary: 'Public keys that verify access tokens',
  tags: ['auth'],
  responses: {
    200: { description: 'JWK set', schema: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }) },
  },
});

export const openIdConfigurationRoute = defineRoute({
  operationId: 'getOpenIdConfiguration',
  method: 'GET',
  path: '/.well-known/openid-configuration',
  fn: 'identity-auth',
  auth: 'public',
  permission: null,
  summary: 'Issuer metadata',
  tags: ['auth'],
  responses: { 200: { description: 'Issuer metadata', schema: z.record(z.string(), z.unknown()) } },
});

export const rolesRoute = defineRoute({
  operationId: 'listRoles',
  method: 'GET',
  path: '/v1/roles',
  fn: 'identity-auth',
  auth: 'principal',
  permission: 'session:own',
  summary: 'Built-in roles and the permissions each grants',
  tags: ['auth'],
  responses: {
    200: {
      description: 'Roles',
      schema: z.object({ items: z.array(z.object({ role: z.string(), permissions: z.array(z.string()) })) }),
    },
  },
});

export const passwordResetRequestRoute = defineRoute({
  operationId: 'requestPasswordReset',
  method: 'POST',
  path: '/v1/auth/password-reset/request',
  fn: 'identity-auth',
  auth: 'public',
  permission: null,
  summary: 'Ask for a password reset link',
  description: 'Always 202, whether or not the address has an account. The link works once, for one hour.',
  tags: ['auth'],
  request: { body: z.object({ email }) },
  responses: { 202: { description: 'Accepted', schema: z.object({ status: z.literal('accepted') }) } },
});

export const passwordResetConfirmRoute = defineRoute({
  operationId: 'confirmPasswordReset',
  method: 'POST',
  path: '/v1/auth/password-reset/confirm',
  fn: 'identity-auth',
  auth: 'public',
  permission: null,
  summary: 'Set a new password with a reset token',
  description: 'Ends every session of the user.',
  tags: ['auth'],
  request: { body: z.object({ token: oneTimeToken, password }) },
  responses: {
    204: { description: 'Password changed' },
    400: { description: 'Invalid, used or expired token, or a weak password' },
  },
});

export const identityRoutes = [
  mfaLoginRoute,
  mfaSetupRoute,
  mfaVerifyRoute,
  mfaDisableRoute,
  mfaRecoveryCodesRoute,
  verifyEmailRequestRoute,
  verifyEmailConfirmRoute,
  acceptInvitationRoute,
  passwordResetRequestRoute,
  passwordResetConfirmRoute,
  rolesRoute,
  registerRoute,
  loginRoute,
  refreshRoute,
  logoutRoute,
  meRoute,
  jwksRoute,
  openIdConfigurationRoute,
];
