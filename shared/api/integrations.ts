import * as z from 'zod';
import { defineRoute } from '../platform/http/route';

/**
 * The integration hub: catalog, tenant configuration (credentials write-only), test, health, usage,
 * export/import/re-encryption, and the direct actions playbooks reuse (notify, tickets, webhooks,
 * Velociraptor).
 */
const name = z.object({ name: z.string().regex(/^[a-z][a-z0-9-]{1,40}$/, 'Not an integration name.') });
const health = z.object({
  status: z.enum(['healthy', 'degraded', 'error', 'untested']),
  checkedAt: z.string().optional(),
  lastError: z.string().optional(),
});
const field = z.object({
  name: z.string(),
  label: z.string(),
  type: z.enum(['text', 'secret', 'url', 'number', 'select']),
  required: z.boolean(),
  help: z.string().optional(),
  options: z.array(z.string()).optional(),
  default: z.union([z.string(), z.number()]).optional(),
  placeholder: z.string().optional(),
});
const catalogEntry = z
  .object({
    name: z.string(),
    displayName: z.string(),
    category: z.enum([
      'threat-intel',
      'geolocation',
      'notification',
      'ticketing',
      'webhook',
      'endpoint-response',
    ]),
    description: z.string(),
    fields: z.array(field),
    freeTier: z.object({
      summary: z.string(),
      perSecond: z.number().optional(),
      perMinute: z.number().optional(),
      perDay: z.number().optional(),
      perMonth: z.number().optional(),
    }),
    priority: z.enum(['high', 'medium', 'low']),
    setupGuide: z.array(z.string()),
    docsUrl: z.string(),
    supports: z.array(z.string()).optional(),
    userSuppliedUrl: z.boolean().optional(),
  })
  .meta({ id: 'IntegrationCatalogEntry' });
const quotaOverride = z
  .object({
    perSecond: z.number().int().min(1).optional(),
    perMinute: z.number().int().min(1).optional(),
    perDay: z.number().int().min(1).optional(),
    perMonth: z.number().int().min(1).optional(),
  })
  .refine((q) => Object.keys(q).length > 0, 'Set at least one window.');
const integrationView = z
  .object({
    name: z.string(),
    displayName: z.string(),
    category: z.string(),
    description: z.string(),
    priority: z.string(),
    configured: z.boolean(),
    enabled: z.boolean(),
    settings: z.record(z.string(), z.union([z.string(), z.number()])),
    credentials: z
      .record(z.string(), z.string())
      .describe('Masked hints (••••last4); secrets are never returned'),
    health,
    updatedAt: z.string().optional(),
  })
  .meta({ id: 'Integration' });
const exportDocument = z
  .object({
    format: z.literal('vigil.integrations'),
    version: z.literal(1),
    exportedAt: z.string(),
    integrations: z
      .array(
        z.object({
          name: z.string().max(41),
          enabled: z.boolean(),
          settings: z.record(z.string(), z.union([z.string(), z.number()])),
          secretFields: z.array(z.string()).max(20),
        }),
      )
      .max(100),
  })
  .meta({ id: 'IntegrationExport' });

const base = {
  fn: 'integrations-api',
  auth: 'principal' as const,
  tags: ['integrations'],
};
const manage = { ...base, permission: 'integration:manage' as const };
const read = { ...base, permission: 'integration:read' as const };

export const catalogRoute = defineRoute({
  ...read,
  operationId: 'getIntegrationCatalog',
  method: 'GET',
  path: '/v1/integrations/catalog',
  summary: 'Every integration Vigil offers, with fields, free tier, priority and setup guide',
  responses: { 200: { description: 'The catalog', schema: z.object({ items: z.array(catalogEntry) }) } },
});

export const listIntegrationsRoute = defineRoute({
  ...read,
  operationId: 'listIntegrations',
  method: 'GET',
  path: '/v1/integrations',
  summary: 'The catalog joined with this tenant’s configuration and health',
  responses: { 200: { description: 'Integrations', schema: z.object({ items: z.array(integrationView) }) } },
});

