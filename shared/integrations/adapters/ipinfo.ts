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
  countryName,
  flag,
  GEO_IP_TYPES,
  geoResult,
  nonPublicIpResult,
  orgFromAsText,
  parseAsn,
  parseLoc,
  text,
} from './geo-normalize';

/**
 * IPinfo (providers-intel.md §9). Two response generations: Lite (`api.ipinfo.io/lite/{ip}`, free,
 * country and ASN only) and the core/legacy API (`ipinfo.io/{ip}/json`: city, region, `loc`,
 * `org` as "AS15169 Google LLC", and on paid plans `asn`, `company` and `privacy` objects). The
 * token goes in `Authorization: Bearer`, as the official SDKs send it. A 429 means the plan's quota
 * is used up (the SDKs raise a quota error), and a bad token has been seen as an HTTP 200 with an
 * `error` object, so both are classified from the response.
 */

const CORE_BASE_URL = 'https://ipinfo.io';
const LITE_BASE_URL = 'https://api.ipinfo.io';

const catalog: CatalogEntry = {
  name: 'ipinfo',
  displayName: 'IPinfo',
  category: 'geolocation',
  description:
    'Country and ASN of an IP address (Lite), plus city, hostname, anycast and, on paid plans, ' +
    'VPN/proxy/Tor/relay/hosting flags (core API). Context only: it never calls an address malicious.',
  fields: [
    {
      name: 'token',
      label: 'Access token',
      type: 'secret',
      required: true,
      help: 'From https://ipinfo.io/account/token.',
    },
    {
      name: 'plan',
      label: 'API',
      type: 'select',
      required: false,
      options: ['lite', 'core'],
      default: 'lite',
      help: '"lite" (free: country and ASN) or "core" (legacy free plan and paid plans: city, privacy flags).',
    },
  ],
  freeTier: {
    perMonth: 50_000,
    summary: 'Lite: free country/ASN lookups; legacy free plan 50,000 requests/month',
  },
  priority: 'medium',
  setupGuide: [
    'Sign up at https://ipinfo.io/signup (the Lite plan is free).',
    'Open https://ipinfo.io/account/token and copy your access token.',
    'Paste it into "Access token".',
    'Choose the API: "lite" for the free Lite plan, "core" for the legacy free plan or a paid plan (adds city, hostname and privacy flags).',
    'Run Test: it looks up 8.8.8.8 and shows the country and ASN it resolved.',
  ],
  docsUrl: 'https://ipinfo.io/developers',
  supports: GEO_IP_TYPES,
};

const errorSchema = z.looseObject({
  error: z.union([
    z.string(),
    z.looseObject({ title: z.string().optional(), message: z.string().optional() }),
  ]),
});

const coreSchema = z.looseObject({
  ip: z.string(),
  hostname: z.string().optional(),
  city: z.string().optional(),
  region: z.string().optional(),
  country: z.string().optional(),
  loc: z.string().optional(),
  org: z.string().optional(),
  timezone: z.string().optional(),
  anycast: z.boolean().optional(),
  bogon: z.boolean().optional(),
  asn: z
    .looseObject({
      asn: z.string().optional(),
      name: z.string().optional(),
      domain: z.string().optional(),
      type: z.string().optional(),
    })
    .optional(),
  company: z.looseObject({ name: z.string().optional() }).optional(),
  privacy: z
    .looseObject({
      vpn: z.boolean().optional(),
      proxy: z.boolean().optional(),
      tor: z.boolean().optional(),
      relay: z.boolean().optional(),
      hosting: z.boolean().optional(),
      service: z.string().optional(),
    })
    .optional(),
});

const liteSchema = z.looseObject({
  ip: z.string(),
  bogon: z.boolean().optional(),
  asn: z.string().optional(),
  as_name: z.string().optional(),
  as_domain: z.string().optional(),
  country_code: z.string().optional(),
  country: z.string().optional(),
  continent: z.string().optional(),
});

type Plan = 'lite' | 'core';

function planOf(ctx: AdapterContext): Plan {
  return ctx.settings.plan === 'core' ? 'core' : 'lite';
}

function providerMessage(body: unknown): string | undefined {
  const parsed = errorSchema.safeParse(body);
  if (!parsed.success) return undefined;
  const { error } = parsed.data;
  return typeof error === 'string' ? error : [error.title, error.message].filter(Boolean).join(': ');
}

