import * as z from 'zod';
import { permissions } from '../identity/permissions';
import { defineRoute } from '../platform/http/route';
import { roleName } from './identity';

/** User administration, invitations, sessions, and the tenant's security metrics. */
const userView = z
  .object({
    id: z.string(),
    email: z.string(),
    name: z.string(),
    roles: z.array(roleName),
    grants: z.array(z.enum(permissions)),
    permissions: z.array(z.enum(permissions)),
    status: z.enum(['active', 'disabled']),
    emailVerified: z.boolean(),
    mfaEnabled: z.boolean(),
    createdAt: z.string(),
  })
  .meta({ id: 'User' });

const sessionView = z
  .object({
    id: z.string(),
    userId: z.string(),
    createdAt: z.string(),
    lastUsedAt: z.string(),
    ip: z.string().optional(),
    userAgent: z.string().optional(),
    amr: z.array(z.string()),
    expiresAt: z.number().int().describe('Epoch seconds; the absolute end of the session'),
  })
  .meta({ id: 'Session' });

const userId = z.object({ id: z.string().regex(/^u_[0-9a-f-]{36}$/, 'Not a user id.') });
const sessionId = z.object({ id: z.uuid() });

export const listUsersRoute = defineRoute({
  operationId: 'listUsers',
  method: 'GET',
  path: '/v1/users',
  fn: 'identity-users',
  auth: 'principal',
  permission: 'user:manage',
  summary: 'Users of the tenant',
  tags: ['users'],
  responses: { 200: { description: 'Users', schema: z.object({ items: z.array(userView) }) } },
});

export const getUserRoute = defineRoute({
  operationId: 'getUser',
  method: 'GET',
  path: '/v1/users/{id}',
  fn: 'identity-users',
  auth: 'principal',
  permission: 'user:manage',
  summary: 'One user',
  tags: ['users'],
  request: { params: userId },
  responses: { 200: { description: 'The user', schema: userView }, 404: { description: 'No such user' } },
});

export const updateUserRoute = defineRoute({
  operationId: 'updateUser',
  method: 'PATCH',
  path: '/v1/users/{id}',
  fn: 'identity-users',
  auth: 'principal',
  permission: 'user:manage',
  summary: 'Rename a user, change their role, disable or re-enable them',
  description: 'A disabled user’s tokens and sessions stop working at once. The last active admin stays.',
  tags: ['users'],
  audit: 'self',
  request: {
    params: userId,
    body: z
      .object({
        name: z.string().trim().min(1).max(100).optional(),
        role: roleName.optional(),
        status: z.enum(['active', 'disabled']).optional(),
      })
      .refine((b) => Object.keys(b).length > 0, 'Send at least one of name, role, status.'),
  },
  responses: {
    200: { description: 'The updated user', schema: userView },
    404: { description: 'No such user' },
    409: { description: 'The change would leave the tenant without an active admin' },
  },
});

export const deleteUserRoute = defineRoute({
  operationId: 'deleteUser',
  method: 'DELETE',
  path: '/v1/users/{id}',
  fn: 'identity-users',
  auth: 'principal',
  permission: 'user:manage',
  summary: 'Delete a user',
  tags: ['users'],
  audit: 'self',
  request: { params: userId },
  responses: {
    204: { description: 'Deleted' },
    404: { description: 'No such user' },
    409: { description: 'The last active admin cannot be deleted' },
  },
});

export const putGrantsRoute = defineRoute({
  operationId: 'putUserGrants',
  method: 'PUT',
  path: '/v1/users/{id}/grants',
  fn: 'identity-users',
  auth: 'principal',
  permission: 'user:manage',
  summary: 'Replace a user’s per-user grants (permissions on top of their role)',
  tags: ['users'],
  audit: 'self',
  request: {
    params: userId,
    body: z.object({ permissions: z.array(z.enum(permissions)).max(permissions.length) }),
  },
  responses: {
    200: { description: 'The updated user', schema: userView },
    404: { description: 'No such user' },
  },
});

export const inviteUserRoute = defineRoute({
  operationId: 'inviteUser',
  method: 'POST',
  path: '/v1/users/invitations',
  fn: 'identity-users',
  auth: 'principal',
  permission: 'user:manage',
  summary: 'Invite someone to the tenant by mail (single-use link, three days)',
  tags: ['users'],
  audit: 'self',
  request: {
    body: z.object({
      email: z
        .email()
        .max(254)
        .transform((v) => v.toLowerCase()),
      role: roleName,
    }),
  },
  responses: {
    201: {
      description: 'Invitation sent',
      schema: z.object({ id: z.string(), email: z.string(), role: roleName, expiresAt: z.string() }),
    },
  },
});

export const listSessionsRoute = defineRoute({
  operationId: 'listSessions',
  method: 'GET',
  path: '/v1/sessions',
  fn: 'identity-users',
  auth: 'principal',
  permission: 'session:own',
  summary: 'Active sessions: your own, or (admins) one user’s or the whole tenant’s',
  tags: ['sessions'],
  request: {
    query: z.object({
      userId: userId.shape.id.optional(),
      all: z
        .enum(['true', 'false'])
        .optional()
        .transform((v) => v === 'true'),
    }),
  },
  responses: { 200: { description: 'Sessions', schema: z.object({ items: z.array(sessionView) }) } },
});

export const deleteSessionRoute = defineRoute({
  operationId: 'revokeSession',
  method: 'DELETE',
  path: '/v1/sessions/{id}',
  fn: 'identity-users',
  auth: 'principal',
  permission: 'session:own',
  summary: 'End a session (yours; admins: any in the tenant)',
  tags: ['sessions'],
  audit: 'self',
  request: { params: sessionId },
  responses: { 204: { description: 'Ended' }, 404: { description: 'No such session' } },
});

export const securityMetricsRoute = defineRoute({
  operationId: 'getSecurityMetrics',
  method: 'GET',
  path: '/v1/security/metrics',
  fn: 'identity-users',
  auth: 'principal',
  permission: 'audit:read',
  summary: 'Failed logins, active sessions, rate-limit violations and suspicious activity in the last hour',
  tags: ['security'],
  responses: {
    200: {
      description: 'Metrics',
      schema: z.object({
        windowMinutes: z.number().int(),
        failedLogins: z.number().int(),
        activeSessions: z.number().int(),
        rateLimitViolations: z.number().int(),
        suspiciousActivities: z.number().int(),
        thresholds: z.object({
          failedLoginsPerHour: z.number().int(),
          rateLimitViolationsPerHour: z.number().int(),
        }),
      }),
    },
  },
});

export const userRoutes = [
  listUsersRoute,
  inviteUserRoute,
  getUserRoute,
  updateUserRoute,
  deleteUserRoute,
  putGrantsRoute,
  listSessionsRoute,
  deleteSessionRoute,
  securityMetricsRoute,
];