export const exportIntegrationsRoute = defineRoute({
  ...manage,
  operationId: 'exportIntegrations',
  method: 'GET',
  path: '/v1/integrations/export',
  summary: 'Export the configuration as versioned JSON (never secrets)',
  responses: { 200: { description: 'The export', schema: exportDocument } },
});

export const importIntegrationsRoute = defineRoute({
  ...manage,
  operationId: 'importIntegrations',
  method: 'POST',
  path: '/v1/integrations/import',
  summary: 'Import an export (validated; `dryRun` shows the plan; secrets must be re-entered)',
  audit: 'self',
  request: { body: exportDocument.extend({ dryRun: z.boolean().default(false) }) },
  responses: {
    200: {
      description: 'What was (or would be) applied',
      schema: z.object({
        dryRun: z.boolean(),
        integrations: z.array(
          z.object({
            name: z.string(),
            action: z.enum(['create', 'update', 'unchanged']),
            needsCredentials: z.array(z.string()),
          }),
        ),
      }),
    },
  },
});

export const reencryptRoute = defineRoute({
  ...manage,
  operationId: 'reencryptIntegrationCredentials',
  method: 'POST',
  path: '/v1/integrations/reencrypt',
  summary: 'Re-encrypt every stored credential under the current key',
  audit: 'self',
  responses: { 200: { description: 'Done', schema: z.object({ reencrypted: z.number().int() }) } },
});

export const getIntegrationRoute = defineRoute({
  ...read,
  operationId: 'getIntegration',
  method: 'GET',
  path: '/v1/integrations/{name}',
  summary: 'One integration: catalog entry, configuration and health',
  request: { params: name },
  responses: {
    200: {
      description: 'The integration (Picus adds a configuration `summary`: token state, refresh-token age)',
      schema: integrationView.extend({
        catalog: catalogEntry,
        summary: z.record(z.string(), z.unknown()).optional(),
      }),
    },
    404: { description: 'No such integration' },
  },
});

export const putIntegrationRoute = defineRoute({
  ...manage,
  operationId: 'configureIntegration',
  method: 'PUT',
  path: '/v1/integrations/{name}',
  summary: 'Configure settings and credentials (credentials are write-only; omitted ones are kept)',
  description: 'New credentials reset health to `untested`.',
  audit: 'self',
  request: {
    params: name,
    body: z.object({
      settings: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
      credentials: z.record(z.string(), z.string()).optional(),
      quota: quotaOverride
        .nullable()
        .optional()
        .describe('Your plan’s limits (paid tier); null returns to the free tier'),
    }),
  },
  responses: {
    200: { description: 'Saved', schema: integrationView },
    400: { description: 'Invalid field' },
  },
});

export const deleteIntegrationRoute = defineRoute({
  ...manage,
  operationId: 'deleteIntegration',
  method: 'DELETE',
  path: '/v1/integrations/{name}',
  summary: 'Remove the configuration and its credentials',
  audit: 'self',
  request: { params: name },
  responses: { 204: { description: 'Removed' }, 404: { description: 'Not configured' } },
});

export const enableIntegrationRoute = defineRoute({
  ...manage,
  operationId: 'enableIntegration',
  method: 'POST',
  path: '/v1/integrations/{name}/enable',
  summary: 'Enable',
  audit: 'self',
  request: { params: name },
  responses: { 200: { description: 'Enabled', schema: integrationView } },
});

export const disableIntegrationRoute = defineRoute({
  ...manage,
  operationId: 'disableIntegration',
  method: 'POST',
  path: '/v1/integrations/{name}/disable',
  summary: 'Disable',
  audit: 'self',
  request: { params: name },
  responses: { 200: { description: 'Disabled', schema: integrationView } },
});

