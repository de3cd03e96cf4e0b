import * as z from 'zod';
import {
  type OutboundError,
  OutboundNotFoundError,
  OutboundRateLimitedError,
  UpstreamError,
} from '../http/errors';
import type { OutboundResponse } from '../http/outbound';
import type { AdapterContext, CatalogEntry, IntelAdapter, IntelResult } from '../ports';
import {
  assertSupported,
  baseUrl,
  finalizeResult,
  nonPublicIpResult,
  parseBody,
  requireSecret,
  testFailure,
  tryJson,
  unknownResult,
} from './intel-normalize';

/**
 * Shodan host lookup (`GET /shodan/host/{ip}`): open ports, services, known vulnerabilities and
 * host tags. This is exposure context, not reputation, so the verdict stays `unknown` unless
 * Shodan's own tags mark the host as malware/C2 or as compromised/honeypot/scanner/Tor
 * (providers-intel.md §7). Host lookups cost no query credits; the API allows ~1 request/s.
 */

const ORIGIN = 'https://api.shodan.io';
const PROVIDER = 'Shodan';
const MAX_VULNS = 20;
const MAX_PORT_TAGS = 10;
const MALICIOUS_TAGS = new Set(['malware', 'c2']);
const SUSPICIOUS_TAGS = new Set(['compromised', 'honeypot', 'scanner', 'tor']);

const hostSchema = z.object({
  ip_str: z.string(),
  ports: z.array(z.number()).default([]),
  hostnames: z.array(z.string()).nullish(),
  domains: z.array(z.string()).nullish(),
  org: z.string().nullish(),
  isp: z.string().nullish(),
  asn: z.string().nullish(),
  os: z.string().nullish(),
  country_code: z.string().nullish(),
  last_update: z.string().nullish(),
  tags: z.array(z.string()).nullish(),
  vulns: z.array(z.string()).nullish(),
});
type Host = z.output<typeof hostSchema>;

const apiInfoSchema = z.object({
  plan: z.string().nullish(),
  query_credits: z.number().nullish(),
  scan_credits: z.number().nullish(),
});

const errorSchema = z.object({ error: z.string() });

/** Shodan's 1 request/s throttle (429, or an `error` naming the request rate) needs only a second's wait. */
function classify(response: OutboundResponse): OutboundError | undefined {
  const parsed = errorSchema.safeParse(tryJson(response.body));
  const message = parsed.success ? parsed.data.error : '';
  if (response.status === 429 || /request rate|rate limit/i.test(message)) {
    return new OutboundRateLimitedError(`${PROVIDER} is throttling requests (1 per second).`, 1, {
      status: response.status,
    });
  }
  if (response.status >= 200 && response.status < 300 && parsed.success) {
    return new UpstreamError(`${PROVIDER} answered with an error body.`, { status: response.status });
  }
  return undefined;
}

async function get(ctx: AdapterContext, path: string, query: Record<string, string | boolean> = {}) {
  const key = requireSecret(ctx, 'apiKey', PROVIDER);
  return ctx.http.request({
    method: 'GET',
    url: `${baseUrl(ctx, ORIGIN)}${path}`,
    query: { key, ...query },
    headers: { accept: 'application/json' },
    redact: [key],
    classify,
  });
}

/** Maps a host record per the reference's exposure mapping. */
export function mapShodan(host: Host): IntelResult {
  const hostTags = (host.tags ?? []).map((tag) => tag.toLowerCase());
  const vulns = host.vulns ?? [];
  const details = {
    ports: host.ports,
    vulns: vulns.slice(0, MAX_VULNS),
    vulnCount: vulns.length,
    org: host.org ?? undefined,
    isp: host.isp ?? undefined,
    asn: host.asn ?? undefined,
    os: host.os ?? undefined,
    countryCode: host.country_code ?? undefined,
    lastUpdate: host.last_update ?? undefined,
    hostnames: host.hostnames ?? [],
  };
  const tags = [
    ...hostTags,
    vulns.length > 0 && 'has-vulns',
    ...host.ports.slice(0, MAX_PORT_TAGS).map((port) => `port:${port}`),
  ];
  if (hostTags.some((tag) => MALICIOUS_TAGS.has(tag))) {
    return finalizeResult({ verdict: 'malicious', score: 80, confidence: 60, tags, details });
  }
  if (hostTags.some((tag) => SUSPICIOUS_TAGS.has(tag))) {
    return finalizeResult({ verdict: 'suspicious', score: 40, confidence: 50, tags, details });
  }
  return unknownResult(details, 30, tags);
}

const catalog: CatalogEntry = {
  name: 'shodan',
  displayName: PROVIDER,
  category: 'threat-intel',
  description:
    'Internet exposure of an IP: open ports, services, known CVEs and host tags (context rather than reputation).',
  fields: [{ name: 'apiKey', label: 'API key', type: 'secret', required: true }],
  freeTier: { perSecond: 1, summary: 'About 1 request/s; host lookups use no query credits' },
  priority: 'medium',
  setupGuide: [
    'Create a Shodan account at https://account.shodan.io/register.',
    'Sign in and open https://account.shodan.io to see your API key.',
    'Copy the API key (click "Show" if it is hidden).',
    'Paste it into the API key field here, save, and press Test.',
  ],
  docsUrl: 'https://developer.shodan.io/api',
  supports: ['ipv4', 'ipv6'],
};

/** Shodan host lookups as an intel adapter; hosts Shodan has not indexed are `unknown`. */
export const shodanAdapter: IntelAdapter = {
  kind: 'intel',
  catalog,
  async lookup(ctx, indicator) {
    assertSupported(catalog, indicator);
    const skipped = nonPublicIpResult(indicator);
    if (skipped) return skipped;
    try {
      // minify drops the per-port banners: the summary, ports, tags and vulns are all the mapping needs.
      const response = await get(ctx, `/shodan/host/${encodeURIComponent(indicator.value)}`, {
        minify: true,
      });
      return mapShodan(parseBody(response, hostSchema, PROVIDER));
    } catch (error) {
      if (error instanceof OutboundNotFoundError) return unknownResult({ indexed: false }, 10);
      throw error;
    }
  },
  async test(ctx) {
    try {
      const info = parseBody(await get(ctx, '/api-info'), apiInfoSchema, PROVIDER);
      const credits = info.query_credits ?? 0;
      return {
        ok: true,
        message: `${PROVIDER} accepted the key (plan ${info.plan ?? 'unknown'}, ${credits} query credits left; host lookups need none).`,
        details: {
          plan: info.plan ?? undefined,
          queryCredits: credits,
          scanCredits: info.scan_credits ?? undefined,
        },
      };
    } catch (error) {
      return testFailure(PROVIDER, error, {
        auth: 'Copy the key shown at https://account.shodan.io and save it again.',
      });
    }
  },
};
