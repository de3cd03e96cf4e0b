import * as z from 'zod';
import type { OutboundError } from '../http/errors';
import { QuotaExhaustedError } from '../http/errors';
import type { OutboundResponse } from '../http/outbound';
import type { AdapterContext, CatalogEntry, Indicator, IntelAdapter, IntelResult } from '../ports';
import {
  ageInDays,
  assertSupported,
  baseUrl,
  clamp,
  finalizeResult,
  header,
  nonPublicIpResult,
  numberSetting,
  parseBody,
  parseTimestamp,
  requireSecret,
  testFailure,
  tryJson,
  unknownResult,
} from './intel-normalize';

/**
 * AbuseIPDB (API v2, `GET /check`): crowd-sourced abuse reports for IP addresses. The abuse
 * confidence score drives the verdict; reporter count and report age drive the confidence
 * (providers-intel.md §1).
 */

const ORIGIN = 'https://api.abuseipdb.com';
const PROVIDER = 'AbuseIPDB';

/** Report category ids → names (AbuseIPDB's public category list), used as tags. */
const CATEGORIES: Readonly<Record<number, string>> = {
  1: 'DNS Compromise',
  2: 'DNS Poisoning',
  3: 'Fraud Orders',
  4: 'DDoS Attack',
  5: 'FTP Brute-Force',
  6: 'Ping of Death',
  7: 'Phishing',
  8: 'Fraud VoIP',
  9: 'Open Proxy',
  10: 'Web Spam',
  11: 'Email Spam',
  12: 'Blog Spam',
  13: 'VPN IP',
  14: 'Port Scan',
  15: 'Hacking',
  16: 'SQL Injection',
  17: 'Spoofing',
  18: 'Brute-Force',
  19: 'Bad Web Bot',
  20: 'Exploited Host',
  21: 'Web App Attack',
  22: 'SSH',
  23: 'IoT Targeted',
};

const checkSchema = z.object({
  data: z.object({
    ipAddress: z.string(),
    isPublic: z.boolean(),
    isWhitelisted: z.boolean().nullish(),
    abuseConfidenceScore: z.number(),
    countryCode: z.string().nullish(),
    usageType: z.string().nullish(),
    isp: z.string().nullish(),
    domain: z.string().nullish(),
    isTor: z.boolean().nullish(),
    totalReports: z.number().nullish(),
    numDistinctUsers: z.number().nullish(),
    lastReportedAt: z.string().nullish(),
    reports: z.array(z.object({ categories: z.array(z.number()).nullish() })).nullish(),
  }),
});
type CheckData = z.output<typeof checkSchema>['data'];

const errorSchema = z.object({ errors: z.array(z.object({ detail: z.string().optional() })) });

/** A 429 whose body names the daily limit is the quota, not a throttle: it resets at `X-RateLimit-Reset`. */
function classify(response: OutboundResponse): OutboundError | undefined {
  if (response.status !== 429) return undefined;
  const parsed = errorSchema.safeParse(tryJson(response.body));
  const detail = parsed.success ? (parsed.data.errors[0]?.detail ?? '') : '';
  if (!/daily rate limit/i.test(detail)) return undefined;
  const reset = Number(header(response, 'x-ratelimit-reset'));
  return new QuotaExhaustedError(`${PROVIDER} daily check quota is used up.`, {
    status: 429,
    resetsAt: Number.isFinite(reset) && reset > 0 ? new Date(reset * 1000) : undefined,
  });
}

async function check(
  ctx: AdapterContext,
  ip: string,
): Promise<{ data: CheckData; response: OutboundResponse }> {
  const key = requireSecret(ctx, 'apiKey', PROVIDER);
  const maxAge = clamp(Math.round(numberSetting(ctx, 'maxAgeInDays', 90)), 1, 365);
  const response = await ctx.http.request({
    method: 'GET',
    url: `${baseUrl(ctx, ORIGIN)}/api/v2/check`,
    // `verbose` is a flag: present with an empty value turns it on.
    query: { ipAddress: ip, maxAgeInDays: maxAge, verbose: '' },
    headers: { key, accept: 'application/json' },
    redact: [key],
    classify,
  });
  return { data: parseBody(response, checkSchema, PROVIDER).data, response };
}