export const testIntegrationRoute = defineRoute({
  ...manage,
  operationId: 'testIntegration',
  method: 'POST',
  path: '/v1/integrations/{name}/test',
  summary: 'Make a real, cheap call and report what happened',
  audit: 'self',
  request: { params: name },
  responses: {
    200: {
      description: 'The outcome (also when the service refused: see `ok`)',
      schema: z.object({
        ok: z.boolean(),
        message: z.string(),
        details: z.record(z.string(), z.unknown()).optional(),
        health,
      }),
    },
  },
});

export const integrationUsageRoute = defineRoute({
  ...read,
  operationId: 'getIntegrationUsage',
  method: 'GET',
  path: '/v1/integrations/{name}/usage',
  summary: 'Per-day requests, successes, failures, p50/p95 latency, and quota against the plan',
  request: { params: name, query: z.object({ days: z.coerce.number().int().min(1).max(90).default(30) }) },
  responses: {
    200: {
      description: 'Usage',
      schema: z.object({
        name: z.string(),
        plan: z.string(),
        days: z.array(
          z.object({
            date: z.string(),
            requests: z.number().int(),
            successes: z.number().int(),
            failures: z.number().int(),
            p50Ms: z.number().optional(),
            p95Ms: z.number().optional(),
          }),
        ),
        quota: z
          .object({
            period: z.enum(['day', 'month']),
            limit: z.number(),
            used: z.number(),
            remaining: z.number(),
          })
          .optional(),
      }),
    },
  },
});

const severity = z.enum(['info', 'low', 'medium', 'high', 'critical']);
const actionOutcome = z.object({
  integration: z.string(),
  ok: z.boolean(),
  id: z.string().optional(),
  error: z.string().optional(),
});
const act = { ...base, permission: 'playbook:execute' as const, tags: ['actions'] };

export const notifyRoute = defineRoute({
  ...act,
  operationId: 'notify',
  method: 'POST',
  path: '/v1/notify',
  summary: 'Send a message to the given (or every enabled) notification integration',
  request: {
    body: z.object({
      integrations: z.array(name.shape.name).max(20).optional(),
      title: z.string().trim().min(1).max(200).default('Vigil'),
      message: z.string().trim().min(1).max(4000),
      severity: severity.default('info'),
      fields: z.record(z.string().max(100), z.string().max(500)).optional(),
      url: z.url().optional(),
    }),
  },
  responses: {
    200: { description: 'Per-integration outcome', schema: z.object({ results: z.array(actionOutcome) }) },
  },
});

export const ticketRoute = defineRoute({
  ...act,
  operationId: 'createTicket',
  method: 'POST',
  path: '/v1/tickets',
  summary: 'Open an issue or card in a ticketing integration',
  request: {
    body: z.object({
      integration: name.shape.name,
      title: z.string().trim().min(1).max(250),
      body: z.string().max(30_000).default(''),
      labels: z.array(z.string().trim().min(1).max(50)).max(20).optional(),
    }),
  },
  responses: {
    201: {
      description: 'Created',
      schema: z.object({
        integration: z.string(),
        id: z.string(),
        number: z.union([z.string(), z.number()]).optional(),
        url: z.string(),
      }),
    },
  },
});

export const deliverWebhookRoute = defineRoute({
  ...act,
  operationId: 'deliverWebhook',
  method: 'POST',
  path: '/v1/webhooks/{name}/deliver',
  summary: 'Deliver a signed JSON payload through a webhook integration',
  request: { params: name, body: z.object({ payload: z.record(z.string(), z.unknown()) }) },
  maxBodyBytes: 256 * 1024,
  responses: {
    200: {
      description: 'Delivered',
      schema: z.object({ integration: z.string(), status: z.number().int(), id: z.string() }),
    },
  },
});

