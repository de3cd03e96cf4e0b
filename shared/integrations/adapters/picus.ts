import { createHash } from 'node:crypto';
import * as z from 'zod';
import { BadRequestError } from '../../platform/errors';
import { OutboundAuthError, OutboundBadRequestError, OutboundError, UpstreamError } from '../http/errors';
import type { OutboundResponse, QueryValue } from '../http/outbound';
import type { AdapterBase, AdapterContext, CatalogEntry, IntelResult, TestOutcome } from '../ports';

/**
 * Picus Security customer API (providers-intel.md §12): breach-and-attack-simulation results, not an
 * indicator lookup service, so this adapter is a `validation` adapter with typed calls for the
 * documented endpoints. A long-lived refresh token (≈ 6 months, made in the console) is exchanged at
 * `POST /v1/auth/token` for an access token (≈ 2 hours) that every other call sends as a Bearer token.
 * Access tokens are cached in memory per tenant and refresh token — keyed by a SHA-256 of both, never
 * the token — until shortly before their expiry, re-exchanged once on a 401, and never shared between
 * tenants. Rate limits are per endpoint per minute with `X-Ratelimit-Reset` in epoch seconds, which
 * the outbound client honours.
 */

const BASE_URL = 'https://api.picussecurity.com';
/** Refresh the access token this long before the expiry Picus announced. */
export const ACCESS_TOKEN_SAFETY_MARGIN_MS = 5 * 60_000;
/** Used when the exchange answer carries no usable expiry (the documented lifetime is about 2 h). */
const DEFAULT_ACCESS_TOKEN_LIFETIME_MS = 2 * 60 * 60_000;
/** Refresh tokens live about six months; warn a month ahead. */
const REFRESH_TOKEN_WARN_AFTER_MONTHS = 5;
const MAX_CACHED_TOKENS = 1_000;
const MAX_PAGE_LIMIT = 50;
const MAX_ALERT_LIMIT = 1_000;

/** What the platform passes to Picus calls: the adapter context plus the tenant the call is for. */
export interface PicusContext extends AdapterContext {
  /** Part of the token cache key, so two tenants never share an access token. */
  tenantId?: string;
}

// ---------------------------------------------------------------------------------------------
// Wire shapes (documented ones typed; undocumented bodies kept as loose objects)
// ---------------------------------------------------------------------------------------------

const pagesSchema = z.looseObject({
  limit: z.number(),
  offset: z.number(),
  total_count: z.number(),
});

const agentSchema = z.looseObject({
  id: z.number(),
  name: z.string().optional(),
  status: z.string().optional(),
  type: z.string().optional(),
  version: z.string().optional(),
});

const simulationSchema = z.looseObject({
  simulation_id: z.number(),
  simulation_name: z.string(),
  status: z.string(),
  template_id: z.number().nullish(),
  template_name: z.string().nullish(),
  last_prevention_security_score: z.number().nullish(),
  last_detection_security_score: z.number().nullish(),
  has_detection_analysis: z.boolean().nullish(),
  completion_ratio: z.number().nullish(),
  updated_at: z.number().nullish(),
  agent: agentSchema.nullish(),
});

const simulationListSchema = z.looseObject({
  pages: pagesSchema,
  simulations: z.array(simulationSchema),
});

const threatCountSchema = z.looseObject({
  completed_threat_count: z.number().optional(),
  total_threat_count: z.number().optional(),
});

const runSchema = z.looseObject({
  simulation_id: z.number(),
  simulation_run_id: z.number(),
  status: z.string(),
  started_at: z.number().nullish(),
  completed_at: z.number().nullish(),
  completion_ratio: z.number().nullish(),
  results: z
    .looseObject({
      prevention: z.looseObject({ security_score: z.number().nullish() }).nullish(),
      detection_analysis: z
        .looseObject({
          security_score: z.number().nullish(),
          has_log_analysis: z.boolean().optional(),
          has_alert_analysis: z.boolean().optional(),
        })
        .nullish(),
      has_detection_analysis: z.boolean().optional(),
    })
    .nullish(),
  status_details: z
    .looseObject({ prevention: threatCountSchema.optional(), detection: threatCountSchema.optional() })
    .nullish(),
});

