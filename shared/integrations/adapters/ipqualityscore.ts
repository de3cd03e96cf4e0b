import * as z from 'zod';
import {
  OutboundAuthError,
  OutboundBadRequestError,
  type OutboundError,
  QuotaExhaustedError,
  UpstreamError,
} from '../http/errors';
import type { OutboundResponse } from '../http/outbound';
import type { AdapterContext, CatalogEntry, Indicator, IntelAdapter, IntelResult } from '../ports';
import {
  assertSupported,
  baseUrl,
  finalizeResult,
  nonPublicIpResult,
  parseBody,
  requireSecret,
  testFailure,
  tryJson,
} from './intel-normalize';

/**
 * IPQualityScore: fraud scoring for IPs (proxy/VPN/Tor detection, recent abuse) and risk scoring
 * for URLs and domains (phishing, malware, parking). Its scores are a risk model rather than direct
 * evidence, hence moderate confidence (providers-intel.md §5). The API key is a path segment and
 * failures come back as HTTP 200 with `success: false`.
 */

const ORIGIN = 'https://ipqualityscore.com';
const PROVIDER = 'IPQualityScore';

/** The OpenAPI and live answers disagree on the case of some keys (`ISP`, `Organization`): read them lower-cased. */
function lowerKeys(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key.toLowerCase(), item]));
}

const notApplicable = (value: string | null | undefined) => (value && value !== 'N/A' ? value : undefined);

const ipSchema = z.preprocess(
  lowerKeys,
  z.object({
    success: z.literal(true),
    fraud_score: z.number(),
    country_code: z.string().nullish(),
    isp: z.string().nullish(),
    asn: z.number().nullish(),
    organization: z.string().nullish(),
    host: z.string().nullish(),
    is_crawler: z.boolean().nullish(),
    proxy: z.boolean().nullish(),
    vpn: z.boolean().nullish(),
    tor: z.boolean().nullish(),
    active_vpn: z.boolean().nullish(),
    active_tor: z.boolean().nullish(),
    recent_abuse: z.boolean().nullish(),
    bot_status: z.boolean().nullish(),
    connection_type: z.string().nullish(),
    abuse_velocity: z.string().nullish(),
  }),
);
type IpAnswer = z.output<typeof ipSchema>;

const urlSchema = z.object({
  success: z.literal(true),
  risk_score: z.number(),
  unsafe: z.boolean().nullish(),
  domain: z.string().nullish(),
  ip_address: z.string().nullish(),
  dns_valid: z.boolean().nullish(),
  parking: z.boolean().nullish(),
  spamming: z.boolean().nullish(),
  malware: z.boolean().nullish(),
  phishing: z.boolean().nullish(),
  suspicious: z.boolean().nullish(),
  adult: z.boolean().nullish(),
  category: z.string().nullish(),
  status_code: z.number().nullish(),
  domain_age: z.object({ human: z.string().nullish(), iso: z.string().nullish() }).nullish(),
});
type UrlAnswer = z.output<typeof urlSchema>;

const failureSchema = z.object({ success: z.literal(false), message: z.string().default('') });

/** IPQS answers HTTP 200 even on failure; the message tells auth, quota and bad input apart. */
function classify(response: OutboundResponse): OutboundError | undefined {
  const parsed = failureSchema.safeParse(tryJson(response.body));
  if (!parsed.success) return undefined;
  const { message } = parsed.data;
  const details = { status: response.status };
  if (/invalid .*key|unauthorized/i.test(message)) {
    return new OutboundAuthError(`${PROVIDER} refused the API key.`, details);
  }
  if (/insufficient credits|exceeded your request quota/i.test(message)) {
    return new QuotaExhaustedError(`${PROVIDER} has no lookup credits left on this account.`, details);
  }
  if (/invalid .*(ip|address|url)/i.test(message)) {
    return new OutboundBadRequestError(`${PROVIDER} refused the indicator as invalid.`, details);
  }
  return new UpstreamError(`${PROVIDER} reported a failure (success: false).`, details);
}

async function call(ctx: AdapterContext, path: string, query: Record<string, string | number | boolean>) {
  const key = requireSecret(ctx, 'apiKey', PROVIDER);
  return ctx.http.request({
    method: 'GET',
    url: `${baseUrl(ctx, ORIGIN)}/api/json/${path.replace('{key}', encodeURIComponent(key))}`,
    query,
    headers: { accept: 'application/json' },
    redact: [key],
    classify,
  });
}

async function lookupIp(ctx: AdapterContext, ip: string): Promise<IpAnswer> {
  const strictness = Number(ctx.settings.strictness ?? 1);
  const response = await call(ctx, `ip/{key}/${encodeURIComponent(ip)}`, {
    strictness: Number.isInteger(strictness) && strictness >= 0 && strictness <= 3 ? strictness : 1,
    allow_public_access_points: true,
    fast: true,
  });
  return parseBody(response, ipSchema, PROVIDER);
}

async function lookupUrl(ctx: AdapterContext, value: string): Promise<UrlAnswer> {
  const response = await call(ctx, `url/{key}/${encodeURIComponent(value)}`, { strictness: 0 });
  return parseBody(response, urlSchema, PROVIDER);
}

