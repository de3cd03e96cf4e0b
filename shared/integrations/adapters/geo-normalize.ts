import { BadRequestError } from '../../platform/errors';
import { classifyIp } from '../../platform/net/ip-address';
import type { CatalogEntry, Indicator, IntelResult } from '../ports';

/**
 * Shared normalization for the geolocation adapters (IPinfo, ip-api, ipgeolocation.io). They are
 * context, not reputation (providers-intel.md §0.1 rule 4): the result is `unknown` with score and
 * confidence 0, and every provider's answer lands in one `details` shape so enrichment views, rules
 * and playbook templates read `details.countryCode` or `details.privacy.vpn` whichever provider
 * answered.
 */

/**
 * Anonymity and network-type flags as the provider reported them. A flag is absent when the provider
 * (or the plan) does not report it: absence is "not known", never `false`.
 */
export interface PrivacyFlags {
  vpn?: boolean;
  proxy?: boolean;
  tor?: boolean;
  relay?: boolean;
  hosting?: boolean;
  mobile?: boolean;
  anonymous?: boolean;
}

/** The common `details` of every geolocation result; fields the provider did not return are omitted. */
export interface GeoDetails {
  provider: string;
  ip?: string;
  country?: string;
  countryCode?: string;
  region?: string;
  city?: string;
  lat?: number;
  lon?: number;
  /** Autonomous system number without the `AS` prefix. */
  asn?: number;
  org?: string;
  isp?: string;
  /** IANA zone name, e.g. `America/Los_Angeles`. */
  timezone?: string;
  privacy: PrivacyFlags;
}

/** Tag emitted for each privacy flag that is true, in a stable order. */
const PRIVACY_TAGS: readonly (keyof PrivacyFlags)[] = [
  'vpn',
  'proxy',
  'tor',
  'relay',
  'hosting',
  'mobile',
  'anonymous',
];

/** Geolocation lookups are IP lookups; ip-api also resolves host names. */
export const GEO_IP_TYPES = ['ipv4', 'ipv6'] as const;

/** A trimmed non-empty string, or undefined. */
export function text(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** A boolean, or undefined for anything else (providers send `""` or omit fields they lack). */
export function flag(value: unknown): boolean | undefined {
  return typeof value === 'boolean' ? value : undefined;
}

/** A coordinate from a number or a numeric string (ipgeolocation sends strings), within ±limit. */
export function coordinate(value: unknown, limit: 90 | 180): number | undefined {
  const number = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
  if (typeof value === 'string' && value.trim() === '') return undefined;
  return Number.isFinite(number) && Math.abs(number) <= limit ? number : undefined;
}

const regionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });

/** The English name of an ISO 3166-1 alpha-2 code, for providers that send only the code. */
export function countryName(code: string | undefined): string | undefined {
  if (code === undefined || !/^[A-Za-z]{2}$/.test(code)) return undefined;
  try {
    return regionNames.of(code.toUpperCase());
  } catch {
    return undefined;
  }
}

/** `"37.4056,-122.0775"` (IPinfo's `loc`) as latitude and longitude. */
export function parseLoc(value: unknown): { lat?: number; lon?: number } {
  const raw = text(value);
  if (raw === undefined) return {};
  const [lat, lon] = raw.split(',');
  return { lat: coordinate(lat, 90), lon: coordinate(lon, 180) };
}

/** The number of `"AS15169"`, `"AS15169 Google LLC"`, `"15169"` or `15169`. */
export function parseAsn(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value > 0 ? value : undefined;
  const match = text(value)?.match(/^(?:AS)?(\d{1,10})(?:\s|$)/i);
  if (!match?.[1]) return undefined;
  const asn = Number(match[1]);
  return asn > 0 && asn <= 4_294_967_295 ? asn : undefined;
}

/** The organisation part of `"AS15169 Google LLC"`, or the text itself when it has no AS prefix. */
export function orgFromAsText(value: unknown): string | undefined {
  const raw = text(value);
  if (raw === undefined) return undefined;
  const match = raw.match(/^AS\d+\s+(.+)$/i);
  if (match?.[1]) return match[1].trim();
  return /^AS\d+$/i.test(raw) ? undefined : raw;
}

function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Builds the common details, dropping fields the provider did not return. */
export function geoDetails(fields: GeoDetails): GeoDetails {
  const countryCode = fields.countryCode?.toUpperCase();
  return compact({ ...fields, countryCode, privacy: compact(fields.privacy) });
}

/** Lower-case, de-duplicated tags for the privacy flags that are true plus any provider-specific ones. */
export function geoTags(
  privacy: PrivacyFlags,
  extra: readonly (string | false | undefined)[] = [],
): string[] {
  const tags = PRIVACY_TAGS.filter((name) => privacy[name] === true).map(String);
  for (const tag of extra) if (tag) tags.push(tag.toLowerCase());
  return [...new Set(tags)];
}

/**
 * The context result of a geolocation lookup: `unknown`, score 0, confidence 0. `extra` holds the
 * few provider-specific keys worth keeping (hostname, anycast, a failure reason); it never overrides
 * the common keys.
 */
export function geoResult(
  details: GeoDetails,
  options: { tags?: readonly (string | false | undefined)[]; extra?: Record<string, unknown> } = {},
): IntelResult {
  const common = geoDetails(details);
  return {
    verdict: 'unknown',
    score: 0,
    confidence: 0,
    tags: geoTags(common.privacy, options.tags),
    details: { ...compact(options.extra ?? {}), ...common },
  };
}

/**
 * Refuses indicator types the adapter's catalog does not list: the platform filters on
 * `catalog.supports`, so reaching this is a programming error and nothing may be sent.
 */
export function assertSupported(catalog: CatalogEntry, indicator: Indicator): void {
  if (!catalog.supports?.includes(indicator.type)) {
    throw new BadRequestError(
      `${catalog.displayName} does not look up ${indicator.type} indicators.`,
      'indicator_not_supported',
    );
  }
}

/**
 * The local answer for a private, loopback, reserved or otherwise non-public IP: those are never
 * sent to a third party (they leak internal topology and the providers only answer "private range"
 * or `bogon`), so this costs no quota. Undefined for a public IP or a host name.
 */
export function nonPublicIpResult(provider: string, indicator: Indicator): IntelResult | undefined {
  if (indicator.type !== 'ipv4' && indicator.type !== 'ipv6') return undefined;
  const classified = classifyIp(indicator.value);
  if (classified === undefined) {
    throw new BadRequestError(`"${indicator.value}" is not a valid IP address.`, 'invalid_indicator');
  }
  if (classified.range === 'public') return undefined;
  return geoResult(
    { provider, ip: classified.canonical, privacy: {} },
    {
      tags: ['bogon', classified.range === 'private' ? 'private' : undefined],
      extra: { reason: classified.range },
    },
  );
}