function bodyOf(response: { body: Buffer }): unknown {
  try {
    return JSON.parse(response.body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** A 429 without `Retry-After` is the plan's quota; a 200 with `error` is a refused request. */
function classify(response: OutboundResponse): OutboundError | undefined {
  const details = { status: response.status, attempts: response.attempts };
  if (response.status === 429 && response.headers['retry-after'] === undefined) {
    return new QuotaExhaustedError('IPinfo request quota for this token is used up', details);
  }
  if (response.status !== 200) return undefined;
  const message = providerMessage(bodyOf(response));
  if (message === undefined) return undefined;
  if (/token|auth/i.test(message))
    return new OutboundAuthError(`IPinfo refused the token: ${message}`, details);
  return new OutboundBadRequestError(`IPinfo refused the request: ${message}`, details);
}

function invalidBody(response: OutboundResponse): UpstreamError {
  return new UpstreamError('IPinfo answered with an unexpected body', {
    status: response.status,
    attempts: response.attempts,
  });
}

function liteResult(response: OutboundResponse): IntelResult {
  const parsed = liteSchema.safeParse(response.json());
  if (!parsed.success) throw invalidBody(response);
  const body = parsed.data;
  return geoResult(
    {
      provider: 'ipinfo',
      ip: body.ip,
      country: text(body.country),
      countryCode: text(body.country_code),
      asn: parseAsn(body.asn),
      org: text(body.as_name),
      privacy: {},
    },
    { tags: [body.bogon === true && 'bogon'], extra: { asDomain: text(body.as_domain), plan: 'lite' } },
  );
}

function coreResult(response: OutboundResponse): IntelResult {
  const parsed = coreSchema.safeParse(response.json());
  if (!parsed.success) throw invalidBody(response);
  const body = parsed.data;
  const countryCode = text(body.country);
  const privacy = body.privacy ?? {};
  return geoResult(
    {
      provider: 'ipinfo',
      ip: body.ip,
      country: countryName(countryCode),
      countryCode,
      region: text(body.region),
      city: text(body.city),
      ...parseLoc(body.loc),
      asn: parseAsn(body.asn?.asn) ?? parseAsn(body.org),
      org: text(body.company?.name) ?? orgFromAsText(body.org) ?? text(body.asn?.name),
      isp: text(body.asn?.name),
      timezone: text(body.timezone),
      privacy: {
        vpn: flag(privacy.vpn),
        proxy: flag(privacy.proxy),
        tor: flag(privacy.tor),
        relay: flag(privacy.relay),
        hosting: flag(privacy.hosting),
      },
    },
    {
      tags: [body.anycast === true && 'anycast', body.bogon === true && 'bogon'],
      extra: {
        hostname: text(body.hostname),
        anycast: flag(body.anycast),
        asDomain: text(body.asn?.domain),
        privacyService: text(privacy.service),
        plan: 'core',
      },
    },
  );
}

async function lookup(ctx: AdapterContext, indicator: Indicator): Promise<IntelResult> {
  assertSupported(catalog, indicator);
  const local = nonPublicIpResult('ipinfo', indicator);
  if (local) return local;

  const token = ctx.credentials.token?.trim() ?? '';
  const plan = planOf(ctx);
  const url =
    plan === 'lite'
      ? `${ctx.baseUrl ?? LITE_BASE_URL}/lite/${indicator.value}`
      : `${ctx.baseUrl ?? CORE_BASE_URL}/${indicator.value}/json`;
  let response: OutboundResponse;
  try {
    response = await ctx.http.request({
      method: 'GET',
      url,
      headers: { accept: 'application/json', authorization: token === '' ? undefined : `Bearer ${token}` },
      redact: [token],
      classify,
    });
  } catch (error) {
    // IPinfo answers 404 for an address it has no record of: context is simply missing.
    if (error instanceof OutboundNotFoundError) {
      return geoResult(
        { provider: 'ipinfo', ip: indicator.value, privacy: {} },
        { extra: { reason: 'not found', plan } },
      );
    }
    throw error;
  }
  return plan === 'lite' ? liteResult(response) : coreResult(response);
}

/** Looks up 8.8.8.8 with the configured token and API. */
async function test(ctx: AdapterContext): Promise<TestOutcome> {
  if (!ctx.credentials.token?.trim()) {
    return { ok: false, message: 'Add your IPinfo access token (https://ipinfo.io/account/token).' };
  }
  const plan = planOf(ctx);
  try {
    const result = await lookup(ctx, { type: 'ipv4', value: '8.8.8.8' });
    const { countryCode, asn } = result.details;
    return {
      ok: true,
      message: `IPinfo ${plan === 'lite' ? 'Lite' : 'core'} API answered: 8.8.8.8 is in ${String(countryCode ?? 'an unknown country')}, AS${String(asn ?? '?')}.`,
      details: { plan },
    };
  } catch (error) {
    return { ok: false, message: failureMessage(error, plan) };
  }
}

function failureMessage(error: unknown, plan: Plan): string {
  if (error instanceof OutboundAuthError) {
    return 'IPinfo rejected the access token. Copy it again from https://ipinfo.io/account/token.';
  }
  if (error instanceof QuotaExhaustedError) {
    return 'IPinfo says the quota for this token is used up. Wait for the next period or upgrade the plan at https://ipinfo.io/pricing.';
  }
  if (error instanceof OutboundBadRequestError && plan === 'core') {
    return 'IPinfo refused the core API request. If your plan is Lite, set API to "lite".';
  }
  if (error instanceof OutboundError) return `IPinfo could not be reached: ${error.message}`;
  return 'IPinfo test failed unexpectedly.';
}

/** IPinfo as a geolocation intel adapter. */
export const ipinfoAdapter: IntelAdapter = { kind: 'intel', catalog, lookup, test };
