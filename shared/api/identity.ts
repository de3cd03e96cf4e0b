import * as z from 'zod';
import { maxPasswordLength } from '../identity/password-policy';
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
  summary: 'Log in with email and password',
  description: 'Unknown email and wrong password give the same answer in similar time.',
  tags: ['auth'],
  request: { body: z.object({ email, password }) },
  responses: { 200: { description: 'Tokens', schema: tokenResponse }, 401: { description: 'Login failed' } },
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
        roles: z.array(z.string()),
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
  request: { body: z.object({ token: z.string().min(10).max(200), password }) },
  responses: {
    204: { description: 'Password changed' },
    400: { description: 'Invalid, used or expired token, or a weak password' },
  },
});

export const identityRoutes = [
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
