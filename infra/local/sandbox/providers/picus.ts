import { randomBytes } from 'node:crypto';
import type { FakeHandler, FakeReply, FakeRequest } from '../fake-http';

/**
 * The Picus Security customer API in its wire format (providers-intel.md §12):
 * - `POST /v1/auth/token` `{refresh_token}` → `{token, expire_at}` (epoch seconds by default, or
 *   milliseconds with `expireAtUnit: 'ms'`); the refresh token `invalid-key` (or a rotated-away one)
 *   → 401 `{"message":"unauthorized error"}`; a missing one → 422 validation envelope;
 * - every other call needs `Authorization: Bearer <access token>` from an exchange that has not
 *   expired; otherwise 401 `{"message":"unauthorized error"}`;
 * - `POST /v1/auth/refresh` rotates the refresh token and revokes its access tokens;
 * - per-endpoint per-minute limits with `X-Ratelimit-Limit`/`-Remaining`/`-Reset` (epoch seconds) on
 *   every answer and 429 past the limit (`GET /v1/agents` 100/min as documented, writes lower);
 * - `limit` above the documented maximum → 422; unknown ids → 404; `GET /v1/mitigation/devices` → 410.
 * The data is a small fixed estate: three simulations, the latest run of each and its threats.
 */
export interface FakePicusOptions {
  now?: () => number;
  /** Access-token lifetime; Picus documents about two hours. */
  tokenLifetimeSeconds?: number;
  expireAtUnit?: 's' | 'ms';
  /** Per-minute limits by route (`GET /v1/agents`), overriding the defaults. */
  limits?: Record<string, number>;
}

const DEFAULT_LIMITS: Record<string, number> = {
  'GET /v1/agents': 100,
  'POST /v1/auth/token': 60,
  'POST /v1/auth/refresh': 10,
  'POST /v1/simulations/{Id}/simulate-now': 10,
  'POST /v1/summary/overall': 60,
};
const DEFAULT_GET_LIMIT = 500;
const DEFAULT_POST_LIMIT = 30;

const AGENTS = [
  { id: 1, name: 'win-01', status: 'Online', type: 'Windows', version: '6.4.1' },
  { id: 2, name: 'lnx-web-02', status: 'Online', type: 'Linux', version: '6.4.1' },
];

const SIMULATIONS = [
  {
    simulation_id: 1,
    simulation_name: 'Ransomware readiness',
    status: 'COMPLETED',
    template_id: 11,
    template_name: 'Ransomware Scenarios',
    last_prevention_security_score: 62,
    last_detection_security_score: 40,
    has_detection_analysis: true,
    completion_ratio: 100,
    updated_at: 1_754_000_000,
    agent: AGENTS[0],
  },
  {
    simulation_id: 2,
    simulation_name: 'Web application attacks',
    status: 'RUNNING',
    template_id: 12,
    template_name: 'Web Attacks',
    last_prevention_security_score: 88,
    last_detection_security_score: 71,
    has_detection_analysis: true,
    completion_ratio: 45,
    updated_at: 1_754_100_000,
    agent: AGENTS[1],
  },
  {
    simulation_id: 3,
    simulation_name: 'Data exfiltration',
    status: 'SCHEDULED',
    template_id: 13,
    template_name: 'Exfiltration over alternative protocols',
    last_prevention_security_score: null,
    last_detection_security_score: null,
    has_detection_analysis: false,
    completion_ratio: 0,
    updated_at: 1_754_200_000,
    agent: AGENTS[0],
  },
];

const THREATS = [
  {
    threat_id: 123,
    threat_display_id: 45678,
    threat_name: 'LockBit 3.0 Ransomware Campaign',
    severity: 'Critical',
    prevention: 'Blocked',
    detection_analysis: { log_result: 'Logged', alert_result: 'Alerted' },
    objectives: ['Impact'],
    started_at: 1_753_990_000,
    completed_at: 1_753_990_100,
  },
  {
    threat_id: 124,
    threat_display_id: 45679,
    threat_name: 'BlackCat Ransomware Credential Access',
    severity: 'High',
    prevention: 'Not Blocked',
    detection_analysis: { log_result: 'Logged', alert_result: 'Not Alerted' },
    objectives: ['Credential Access'],
    started_at: 1_753_990_200,
    completed_at: 1_753_990_300,
  },
  {
    threat_id: 125,
    threat_display_id: 45680,
    threat_name: 'Conti Lateral Movement via SMB',
    severity: 'High',
    prevention: 'Not Blocked',
    detection_analysis: { log_result: 'Logged', alert_result: 'Alerted' },
    objectives: ['Lateral Movement'],
    started_at: 1_753_990_400,
    completed_at: 1_753_990_500,
  },
];

