import * as z from 'zod';
import { defineRoute } from '../platform/http/route';

/** Routes of the platform itself: health, the OpenAPI document and the API reference page. */

export const healthResponse = z
  .object({
    status: z.enum(['ok', 'unavailable']),
    version: z.string(),
    stage: z.string(),
    uptimeSeconds: z.number(),
    time: z.iso.datetime(),
    checks: z.object({
      dynamodb: z.object({
        status: z.enum(['ok', 'error']),
        latencyMs: z.number(),
        error: z.string().optional(),
      }),
    }),
  })
  .meta({ id: 'Health' });

export const healthRoute = defineRoute({
  operationId: 'getHealth',
  method: 'GET',
  path: '/health',
  fn: 'platform-health',
  auth: 'public',
  permission: null,
  summary: 'Service health',
  description: 'Version, uptime and a real DynamoDB round trip. 503 when a dependency fails.',
  tags: ['platform'],
  responses: {
    200: { description: 'Healthy', schema: healthResponse },
    503: { description: 'A dependency is failing', schema: healthResponse },
  },
});

export const openApiRoute = defineRoute({
  operationId: 'getOpenApi',
  method: 'GET',
  path: '/openapi.json',
  fn: 'platform-docs',
  auth: 'public',
  permission: null,
  summary: 'OpenAPI 3.1 document',
  description: 'Generated from the route table at build time of the Lambda.',
  tags: ['platform'],
  responses: { 200: { description: 'The OpenAPI document', schema: z.record(z.string(), z.unknown()) } },
});

export const docsRoute = defineRoute({
  operationId: 'getDocs',
  method: 'GET',
  path: '/docs',
  fn: 'platform-docs',
  auth: 'public',
  permission: null,
  summary: 'API reference page',
  tags: ['platform'],
  responses: { 200: { description: 'HTML page', contentType: 'text/html' } },
});

export const docsAssetRoute = defineRoute({
  operationId: 'getDocsAsset',
  method: 'GET',
  path: '/docs/{asset}',
  fn: 'platform-docs',
  auth: 'public',
  permission: null,
  summary: 'Static asset of the API reference page',
  tags: ['platform'],
  request: { params: z.object({ asset: z.string().max(100) }) },
  responses: {
    200: { description: 'Asset', contentType: 'application/octet-stream' },
    404: { description: 'No such asset' },
  },
});

export const platformRoutes = [healthRoute, openApiRoute, docsRoute, docsAssetRoute];
