import * as z from 'zod';
import { defineRoute } from '../platform/http/route';

/** The tenant's audit trail: query, one event, and chain verification. */
const auditEvent = z
  .object({
    id: z.string(),
    tenantId: z.string(),
    time: z.string(),
    seq: z.number().int(),
    actor: z.object({ type: z.string(), id: z.string() }),
    action: z.string(),
    resourceType: z.string(),
    resourceId: z.string().optional(),
    outcome: z.enum(['success', 'failure', 'denied']),
    ip: z.string().optional(),
    userAgent: z.string().optional(),
    details: z.record(z.string(), z.unknown()).optional(),
    prevHash: z.string(),
    hash: z.string(),
  })
  .meta({ id: 'AuditEvent' });

export const listAuditRoute = defineRoute({
  operationId: 'listAuditEvents',
  method: 'GET',
  path: '/v1/audit',
  fn: 'audit-api',
  auth: 'principal',
  permission: 'audit:read',
  summary: 'Audit events, newest first',
  tags: ['audit'],
  request: {
    query: z.object({
      action: z.string().max(100).optional(),
      resourceType: z.string().max(100).optional(),
      actor: z.string().max(100).optional(),
      from: z.iso.datetime().optional(),
      to: z.iso.datetime().optional(),
      cursor: z.string().max(100).optional(),
      limit: z.coerce.number().int().min(1).max(100).default(50),
    }),
  },
  responses: {
    200: {
      description: 'A page of events',
      schema: z.object({ items: z.array(auditEvent), nextCursor: z.string().optional() }),
    },
  },
});

export const verifyAuditRoute = defineRoute({
  operationId: 'verifyAudit',
  method: 'GET',
  path: '/v1/audit/verify',
  fn: 'audit-api',
  auth: 'principal',
  permission: 'audit:read',
  summary: 'Verify the hash chain and report the first broken link',
  tags: ['audit'],
  responses: {
    200: {
      description: 'Verification result',
      schema: z.object({
        verified: z.number().int(),
        intact: z.boolean(),
        firstBreak: z
          .object({ seq: z.number().int(), id: z.string().optional(), reason: z.string() })
          .optional(),
      }),
    },
  },
});

export const getAuditRoute = defineRoute({
  operationId: 'getAuditEvent',
  method: 'GET',
  path: '/v1/audit/{id}',
  fn: 'audit-api',
  auth: 'principal',
  permission: 'audit:read',
  summary: 'One audit event',
  tags: ['audit'],
  request: { params: z.object({ id: z.string().regex(/^evt_[a-z0-9]{8,40}$/) }) },
  responses: { 200: { description: 'The event', schema: auditEvent } },
});

const auditSettings = z.object({
  retentionDays: z
    .number()
    .int()
    .min(1)
    .max(3650)
    .describe('Events expire this many days after they are written'),
});

export const getAuditSettingsRoute = defineRoute({
  operationId: 'getAuditSettings',
  method: 'GET',
  path: '/v1/audit/settings',
  fn: 'audit-api',
  auth: 'principal',
  permission: 'audit:read',
  summary: 'The tenant’s audit retention',
  tags: ['audit'],
  responses: { 200: { description: 'Settings', schema: auditSettings } },
});

export const putAuditSettingsRoute = defineRoute({
  operationId: 'putAuditSettings',
  method: 'PUT',
  path: '/v1/audit/settings',
  fn: 'audit-api',
  auth: 'principal',
  permission: 'user:manage',
  summary: 'Set the tenant’s audit retention (applies to events written from now on)',
  tags: ['audit'],
  request: { body: auditSettings },
  responses: { 200: { description: 'Saved', schema: auditSettings } },
});

export const auditRoutes = [
  listAuditRoute,
  verifyAuditRoute,
  getAuditSettingsRoute,
  putAuditSettingsRoute,
  getAuditRoute,
];