const ACTIONS = [
  {
    action_id: 9001,
    action_name: 'Dump LSASS memory',
    prevention: 'Not Blocked',
    mitre_technique: 'T1003.001',
  },
  { action_id: 9002, action_name: 'Encrypt files with AES', prevention: 'Blocked', mitre_technique: 'T1486' },
];

const LIBRARY = THREATS.map((threat) => ({
  id: threat.threat_id,
  name: threat.threat_name,
  severity: threat.severity,
  mitre_attack: threat.objectives,
  threat_actors: [],
}));

interface Issued {
  refreshToken: string;
  expiresAtMs: number;
}

export function fakePicus(options: FakePicusOptions = {}): FakeHandler {
  const now = options.now ?? Date.now;
  const lifetimeMs = (options.tokenLifetimeSeconds ?? 7_200) * 1000;
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const accessTokens = new Map<string, Issued>();
  const revokedRefreshTokens = new Set<string>();
  const windows = new Map<string, { start: number; used: number }>();
  let issuedCount = 0;

  const unauthorized = (headers: Record<string, string>): FakeReply => ({
    status: 401,
    headers,
    body: { message: 'unauthorized error' },
  });

  /** Counts the request against its route's window; returns the headers and whether it is over. */
  const meter = (route: string, method: string) => {
    const limit = limits[route] ?? (method === 'GET' ? DEFAULT_GET_LIMIT : DEFAULT_POST_LIMIT);
    const at = now();
    let window = windows.get(route);
    if (!window || at - window.start >= 60_000) {
      window = { start: at, used: 0 };
      windows.set(route, window);
    }
    window.used += 1;
    const headers = {
      'X-Ratelimit-Limit': String(limit),
      'X-Ratelimit-Remaining': String(Math.max(0, limit - window.used)),
      'X-Ratelimit-Reset': String(Math.ceil((window.start + 60_000) / 1000)),
    };
    return { headers, over: window.used > limit };
  };

  const issue = (refreshToken: string): { token: string; expire_at: number } => {
    issuedCount += 1;
    const token = `pat_${issuedCount}_${randomBytes(12).toString('hex')}`;
    const expiresAtMs = now() + lifetimeMs;
    accessTokens.set(token, { refreshToken, expiresAtMs });
    return { token, expire_at: options.expireAtUnit === 'ms' ? expiresAtMs : Math.floor(expiresAtMs / 1000) };
  };

  const bearer = (request: FakeRequest): Issued | undefined => {
    const header = request.headers.authorization ?? '';
    if (!header.startsWith('Bearer ')) return undefined;
    const issued = accessTokens.get(header.slice('Bearer '.length).trim());
    return issued && issued.expiresAtMs > now() ? issued : undefined;
  };

  return (request: FakeRequest): FakeReply => {
    const matched = route(request);
    if (!matched) return { status: 404, body: { error_code: 1004, errors: {}, message: 'route not found' } };
    const { headers, over } = meter(matched.name, request.method);
    if (over) return { status: 429, headers, body: { message: 'too many requests' } };

    if (matched.name === 'POST /v1/auth/token') {
      const body = request.json() as { refresh_token?: unknown } | undefined;
      const refreshToken = typeof body?.refresh_token === 'string' ? body.refresh_token : '';
      if (refreshToken === '') {
        return {
          status: 422,
          headers,
          body: { message: 'validation error', errors: { refresh_token: 'tag=required' } },
        };
      }
      if (refreshToken === 'invalid-key' || revokedRefreshTokens.has(refreshToken))
        return unauthorized(headers);
      return { status: 200, headers, body: issue(refreshToken) };
    }

    const caller = bearer(request);
    if (!caller) return unauthorized(headers);

    if (matched.name === 'POST /v1/auth/refresh') {
      revokedRefreshTokens.add(caller.refreshToken);
      for (const [token, issued] of accessTokens) {
        if (issued.refreshToken === caller.refreshToken) accessTokens.delete(token);
      }
      const created = Math.floor(now() / 1000);
      return {
        status: 200,
        headers,
        body: {
          id: issuedCount,
          name: 'vigil',
          token: `rt_${randomBytes(16).toString('hex')}`,
          created_at: created,
          expired_at: created + 182 * 86_400,
          is_expired: false,
        },
      };
    }
    return { ...answer(matched, request), headers };
  };
}

interface MatchedRoute {
  name: string;
  params: number[];
}

