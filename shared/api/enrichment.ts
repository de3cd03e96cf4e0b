import * as z from 'zod';
import { allowEntryInputSchema, iocInputSchema } from '../intel/iocs';
import { defineRoute } from '../platform/http/route';

/** Extraction, enrichment jobs and verdicts, providers, and the tenant's IOC store and allow-list. */
const megabyte = 1024 * 1024;
const indicatorType = z.enum(['ipv4', 'ipv6', 'domain', 'url', 'email', 'md5', 'sha1', 'sha256', 'cve']);
const intelResult = z.object({
  verdict: z.enum(['malicious', 'suspicious', 'benign', 'unknown']),
  score: z.number(),
  confidence: z.number(),
  tags: z.array(z.string()),
  details: z.record(z.string(), z.unknown()),
});
const aggregate = z
  .object({
    verdict: z.enum(['malicious', 'suspicious', 'benign', 'unknown']),
    score: z.number(),
    confidence: z.number(),
    summary: z.string(),
    explanation: z.array(z.unknown()),
  })
  .meta({ id: 'Verdict' });
const pairStatus = z.enum(['pending', 'done', 'cached', 'skipped', 'failed']);
const counts = z.record(pairStatus, z.number().int());
const jobSummary = z.object({
  id: z.string(),
  status: z.enum(['running', 'completed']),
  priority: z.enum(['low', 'medium', 'high']),
  force: z.boolean(),
  createdAt: z.string(),
  createdBy: z.string(),
  completedAt: z.string().optional(),
  indicatorCount: z.number().int(),
  pairCount: z.number().int(),
  counts,
});
const job = jobSummary
  .extend({
    indicators: z.array(
      z.object({
        type: indicatorType,
        value: z.string(),
        original: z.string(),
        context: z.string().optional(),
        aggregate: aggregate.optional(),
        results: z.array(
          z.object({
            provider: z.string(),
            status: pairStatus,
            reason: z.string().optional(),
            result: intelResult.optional(),
            updatedAt: z.string(),
          }),
        ),
      }),
    ),
  })
  .meta({ id: 'EnrichmentJob' });
const jobId = z.object({ id: z.string().regex(/^enr_[0-9a-f-]{36}$/, 'Not an enrichment job id.') });

const base = { fn: 'enrichment-api', auth: 'principal' as const };

export const extractRoute = defineRoute({
  ...base,
  permission: 'enrich:run',
  operationId: 'extractIndicators',
  method: 'POST',
  path: '/v1/extract',
  summary: 'Extract indicators from free text, logs, markdown or HTML (defanged or not)',
  tags: ['enrichment'],
  maxBodyBytes: megabyte + 4096,
  request: { body: z.object({ text: z.string().max(megabyte) }) },
  responses: {
    200: {
      description: 'Indicators, each with its offsets in the text',
      schema: z.object({
        indicators: z.array(
          z.object({
            type: indicatorType,
            value: z.string(),
            original: z.string(),
            start: z.number(),
            end: z.number(),
          }),
        ),
      }),
    },
  },
});

export const createEnrichmentRoute = defineRoute({
  ...base,
  permission: 'enrich:run',
  operationId: 'createEnrichment',
  method: 'POST',
  path: '/v1/enrichments',
  summary: 'Enrich indicators (or the indicators in a text) against every enabled provider',
  description:
    'Answers 202 with the job, or 200 when it completed within `wait` seconds (at most 20). Up to 1,000 ' +
    'indicators per job. Progress is pushed to the WebSocket topic `enrichment:<job id>`.',
  tags: ['enrichment'],
  maxBodyBytes: megabyte + 65_536,
  request: {
    body: z
      .object({
        indicators: z
          .array(
            z.object({
              value: z.string().min(1).max(8192),
              type: z.string().max(32).optional(),
              context: z.string().max(500).optional(),
            }),
          )
          .max(10_000)
          .optional(),
        text: z.string().max(megabyte).optional(),
        providers: z
          .array(z.string().regex(/^[a-z][a-z0-9-]{1,40}$/))
          .max(50)
          .optional(),
        priority: z.enum(['low', 'medium', 'high']).optional(),
        force: z.boolean().optional(),
        wait: z.number().int().min(0).max(20).optional(),
      })
      .refine((b) => b.indicators !== undefined || b.text !== undefined, 'Send `indicators` or `text`.'),
  },
  responses: {
    200: { description: 'Completed within `wait`', schema: job },
    202: { description: 'Accepted; poll or subscribe for progress', schema: job },
    413: { description: 'More than 1,000 indicators' },
  },
});