const threatResultSchema = z.looseObject({
  threat_id: z.number(),
  threat_display_id: z.number().nullish(),
  threat_name: z.string(),
  severity: z.string().nullish(),
  prevention: z.string().nullish(),
  detection_analysis: z
    .looseObject({ log_result: z.string().nullish(), alert_result: z.string().nullish() })
    .nullish(),
  objectives: z.array(z.unknown()).nullish(),
  started_at: z.number().nullish(),
  completed_at: z.number().nullish(),
});

const threatResultListSchema = z.looseObject({
  pages: pagesSchema,
  threats: z.array(threatResultSchema),
});

const objectSchema = z.looseObject({});

const tokenResponseSchema = z.looseObject({
  token: z.string().min(1),
  expire_at: z.union([z.number(), z.string()]).nullish(),
});

const rotatedTokenSchema = z.looseObject({
  token: z.string().min(1),
  name: z.string().nullish(),
  created_at: z.union([z.number(), z.string()]).nullish(),
  expired_at: z.union([z.number(), z.string()]).nullish(),
});

export type PicusPages = z.infer<typeof pagesSchema>;
export type PicusSimulation = z.infer<typeof simulationSchema>;
export type PicusSimulationList = z.infer<typeof simulationListSchema>;
export type PicusSimulationRun = z.infer<typeof runSchema>;
export type PicusThreatResult = z.infer<typeof threatResultSchema>;
export type PicusThreatResultList = z.infer<typeof threatResultListSchema>;
/** A body whose fields the reference does not pin down; returned as Picus sent it. */
export type PicusObject = z.infer<typeof objectSchema>;

/** Simulation statuses the API documents (for the `status` filter). */
export const PICUS_SIMULATION_STATUSES = [
  'RUNNING',
  'COMPLETED',
  'STOPPED',
  'NOT STARTED',
  'SCHEDULED',
  'WAITING FOR THE FIRST RUN',
] as const;
export type PicusSimulationStatus = (typeof PICUS_SIMULATION_STATUSES)[number];

export interface PicusPage {
  limit?: number;
  offset?: number;
}

export interface ListSimulationsInput extends PicusPage {
  status?: readonly PicusSimulationStatus[];
}

export interface ThreatLibraryFilter extends PicusPage {
  severities?: readonly string[];
  mitreAttack?: readonly string[];
  threatActors?: readonly string[];
}

/** A new refresh token from `POST /v1/auth/refresh`: a secret the platform must store encrypted. */
export interface RotatedRefreshToken {
  refreshToken: string;
  name?: string;
  createdAt?: string;
  expiresAt?: string;
}

/** The configuration state the integrations page shows, computed without calling Picus. */
export interface PicusSummary {
  enabled: boolean;
  baseUrl: string;
  hasRefreshToken: boolean;
  /** An access token for this tenant and refresh token is cached in this process. */
  hasAccessToken: boolean;
  /** The cached access token is past its expiry (minus the safety margin); false when none is cached. */
  tokenExpired: boolean;
  configValid: boolean;
  /** ISO date the refresh token was issued, from its JWT `iat` or the setting. */
  refreshTokenIssuedAt?: string;
  refreshTokenAgeDays?: number;
  warnings: string[];
}

/** The Picus validation adapter: typed calls for the documented endpoints plus result mappings. */
export interface PicusAdapter extends AdapterBase {
  kind: 'validation';
  test(ctx: PicusContext): Promise<TestOutcome>;
  summary(ctx: PicusContext & { enabled: boolean }): PicusSummary;
  listSimulations(ctx: PicusContext, input?: ListSimulationsInput): Promise<PicusSimulationList>;
  getSimulation(ctx: PicusContext, simulationId: number): Promise<PicusObject>;
  simulateNow(ctx: PicusContext, simulationId: number): Promise<PicusObject>;
  getLatestRun(ctx: PicusContext, simulationId: number): Promise<PicusSimulationRun>;
  listLatestRunThreats(
    ctx: PicusContext,
    simulationId: number,
    page?: PicusPage,
  ): Promise<PicusThreatResultList>;
  listThreatActions(ctx: PicusContext, simulationId: number, threatId: number): Promise<PicusObject>;
  getThreatAction(
    ctx: PicusContext,
    simulationId: number,
    threatId: number,
    actionId: number,
  ): Promise<PicusObject>;
  listActionIntegrationEvents(
    ctx: PicusContext,
    ids: { simulationId: number; threatId: number; actionId: number; integrationId: number },
    kind: 'alerts' | 'logs',
    page?: PicusPage,
  ): Promise<PicusObject>;
  getOverallSummary(ctx: PicusContext, filter?: Record<string, unknown>): Promise<PicusObject>;
  listLibraryThreats(ctx: PicusContext, filter?: ThreatLibraryFilter): Promise<PicusObject>;
  getLibraryThreat(ctx: PicusContext, threatId: number): Promise<PicusObject>;
  listAgents(ctx: PicusContext): Promise<PicusObject>;
  listIntegrations(ctx: PicusContext): Promise<PicusObject>;
  listNotBlockedActions(ctx: PicusContext, page?: PicusPage): Promise<PicusObject>;
  rotateRefreshToken(ctx: PicusContext): Promise<RotatedRefreshToken>;
}