const ROUTES: readonly { method: string; pattern: RegExp; name: string }[] = [
  { method: 'POST', pattern: /^\/v1\/auth\/token$/, name: 'POST /v1/auth/token' },
  { method: 'POST', pattern: /^\/v1\/auth\/refresh$/, name: 'POST /v1/auth/refresh' },
  { method: 'GET', pattern: /^\/v1\/simulations$/, name: 'GET /v1/simulations' },
  { method: 'GET', pattern: /^\/v1\/simulations\/(\d+)$/, name: 'GET /v1/simulations/{Id}' },
  {
    method: 'POST',
    pattern: /^\/v1\/simulations\/(\d+)\/simulate-now$/,
    name: 'POST /v1/simulations/{Id}/simulate-now',
  },
  {
    method: 'GET',
    pattern: /^\/v1\/simulations\/(\d+)\/run\/latest$/,
    name: 'GET /v1/simulations/{Id}/run/latest',
  },
  {
    method: 'GET',
    pattern: /^\/v1\/simulations\/(\d+)\/run\/latest\/threats$/,
    name: 'GET /v1/simulations/{Id}/run/latest/threats',
  },
  {
    method: 'GET',
    pattern: /^\/v1\/simulations\/(\d+)\/run\/latest\/threats\/(\d+)\/actions$/,
    name: 'GET …/threats/{ThreatId}/actions',
  },
  {
    method: 'GET',
    pattern: /^\/v1\/simulations\/(\d+)\/run\/latest\/threats\/(\d+)\/actions\/(\d+)$/,
    name: 'GET …/actions/{ActionId}',
  },
  {
    method: 'GET',
    pattern:
      /^\/v1\/simulations\/(\d+)\/run\/latest\/threats\/(\d+)\/actions\/(\d+)\/integrations\/(\d+)\/(alerts|logs)$/,
    name: 'GET …/integrations/{IntegrationId}/events',
  },
  { method: 'POST', pattern: /^\/v1\/summary\/overall$/, name: 'POST /v1/summary/overall' },
  { method: 'GET', pattern: /^\/v1\/threat-library\/threats$/, name: 'GET /v1/threat-library/threats' },
  {
    method: 'GET',
    pattern: /^\/v1\/threat-library\/threats\/(\d+)$/,
    name: 'GET /v1/threat-library/threats/{ThreatId}',
  },
  { method: 'GET', pattern: /^\/v1\/agents$/, name: 'GET /v1/agents' },
  { method: 'GET', pattern: /^\/v1\/integrations$/, name: 'GET /v1/integrations' },
  {
    method: 'GET',
    pattern: /^\/v1\/mitigation\/generic\/not-blocked-actions$/,
    name: 'GET /v1/mitigation/generic/not-blocked-actions',
  },
  { method: 'GET', pattern: /^\/v1\/mitigation\/devices$/, name: 'GET /v1/mitigation/devices' },
];

function route(request: FakeRequest): MatchedRoute | undefined {
  for (const candidate of ROUTES) {
    if (candidate.method !== request.method) continue;
    const match = request.path.match(candidate.pattern);
    if (match) return { name: candidate.name, params: match.slice(1).map(Number) };
  }
  return undefined;
}

function notFound(what: string): FakeReply {
  return { status: 404, body: { error_code: 1001, errors: {}, message: `${what} not found` } };
}

/** Reads `limit`/`offset`, answering the documented 422 envelope when `limit` is above `max`. */
function paging(
  request: FakeRequest,
  max: number,
  fallback: number,
): { limit: number; offset: number } | FakeReply {
  const limit = Number(request.query.get('limit') ?? fallback);
  const offset = Number(request.query.get('offset') ?? 0);
  if (!Number.isInteger(limit) || limit < 1 || limit > max) {
    return {
      status: 422,
      body: {
        message: 'validation error',
        errors: { param: `tag=max, param=${max}, given value=${request.query.get('limit')}` },
      },
    };
  }
  return { limit, offset: Number.isInteger(offset) && offset >= 0 ? offset : 0 };
}

function page<T>(items: readonly T[], window: { limit: number; offset: number }) {
  return {
    pages: { limit: window.limit, offset: window.offset, total_count: items.length },
    items: items.slice(window.offset, window.offset + window.limit),
  };
}