const clientId = z.string().regex(/^C\.[0-9a-f]{16}$/, 'Not a Velociraptor client id.');
const artifact = z.string().regex(/^[A-Za-z0-9_.]{1,128}$/, 'Not an artifact name.');
const parameters = z.record(z.string().regex(/^[A-Za-z0-9_]{1,64}$/), z.string().max(4096)).optional();
const vr = { ...base, tags: ['velociraptor'] };

export const velociraptorClientsRoute = defineRoute({
  ...vr,
  permission: 'case:read',
  operationId: 'listVelociraptorClients',
  method: 'GET',
  path: '/v1/velociraptor/clients',
  summary: 'Endpoints known to Velociraptor',
  request: {
    query: z.object({
      search: z.string().max(100).optional(),
      limit: z.coerce.number().int().min(1).max(500).default(50),
    }),
  },
  responses: {
    200: { description: 'Clients', schema: z.object({ items: z.array(z.record(z.string(), z.unknown())) }) },
  },
});

export const velociraptorClientRoute = defineRoute({
  ...vr,
  permission: 'case:read',
  operationId: 'getVelociraptorClient',
  method: 'GET',
  path: '/v1/velociraptor/clients/{id}',
  summary: 'One endpoint',
  request: { params: z.object({ id: clientId }) },
  responses: {
    200: { description: 'Client', schema: z.record(z.string(), z.unknown()) },
    404: { description: 'Unknown client' },
  },
});

export const velociraptorCollectRoute = defineRoute({
  ...vr,
  permission: 'playbook:execute',
  operationId: 'collectVelociraptorArtifact',
  method: 'POST',
  path: '/v1/velociraptor/collect',
  summary: 'Collect artifacts from one endpoint; returns the flow id',
  request: {
    body: z.object({
      clientId,
      artifacts: z.array(artifact).min(1).max(20),
      parameters,
      urgent: z.boolean().optional(),
    }),
  },
  responses: { 202: { description: 'Collection scheduled', schema: z.object({ flowId: z.string() }) } },
});

export const velociraptorHuntRoute = defineRoute({
  ...vr,
  permission: 'playbook:execute',
  operationId: 'createVelociraptorHunt',
  method: 'POST',
  path: '/v1/velociraptor/hunts',
  summary: 'Start a hunt across endpoints; returns the hunt id',
  request: {
    body: z.object({
      artifacts: z.array(artifact).min(1).max(20),
      description: z.string().trim().min(1).max(500),
      parameters,
      expiresInSeconds: z
        .number()
        .int()
        .min(60)
        .max(30 * 86_400)
        .optional(),
    }),
  },
  responses: { 202: { description: 'Hunt created', schema: z.object({ huntId: z.string() }) } },
});

export const velociraptorHuntResultsRoute = defineRoute({
  ...vr,
  permission: 'case:read',
  operationId: 'getVelociraptorHuntResults',
  method: 'GET',
  path: '/v1/velociraptor/hunts/{id}/results',
  summary: 'Rows a hunt collected for one artifact',
  request: {
    params: z.object({ id: z.string().regex(/^H\.[A-Za-z0-9]{1,40}$/, 'Not a hunt id.') }),
    query: z.object({ artifact, limit: z.coerce.number().int().min(1).max(1000).default(100) }),
  },
  responses: {
    200: { description: 'Rows', schema: z.object({ items: z.array(z.record(z.string(), z.unknown())) }) },
  },
});

export const integrationRoutes = [
  catalogRoute,
  listIntegrationsRoute,
  exportIntegrationsRoute,
  importIntegrationsRoute,
  reencryptRoute,
  getIntegrationRoute,
  putIntegrationRoute,
  deleteIntegrationRoute,
  enableIntegrationRoute,
  disableIntegrationRoute,
  testIntegrationRoute,
  integrationUsageRoute,
  notifyRoute,
  ticketRoute,
  deliverWebhookRoute,
  velociraptorClientsRoute,
  velociraptorClientRoute,
  velociraptorCollectRoute,
  velociraptorHuntRoute,
  velociraptorHuntResultsRoute,
];