// ---------------------------------------------------------------------------------------------
// Catalog
// ---------------------------------------------------------------------------------------------

const catalog: CatalogEntry = {
  name: 'picus',
  displayName: 'Picus Security',
  category: 'threat-intel',
  description:
    'Breach-and-attack-simulation results from Picus: simulations, prevention and detection scores, ' +
    'threats that were not blocked or alerted on. Validation context; Picus has no indicator lookups.',
  fields: [
    {
      name: 'refreshToken',
      label: 'REST API refresh token',
      type: 'secret',
      required: true,
      help: 'Picus console → Settings → REST API Token. Shown once; valid about 6 months.',
    },
    {
      name: 'refreshTokenIssuedAt',
      label: 'Refresh token issue date',
      type: 'text',
      required: false,
      placeholder: 'YYYY-MM-DD',
      help: 'Lets Vigil warn before the token expires. Not needed when the token is a JWT with an issue time.',
    },
  ],
  freeTier: {
    summary:
      'No free tier: bounded by the Picus license; per-endpoint limits per minute (e.g. 100/min on agents)',
  },
  priority: 'low',
  setupGuide: [
    'Sign in to the Picus console with a user whose role may read simulations.',
    'Open Settings → REST API Token and create a token with a name, the scope you need and an expiry.',
    'Copy the refresh token now: Picus shows it only once.',
    'Paste it into "REST API refresh token" and enter today\'s date as "Refresh token issue date".',
    'Run Test: Vigil exchanges the token for an access token and lists one simulation.',
    'About five months later Vigil warns that the token is ageing: create a new one and replace it here.',
  ],
  docsUrl: 'https://apidocs.picussecurity.com/',
};

// ---------------------------------------------------------------------------------------------
// Access-token cache
// ---------------------------------------------------------------------------------------------

interface CachedToken {
  token: string;
  expiresAtMs: number;
  /** When to stop using it: the expiry minus the safety margin (or half a very short lifetime). */
  refreshAtMs: number;
}

const tokenCache = new Map<string, CachedToken>();
const pendingExchanges = new Map<string, Promise<CachedToken>>();

/**
 * The cache key for one tenant's refresh token at one API base: a SHA-256 of the three, so the map
 * never holds a credential and tenants sharing a token (a mistake, but possible) still never share
 * an access token.
 */
export function tokenCacheKey(tenantId: string, baseUrl: string, refreshToken: string): string {
  return createHash('sha256').update(`${tenantId}\u0000${baseUrl}\u0000${refreshToken}`).digest('hex');
}

function baseUrlOf(ctx: AdapterContext): string {
  return (ctx.baseUrl ?? BASE_URL).replace(/\/+$/, '');
}

function refreshTokenOf(ctx: AdapterContext): string {
  const token = ctx.credentials.refreshToken?.trim() ?? '';
  if (token === '') {
    throw new BadRequestError('Add the Picus REST API refresh token first.', 'credentials_missing');
  }
  return token;
}

function cacheKeyOf(ctx: PicusContext, refreshToken: string): string {
  return tokenCacheKey(ctx.tenantId ?? '', baseUrlOf(ctx), refreshToken);
}

function remember(key: string, entry: CachedToken): void {
  tokenCache.delete(key);
  tokenCache.set(key, entry);
  if (tokenCache.size <= MAX_CACHED_TOKENS) return;
  const oldest = tokenCache.keys().next();
  if (!oldest.done) tokenCache.delete(oldest.value);
}

