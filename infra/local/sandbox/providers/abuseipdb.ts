import { isIP } from 'node:net';
import { isPublicIp } from '../../../../shared/platform/net/ip-address';
import type { FakeHandler, FakeReply } from '../fake-http';
import { demoDate, demoVerdict, INTEL_FIXTURES } from './intel-fixtures';

/**
 * AbuseIPDB API v2 fake: `GET /api/v2/check` with the `Key` header, answering like the real service
 * (providers-intel.md §1): the `{"data":{…}}` record, `X-RateLimit-*` headers on every answer, the
 * 401 / 422 `{"errors":[…]}` envelopes. Key `invalid-key` and a missing key get the 401.
 *
 * Fixtures: 185.220.101.34 (Tor exit, score 100, verbose reports), 8.8.8.8 and 1.1.1.1
 * (whitelisted). Any other public IP gets a record derived from a hash of the address
 * (`demoVerdict`): "no data" is AbuseIPDB's all-zero record, the other buckets get scores and
 * reports to match. Private addresses come back with `isPublic: false`, as the real service does.
 */

const DAILY_LIMIT = 1000;

interface CheckRecord {
  ipAddress: string;
  isPublic: boolean;
  ipVersion: number;
  isWhitelisted: boolean | null;
  abuseConfidenceScore: number;
  countryCode: string | null;
  countryName?: string | null;
  usageType: string | null;
  isp: string | null;
  domain: string | null;
  hostnames: string[];
  isTor: boolean;
  totalReports: number;
  numDistinctUsers: number;
  lastReportedAt: string | null;
  reports?: Report[];
}

interface Report {
  reportedAt: string;
  comment: string;
  categories: number[];
  reporterId: number;
  reporterCountryCode: string;
  reporterCountryName: string;
}

const report = (reportedAt: string, comment: string, categories: number[], reporterId: number): Report => ({
  reportedAt,
  comment,
  categories,
  reporterId,
  reporterCountryCode: 'US',
  reporterCountryName: 'United States',
});

const FIXTURES: Record<string, Omit<CheckRecord, 'ipAddress' | 'ipVersion'>> = {
  [INTEL_FIXTURES.maliciousIp]: {
    isPublic: true,
    isWhitelisted: false,
    abuseConfidenceScore: 100,
    countryCode: 'DE',
    countryName: 'Germany',
    usageType: 'Data Center/Web Hosting/Transit',
    isp: 'Network for Tor-Exit traffic.',
    domain: 'artikel10.org',
    hostnames: ['tor-exit-34.for-privacy.net'],
    isTor: true,
    totalReports: 2841,
    numDistinctUsers: 412,
    lastReportedAt: '2026-11-30T22:14:05+00:00',
    reports: [
      report('2026-11-30T22:14:05+00:00', 'SSH brute force attempts', [18, 22], 118502),
      report('2026-11-30T19:02:41+00:00', 'Port scan on 23,2323,8080', [14, 15], 90211),
      report('2026-11-29T07:45:10+00:00', 'WordPress xmlrpc.php abuse', [21], 45112),
    ],
  },
  [INTEL_FIXTURES.benignIp]: {
    isPublic: true,
    isWhitelisted: true,
    abuseConfidenceScore: 0,
    countryCode: 'US',
    countryName: 'United States of America',
    usageType: 'Content Delivery Network',
    isp: 'Google LLC',
    domain: 'google.com',
    hostnames: ['dns.google'],
    isTor: false,
    totalReports: 41,
    numDistinctUsers: 17,
    lastReportedAt: '2026-11-28T03:11:09+00:00',
    reports: [],
  },
  [INTEL_FIXTURES.benignIp2]: {
    isPublic: true,
    isWhitelisted: true,
    abuseConfidenceScore: 0,
    countryCode: 'AU',
    countryName: 'Australia',
    usageType: 'Content Delivery Network',
    isp: 'APNIC and Cloudflare DNS Resolver project',
    domain: 'cloudflare.com',
    hostnames: ['one.one.one.one'],
    isTor: false,
    totalReports: 12,
    numDistinctUsers: 9,
    lastReportedAt: '2026-11-25T14:30:00+00:00',
    reports: [],
  },
};

