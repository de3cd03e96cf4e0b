import * as z from 'zod';
import {
  type OutboundError,
  OutboundNotFoundError,
  OutboundRateLimitedError,
  QuotaExhaustedError,
  UpstreamError,
} from '../http/errors';
import type { OutboundResponse } from '../http/outbound';
import type { AdapterContext, CatalogEntry, Indicator, IntelAdapter, IntelResult } from '../ports';
import {
  ageInDays,
  assertSupported,
  baseUrl,
  clamp,
  finalizeResult,
  isoOrUndefined,
  nextUtcMidnight,
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
 * VirusTotal API v3: multi-engine verdicts for IPs, domains, URLs and file hashes. The share of
 * engines flagging an object drives the score, the number of engines that looked at it the
 * confidence (providers-intel.md §2). The public API allows 4 requests/min and 500/day.
 */

const ORIGIN = 'https://www.virustotal.com';
const PROVIDER = 'VirusTotal';
/** VirusTotal sends no Retry-After; its per-minute window is the shortest wait that can help. */
const THROTTLE_WAIT_SECONDS = 60;

type ObjectKind = 'ip' | 'domain' | 'url' | 'file';

const statsSchema = z.object({
  harmless: z.number().default(0),
  malicious: z.number().default(0),
  suspicious: z.number().default(0),
  undetected: z.number().default(0),
});

const labelSchema = z.object({ value: z.string(), count: z.number().optional() });

const objectSchema = z.object({
  data: z.object({
    id: z.string(),
    type: z.string(),
    attributes: z.object({
      last_analysis_date: z.number().nullish(),
      last_analysis_stats: statsSchema.nullish(),
      reputation: z.number().nullish(),
      total_votes: z.object({ harmless: z.number(), malicious: z.number() }).nullish(),
      tags: z.array(z.string()).nullish(),
      // IP
      as_owner: z.string().nullish(),
      asn: z.number().nullish(),
      country: z.string().nullish(),
      network: z.string().nullish(),
      // Domain and URL
      categories: z.record(z.string(), z.string()).nullish(),
      registrar: z.string().nullish(),
      // File
      meaningful_name: z.string().nullish(),
      type_description: z.string().nullish(),
      size: z.number().nullish(),
      popular_threat_classification: z
        .object({
          suggested_threat_label: z.string().nullish(),
          popular_threat_name: z.array(labelSchema).nullish(),
          popular_threat_category: z.array(labelSchema).nullish(),
        })
        .nullish(),
      // URL
      last_final_url: z.string().nullish(),
      threat_names: z.array(z.string()).nullish(),
    }),
  }),
});
type VtAttributes = z.output<typeof objectSchema>['data']['attributes'];

const errorSchema = z.object({ error: z.object({ code: z.string(), message: z.string().optional() }) });

/** The `{"error":{"code":…}}` envelope of a VirusTotal error answer, if the body has one. */
function errorCode(response: OutboundResponse): { code: string; message: string } | undefined {
  const parsed = errorSchema.safeParse(tryJson(response.body));
  return parsed.success
    ? { code: parsed.data.error.code, message: parsed.data.error.message ?? '' }
    : undefined;
}

/**
 * 429 `QuotaExceededError`/`TooManyRequestsError` carry no wait: back off a minute, or until the
 * next UTC midnight when the message names the daily or monthly allowance. 424 is VirusTotal
 * failing on a dependency of its own, not our request.
 */
const classifyAt =
  (now: () => number) =>
  (response: OutboundResponse): OutboundError | undefined => {
    if (response.status === 429) {
      const error = errorCode(response);
      if (error && /daily|monthly/i.test(error.message)) {
        return new QuotaExhaustedError(
          `${PROVIDER} ${/monthly/i.test(error.message) ? 'monthly' : 'daily'} quota is used up.`,
          {
            status: 429,
            resetsAt: /monthly/i.test(error.message) ? undefined : nextUtcMidnight(now()),
          },
        );
      }
      return new OutboundRateLimitedError(
        `${PROVIDER} is throttling this key (${error?.code ?? '429'}).`,
        THROTTLE_WAIT_SECONDS,
        {
          status: 429,
        },
      );
    }
    if (response.status === 424) {
      return new UpstreamError(`${PROVIDER} failed on one of its own dependencies.`, {
        status: 424,
        retryable: true,
      });
    }
    return undefined;
  };

/** VirusTotal's URL identifier: the URL as unpadded URL-safe base64. */
export function virusTotalUrlId(url: string): string {
  return Buffer.from(url, 'utf8').toString('base64url').replace(/=+$/, '');
}

function objectPath(indicator: Indicator): { path: string; kind: ObjectKind } {
  switch (indicator.type) {
    case 'ipv4':
    case 'ipv6':
      return { path: `ip_addresses/${encodeURIComponent(indicator.value)}`, kind: 'ip' };
    case 'domain':
      return { path: `domains/${encodeURIComponent(indicator.value)}`, kind: 'domain' };
    case 'url':
      return { path: `urls/${virusTotalUrlId(indicator.value)}`, kind: 'url' };
    default:
      return { path: `files/${indicator.value.toLowerCase()}`, kind: 'file' };
  }
}

async function fetchObject(ctx: AdapterContext, indicator: Indicator) {
  const key = requireSecret(ctx, 'apiKey', PROVIDER);
  const { path, kind } = objectPath(indicator);
  const response = await ctx.http.request({
    method: 'GET',
    url: `${baseUrl(ctx, ORIGIN)}/api/v3/${path}`,
    headers: { 'x-apikey': key, accept: 'application/json' },
    redact: [key],
    classify: classifyAt(ctx.now),
  });
  return { attributes: parseBody(response, objectSchema, PROVIDER).data.attributes, kind };
}

function threatLabels(attributes: VtAttributes): string[] {
  const classification = attributes.popular_threat_classification;
  const suggested = classification?.suggested_threat_label?.split(/[./,]/) ?? [];
  return [
    ...suggested,
    ...(classification?.popular_threat_name ?? []).map((entry) => entry.value),
    ...(attributes.threat_names ?? []),
  ];
}

/** Maps a VirusTotal object per the reference; `maliciousThreshold` overrides the engine counts. */
export function mapVirusTotal(
  attributes: VtAttributes,
  kind: ObjectKind,
  nowMs: number,
  maliciousThreshold?: number,
): IntelResult {
  const stats = attributes.last_analysis_stats ?? { harmless: 0, malicious: 0, suspicious: 0, undetected: 0 };
  const { malicious: m, suspicious: s } = stats;
  // Timeouts, failures and unsupported types say nothing about the object.
  const total = m + s + stats.harmless + stats.undetected;
  const analysedMs = parseTimestamp(attributes.last_analysis_date);
  const reputation = attributes.reputation ?? 0;
  const details = {
    stats: { harmless: stats.harmless, malicious: m, suspicious: s, undetected: stats.undetected },
    reputation,
    totalVotes: attributes.total_votes ?? undefined,
    asOwner: attributes.as_owner ?? undefined,
    asn: attributes.asn ?? undefined,
    country: attributes.country ?? undefined,
    network: attributes.network ?? undefined,
    registrar: attributes.registrar ?? undefined,
    meaningfulName: attributes.meaningful_name ?? undefined,
    typeDescription: attributes.type_description ?? undefined,
    size: attributes.size ?? undefined,
    lastFinalUrl: attributes.last_final_url ?? undefined,
    lastAnalysisDate: isoOrUndefined(analysedMs),
  };
  const tags = [
    ...(attributes.tags ?? []),
    ...threatLabels(attributes),
    ...Object.values(attributes.categories ?? {}),
  ];
  if (total === 0 || analysedMs === undefined) return unknownResult(details, 0, tags);

  const threshold = maliciousThreshold ?? (kind === 'file' ? 5 : 3);
  const verdict =
    m >= threshold
      ? 'malicious'
      : m >= 1 || s >= 2 || reputation <= -10
        ? 'suspicious'
        : total >= 10
          ? 'benign'
          : 'unknown';
  // A quarter of the engines flagging the object is as bad as it gets.
  const score = Math.round(100 * Math.min(1, (m + 0.5 * s) / total / 0.25));
  const age = ageInDays(analysedMs, nowMs);
  const confidence = clamp(total + 20, 20, 95) - (age !== undefined && age > 180 ? 20 : 0);
  return finalizeResult({ verdict, score, confidence, tags, details });
}

const catalog: CatalogEntry = {
  name: 'virustotal',
  displayName: PROVIDER,
  category: 'threat-intel',
  description:
    'Verdicts from 70+ antivirus engines and URL scanners for IPs, domains, URLs and file hashes (API v3).',
  fields: [
    { name: 'apiKey', label: 'API key', type: 'secret', required: true },
    {
      name: 'maliciousThreshold',
      label: 'Engines for a malicious verdict',
      type: 'number',
      required: false,
      help: 'How many engines must flag an indicator to call it malicious. Default: 3, or 5 for files.',
    },
  ],
  freeTier: {
    perMinute: 4,
    perDay: 500,
    perMonth: 15_500,
    summary: '4 lookups/min, 500/day, about 15.5K/month (public API, non-commercial use)',
  },
  priority: 'high',
  setupGuide: [
    'Sign up for a free VirusTotal community account at https://www.virustotal.com/gui/join-us.',
    'Sign in and open your avatar menu → API key (https://www.virustotal.com/gui/my-apikey).',
    'Copy the API key shown there.',
    'Paste it into the API key field here, save, and press Test.',
    'Note: the public API is limited to 4 lookups per minute and is not licensed for commercial use.',
  ],
  docsUrl: 'https://docs.virustotal.com/reference/overview',
  supports: ['ipv4', 'ipv6', 'domain', 'url', 'md5', 'sha1', 'sha256'],
};

/** VirusTotal as an intel adapter; unknown objects (404) are `unknown`. */
export const virusTotalAdapter: IntelAdapter = {
  kind: 'intel',
  catalog,
  async lookup(ctx, indicator) {
    assertSupported(catalog, indicator);
    const skipped = nonPublicIpResult(indicator);
    if (skipped) return skipped;
    const threshold = numberSetting(ctx, 'maliciousThreshold', Number.NaN);
    try {
      const { attributes, kind } = await fetchObject(ctx, indicator);
      return mapVirusTotal(attributes, kind, ctx.now(), Number.isFinite(threshold) ? threshold : undefined);
    } catch (error) {
      if (error instanceof OutboundNotFoundError) return unknownResult({ found: false }, 0);
      throw error;
    }
  },
  async test(ctx) {
    try {
      const { attributes } = await fetchObject(ctx, { type: 'ipv4', value: '8.8.8.8' });
      const engines = Object.values(attributes.last_analysis_stats ?? {}).reduce((a, b) => a + b, 0);
      return {
        ok: true,
        message: `${PROVIDER} accepted the key (8.8.8.8 was checked by ${engines} engines).`,
      };
    } catch (error) {
      return testFailure(PROVIDER, error, {
        auth: 'Copy the key from https://www.virustotal.com/gui/my-apikey and save it again.',
      });
    }
  },
};