/** Epoch ms from a Picus timestamp: seconds per the contract's example, milliseconds if > 1e12. */
function epochMs(value: number | string | null | undefined): number | undefined {
  const number = typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value;
  if (typeof number === 'number' && Number.isFinite(number) && number > 0) {
    return number > 1e12 ? number : number * 1000;
  }
  if (typeof value === 'string') {
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? undefined : parsed;
  }
  return undefined;
}

/** The claims of a JWT, or undefined when the token is not one. Nothing is verified: dates only. */
function jwtClaims(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return typeof claims === 'object' && claims !== null ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function numericClaim(claims: Record<string, unknown> | undefined, name: string): number | undefined {
  const value = claims?.[name];
  return typeof value === 'number' && Number.isFinite(value) ? value * 1000 : undefined;
}

async function exchange(ctx: PicusContext, refreshToken: string): Promise<CachedToken> {
  const response = await ctx.http.request({
    method: 'POST',
    url: `${baseUrlOf(ctx)}/v1/auth/token`,
    headers: { accept: 'application/json' },
    body: { refresh_token: refreshToken },
    redact: [refreshToken],
  });
  const parsed = tokenResponseSchema.safeParse(response.json());
  if (!parsed.success) {
    throw new UpstreamError('Picus answered the token exchange with an unexpected body', {
      status: response.status,
      attempts: response.attempts,
    });
  }
  const now = ctx.now();
  const expiresAtMs =
    epochMs(parsed.data.expire_at) ??
    numericClaim(jwtClaims(parsed.data.token), 'exp') ??
    now + DEFAULT_ACCESS_TOKEN_LIFETIME_MS;
  const lifetime = Math.max(0, expiresAtMs - now);
  return {
    token: parsed.data.token,
    expiresAtMs,
    refreshAtMs: expiresAtMs - Math.min(ACCESS_TOKEN_SAFETY_MARGIN_MS, lifetime / 2),
  };
}

/** A valid access token from the cache, or a fresh exchange shared by concurrent callers. */
async function accessToken(ctx: PicusContext, refreshToken: string): Promise<CachedToken> {
  const key = cacheKeyOf(ctx, refreshToken);
  const cached = tokenCache.get(key);
  if (cached && ctx.now() < cached.refreshAtMs) return cached;
  const pending = pendingExchanges.get(key);
  if (pending) return pending;
  const exchanging = exchange(ctx, refreshToken)
    .then((entry) => {
      remember(key, entry);
      return entry;
    })
    .catch((error: unknown) => {
      tokenCache.delete(key);
      if (error instanceof OutboundAuthError && error.status === 401) {
        throw new OutboundAuthError('Picus rejected the refresh token (expired, revoked or mistyped)', {
          status: 401,
          host: error.host,
          attempts: error.attempts,
          cause: error,
        });
      }
      throw error;
    })
    .finally(() => pendingExchanges.delete(key));
  pendingExchanges.set(key, exchanging);
  return exchanging;
}

// ---------------------------------------------------------------------------------------------
// Calls
// ---------------------------------------------------------------------------------------------

interface CallInput {
  method: 'GET' | 'POST';
  path: string;
  query?: Record<string, QueryValue>;
  body?: object;
}

/** One authenticated call; a 401 (expired or revoked access token) re-exchanges once and retries. */
async function call(ctx: PicusContext, input: CallInput): Promise<OutboundResponse> {
  const refreshToken = refreshTokenOf(ctx);
  const send = (token: string) =>
    ctx.http.request({
      method: input.method,
      url: `${baseUrlOf(ctx)}${input.path}`,
      query: input.query,
      body: input.body,
      headers: { accept: 'application/json', authorization: `Bearer ${token}` },
      redact: [refreshToken, token],
    });
  const first = await accessToken(ctx, refreshToken);
  try {
    return await send(first.token);
  } catch (error) {
    if (!(error instanceof OutboundAuthError) || error.status !== 401) throw error;
    const key = cacheKeyOf(ctx, refreshToken);
    // A concurrent call may already have replaced the token; only drop the one that failed.
    if (tokenCache.get(key)?.token === first.token) tokenCache.delete(key);
    const second = await accessToken(ctx, refreshToken);
    return send(second.token);
  }
}

function parse<T>(schema: z.ZodType<T>, response: OutboundResponse, what: string): T {
  const parsed = schema.safeParse(response.json());
  if (!parsed.success) {
    throw new UpstreamError(`Picus answered ${what} with an unexpected body`, {
      status: response.status,
      attempts: response.attempts,
    });
  }
  return parsed.data;
}

function id(value: number, name: string): string {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new BadRequestError(`${name} must be a non-negative integer.`, 'invalid_parameter');
  }
  return String(value);
}