export const listEnrichmentsRoute = defineRoute({
  ...base,
  permission: 'intel:read',
  operationId: 'listEnrichments',
  method: 'GET',
  path: '/v1/enrichments',
  summary: 'Enrichment jobs, newest first',
  tags: ['enrichment'],
  request: {
    query: z.object({
      status: z.enum(['running', 'completed']).optional(),
      cursor: z.string().max(2000).optional(),
      limit: z.coerce.number().int().min(1).max(100).default(25),
    }),
  },
  responses: {
    200: {
      description: 'A page of jobs',
      schema: z.object({ items: z.array(jobSummary), nextCursor: z.string().optional() }),
    },
  },
});

export const enrichmentStatsRoute = defineRoute({
  ...base,
  permission: 'intel:read',
  operationId: 'getEnrichmentStats',
  method: 'GET',
  path: '/v1/enrichments/stats',
  summary: 'Per provider requests, cache hits, failures and latency; cache hit ratio; jobs by status',
  tags: ['enrichment'],
  responses: {
    200: { description: 'Statistics over recent jobs', schema: z.record(z.string(), z.unknown()) },
  },
});

export const getEnrichmentRoute = defineRoute({
  ...base,
  permission: 'intel:read',
  operationId: 'getEnrichment',
  method: 'GET',
  path: '/v1/enrichments/{id}',
  summary: 'A job: every (indicator, provider) pair and each indicator’s verdict',
  tags: ['enrichment'],
  request: { params: jobId },
  responses: { 200: { description: 'The job', schema: job }, 404: { description: 'No such job' } },
});

export const latestVerdictRoute = defineRoute({
  ...base,
  permission: 'intel:read',
  operationId: 'getIndicatorVerdict',
  method: 'GET',
  path: '/v1/indicators/{type}/{value}',
  summary: 'The latest verdict for an indicator',
  tags: ['enrichment'],
  request: { params: z.object({ type: z.string().max(32), value: z.string().min(1).max(2048) }) },
  responses: {
    200: {
      description: 'The verdict',
      schema: aggregate.extend({ type: indicatorType, value: z.string(), jobId: z.string(), at: z.string() }),
    },
    404: { description: 'Never enriched' },
  },
});

export const providersRoute = defineRoute({
  ...base,
  permission: 'intel:read',
  operationId: 'listProviders',
  method: 'GET',
  path: '/v1/providers',
  summary: 'Lookup providers: configured/enabled, health, breaker state, quota remaining today, connected',
  tags: ['enrichment'],
  responses: {
    200: {
      description: 'Providers',
      schema: z.object({
        items: z.array(
          z.object({
            name: z.string(),
            displayName: z.string(),
            category: z.string(),
            offline: z.boolean(),
            configured: z.boolean(),
            enabled: z.boolean(),
            connected: z.boolean(),
            health: z.string(),
            breaker: z.object({ state: z.string(), degraded: z.boolean(), retryAt: z.number().optional() }),
            quotaRemainingToday: z.number().optional(),
            supports: z.array(z.string()),
          }),
        ),
      }),
    },
  },
});

const iocView = z
  .object({
    id: z.string(),
    type: indicatorType,
    value: z.string(),
    source: z.string(),
    confidence: z.number(),
    tags: z.array(z.string()),
    createdAt: z.string(),
    createdBy: z.string(),
    updatedAt: z.string().optional(),
    expiresAt: z.string().optional(),
  })
  .meta({ id: 'Ioc' });
