import * as z from 'zod';
import {
  OutboundAuthError,
  OutboundBadRequestError,
  OutboundError,
  OutboundNotFoundError,
  QuotaExhaustedError,
  UpstreamError,
} from '../http/errors';
import type { OutboundResponse } from '../http/outbound';
import type {
  AdapterContext,
  CatalogEntry,
  Indicator,
  IntelAdapter,
  IntelResult,
  TestOutcome,
} from '../ports';
import {
  assertSupported,
  coordinate,
  flag,
  GEO_IP_TYPES,
  geoResult,
  nonPublicIpResult,
  parseAsn,
  text,
} from './geo-normalize';

/**
 * ipgeolocation.io, API v2 (providers-intel.md §11): `GET /v2/ipgeo?apiKey=…&ip=…`, the address as a
 * query parameter (in the path it is a 404). Without the paid security module it is context like the
 * other geolocation providers; with `include=security` the reference's mapping of `threat_score` and
 * the attacker/spam/bot flags gives a verdict. A 423 means a bogon address and a 429 the daily quota
 * (no rate-limit headers are documented, so it is never retried).
 */

const BASE_URL = 'https://api.ipgeolocation.io';

/** Reference mapping thresholds (§11 "Recommended mapping"). */
const SUSPICIOUS_THREAT_SCORE = 50;
const MALICIOUS_MIN_SCORE = 80;

const catalog: CatalogEntry = {
  name: 'ipgeolocation',
  displayName: 'ipgeolocation.io',
  category: 'geolocation',
  description:
    'Country, region, city, ASN and organisation of an IP address; with the paid security module also ' +
    'a threat score and Tor/proxy/VPN/cloud/spam/bot flags.',
  fields: [
    {
      name: 'apiKey',
      label: 'API key',
      type: 'secret',
      required: true,
      help: 'From the ipgeolocation.io dashboard.',
    },
    {
      name: 'securityModule',
      label: 'Security module',
      type: 'select',
      required: false,
      options: ['off', 'on'],
      default: 'off',
      help: '"on" requests include=security (paid plans only): adds a threat score and a verdict.',
    },
  ],
  freeTier: { perDay: 1_000, summary: '1,000 requests/day (free plan, no overage)' },
  priority: 'low',
  setupGuide: [
    'Create a free account at https://app.ipgeolocation.io/signup.',
    'Copy the API key shown on the dashboard.',
    'Paste it into "API key".',
    'If your plan includes the security module, set "Security module" to "on" to get threat scores.',
    'Run Test: it looks up 8.8.8.8 and shows the country it resolved.',
  ],
  docsUrl: 'https://ipgeolocation.io/documentation.html',
  supports: GEO_IP_TYPES,
};

const securitySchema = z.looseObject({
  threat_score: z.number().optional(),
  is_tor: z.boolean().optional(),
  is_proxy: z.boolean().optional(),
  proxy_type: z.string().optional(),
  proxy_provider: z.string().optional(),
  is_anonymous: z.boolean().optional(),
  is_known_attacker: z.boolean().optional(),
  is_spam: z.boolean().optional(),
  is_bot: z.boolean().optional(),
  is_cloud_provider: z.boolean().optional(),
  cloud_provider: z.string().optional(),
});

const responseSchema = z.looseObject({
  ip: z.string(),
  location: z
    .looseObject({
      country_code2: z.string().optional(),
      country_name: z.string().optional(),
      state_prov: z.string().optional(),
      city: z.string().optional(),
      latitude: z.union([z.string(), z.number()]).optional(),
      longitude: z.union([z.string(), z.number()]).optional(),
    })
    .optional(),
  network: z
    .looseObject({
      asn: z
        .looseObject({
          as_number: z.union([z.string(), z.number()]).optional(),
          organization: z.string().optional(),
        })
        .optional(),
      connection_type: z.string().optional(),
      company: z.looseObject({ name: z.string().optional() }).optional(),
    })
    .optional(),
  time_zone: z.looseObject({ name: z.string().optional() }).optional(),
  security: securitySchema.optional(),
});
type Security = z.infer<typeof securitySchema>;