function pageQuery(page: PicusPage | undefined, max: number, defaultLimit: number) {
  const limit = page?.limit ?? defaultLimit;
  const offset = page?.offset ?? 0;
  if (!Number.isInteger(limit) || limit < 1 || limit > max) {
    throw new BadRequestError(`limit must be between 1 and ${max}.`, 'invalid_parameter');
  }
  if (!Number.isInteger(offset) || offset < 0) {
    throw new BadRequestError('offset must be a non-negative integer.', 'invalid_parameter');
  }
  return { limit, offset };
}

function list(values: readonly string[] | undefined): string | undefined {
  return values && values.length > 0 ? values.join(',') : undefined;
}

async function listSimulations(
  ctx: PicusContext,
  input: ListSimulationsInput = {},
): Promise<PicusSimulationList> {
  const response = await call(ctx, {
    method: 'GET',
    path: '/v1/simulations',
    query: { ...pageQuery(input, MAX_PAGE_LIMIT, 25), status: list(input.status) },
  });
  return parse(simulationListSchema, response, 'the simulation list');
}

async function getSimulation(ctx: PicusContext, simulationId: number): Promise<PicusObject> {
  const response = await call(ctx, {
    method: 'GET',
    path: `/v1/simulations/${id(simulationId, 'simulationId')}`,
  });
  return parse(objectSchema, response, 'the simulation');
}

async function simulateNow(ctx: PicusContext, simulationId: number): Promise<PicusObject> {
  const response = await call(ctx, {
    method: 'POST',
    path: `/v1/simulations/${id(simulationId, 'simulationId')}/simulate-now`,
  });
  return response.body.length === 0 ? {} : parse(objectSchema, response, 'simulate-now');
}

async function getLatestRun(ctx: PicusContext, simulationId: number): Promise<PicusSimulationRun> {
  const response = await call(ctx, {
    method: 'GET',
    path: `/v1/simulations/${id(simulationId, 'simulationId')}/run/latest`,
  });
  return parse(runSchema, response, 'the latest run');
}

async function listLatestRunThreats(
  ctx: PicusContext,
  simulationId: number,
  page?: PicusPage,
): Promise<PicusThreatResultList> {
  const response = await call(ctx, {
    method: 'GET',
    path: `/v1/simulations/${id(simulationId, 'simulationId')}/run/latest/threats`,
    query: pageQuery(page, MAX_PAGE_LIMIT, 10),
  });
  return parse(threatResultListSchema, response, 'the threat results');
}

function actionsPath(simulationId: number, threatId: number): string {
  return `/v1/simulations/${id(simulationId, 'simulationId')}/run/latest/threats/${id(threatId, 'threatId')}/actions`;
}

async function listThreatActions(ctx: PicusContext, simulationId: number, threatId: number) {
  const response = await call(ctx, { method: 'GET', path: actionsPath(simulationId, threatId) });
  return parse(objectSchema, response, 'the action results');
}

async function getThreatAction(ctx: PicusContext, simulationId: number, threatId: number, actionId: number) {
  const response = await call(ctx, {
    method: 'GET',
    path: `${actionsPath(simulationId, threatId)}/${id(actionId, 'actionId')}`,
  });
  return parse(objectSchema, response, 'the action result');
}

async function listActionIntegrationEvents(
  ctx: PicusContext,
  ids: { simulationId: number; threatId: number; actionId: number; integrationId: number },
  kind: 'alerts' | 'logs',
  page?: PicusPage,
) {
  const path =
    `${actionsPath(ids.simulationId, ids.threatId)}/${id(ids.actionId, 'actionId')}` +
    `/integrations/${id(ids.integrationId, 'integrationId')}/${kind}`;
  const response = await call(ctx, { method: 'GET', path, query: pageQuery(page, MAX_ALERT_LIMIT, 100) });
  return parse(objectSchema, response, `the integration ${kind}`);
}