const allowView = z
  .object({
    id: z.string(),
    type: indicatorType,
    value: z.string(),
    reason: z.string(),
    createdAt: z.string(),
    createdBy: z.string(),
  })
  .meta({ id: 'AllowListEntry' });
const page = {
  cursor: z.string().max(2000).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
};

export const addIocRoute = defineRoute({
  ...base,
  permission: 'intel:write',
  operationId: 'addIoc',
  method: 'POST',
  path: '/v1/iocs',
  summary: 'Add an indicator to the tenant’s IOC store (or update the one with the same value)',
  tags: ['intel'],
  request: { body: iocInputSchema },
  responses: { 201: { description: 'Stored', schema: iocView } },
});

export const listIocsRoute = defineRoute({
  ...base,
  permission: 'intel:read',
  operationId: 'listIocs',
  method: 'GET',
  path: '/v1/iocs',
  summary: 'The IOC store, by type and value prefix',
  tags: ['intel'],
  request: {
    query: z.object({ type: indicatorType.optional(), q: z.string().max(200).optional(), ...page }),
  },
  responses: {
    200: {
      description: 'A page',
      schema: z.object({ items: z.array(iocView), cursor: z.string().optional() }),
    },
  },
});

export const checkIocRoute = defineRoute({
  ...base,
  permission: 'intel:read',
  operationId: 'checkIoc',
  method: 'GET',
  path: '/v1/iocs/check',
  summary: 'Is this value (or a URL’s host, an email’s domain) in the IOC store or the allow-list?',
  tags: ['intel'],
  request: { query: z.object({ value: z.string().min(1).max(8192), type: z.string().max(32).optional() }) },
  responses: {
    200: {
      description: 'Matches',
      schema: z.object({
        matches: z.array(z.object({ ioc: iocView, matchedOn: z.enum(['exact', 'host', 'domain']) })),
        allowListed: allowView.optional(),
      }),
    },
  },
});

export const deleteIocRoute = defineRoute({
  ...base,
  permission: 'intel:write',
  operationId: 'deleteIoc',
  method: 'DELETE',
  path: '/v1/iocs/{id}',
  summary: 'Remove an IOC',
  tags: ['intel'],
  request: { params: z.object({ id: z.string().min(1).max(100) }) },
  responses: { 204: { description: 'Removed' }, 404: { description: 'No such IOC' } },
});

export const addAllowRoute = defineRoute({
  ...base,
  permission: 'intel:write',
  operationId: 'addAllowListEntry',
  method: 'POST',
  path: '/v1/allowlist',
  summary: 'Allow-list a value: enrichment treats it as benign and sends it to no provider',
  tags: ['intel'],
  request: { body: allowEntryInputSchema },
  responses: { 201: { description: 'Stored', schema: allowView } },
});

export const listAllowRoute = defineRoute({
  ...base,
  permission: 'intel:read',
  operationId: 'listAllowList',
  method: 'GET',
  path: '/v1/allowlist',
  summary: 'The allow-list',
  tags: ['intel'],
  request: { query: z.object({ type: indicatorType.optional(), ...page }) },
  responses: {
    200: {
      description: 'A page',
      schema: z.object({ items: z.array(allowView), cursor: z.string().optional() }),
    },
  },
});

export const deleteAllowRoute = defineRoute({
  ...base,
  permission: 'intel:write',
  operationId: 'deleteAllowListEntry',
  method: 'DELETE',
  path: '/v1/allowlist/{id}',
  summary: 'Remove an allow-list entry',
  tags: ['intel'],
  request: { params: z.object({ id: z.string().min(1).max(100) }) },
  responses: { 204: { description: 'Removed' }, 404: { description: 'No such entry' } },
});

export const enrichmentRoutes = [
  extractRoute,
  createEnrichmentRoute,
  listEnrichmentsRoute,
  enrichmentStatsRoute,
  getEnrichmentRoute,
  latestVerdictRoute,
  providersRoute,
  addIocRoute,
  listIocsRoute,
  checkIocRoute,
  deleteIocRoute,
  addAllowRoute,
  listAllowRoute,
  deleteAllowRoute,
];
