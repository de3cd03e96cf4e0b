import { createHash } from 'node:crypto';
import * as z from 'zod';
import {
  OutboundAuthError,
  OutboundBadRequestError,
  OutboundError,
  OutboundRateLimitedError,
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
  geoResult,
  nonPublicIpResult,
  orgFromAsText,
  parseAsn,
  text,
} from './geo-normalize';

/**
 * ip-api.com geolocation (providers-intel.md §10). The free endpoint is plain HTTP and keyless,
 * limited to 45 requests a minute per source address; a Pro key switches to `https://pro.ip-api.com`
 * with `?key=`. Failures come back as HTTP 200 with `status:"fail"`. Every free response carries
 * `X-Rl` (requests left in the window) and `X-Ttl` (seconds to the reset): when `X-Rl` reaches 0 the
 * adapter stops calling until the window resets instead of earning a 429 (and, repeated, a ban).
 */

const FREE_BASE_URL = 'http://ip-api.com';
const PRO_BASE_URL = 'https://pro.ip-api.com';
const FIELDS = [
  'status',
  'message',
  'query',
  'country',
  'countryCode',
  'region',
  'regionName',
  'city',
  'lat',
  'lon',
  'timezone',
  'isp',
  'org',
  'as',
  'asname',
  'reverse',
  'mobile',
  'proxy',
  'hosting',
].join(',');

const catalog: CatalogEntry = {
  name: 'ip-api',
  displayName: 'ip-api.com',
  category: 'geolocation',
  description:
    'Country, city, ISP and ASN of an IP address or host name, with proxy/VPN, hosting and mobile flags. ' +
    'Context only: it never calls an address malicious.',
  fields: [
    {
      name: 'apiKey',
      label: 'Pro API key (optional)',
      type: 'secret',
      required: false,
      help: 'Leave empty to use the free endpoint (HTTP only, 45 requests/minute, non-commercial use).',
    },
    {
      name: 'proxyHostingPolicy',
      label: 'Proxy on a hosting network',
      type: 'select',
      required: false,
      options: ['context', 'suspicious'],
      default: 'context',
      help: '"suspicious" marks an address flagged both proxy and hosting as suspicious (score 30).',
    },
  ],
  freeTier: {
    perMinute: 45,
    summary: '45 requests/minute per source IP (free endpoint, HTTP, non-commercial)',
  },
  priority: 'medium',
  setupGuide: [
    'Nothing to sign up for: the free endpoint needs no key. Enable the integration and run Test.',
    'Mind the terms: the free endpoint is for non-commercial use and is served over plain HTTP only.',
    'For commercial use, HTTPS or no rate limit, buy a Pro plan at https://members.ip-api.com/.',
    'Copy the Pro key from the members area and paste it into "Pro API key"; Vigil then calls https://pro.ip-api.com.',
    'Run Test: it looks up 8.8.8.8 and shows the country it resolved.',
  ],
  docsUrl: 'https://ip-api.com/docs/api:json',
  supports: ['ipv4', 'ipv6', 'domain'],
};

const responseSchema = z.looseObject({
  status: z.enum(['success', 'fail']),
  message: z.string().optional(),
  query: z.string().optional(),
  country: z.string().optional(),
  countryCode: z.string().optional(),
  region: z.string().optional(),
  regionName: z.string().optional(),
  city: z.string().optional(),
  lat: z.number().optional(),
  lon: z.number().optional(),
  timezone: z.string().optional(),
  isp: z.string().optional(),
  org: z.string().optional(),
  as: z.string().optional(),
  asname: z.string().optional(),
  reverse: z.string().optional(),
  mobile: z.boolean().optional(),
  proxy: z.boolean().optional(),
  hosting: z.boolean().optional(),
});
type IpApiResponse = z.infer<typeof responseSchema>;

/** `status:"fail"` messages that mean "the address is not routable", answered as context. */
const NON_PUBLIC_MESSAGES = new Set(['private range', 'reserved range']);

/**
 * When each endpoint+key may be called again after `X-Rl` hit 0 or a 429, in epoch ms. Keyed by the
 * origin and a hash of the key (never the key); the free limit counts per source address, which is
 * this process.
 */
const pausedUntil = new Map<string, number>();

function windowKey(origin: string, apiKey: string | undefined): string {
  const keyHash = apiKey ? createHash('sha256').update(apiKey).digest('hex').slice(0, 16) : 'free';
  return `${origin}|${keyHash}`;
}

function header(response: { headers: Record<string, string | string[] | undefined> }, name: string) {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function ttlSeconds(response: {
  headers: Record<string, string | string[] | undefined>;
}): number | undefined {
  const ttl = Number(header(response, 'x-ttl'));
  return Number.isFinite(ttl) && ttl >= 0 ? ttl : undefined;
}

function parseBody(response: OutboundResponse): IpApiResponse {
  const parsed = responseSchema.safeParse(response.json());
  if (!parsed.success) {
    throw new UpstreamError('ip-api.com answered with an unexpected body', {
      status: response.status,
      attempts: response.attempts,
    });
  }
  return parsed.data;
}

/** Turns a `status:"fail"` answer other than private/reserved range into the matching typed error. */
function classify(response: OutboundResponse): OutboundError | undefined {
  if (response.status !== 200) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(response.text());
  } catch {
    return undefined; // Left to the parser, which reports a malformed body.
  }
  const parsed = responseSchema.safeParse(body);
  if (!parsed.success || parsed.data.status !== 'fail') return undefined;
  const message = (parsed.data.message ?? '').toLowerCase();
  if (NON_PUBLIC_MESSAGES.has(message)) return undefined;
  const details = { status: 200, attempts: response.attempts };
  if (message.includes('key'))
    return new OutboundAuthError(`ip-api.com refused the key: ${message}`, details);
  return new OutboundBadRequestError(
    `ip-api.com refused the query: ${message || 'no reason given'}`,
    details,
  );
}