function answer(matched: MatchedRoute, request: FakeRequest): FakeReply {
  const [first = 0, second = 0, third = 0] = matched.params;
  const simulation = SIMULATIONS.find((item) => item.simulation_id === first);
  switch (matched.name) {
    case 'GET /v1/simulations': {
      const window = paging(request, 50, 25);
      if ('status' in window) return window;
      const statuses = request.query.get('status')?.split(',');
      const filtered = statuses ? SIMULATIONS.filter((item) => statuses.includes(item.status)) : SIMULATIONS;
      const { pages, items } = page(filtered, window);
      return { status: 200, body: { pages, simulations: items } };
    }
    case 'GET /v1/simulations/{Id}':
      return simulation ? { status: 200, body: simulation } : notFound('simulation');
    case 'POST /v1/simulations/{Id}/simulate-now':
      return simulation
        ? { status: 200, body: { simulation_id: first, simulation_run_id: 100 + first, status: 'RUNNING' } }
        : notFound('simulation');
    case 'GET /v1/simulations/{Id}/run/latest':
      return simulation ? { status: 200, body: latestRun(simulation) } : notFound('simulation run');
    case 'GET /v1/simulations/{Id}/run/latest/threats': {
      if (!simulation) return notFound('simulation run');
      const window = paging(request, 50, 10);
      if ('status' in window) return window;
      const { pages, items } = page(first === 1 ? THREATS : [], window);
      return { status: 200, body: { pages, threats: items } };
    }
    case 'GET …/threats/{ThreatId}/actions':
      return simulation && THREATS.some((threat) => threat.threat_id === second)
        ? {
            status: 200,
            body: { pages: { limit: 10, offset: 0, total_count: ACTIONS.length }, actions: ACTIONS },
          }
        : notFound('threat');
    case 'GET …/actions/{ActionId}': {
      const action = ACTIONS.find((item) => item.action_id === third);
      return simulation && action ? { status: 200, body: action } : notFound('action');
    }
    case 'GET …/integrations/{IntegrationId}/events': {
      const window = paging(request, 1_000, 100);
      if ('status' in window) return window;
      const kind = request.path.endsWith('/alerts') ? 'alerts' : 'logs';
      const events = [{ id: 1, integration_id: matched.params[3], message: `${kind} for action ${third}` }];
      return { status: 200, body: { pages: page(events, window).pages, [kind]: events } };
    }
    case 'POST /v1/summary/overall':
      return {
        status: 200,
        body: {
          prevention_security_score: 75,
          detection_security_score: 55,
          simulation_count: SIMULATIONS.length,
          agent_count: AGENTS.length,
        },
      };
    case 'GET /v1/threat-library/threats': {
      const window = paging(request, 50, 25);
      if ('status' in window) return window;
      const severities = request.query.get('severities')?.split(',');
      const filtered = severities ? LIBRARY.filter((item) => severities.includes(item.severity)) : LIBRARY;
      const { pages, items } = page(filtered, window);
      return { status: 200, body: { pages, threats: items } };
    }
    case 'GET /v1/threat-library/threats/{ThreatId}': {
      const threat = LIBRARY.find((item) => item.id === first);
      return threat ? { status: 200, body: threat } : notFound('threat');
    }
    case 'GET /v1/agents':
      return {
        status: 200,
        body: { pages: { limit: 25, offset: 0, total_count: AGENTS.length }, agents: AGENTS },
      };
    case 'GET /v1/integrations':
      return {
        status: 200,
        body: { integrations: [{ id: 7, name: 'Splunk', type: 'SIEM', status: 'Connected' }] },
      };
    case 'GET /v1/mitigation/generic/not-blocked-actions': {
      const window = paging(request, 50, 25);
      if ('status' in window) return window;
      const notBlocked = ACTIONS.filter((action) => action.prevention === 'Not Blocked');
      const { pages, items } = page(notBlocked, window);
      return { status: 200, body: { pages, actions: items } };
    }
    case 'GET /v1/mitigation/devices':
      return {
        status: 410,
        body: { error_code: 1010, errors: {}, message: 'endpoint retired, use /v2/mitigation/devices' },
      };
    default:
      return notFound('route');
  }
}

function latestRun(simulation: (typeof SIMULATIONS)[number]) {
  const total = simulation.simulation_id === 1 ? THREATS.length : 10;
  const completed = Math.round((total * simulation.completion_ratio) / 100);
  return {
    simulation_id: simulation.simulation_id,
    simulation_run_id: 100 + simulation.simulation_id,
    status: simulation.status,
    started_at: 1_753_990_000,
    completed_at: simulation.status === 'COMPLETED' ? 1_753_993_000 : null,
    completion_ratio: simulation.completion_ratio,
    results: {
      prevention: {
        security_score: simulation.last_prevention_security_score,
        threat: {},
        attacker_objectives: {},
      },
      detection_analysis: {
        security_score: simulation.last_detection_security_score,
        has_log_analysis: simulation.has_detection_analysis,
        has_alert_analysis: simulation.has_detection_analysis,
      },
      has_detection_analysis: simulation.has_detection_analysis,
    },
    status_details: {
      prevention: { completed_threat_count: completed, total_threat_count: total },
      detection: { completed_threat_count: completed, total_threat_count: total },
    },
  };
}