function derived(ip: string): Omit<CheckRecord, 'ipAddress' | 'ipVersion'> {
  const { outcome, level, seed } = demoVerdict(ip);
  const base = {
    isPublic: true,
    isWhitelisted: false,
    countryCode: 'NL',
    countryName: 'Netherlands',
    usageType: 'Data Center/Web Hosting/Transit',
    isp: 'Demo Hosting B.V.',
    domain: 'demo-hosting.nl',
    hostnames: [],
    isTor: false,
  };
  if (outcome === 'none') {
    return {
      ...base,
      abuseConfidenceScore: 0,
      totalReports: 0,
      numDistinctUsers: 0,
      lastReportedAt: null,
      reports: [],
    };
  }
  const score =
    outcome === 'malicious' ? 75 + (level % 26) : outcome === 'suspicious' ? 25 + (level % 50) : 0;
  const users = outcome === 'benign' ? 1 : 2 + (seed % 40);
  const at = demoDate(seed, 60).replace('.000Z', '+00:00');
  return {
    ...base,
    abuseConfidenceScore: score,
    totalReports: users * 3,
    numDistinctUsers: users,
    lastReportedAt: at,
    reports: [report(at, 'Automated report', outcome === 'benign' ? [19] : [14, 18], 1000 + seed)],
  };
}

const errors = (status: number, detail: string, parameter?: string): FakeReply => ({
  status,
  body: { errors: [{ detail, status, ...(parameter ? { source: { parameter } } : {}) }] },
});

/** The AbuseIPDB fake handler; one instance counts its own daily quota. */
export function fakeAbuseIpdb(): FakeHandler {
  let used = 0;
  return (request) => {
    if (request.path !== '/api/v2/check') return errors(404, 'The requested resource could not be found.');
    const key = request.headers.key;
    if (typeof key !== 'string' || key === '' || key === 'invalid-key') {
      return errors(
        401,
        'Authentication failed. Your API key is either missing, incorrect, or revoked. Note: The APIv2 key differs from the APIv1 key.',
      );
    }
    const ip = request.query.get('ipAddress') ?? '';
    const version = isIP(ip);
    if (version === 0) {
      return errors(
        422,
        'The ip address must be a valid IPv4 or IPv6 address (e.g. 8.8.8.8 or 2001:4860:4860::8888).',
        'ipAddress',
      );
    }
    const maxAge = Number(request.query.get('maxAgeInDays') ?? '30');
    if (!Number.isInteger(maxAge) || maxAge < 1 || maxAge > 365) {
      return errors(422, 'The max age in days must be between 1 and 365.', 'maxAgeInDays');
    }
    used += 1;
    if (used > DAILY_LIMIT) {
      const now = new Date();
      const reset = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1) / 1000;
      return abuseIpdbDailyLimitReply(reset, Math.ceil(reset - now.getTime() / 1000));
    }
    const headers = {
      'X-RateLimit-Limit': String(DAILY_LIMIT),
      'X-RateLimit-Remaining': String(Math.max(0, DAILY_LIMIT - used)),
    };
    const verbose = request.query.has('verbose');
    const record: Omit<CheckRecord, 'ipAddress' | 'ipVersion'> = !isPublicIp(ip)
      ? {
          ...derived(ip),
          isPublic: false,
          abuseConfidenceScore: 0,
          totalReports: 0,
          numDistinctUsers: 0,
          lastReportedAt: null,
          isp: null,
          domain: null,
          usageType: 'Reserved',
          countryCode: null,
          reports: [],
        }
      : (FIXTURES[ip] ?? derived(ip));
    const { reports, countryName, ...rest } = record;
    const data: CheckRecord = {
      ipAddress: ip,
      ipVersion: version,
      ...rest,
      ...(verbose ? { countryName: countryName ?? null, reports: reports ?? [] } : {}),
    };
    return { status: 200, headers, body: { data } };
  };
}

/** The reply AbuseIPDB gives once the daily `check` quota is spent; tests and the sandbox enqueue it. */
export function abuseIpdbDailyLimitReply(resetEpochSeconds: number, retryAfterSeconds: number): FakeReply {
  return {
    status: 429,
    headers: {
      'Retry-After': String(retryAfterSeconds),
      'X-RateLimit-Limit': String(DAILY_LIMIT),
      'X-RateLimit-Remaining': '0',
      'X-RateLimit-Reset': String(resetEpochSeconds),
    },
    body: {
      errors: [
        {
          detail: `Daily rate limit of ${DAILY_LIMIT} requests exceeded for this endpoint. See headers for additional details.`,
          status: 429,
        },
      ],
    },
  };
}