async function getOverallSummary(ctx: PicusContext, filter: Record<string, unknown> = {}) {
  const response = await call(ctx, { method: 'POST', path: '/v1/summary/overall', body: filter });
  return parse(objectSchema, response, 'the overall summary');
}

async function listLibraryThreats(ctx: PicusContext, filter: ThreatLibraryFilter = {}) {
  const response = await call(ctx, {
    method: 'GET',
    path: '/v1/threat-library/threats',
    query: {
      ...pageQuery(filter, MAX_PAGE_LIMIT, 25),
      severities: list(filter.severities),
      mitre_attack: list(filter.mitreAttack),
      threat_actors: list(filter.threatActors),
    },
  });
  return parse(objectSchema, response, 'the threat library');
}

async function getLibraryThreat(ctx: PicusContext, threatId: number) {
  const response = await call(ctx, {
    method: 'GET',
    path: `/v1/threat-library/threats/${id(threatId, 'threatId')}`,
  });
  return parse(objectSchema, response, 'the threat');
}

async function listAgents(ctx: PicusContext) {
  return parse(objectSchema, await call(ctx, { method: 'GET', path: '/v1/agents' }), 'the agent list');
}

async function listIntegrations(ctx: PicusContext) {
  return parse(
    objectSchema,
    await call(ctx, { method: 'GET', path: '/v1/integrations' }),
    'the integrations',
  );
}

async function listNotBlockedActions(ctx: PicusContext, page?: PicusPage) {
  const response = await call(ctx, {
    method: 'GET',
    path: '/v1/mitigation/generic/not-blocked-actions',
    query: pageQuery(page, MAX_PAGE_LIMIT, 25),
  });
  return parse(objectSchema, response, 'the not-blocked actions');
}

function isoDate(value: number | string | null | undefined): string | undefined {
  const ms = epochMs(value);
  return ms === undefined ? undefined : new Date(ms).toISOString();
}

/**
 * Rotates the refresh token (`POST /v1/auth/refresh`). Picus invalidates the old refresh and access
 * tokens at once, so the cached access token is dropped; the caller must store the new token
 * (encrypted) before making another call.
 */
async function rotateRefreshToken(ctx: PicusContext): Promise<RotatedRefreshToken> {
  const refreshToken = refreshTokenOf(ctx);
  const { token } = await accessToken(ctx, refreshToken);
  const response = await ctx.http.request({
    method: 'POST',
    url: `${baseUrlOf(ctx)}/v1/auth/refresh`,
    headers: { accept: 'application/json', authorization: `Bearer ${token}` },
    body: { refresh_token: refreshToken },
    redact: [refreshToken, token],
  });
  tokenCache.delete(cacheKeyOf(ctx, refreshToken));
  const rotated = parse(rotatedTokenSchema, response, 'the token rotation');
  return {
    refreshToken: rotated.token,
    name: rotated.name ?? undefined,
    createdAt: isoDate(rotated.created_at),
    expiresAt: isoDate(rotated.expired_at),
  };
}

// ---------------------------------------------------------------------------------------------
// Summary, refresh-token age and test
// ---------------------------------------------------------------------------------------------

interface RefreshTokenAge {
  issuedAtMs?: number;
  expiresAtMs?: number;
  warnings: string[];
  valid: boolean;
}

function addMonths(ms: number, months: number): number {
  const date = new Date(ms);
  date.setUTCMonth(date.getUTCMonth() + months);
  return date.getTime();
}

/**
 * When the refresh token was issued: its JWT `iat` if it is a JWT (exact), else the date the user
 * entered. Warns from five months on (tokens last about six) and when a JWT `exp` has passed.
 */