function providerMessage(response: { body: Buffer } | undefined): string | undefined {
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

/** The daily quota answers 429; waiting minutes will not help, so it is not a retryable throttle. */
function classify(response: OutboundResponse): OutboundError | undefined {
  if (response.status !== 429) return undefined;
  return new QuotaExhaustedError('ipgeolocation.io daily request quota is used up', {
    status: 429,
    attempts: response.attempts,
    response,
  });
}

function slug(value: string): string {
  return value
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/** The reference's verdict for the security module, clamped to the ports.ts ranges. */
function securityVerdict(security: Security): Pick<IntelResult, 'verdict' | 'score' | 'confidence'> {
  const threat = Math.min(100, Math.max(0, security.threat_score ?? 0));
  if (security.is_known_attacker === true) {
    return { verdict: 'malicious', score: Math.max(threat, MALICIOUS_MIN_SCORE), confidence: 70 };
  }
  if (security.is_spam === true || security.is_bot === true || threat >= SUSPICIOUS_THREAT_SCORE) {
    return { verdict: 'suspicious', score: Math.min(69, Math.max(30, threat)), confidence: 50 };
  }
  return { verdict: 'benign', score: Math.min(threat, 20), confidence: 40 };
}

function toResult(response: OutboundResponse): IntelResult {
  const parsed = responseSchema.safeParse(response.json());
  if (!parsed.success) {
    throw new UpstreamError('ipgeolocation.io answered with an unexpected body', {
      status: response.status,
      attempts: response.attempts,
    });
  }
  const { ip, location, network, time_zone: timeZone, security } = parsed.data;
  const proxyType = text(security?.proxy_type);
  const cloudProvider = text(security?.cloud_provider);
  const result = geoResult(
    {
      provider: 'ipgeolocation',
      ip,
      country: text(location?.country_name),
      countryCode: text(location?.country_code2),
      region: text(location?.state_prov),
      city: text(location?.city),
      lat: coordinate(location?.latitude, 90),
      lon: coordinate(location?.longitude, 180),
      asn: parseAsn(network?.asn?.as_number),
      org: text(network?.company?.name) ?? text(network?.asn?.organization),
      isp: text(network?.asn?.organization),
      timezone: text(timeZone?.name),
      privacy: security
        ? {
            tor: flag(security.is_tor),
            proxy: flag(security.is_proxy),
            vpn: proxyType === undefined ? undefined : /vpn/i.test(proxyType),
            anonymous: flag(security.is_anonymous),
            hosting: flag(security.is_cloud_provider),
          }
        : {},
    },
    {
      tags: security
        ? [
            security.is_cloud_provider === true && 'cloud',
            security.is_cloud_provider === true && cloudProvider && slug(cloudProvider),
            security.is_proxy === true && proxyType && slug(proxyType),
            security.is_spam === true && 'spam',
            security.is_bot === true && 'bot',
            security.is_known_attacker === true && 'known_attacker',
          ]
        : [],
      extra: {
        connectionType: text(network?.connection_type),
        threatScore: security?.threat_score,
        proxyType,
        proxyProvider: text(security?.proxy_provider),
        cloudProvider,
      },
    },
  );
  return security ? { ...result, ...securityVerdict(security) } : result;
}

async function lookup(ctx: AdapterContext, indicator: Indicator): Promise<IntelResult> {
  assertSupported(catalog, indicator);
  const local = nonPublicIpResult('ipgeolocation', indicator);
  if (local) return local;

  const apiKey = ctx.credentials.apiKey?.trim() ?? '';
  try {
    const response = await ctx.http.request({
      method: 'GET',
      url: `${ctx.baseUrl ?? BASE_URL}/v2/ipgeo`,
      query: {
        apiKey,
        ip: indicator.value,
        include: ctx.settings.securityModule === 'on' ? 'security' : undefined,
      },
      headers: { accept: 'application/json' },
      redact: [apiKey],
      classify,
    });
    return toResult(response);
  } catch (error) {
    // 423: a bogon the provider will not locate; 404: not in its database. Both are missing context.
    if (error instanceof OutboundBadRequestError && error.status === 423) {
      return geoResult(
        { provider: 'ipgeolocation', ip: indicator.value, privacy: {} },
        { tags: ['bogon'], extra: { reason: 'bogon' } },
      );
    }
    if (error instanceof OutboundNotFoundError) {
      return geoResult(
        { provider: 'ipgeolocation', ip: indicator.value, privacy: {} },
        { extra: { reason: 'not found' } },
      );
    }
    throw error;
  }
}

/** Looks up 8.8.8.8 with the key (and the security module when it is switched on). */
async function test(ctx: AdapterContext): Promise<TestOutcome> {
  const apiKey = ctx.credentials.apiKey?.trim();
  if (!apiKey) return { ok: false, message: 'Add your ipgeolocation.io API key from the dashboard.' };
  try {
    const result = await lookup(ctx, { type: 'ipv4', value: '8.8.8.8' });
    const where = [result.details.city, result.details.countryCode].filter(Boolean).join(', ');
    return {
      ok: true,
      message: `ipgeolocation.io answered: 8.8.8.8 is in ${where || 'an unknown place'}.`,
      details: { securityModule: ctx.settings.securityModule === 'on' },
    };
  } catch (error) {
    return { ok: false, message: failureMessage(error, apiKey, ctx.settings.securityModule === 'on') };
  }
}

function failureMessage(error: unknown, apiKey: string, security: boolean): string {
  const said = providerMessage(error instanceof OutboundError ? error.response : undefined)
    ?.split(apiKey)
    .join('[redacted]');
  const quoted = said ? ` (ipgeolocation.io says: "${said}")` : '';
  if (error instanceof OutboundAuthError) {
    return security
      ? `ipgeolocation.io refused the request${quoted}. Check the API key, or set "Security module" to "off" if your plan does not include it.`
      : `ipgeolocation.io rejected the API key${quoted}. Copy it again from the dashboard.`;
  }
  if (error instanceof QuotaExhaustedError) {
    return 'ipgeolocation.io daily quota is used up (1,000 requests/day on the free plan). Try again tomorrow or upgrade.';
  }
  if (error instanceof OutboundError)
    return `ipgeolocation.io could not be reached: ${error.message}${quoted}`;
  return 'ipgeolocation.io test failed unexpectedly.';
}

/** ipgeolocation.io as a geolocation intel adapter. */
export const ipgeolocationAdapter: IntelAdapter = { kind: 'intel', catalog, lookup, test };
