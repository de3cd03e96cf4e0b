import * as z from 'zod';
import { OutboundNotFoundError } from '../http/errors';
import type {
  AdapterContext,
  CatalogEntry,
  Indicator,
  IndicatorType,
  IntelAdapter,
  IntelResult,
} from '../ports';
import {
  ageInDays,
  assertSupported,
  baseUrl,
  clamp,
  finalizeResult,
  nonPublicIpResult,
  parseBody,
  parseTimestamp,
  requireSecret,
  testFailure,
  unknownResult,
} from './intel-normalize';

/**
 * AlienVault OTX (DirectConnect API v1, `general` section): community "pulses" that mention an
 * indicator. The number of pulses, named malware families and adversaries drive the verdict;
 * whitelist validations are OTX vouching for the indicator (providers-intel.md §3).
 */

const ORIGIN = 'https://otx.alienvault.com';
const PROVIDER = 'AlienVault OTX';
const MAX_PULSES_IN_DETAILS = 10;

const TYPE_SLUGS: Partial<Record<IndicatorType, string>> = {
  ipv4: 'IPv4',
  ipv6: 'IPv6',
  domain: 'domain',
  url: 'url',
  md5: 'file',
  sha1: 'file',
  sha256: 'file',
  cve: 'cve',
};

/** Current responses use objects for families and ATT&CK ids, old ones plain strings: accept both. */
const named = z.union([
  z.string(),
  z.object({ id: z.string().nullish(), display_name: z.string().nullish(), name: z.string().nullish() }),
]);

const pulseSchema = z.object({
  id: z.string(),
  name: z.string(),
  modified: z.string().nullish(),
  created: z.string().nullish(),
  TLP: z.string().nullish(),
  tags: z.array(z.string()).nullish(),
  adversary: z.string().nullish(),
  malware_families: z.array(named).nullish(),
  attack_ids: z.array(named).nullish(),
});

const familiesSchema = z.object({ malware_families: z.array(z.string()).nullish() }).nullish();

const generalSchema = z.object({
  indicator: z.string(),
  type: z.string().nullish(),
  pulse_info: z
    .object({
      count: z.number(),
      pulses: z.array(pulseSchema).default([]),
      references: z.array(z.string()).nullish(),
      related: z.object({ alienvault: familiesSchema, other: familiesSchema }).nullish(),
    })
    .nullish(),
  validation: z.array(z.object({ source: z.string().nullish(), name: z.string().nullish() })).nullish(),
  false_positive: z.array(z.unknown()).nullish(),
  asn: z.string().nullish(),
  country_code: z.string().nullish(),
});
type General = z.output<typeof generalSchema>;

/**
 * The value as a path segment. OTX takes it raw (the official SDK does not encode it); characters
 * that would end the path (`?`, `#`) or break it (`%`, spaces, non-ASCII) are percent-encoded.
 */