function toResult(body: IpApiResponse, ctx: AdapterContext, indicator: Indicator): IntelResult {
  if (body.status === 'fail') {
    const reason = body.message ?? 'fail';
    return geoResult(
      { provider: 'ip-api', ip: body.query ?? indicator.value, privacy: {} },
      { tags: ['private'], extra: { reason } },
    );
  }
  const privacy = { proxy: flag(body.proxy), hosting: flag(body.hosting), mobile: flag(body.mobile) };
  const result = geoResult(
    {
      provider: 'ip-api',
      ip: text(body.query),
      country: text(body.country),
      countryCode: text(body.countryCode),
      region: text(body.regionName) ?? text(body.region),
      city: text(body.city),
      lat: coordinate(body.lat, 90),
      lon: coordinate(body.lon, 180),
      asn: parseAsn(body.as),
      org: text(body.org) ?? orgFromAsText(body.as),
      isp: text(body.isp),
      timezone: text(body.timezone),
      privacy,
    },
    {
      extra: {
        asName: text(body.asname),
        reverse: text(body.reverse),
        hostname: indicator.type === 'domain' ? indicator.value : undefined,
      },
    },
  );
  if (ctx.settings.proxyHostingPolicy === 'suspicious' && privacy.proxy && privacy.hosting) {
    return { ...result, verdict: 'suspicious', score: 30, confidence: 30 };
  }
  return result;
}

async function lookup(ctx: AdapterContext, indicator: Indicator): Promise<IntelResult> {
  assertSupported(catalog, indicator);
  const local = nonPublicIpResult('ip-api', indicator);
  if (local) return local;

  const apiKey = ctx.credentials.apiKey?.trim() || undefined;
  const baseUrl = ctx.baseUrl ?? (apiKey ? PRO_BASE_URL : FREE_BASE_URL);
  const origin = new URL(baseUrl).origin;
  const key = windowKey(origin, apiKey);
  const resumeAt = pausedUntil.get(key);
  if (resumeAt !== undefined) {
    const waitMs = resumeAt - ctx.now();
    if (waitMs > 0) {
      throw new OutboundRateLimitedError(
        'ip-api.com request budget for this minute is used up; not calling until the window resets',
        waitMs / 1000,
        { host: new URL(baseUrl).host, attempts: 0 },
      );
    }
    pausedUntil.delete(key);
  }

  const query = indicator.type === 'domain' ? encodeURIComponent(indicator.value) : indicator.value;
  let response: OutboundResponse;
  try {
    response = await ctx.http.request({
      method: 'GET',
      url: `${baseUrl}/json/${query}`,
      query: { fields: FIELDS, key: apiKey },
      headers: { accept: 'application/json' },
      redact: [apiKey],
      classify,
    });
  } catch (error) {
    // The client derives `retryAfterSeconds` from `X-Ttl` on a 429.
    if (error instanceof OutboundRateLimitedError)
      pausedUntil.set(key, ctx.now() + error.retryAfterSeconds * 1000);
    throw error;
  }
  if (header(response, 'x-rl') === '0') {
    const ttl = ttlSeconds(response);
    if (ttl !== undefined && ttl > 0) pausedUntil.set(key, ctx.now() + ttl * 1000);
  }
  return toResult(parseBody(response), ctx, indicator);
}

/** Looks up 8.8.8.8: proves the endpoint is reachable and, with a Pro key, that the key works. */
async function test(ctx: AdapterContext): Promise<TestOutcome> {
  const pro = Boolean(ctx.credentials.apiKey?.trim());
  try {
    const result = await lookup(ctx, { type: 'ipv4', value: '8.8.8.8' });
    const where = [result.details.city, result.details.countryCode].filter(Boolean).join(', ');
    return {
      ok: true,
      message: `ip-api.com answered (${pro ? 'Pro' : 'free endpoint'}): 8.8.8.8 is in ${where || 'an unknown place'}.`,
      details: { plan: pro ? 'pro' : 'free' },
    };
  } catch (error) {
    return { ok: false, message: testFailureMessage(error, pro) };
  }
}

function testFailureMessage(error: unknown, pro: boolean): string {
  if (error instanceof OutboundAuthError) {
    return pro
      ? 'ip-api.com rejected the Pro key. Copy it again from https://members.ip-api.com/ or clear the field to use the free endpoint.'
      : 'ip-api.com refused the request. The free endpoint needs no key; check that your network allows plain HTTP to ip-api.com.';
  }
  if (error instanceof OutboundRateLimitedError) {
    return `ip-api.com rate limit reached (45 requests/minute on the free endpoint). Try again in ${error.retryAfterSeconds} s, or add a Pro key.`;
  }
  if (error instanceof OutboundError) return `ip-api.com could not be reached: ${error.message}`;
  return 'ip-api.com test failed unexpectedly.';
}

/** ip-api.com as a geolocation intel adapter. */
export const ipApiAdapter: IntelAdapter = { kind: 'intel', catalog, lookup, test };