function refreshTokenAge(ctx: AdapterContext, refreshToken: string): RefreshTokenAge {
  const warnings: string[] = [];
  const claims = jwtClaims(refreshToken);
  let issuedAtMs = numericClaim(claims, 'iat');
  const expiresAtMs = numericClaim(claims, 'exp');
  let valid = true;
  const entered = ctx.settings.refreshTokenIssuedAt;
  if (issuedAtMs === undefined && entered !== undefined && String(entered).trim() !== '') {
    const parsed = Date.parse(String(entered).trim());
    if (Number.isNaN(parsed)) {
      valid = false;
      warnings.push('The refresh token issue date is not a date; enter it as YYYY-MM-DD.');
    } else issuedAtMs = parsed;
  }
  const now = ctx.now();
  if (expiresAtMs !== undefined && expiresAtMs <= now) {
    valid = false;
    warnings.push(
      `The Picus refresh token expired on ${new Date(expiresAtMs).toISOString().slice(0, 10)}. ` +
        'Create a new one in the Picus console (Settings → REST API Token).',
    );
  } else if (issuedAtMs !== undefined && now >= addMonths(issuedAtMs, REFRESH_TOKEN_WARN_AFTER_MONTHS)) {
    const days = Math.floor((now - issuedAtMs) / 86_400_000);
    warnings.push(
      `The Picus refresh token is ${days} days old and refresh tokens last about 6 months. ` +
        'Create a new one in the Picus console (Settings → REST API Token) and replace it here before it expires.',
    );
  }
  return { issuedAtMs, expiresAtMs, warnings, valid };
}

/** The configuration summary of one tenant's Picus integration; makes no network call. */
export function picusSummary(ctx: PicusContext & { enabled: boolean }): PicusSummary {
  const baseUrl = baseUrlOf(ctx);
  const refreshToken = ctx.credentials.refreshToken?.trim() ?? '';
  const hasRefreshToken = refreshToken !== '';
  let urlValid = true;
  try {
    const url = new URL(baseUrl);
    urlValid = url.protocol === 'https:' || ctx.baseUrl !== undefined;
  } catch {
    urlValid = false;
  }
  const cached = hasRefreshToken ? tokenCache.get(cacheKeyOf(ctx, refreshToken)) : undefined;
  const age: RefreshTokenAge = hasRefreshToken
    ? refreshTokenAge(ctx, refreshToken)
    : { warnings: ['No refresh token is configured.'], valid: false };
  const warnings = [...age.warnings];
  if (!urlValid) warnings.push('The Picus API URL is not a valid HTTPS URL.');
  const { issuedAtMs } = age;
  return {
    enabled: ctx.enabled,
    baseUrl,
    hasRefreshToken,
    hasAccessToken: cached !== undefined,
    tokenExpired: cached !== undefined && ctx.now() >= cached.refreshAtMs,
    configValid: hasRefreshToken && urlValid && age.valid,
    refreshTokenIssuedAt: issuedAtMs === undefined ? undefined : new Date(issuedAtMs).toISOString(),
    refreshTokenAgeDays:
      issuedAtMs === undefined ? undefined : Math.floor((ctx.now() - issuedAtMs) / 86_400_000),
    warnings,
  };
}

/** The `message` of a Picus error envelope, for test outcomes (never logged by the client). */
function picusMessage(error: OutboundError): string | undefined {
  const response = error.response;
  if (!response) return undefined;
  try {
    const body: unknown = JSON.parse(response.body.toString('utf8'));
    return typeof body === 'object' && body !== null && 'message' in body && typeof body.message === 'string'
      ? body.message
      : undefined;
  } catch {
    return undefined;
  }
}

function testFailure(error: unknown): string {
  if (error instanceof BadRequestError) return error.message;
  if (error instanceof OutboundAuthError) {
    if (error.status === 403) {
      return "Picus refused the call (403): the refresh token's scope or the user's role does not allow reading simulations. Create a token with a wider scope.";
    }
    return 'Picus rejected the refresh token: it may be expired, revoked or mistyped. Create a new one in the Picus console (Settings → REST API Token) and paste it here.';
  }
  if (error instanceof OutboundBadRequestError && error.status === 402) {
    return 'Picus says the license does not cover this (402). Check the license or contact Picus support.';
  }
  if (error instanceof OutboundError) {
    const said = picusMessage(error);
    return `Picus could not be reached: ${error.message}${said ? ` (Picus says: "${said}")` : ''}`;
  }
  return 'Picus test failed unexpectedly.';
}