/** Maps a `/check` record per the reference's recommended mapping. */
export function mapAbuseIpdb(data: CheckData, nowMs: number): IntelResult {
  const totalReports = data.totalReports ?? 0;
  const distinctUsers = data.numDistinctUsers ?? 0;
  const lastReportedMs = parseTimestamp(data.lastReportedAt);
  const details = {
    countryCode: data.countryCode ?? undefined,
    isp: data.isp ?? undefined,
    domain: data.domain ?? undefined,
    usageType: data.usageType ?? undefined,
    abuseConfidenceScore: data.abuseConfidenceScore,
    totalReports,
    numDistinctUsers: distinctUsers,
    lastReportedAt: data.lastReportedAt ?? undefined,
  };
  const categories = (data.reports ?? []).flatMap((report) =>
    (report.categories ?? []).map((id) => CATEGORIES[id]),
  );
  const tags = [data.isTor ? 'tor' : undefined, data.usageType, ...categories];

  if (!data.isPublic) {
    return finalizeResult({ verdict: 'unknown', score: 0, confidence: 0, tags: ['private'], details });
  }
  const score = data.abuseConfidenceScore;
  if (data.isWhitelisted === true) {
    return finalizeResult({
      verdict: 'benign',
      score: Math.min(score, 10),
      confidence: 70,
      tags: ['whitelisted', ...tags],
      details,
    });
  }
  if (score >= 25) {
    const age = ageInDays(lastReportedMs, nowMs);
    const stale = age !== undefined && age > 90 ? 20 : 0;
    return finalizeResult({
      verdict: score >= 75 ? 'malicious' : 'suspicious',
      score,
      confidence: clamp(40 + 8 * distinctUsers, 40, 95) - stale,
      tags,
      details,
    });
  }
  // Every valid IP gets a record; an all-zero one means "nobody reported it", which is absence of
  // data (unknown), not evidence of good behaviour. A few low-scoring reports are weak benign evidence.
  if (totalReports === 0) return unknownResult(details, 20, tags);
  return finalizeResult({ verdict: 'benign', score, confidence: 50, tags, details });
}

const catalog: CatalogEntry = {
  name: 'abuseipdb',
  displayName: PROVIDER,
  category: 'threat-intel',
  description:
    'Crowd-sourced IP abuse reports (brute force, scanning, spam, DDoS) with an abuse confidence score.',
  fields: [
    { name: 'apiKey', label: 'API key (v2)', type: 'secret', required: true },
    {
      name: 'maxAgeInDays',
      label: 'Report window (days)',
      type: 'number',
      required: false,
      default: 90,
      help: 'Only reports newer than this count (1–365).',
    },
  ],
  freeTier: { perDay: 1000, summary: '1,000 IP checks/day (free Standard plan)' },
  priority: 'high',
  setupGuide: [
    'Create a free account at https://www.abuseipdb.com/register and confirm your email address.',
    'Open Account → API (https://www.abuseipdb.com/account/api) and click "Create Key".',
    'Copy the key (it is a v2 key; keys from the old v1 API do not work).',
    'Paste it into the API key field here, save, and press Test.',
  ],
  docsUrl: 'https://docs.abuseipdb.com/',
  supports: ['ipv4', 'ipv6'],
};

/** AbuseIPDB as an intel adapter: IPv4/IPv6 reputation from abuse reports. */
export const abuseIpdbAdapter: IntelAdapter = {
  kind: 'intel',
  catalog,
  async lookup(ctx, indicator: Indicator) {
    assertSupported(catalog, indicator);
    const skipped = nonPublicIpResult(indicator);
    if (skipped) return skipped;
    const { data } = await check(ctx, indicator.value);
    return mapAbuseIpdb(data, ctx.now());
  },
  async test(ctx) {
    try {
      const { data, response } = await check(ctx, '8.8.8.8');
      const remaining = header(response, 'x-ratelimit-remaining');
      const limit = header(response, 'x-ratelimit-limit');
      const quota = remaining && limit ? ` ${remaining} of ${limit} daily checks left.` : '';
      return {
        ok: true,
        message: `${PROVIDER} accepted the key (8.8.8.8 has an abuse score of ${data.abuseConfidenceScore}).${quota}`,
        details: {
          remaining: remaining ? Number(remaining) : undefined,
          limit: limit ? Number(limit) : undefined,
        },
      };
    } catch (error) {
      return testFailure(PROVIDER, error, {
        auth: 'Copy the v2 key from https://www.abuseipdb.com/account/api and save it again.',
      });
    }
  },
};
