import { describe, expect, it } from 'vitest';
import { fakePicus } from '../../../../infra/local/sandbox/providers/picus';
import {
  ACCESS_TOKEN_SAFETY_MARGIN_MS,
  type PicusContext,
  picusAdapter,
  picusSummary,
  runExposure,
  threatExposure,
  tokenCacheKey,
} from '../../../../shared/integrations/adapters/picus';
import {
  OutboundAuthError,
  OutboundBadRequestError,
  OutboundNotFoundError,
  OutboundRateLimitedError,
  OutboundTimeoutError,
  UpstreamError,
} from '../../../../shared/integrations/http/errors';
import { BadRequestError } from '../../../../shared/platform/errors';
import { harness, rejection, serialized, startFake } from './geo-harness';

const START = Date.UTC(2025, 5, 1, 12, 0, 0);
const DAY = 86_400_000;
let tenantSeq = 0;

function clock(start = START) {
  let at = start;
  return {
    now: () => at,
    advance: (ms: number) => {
      at += ms;
    },
  };
}

/** An unsigned JWT with the given claims: Picus refresh tokens may be JWTs; only dates are read. */
function jwt(claims: Record<string, unknown>): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}.c2lnbmF0dXJlLW5vdC1jaGVja2Vk`;
}

/** A Picus setup on a fresh tenant (the token cache is per process, so each test gets its own key). */
async function setup(
  options: {
    refreshToken?: string;
    settings?: Record<string, string>;
    fake?: Parameters<typeof fakePicus>[0];
    client?: Parameters<typeof harness>[0]['client'];
  } = {},
) {
  const time = clock();
  const fake = await startFake(fakePicus({ now: time.now, ...options.fake }));
  tenantSeq += 1;
  const refreshToken = options.refreshToken ?? `rt-${tenantSeq}-5b1e0c9a7d3f`;
  const {
    ctx: base,
    logs,
    sleeps,
  } = harness({
    baseUrl: fake.url,
    credentials: { refreshToken },
    settings: options.settings,
    now: time.now,
    client: options.client,
  });
  const ctx: PicusContext = { ...base, tenantId: `tenant-${tenantSeq}` };
  return { fake, ctx, logs, sleeps, time, refreshToken };
}

const exchanges = (fake: { requests: { path: string }[] }) =>
  fake.requests.filter((request) => request.path === '/v1/auth/token').length;

describe('Picus adapter', () => {
  describe('token exchange', () => {
    it('exchanges the refresh token without auth, then calls with the access token as Bearer', async () => {
      const { fake, ctx, logs, refreshToken } = await setup();

      const list = await picusAdapter.listSimulations(ctx, { status: ['RUNNING', 'COMPLETED'] });

      const [exchange, call] = fake.requests;
      expect(exchange?.method).toBe('POST');
      expect(exchange?.path).toBe('/v1/auth/token');
      expect(exchange?.headers.authorization).toBeUndefined();
      expect(exchange?.json()).toEqual({ refresh_token: refreshToken });
      expect(call?.method).toBe('GET');
      expect(call?.path).toBe('/v1/simulations');
      expect(call?.headers.authorization).toMatch(/^Bearer pat_1_[0-9a-f]{24}$/);
      expect(Object.fromEntries(call?.query ?? [])).toEqual({
        limit: '25',
        offset: '0',
        status: 'RUNNING,COMPLETED',
      });
      expect(list.pages).toEqual({ limit: 25, offset: 0, total_count: 2 });
      expect(list.simulations.map((simulation) => simulation.simulation_name)).toEqual([
        'Ransomware readiness',
        'Web application attacks',
      ]);
      const accessToken = call?.headers.authorization?.slice('Bearer '.length) ?? '';
      expect(serialized(list, logs)).not.toContain(refreshToken);
      expect(serialized(logs)).not.toContain(accessToken);
    });

    it('reuses the cached access token until the safety margin before its expiry', async () => {
      const { fake, ctx, time } = await setup();

      await picusAdapter.listAgents(ctx);
      time.advance(2 * 60 * 60_000 - ACCESS_TOKEN_SAFETY_MARGIN_MS - 1_000);
      await picusAdapter.listAgents(ctx);
      expect(exchanges(fake)).toBe(1);

      time.advance(2_000);
      await picusAdapter.listAgents(ctx);

      expect(exchanges(fake)).toBe(2);
      const bearers = fake.requests
        .filter((r) => r.path === '/v1/agents')
        .map((r) => r.headers.authorization);
      expect(bearers[0]).toBe(bearers[1]);
      expect(bearers[2]).not.toBe(bearers[1]);
    });

    it('reads an expire_at given in milliseconds', async () => {
      const { fake, ctx, time } = await setup({ fake: { expireAtUnit: 'ms' } });

      await picusAdapter.listAgents(ctx);
      time.advance(60 * 60_000);
      await picusAdapter.listAgents(ctx);

      expect(exchanges(fake)).toBe(1);
    });

    it('shares one exchange between concurrent calls', async () => {
      const { fake, ctx } = await setup();

      await Promise.all([picusAdapter.listAgents(ctx), picusAdapter.listIntegrations(ctx)]);

      expect(exchanges(fake)).toBe(1);
    });

    it('re-exchanges once on a 401 and retries the call', async () => {
      const { fake, ctx } = await setup();
      await picusAdapter.listAgents(ctx);
      fake.enqueue({ status: 401, body: { message: 'unauthorized error' } });

      const agents = await picusAdapter.listAgents(ctx);

      expect(agents.agents).toHaveLength(2);
      expect(fake.requests.map((r) => r.path)).toEqual([
        '/v1/auth/token',
        '/v1/agents',
        '/v1/agents',
        '/v1/auth/token',
        '/v1/agents',
      ]);
    });

    it('gives up with an auth error when the fresh token is refused too', async () => {
      const { fake, ctx } = await setup();
      await picusAdapter.listAgents(ctx);
      fake.enqueue(
        { status: 401, body: { message: 'unauthorized error' } },
        { status: 200, body: { token: 'pat_x_fresh0000000000', expire_at: Math.floor(START / 1000) + 7200 } },
        { status: 401, body: { message: 'unauthorized error' } },
      );

      const error = await rejection(picusAdapter.listAgents(ctx));

      expect(error).toBeInstanceOf(OutboundAuthError);
      expect(exchanges(fake)).toBe(2);
    });

    it('reports a rejected refresh token without retrying or echoing it', async () => {
      const { fake, ctx, logs } = await setup({ refreshToken: 'invalid-key' });

      const error = await rejection(picusAdapter.listSimulations(ctx));

      expect(error).toBeInstanceOf(OutboundAuthError);
      expect(error.message).toContain('refresh token');
      expect(fake.requests).toHaveLength(1);
      expect(serialized(error, logs)).not.toContain('invalid-key');
    });

    it('rejects a token answer without a token as malformed', async () => {
      const { fake, ctx } = await setup();
      fake.enqueue({ status: 200, body: { expire_at: 1 } });

      const error = await rejection(picusAdapter.listAgents(ctx));

      expect(error).toBeInstanceOf(UpstreamError);
    });
  });

  describe('tenant isolation', () => {
    it('keys the cache by a hash that differs per tenant and never contains the token', () => {
      const token = 'rt-shared-0d9c8b7a6f5e4d3c';

      const a = tokenCacheKey('tenant-a', 'https://api.picussecurity.com', token);
      const b = tokenCacheKey('tenant-b', 'https://api.picussecurity.com', token);

      expect(a).toMatch(/^[0-9a-f]{64}$/);
      expect(a).not.toBe(b);
      expect(a).not.toContain(token);
    });

    it("never lets two tenants use each other's access token, even with the same refresh token", async () => {
      const { fake, ctx } = await setup({ refreshToken: 'rt-shared-0d9c8b7a6f5e4d3c' });
      const other: PicusContext = { ...ctx, tenantId: 'someone-else' };

      await picusAdapter.listAgents(ctx);
      await picusAdapter.listAgents(other);

      const bearers = fake.requests
        .filter((r) => r.path === '/v1/agents')
        .map((r) => r.headers.authorization);
      expect(exchanges(fake)).toBe(2);
      expect(bearers[0]).not.toBe(bearers[1]);
    });
  });

  describe('endpoints', () => {
    it('reads the latest run and its threat results', async () => {
      const { fake, ctx } = await setup();

      const run = await picusAdapter.getLatestRun(ctx, 1);
      const threats = await picusAdapter.listLatestRunThreats(ctx, 1, { limit: 2, offset: 1 });

      expect(fake.requests.map((r) => r.path).slice(1)).toEqual([
        '/v1/simulations/1/run/latest',
        '/v1/simulations/1/run/latest/threats',
      ]);
      expect(run).toMatchObject({ simulation_run_id: 101, results: { prevention: { security_score: 62 } } });
      expect(threats.pages).toEqual({ limit: 2, offset: 1, total_count: 3 });
      expect(threats.threats.map((threat) => threat.threat_id)).toEqual([124, 125]);
    });

    it('sends threat-library filters as comma lists and runs a simulation with POST', async () => {
      const { fake, ctx } = await setup();

      const library = await picusAdapter.listLibraryThreats(ctx, {
        severities: ['High', 'Critical'],
        limit: 5,
      });
      const started = await picusAdapter.simulateNow(ctx, 2);

      expect(fake.requests[1]?.query.get('severities')).toBe('High,Critical');
      expect(library.threats).toHaveLength(3);
      expect(fake.requests[2]).toMatchObject({ method: 'POST', path: '/v1/simulations/2/simulate-now' });
      expect(started).toMatchObject({ simulation_run_id: 102, status: 'RUNNING' });
    });

    it('reaches action results, integration alerts and the account summary', async () => {
      const { fake, ctx } = await setup();
      const ids = { simulationId: 1, threatId: 124, actionId: 9001, integrationId: 7 };

      await picusAdapter.getThreatAction(ctx, 1, 124, 9001);
      const alerts = await picusAdapter.listActionIntegrationEvents(ctx, ids, 'alerts', { limit: 1000 });
      const summary = await picusAdapter.getOverallSummary(ctx);

      expect(fake.requests.map((r) => r.path).slice(1)).toEqual([
        '/v1/simulations/1/run/latest/threats/124/actions/9001',
        '/v1/simulations/1/run/latest/threats/124/actions/9001/integrations/7/alerts',
        '/v1/summary/overall',
      ]);
      expect(alerts.alerts).toHaveLength(1);
      expect(summary).toMatchObject({ prevention_security_score: 75 });
    });

    it('refuses a page size above the documented maximum before calling', async () => {
      const { fake, ctx } = await setup();

      const error = await rejection(picusAdapter.listSimulations(ctx, { limit: 51 }));

      expect(error).toBeInstanceOf(BadRequestError);
      expect(fake.requests).toHaveLength(0);
    });

    it('surfaces an unknown simulation as not found and a retired endpoint as a bad request', async () => {
      const { fake, ctx } = await setup();

      const missing = await rejection(picusAdapter.getSimulation(ctx, 99));
      fake.enqueue({ status: 410, body: { error_code: 1010, errors: {}, message: 'retired' } });
      const retired = await rejection(picusAdapter.listNotBlockedActions(ctx));

      expect(missing).toBeInstanceOf(OutboundNotFoundError);
      expect(retired).toBeInstanceOf(OutboundBadRequestError);
      expect((retired as OutboundBadRequestError).status).toBe(410);
    });

    it('rotates the refresh token and drops the cached access token', async () => {
      const { fake, ctx, refreshToken } = await setup();

      const rotated = await picusAdapter.rotateRefreshToken(ctx);

      expect(fake.requests[1]).toMatchObject({ method: 'POST', path: '/v1/auth/refresh' });
      expect(fake.requests[1]?.json()).toEqual({ refresh_token: refreshToken });
      expect(rotated.refreshToken).toMatch(/^rt_[0-9a-f]{32}$/);
      expect(rotated.expiresAt).toBe(new Date(START + 182 * 86_400_000).toISOString());
      expect(picusSummary({ ...ctx, enabled: true }).hasAccessToken).toBe(false);
      // The old refresh token is revoked by Picus: a call with it now fails.
      await expect(picusAdapter.listAgents(ctx)).rejects.toBeInstanceOf(OutboundAuthError);
    });
  });

  describe('rate limit and transport failures', () => {
    it('waits for X-Ratelimit-Reset when it is close and retries', async () => {
      const { fake, ctx, sleeps } = await setup();
      const reset = String(Math.floor(START / 1000) + 1);
      fake.enqueue({
        status: 429,
        headers: { 'X-Ratelimit-Limit': '100', 'X-Ratelimit-Remaining': '0', 'X-Ratelimit-Reset': reset },
        body: { message: 'too many requests' },
      });

      // The queued 429 answers the token exchange; the client waits and retries it.
      const agents = await picusAdapter.listAgents(ctx);

      expect(sleeps).toEqual([1_000]);
      expect(agents.agents).toHaveLength(2);
    });

    it("surfaces a far reset as rate_limited with the wait, from the fake's own limit", async () => {
      const { ctx } = await setup({ fake: { limits: { 'GET /v1/agents': 1 } } });
      await picusAdapter.listAgents(ctx);

      const error = await rejection(picusAdapter.listAgents(ctx));

      expect(error).toBeInstanceOf(OutboundRateLimitedError);
      expect((error as OutboundRateLimitedError).retryAfterSeconds).toBe(60);
    });

    it('retries a 503 and then reports an upstream error', async () => {
      const { fake, ctx } = await setup();
      await picusAdapter.listAgents(ctx);
      fake.enqueue(
        { status: 503, body: { message: 'maintenance' } },
        { status: 503, body: { message: 'x' } },
      );

      const error = await rejection(picusAdapter.listAgents(ctx));

      expect(error).toBeInstanceOf(UpstreamError);
      expect(fake.requests.filter((r) => r.path === '/v1/agents')).toHaveLength(3);
    });

    it('times out a slow answer', async () => {
      const { fake, ctx } = await setup({ client: { timeoutMs: 50, retry: { attempts: 1 } } });
      fake.enqueue({ status: 200, body: { token: 'late' }, delayMs: 300 });

      const error = await rejection(picusAdapter.listAgents(ctx));

      expect(error).toBeInstanceOf(OutboundTimeoutError);
    });

    it('rejects a simulation list that is not the documented shape', async () => {
      const { fake, ctx } = await setup();
      await picusAdapter.listAgents(ctx);
      fake.enqueue({ status: 200, body: { simulations: 'none' } }, { status: 200, body: 'oops' });

      const wrongShape = await rejection(picusAdapter.listSimulations(ctx));
      const notJson = await rejection(picusAdapter.listSimulations(ctx));

      expect(wrongShape).toBeInstanceOf(UpstreamError);
      expect(notJson).toBeInstanceOf(UpstreamError);
    });
  });

  describe('configuration summary', () => {
    it('reports the token state before and after a call and once it has expired', async () => {
      const { ctx, time } = await setup();

      const before = picusSummary({ ...ctx, enabled: true });
      await picusAdapter.listAgents(ctx);
      const after = picusSummary({ ...ctx, enabled: true });
      time.advance(2 * 60 * 60_000);
      const expired = picusSummary({ ...ctx, enabled: false });

      expect(before).toMatchObject({
        enabled: true,
        baseUrl: ctx.baseUrl,
        hasRefreshToken: true,
        hasAccessToken: false,
        tokenExpired: false,
        configValid: true,
        warnings: [],
      });
      expect(after).toMatchObject({ hasAccessToken: true, tokenExpired: false });
      expect(expired).toMatchObject({ enabled: false, hasAccessToken: true, tokenExpired: true });
      expect(serialized(before, after, expired)).not.toContain(ctx.credentials.refreshToken);
    });

    it('is not valid without a refresh token', async () => {
      const { ctx } = await setup();

      const summary = picusSummary({ ...ctx, credentials: {}, enabled: true });

      expect(summary).toMatchObject({ hasRefreshToken: false, configValid: false });
      expect(summary.warnings).toEqual(['No refresh token is configured.']);
    });

    it('warns when the entered issue date is more than five months ago', async () => {
      const { ctx } = await setup({ settings: { refreshTokenIssuedAt: '2024-12-15' } });
      const young = picusSummary({ ...ctx, settings: { refreshTokenIssuedAt: '2025-02-01' }, enabled: true });

      const old = picusSummary({ ...ctx, enabled: true });

      expect(young.warnings).toEqual([]);
      expect(old.refreshTokenIssuedAt).toBe('2024-12-15T00:00:00.000Z');
      expect(old.refreshTokenAgeDays).toBe(168);
      expect(old.warnings[0]).toMatch(/168 days old.*Settings → REST API Token/);
      expect(old.configValid).toBe(true);
    });

    it('derives the issue date from a JWT refresh token and flags an expired one as invalid', async () => {
      const issued = jwt({ iat: (START - 160 * DAY) / 1000, exp: (START + 20 * DAY) / 1000 });
      const lapsed = jwt({ iat: (START - 200 * DAY) / 1000, exp: (START - DAY) / 1000 });
      const { ctx } = await setup({ refreshToken: issued, settings: { refreshTokenIssuedAt: '2025-05-30' } });

      const ageing = picusSummary({ ...ctx, enabled: true });
      const expired = picusSummary({ ...ctx, credentials: { refreshToken: lapsed }, enabled: true });

      expect(ageing.refreshTokenAgeDays).toBe(160);
      expect(ageing.warnings[0]).toContain('160 days old');
      expect(expired.configValid).toBe(false);
      expect(expired.warnings[0]).toContain('expired on 2025-05-31');
    });

    it('flags an issue date it cannot read', async () => {
      const { ctx } = await setup({ settings: { refreshTokenIssuedAt: 'last spring' } });

      const summary = picusSummary({ ...ctx, enabled: true });

      expect(summary.configValid).toBe(false);
      expect(summary.warnings[0]).toContain('YYYY-MM-DD');
    });
  });

  describe('test()', () => {
    it('exchanges the token and counts the simulations', async () => {
      const { fake, ctx } = await setup();

      const outcome = await picusAdapter.test(ctx);

      expect(outcome).toEqual({
        ok: true,
        message: 'Connected to Picus: 3 simulations visible.',
        details: { simulations: 3, warnings: [] },
      });
      expect(fake.requests[1]?.query.get('limit')).toBe('1');
    });

    it('succeeds with the ageing warning when the refresh token is over five months old', async () => {
      const { ctx } = await setup({ settings: { refreshTokenIssuedAt: '2024-12-01' } });

      const outcome = await picusAdapter.test(ctx);

      expect(outcome.ok).toBe(true);
      expect(outcome.message).toMatch(/3 simulations visible\. The Picus refresh token is 182 days old/);
    });

    it('tells the user to create a new token when it is rejected', async () => {
      const { ctx, logs } = await setup({ refreshToken: 'invalid-key' });

      const outcome = await picusAdapter.test(ctx);

      expect(outcome.ok).toBe(false);
      expect(outcome.message).toContain('Create a new one in the Picus console');
      expect(serialized(outcome, logs)).not.toContain('invalid-key');
    });

    it('explains a 403 as a scope or role problem', async () => {
      const { fake, ctx } = await setup();
      await picusAdapter.listAgents(ctx);
      fake.enqueue({ status: 403, body: { message: 'forbidden' } });

      const outcome = await picusAdapter.test(ctx);

      expect(outcome.ok).toBe(false);
      expect(outcome.message).toContain('scope');
    });

    it('asks for the refresh token before calling when none is configured', async () => {
      const { fake, ctx } = await setup();

      const outcome = await picusAdapter.test({ ...ctx, credentials: {} });

      expect(outcome.ok).toBe(false);
      expect(fake.requests).toHaveLength(0);
    });
  });

  describe('result mapping', () => {
    it('maps a run to exposure: 100 minus the prevention score, unknown verdict', async () => {
      const { ctx } = await setup();
      const run = await picusAdapter.getLatestRun(ctx, 1);

      expect(runExposure(run)).toEqual({
        verdict: 'unknown',
        score: 38,
        confidence: 30,
        tags: ['picus', 'bas'],
        details: {
          simulationId: 1,
          runId: 101,
          status: 'COMPLETED',
          preventionScore: 62,
          detectionScore: 40,
          completionRatio: 100,
        },
      });
    });

    it('maps threats: not blocked and not alerted is suspicious, blocked is benign', async () => {
      const { ctx } = await setup();
      const { threats } = await picusAdapter.listLatestRunThreats(ctx, 1);

      const [blocked, exposed, alerted] = threats.map(threatExposure);

      expect(blocked).toMatchObject({ verdict: 'benign', score: 10, tags: ['picus', 'bas', 'blocked'] });
      expect(exposed).toMatchObject({ verdict: 'suspicious', score: 60 });
      expect(exposed?.tags).toContain('not_alerted');
      expect(alerted).toMatchObject({ verdict: 'unknown', score: 0, tags: ['picus', 'bas', 'not_blocked'] });
    });
  });

  it('is a validation adapter in the threat-intel catalog with a secret refresh token', () => {
    expect(picusAdapter.kind).toBe('validation');
    expect(picusAdapter.catalog).toMatchObject({ name: 'picus', category: 'threat-intel' });
    expect(picusAdapter.catalog.supports).toBeUndefined();
    expect(picusAdapter.catalog.fields.find((field) => field.name === 'refreshToken')?.type).toBe('secret');
  });
});