/** Maps an IP answer: IPQS flags at 88+, calls 75+ suspicious (providers-intel.md §5). */
export function mapIpqsIp(answer: IpAnswer): IntelResult {
  const score = answer.fraud_score;
  const velocity = notApplicable(answer.abuse_velocity);
  const verdict = score >= 88 ? 'malicious' : score >= 75 || answer.recent_abuse ? 'suspicious' : 'benign';
  const confidence =
    60 + (answer.recent_abuse ? 15 : 0) + (velocity === 'high' || velocity === 'medium' ? 10 : 0);
  return finalizeResult({
    verdict,
    score,
    confidence,
    tags: [
      answer.proxy && 'proxy',
      answer.vpn && 'vpn',
      answer.tor && 'tor',
      answer.active_vpn && 'active-vpn',
      answer.active_tor && 'active-tor',
      answer.is_crawler && 'crawler',
      answer.bot_status && 'bot',
      answer.recent_abuse && 'recent-abuse',
      notApplicable(answer.connection_type),
    ],
    details: {
      fraudScore: score,
      countryCode: notApplicable(answer.country_code),
      isp: notApplicable(answer.isp),
      asn: answer.asn ?? undefined,
      organization: notApplicable(answer.organization),
      host: notApplicable(answer.host),
      connectionType: notApplicable(answer.connection_type),
      recentAbuse: answer.recent_abuse ?? undefined,
      abuseVelocity: velocity,
      proxy: answer.proxy ?? undefined,
      vpn: answer.vpn ?? undefined,
      tor: answer.tor ?? undefined,
    },
  });
}

/** Maps a URL/domain answer: 85+ is high risk, 100 confirmed (providers-intel.md §5). */
export function mapIpqsUrl(answer: UrlAnswer): IntelResult {
  const score = answer.risk_score;
  const verdict =
    answer.malware || answer.phishing || score >= 85
      ? 'malicious'
      : answer.suspicious || answer.unsafe || answer.spamming || score >= 75
        ? 'suspicious'
        : answer.dns_valid
          ? 'benign'
          : 'unknown';
  return finalizeResult({
    verdict,
    score,
    confidence: score === 100 ? 95 : 65,
    tags: [
      answer.phishing && 'phishing',
      answer.malware && 'malware',
      answer.spamming && 'spamming',
      answer.parking && 'parking',
      answer.adult && 'adult',
      notApplicable(answer.category),
    ],
    details: {
      riskScore: score,
      domain: notApplicable(answer.domain),
      ipAddress: notApplicable(answer.ip_address),
      category: notApplicable(answer.category),
      dnsValid: answer.dns_valid ?? undefined,
      statusCode: answer.status_code ?? undefined,
      domainAge: notApplicable(answer.domain_age?.iso),
    },
  });
}

const catalog: CatalogEntry = {
  name: 'ipqualityscore',
  displayName: PROVIDER,
  category: 'threat-intel',
  description:
    'Fraud and risk scoring: proxy, VPN and Tor detection and recent abuse for IPs; phishing, malware and parking checks for URLs and domains.',
  fields: [
    { name: 'apiKey', label: 'API key', type: 'secret', required: true },
    {
      name: 'strictness',
      label: 'IP strictness',
      type: 'select',
      required: false,
      options: ['0', '1', '2', '3'],
      default: '1',
      help: 'Higher values score IPs more aggressively (more false positives).',
    },
  ],
  freeTier: { perMonth: 5000, summary: 'About 5,000 lookups/month on a free account' },
  priority: 'medium',
  setupGuide: [
    'Create a free account at https://www.ipqualityscore.com/create-account and confirm your email address.',
    "Sign in and open your account settings' API key page (Account → API Keys).",
    'Copy the private API key.',
    'Paste it into the API key field here, save, and press Test.',
  ],
  docsUrl: 'https://www.ipqualityscore.com/documentation/overview',
  supports: ['ipv4', 'ipv6', 'domain', 'url'],
};

/** IPQualityScore as an intel adapter for IPs, domains and URLs. */
export const ipQualityScoreAdapter: IntelAdapter = {
  kind: 'intel',
  catalog,
  async lookup(ctx, indicator: Indicator) {
    assertSupported(catalog, indicator);
    const skipped = nonPublicIpResult(indicator);
    if (skipped) return skipped;
    if (indicator.type === 'ipv4' || indicator.type === 'ipv6')
      return mapIpqsIp(await lookupIp(ctx, indicator.value));
    return mapIpqsUrl(await lookupUrl(ctx, indicator.value));
  },
  async test(ctx) {
    try {
      const answer = await lookupIp(ctx, '8.8.8.8');
      return {
        ok: true,
        message: `${PROVIDER} accepted the key (8.8.8.8 has a fraud score of ${answer.fraud_score}).`,
      };
    } catch (error) {
      return testFailure(PROVIDER, error, {
        auth: 'Copy the private API key from your IPQualityScore account settings and save it again.',
      });
    }
  },
};
