import * as z from 'zod';
import { permissions } from '../identity/permissions';
import { defineRoute } from '../platform/http/route';

/** API keys for SIEMs and automation. The secret is returned once, on create and rotate. */
const apiKeyView = z
  .object({
    id: z.string(),
    name: z.string(),
    permissions: z.array(z.string()),
    createdAt: z.string(),
    createdBy: z.string(),
    expiresAt: z.string().optional(),
    lastUsedAt: z.string().optional(),
    lastUsedIp: z.string().optional(),
  })
  .meta({ id: 'ApiKey' });

const withSecret = apiKeyView.extend({
  key: z.string().describe('The key, shown only now: vgl_<id>_<secret>'),
});
const keyId = z.object({ id: z.string().regex(/^[A-Za-z0-9]{16}$/) });

export const createApiKeyRoute = defineRoute({
  operationId: 'createApiKey',
  audit: 'self',
  method: 'POST',
  path: '/v1/api-keys',
  fn: 'identity-auth',
  auth: 'principal',
  permission: 'apikey:manage',
  summary: 'Create an API key',
  tags: ['api keys'],
  request: {
    body: z.object({
      name: z.string().trim().min(1).max(100),
      permissions: z.array(z.enum(permissions)).min(1),
      expiresAt: z.iso.datetime().optional(),
    }),
  },
  responses: { 201: { description: 'The key (shown once)', schema: withSecret } },
});

export const listApiKeysRoute = defineRoute({
  operationId: 'listApiKeys',
  method: 'GET',
  path: '/v1/api-keys',
  fn: 'identity-auth',
  auth: 'principal',
  permission: 'apikey:manage',
  summary: 'List API keys (never their secrets)',
  tags: ['api keys'],
  responses: { 200: { description: 'Keys', schema: z.object({ items: z.array(apiKeyView) }) } },
});

export const deleteApiKeyRoute = defineRoute({
  operationId: 'deleteApiKey',
  audit: 'self',
  method: 'DELETE',
  path: '/v1/api-keys/{id}',
  fn: 'identity-auth',
  auth: 'principal',
  permission: 'apikey:manage',
  summary: 'Revoke an API key',
  tags: ['api keys'],
  request: { params: keyId },
  responses: { 204: { description: 'Revoked' } },
});

export const rotateApiKeyRoute = defineRoute({
  operationId: 'rotateApiKey',
  audit: 'self',
  method: 'POST',
  path: '/v1/api-keys/{id}/rotate',
  fn: 'identity-auth',
  auth: 'principal',
  permission: 'apikey:manage',
  summary: 'Replace an API key’s secret',
  tags: ['api keys'],
  request: { params: keyId },
  responses: { 200: { description: 'The new key (shown once)', schema: withSecret } },
});

export const apiKeyRoutes = [createApiKeyRoute, listApiKeysRoute, deleteApiKeyRoute, rotateApiKeyRoute];