/** Exchanges the refresh token and lists one simulation: proves the token, scope and license. */
async function test(ctx: PicusContext): Promise<TestOutcome> {
  const refreshToken = ctx.credentials.refreshToken?.trim() ?? '';
  if (refreshToken === '') {
    return { ok: false, message: 'Add the Picus REST API refresh token (Settings → REST API Token).' };
  }
  const age = refreshTokenAge(ctx, refreshToken);
  try {
    const simulations = await listSimulations(ctx, { limit: 1 });
    const count = simulations.pages.total_count;
    const message = [
      `Connected to Picus: ${count} simulation${count === 1 ? '' : 's'} visible.`,
      ...age.warnings,
    ]
      .join(' ')
      .trim();
    return { ok: true, message, details: { simulations: count, warnings: age.warnings } };
  } catch (error) {
    return {
      ok: false,
      message: [testFailure(error), ...age.warnings].join(' '),
      details: { warnings: age.warnings },
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Result mapping (§12 "Recommended mapping")
// ---------------------------------------------------------------------------------------------

/** How a simulated threat fared against the prevention layer. */
export type PreventionOutcome = 'blocked' | 'not_blocked' | 'unknown';

/** Reads the `prevention` string, whose exact spellings the contract does not list. */
export function preventionOutcome(value: string | null | undefined): PreventionOutcome {
  const normalized = (value ?? '').trim().toLowerCase();
  if (/^(not[\s_-]*blocked|unblocked)$/.test(normalized)) return 'not_blocked';
  if (normalized === 'blocked') return 'blocked';
  return 'unknown';
}

/**
 * A simulation run as exposure: `unknown` (it says nothing about an indicator), score
 * 100 − prevention score, confidence = completion ratio.
 */
export function runExposure(run: PicusSimulationRun): IntelResult {
  const prevention = run.results?.prevention?.security_score ?? undefined;
  const detection = run.results?.detection_analysis?.security_score ?? undefined;
  const completion = Math.min(100, Math.max(0, run.completion_ratio ?? 0));
  return {
    verdict: 'unknown',
    score: prevention === undefined ? 0 : Math.min(100, Math.max(0, 100 - prevention)),
    // `unknown` keeps confidence ≤ 30 (ports.ts); the completion ratio scales within that.
    confidence: Math.round((completion * 30) / 100),
    tags: ['picus', 'bas'],
    details: {
      simulationId: run.simulation_id,
      runId: run.simulation_run_id,
      status: run.status,
      preventionScore: prevention,
      detectionScore: detection,
      completionRatio: completion,
    },
  };
}

/**
 * One threat's result: not blocked and not alerted is an exposure (`suspicious`, 60); blocked means
 * the control works (`benign`, 10); anything else is `unknown`.
 */
export function threatExposure(threat: PicusThreatResult): IntelResult {
  const prevention = preventionOutcome(threat.prevention);
  const alert = (threat.detection_analysis?.alert_result ?? '').trim().toLowerCase();
  const details = {
    threatId: threat.threat_id,
    threatName: threat.threat_name,
    severity: threat.severity ?? undefined,
    prevention,
    logResult: threat.detection_analysis?.log_result ?? undefined,
    alertResult: threat.detection_analysis?.alert_result ?? undefined,
  };
  const tags = ['picus', 'bas'];
  if (prevention === 'not_blocked' && alert === 'not alerted') {
    return {
      verdict: 'suspicious',
      score: 60,
      confidence: 60,
      tags: [...tags, 'not_blocked', 'not_alerted'],
      details,
    };
  }
  if (prevention === 'blocked') {
    return { verdict: 'benign', score: 10, confidence: 60, tags: [...tags, 'blocked'], details };
  }
  return {
    verdict: 'unknown',
    score: 0,
    confidence: 0,
    tags: prevention === 'not_blocked' ? [...tags, 'not_blocked'] : tags,
    details,
  };
}

/** Picus Security as a validation adapter. */
export const picusAdapter: PicusAdapter = {
  kind: 'validation',
  catalog,
  test,
  summary: picusSummary,
  listSimulations,
  getSimulation,
  simulateNow,
  getLatestRun,
  listLatestRunThreats,
  listThreatActions,
  getThreatAction,
  listActionIntegrationEvents,
  getOverallSummary,
  listLibraryThreats,
  getLibraryThreat,
  listAgents,
  listIntegrations,
  listNotBlockedActions,
  rotateRefreshToken,
};