function pathValue(value: string): string {
  return encodeURI(value).replace(/\?/g, '%3F').replace(/#/g, '%23');
}

async function fetchGeneral(ctx: AdapterContext, indicator: Indicator): Promise<General> {
  const key = requireSecret(ctx, 'apiKey', PROVIDER);
  const slug = TYPE_SLUGS[indicator.type];
  const response = await ctx.http.request({
    method: 'GET',
    url: `${baseUrl(ctx, ORIGIN)}/api/v1/indicators/${slug}/${pathValue(indicator.value)}/general`,
    headers: { 'x-otx-api-key': key, accept: 'application/json' },
    redact: [key],
  });
  return parseBody(response, generalSchema, PROVIDER);
}

const label = (item: z.output<typeof named>): string | undefined =>
  typeof item === 'string' ? item : (item.display_name ?? item.name ?? item.id ?? undefined);

/** Maps a `general` section per the reference's recommended mapping. */
export function mapOtx(general: General, nowMs: number): IntelResult {
  const info = general.pulse_info;
  const pulses = info?.pulses ?? [];
  const count = info?.count ?? 0;
  const families = [
    ...pulses.flatMap((pulse) => (pulse.malware_families ?? []).map(label)),
    ...(info?.related?.alienvault?.malware_families ?? []),
    ...(info?.related?.other?.malware_families ?? []),
  ].filter((name): name is string => Boolean(name));
  const adversaries = pulses
    .map((pulse) => pulse.adversary?.trim())
    .filter((name): name is string => Boolean(name));
  const attackIds = pulses.flatMap((pulse) =>
    (pulse.attack_ids ?? []).map((item) => (typeof item === 'string' ? item : (item.id ?? undefined))),
  );
  const details = {
    pulseCount: count,
    pulses: pulses.slice(0, MAX_PULSES_IN_DETAILS).map((pulse) => ({
      id: pulse.id,
      name: pulse.name,
      modified: pulse.modified ?? undefined,
      tlp: pulse.TLP ?? undefined,
    })),
    references: (info?.references ?? []).slice(0, MAX_PULSES_IN_DETAILS),
    malwareFamilies: [...new Set(families)],
    adversaries: [...new Set(adversaries)],
    asn: general.asn ?? undefined,
    countryCode: general.country_code ?? undefined,
  };

  const validations = general.validation ?? [];
  if (validations.length > 0 || (general.false_positive ?? []).length > 0) {
    return finalizeResult({
      verdict: 'benign',
      score: 0,
      confidence: 70,
      tags: ['whitelisted', ...validations.map((entry) => entry.name)],
      details,
    });
  }
  if (count === 0) return unknownResult(details, 20);

  const newestMs = Math.max(...pulses.map((pulse) => parseTimestamp(pulse.modified) ?? 0));
  const age = ageInDays(newestMs > 0 ? newestMs : undefined, nowMs);
  const stale = age !== undefined && age > 365 ? 20 : 0;
  const malicious = count >= 3 || families.length > 0 || adversaries.length > 0;
  return finalizeResult({
    verdict: malicious ? 'malicious' : 'suspicious',
    score: clamp(30 + 10 * count, 30, 95),
    confidence: clamp(40 + 5 * count, 40, 90) - stale,
    tags: [...families, ...adversaries, ...attackIds, ...pulses.flatMap((pulse) => pulse.tags ?? [])],
    details,
  });
}

const catalog: CatalogEntry = {
  name: 'otx',
  displayName: PROVIDER,
  category: 'threat-intel',
  description:
    'Community threat pulses from AlienVault Open Threat Exchange for IPs, domains, URLs, file hashes and CVEs.',
  fields: [{ name: 'apiKey', label: 'OTX API key', type: 'secret', required: true }],
  freeTier: {
    perSecond: 1,
    summary: 'Free; no published limit (sustained polling gets 429s), keep to about 1 request/s',
  },
  priority: 'medium',
  setupGuide: [
    'Create a free account at https://otx.alienvault.com (Sign Up) and confirm your email address.',
    'Open Settings (https://otx.alienvault.com/settings) and find "OTX Key" under API Integration.',
    'Copy the key.',
    'Paste it into the OTX API key field here, save, and press Test.',
  ],
  docsUrl: 'https://otx.alienvault.com/api',
  supports: ['ipv4', 'ipv6', 'domain', 'url', 'md5', 'sha1', 'sha256', 'cve'],
};

/** AlienVault OTX as an intel adapter; indicators in no pulse are `unknown`. */
export const otxAdapter: IntelAdapter = {
  kind: 'intel',
  catalog,
  async lookup(ctx, indicator) {
    assertSupported(catalog, indicator);
    const skipped = nonPublicIpResult(indicator);
    if (skipped) return skipped;
    try {
      return mapOtx(await fetchGeneral(ctx, indicator), ctx.now());
    } catch (error) {
      // OTX answers 404 for indicators it has no record of.
      if (error instanceof OutboundNotFoundError) return unknownResult({ pulseCount: 0, found: false }, 10);
      throw error;
    }
  },
  async test(ctx) {
    try {
      const general = await fetchGeneral(ctx, { type: 'ipv4', value: '8.8.8.8' });
      return {
        ok: true,
        message: `${PROVIDER} accepted the key (8.8.8.8 appears in ${general.pulse_info?.count ?? 0} pulses).`,
      };
    } catch (error) {
      return testFailure(PROVIDER, error, {
        auth: 'Copy the OTX key from https://otx.alienvault.com/settings and save it again.',
      });
    }
  },
};
