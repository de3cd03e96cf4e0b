import { createHash } from 'node:crypto';
import { isIP } from 'node:net';

/**
 * The one set of geolocation facts behind the IPinfo, ip-api and ipgeolocation.io fakes, so the
 * three providers agree about an address in a sandbox demo. A few real-world addresses carry fixed
 * answers (Google and Cloudflare DNS, a Tor exit, ip-api's documentation example); any other public
 * address gets a synthetic but deterministic answer picked from a hash of its text, so repeated
 * demos show the same varied results.
 */
export interface GeoFixture {
  ip: string;
  hostname?: string;
  continent: string;
  continentCode: string;
  country: string;
  countryCode: string;
  countryCode3: string;
  region: string;
  regionCode: string;
  city: string;
  zip: string;
  lat: number;
  lon: number;
  timezone: string;
  asn: number;
  asName: string;
  asDomain: string;
  org: string;
  isp: string;
  anycast: boolean;
  vpn: boolean;
  proxy: boolean;
  tor: boolean;
  relay: boolean;
  hosting: boolean;
  mobile: boolean;
  /** ipgeolocation's security module. */
  threatScore: number;
  knownAttacker: boolean;
  spam: boolean;
  bot: boolean;
  cloudProvider: string;
}

const base = {
  anycast: false,
  vpn: false,
  proxy: false,
  tor: false,
  relay: false,
  hosting: false,
  mobile: false,
  threatScore: 0,
  knownAttacker: false,
  spam: false,
  bot: false,
  cloudProvider: '',
};

const usa = { continent: 'North America', continentCode: 'NA', country: 'United States', countryCode: 'US' };

const FIXED: Readonly<Record<string, GeoFixture>> = {
  '8.8.8.8': {
    ...base,
    ...usa,
    ip: '8.8.8.8',
    hostname: 'dns.google',
    countryCode3: 'USA',
    region: 'California',
    regionCode: 'CA',
    city: 'Mountain View',
    zip: '94043',
    lat: 37.4056,
    lon: -122.0775,
    timezone: 'America/Los_Angeles',
    asn: 15169,
    asName: 'Google LLC',
    asDomain: 'google.com',
    org: 'Google Public DNS',
    isp: 'Google LLC',
    anycast: true,
    hosting: true,
    cloudProvider: 'Google Cloud',
    threatScore: 0,
  },
  '1.1.1.1': {
    ...base,
    ip: '1.1.1.1',
    hostname: 'one.one.one.one',
    continent: 'Oceania',
    continentCode: 'OC',
    country: 'Australia',
    countryCode: 'AU',
    countryCode3: 'AUS',
    region: 'Queensland',
    regionCode: 'QLD',
    city: 'Brisbane',
    zip: '4000',
    lat: -27.4679,
    lon: 153.0281,
    timezone: 'Australia/Brisbane',
    asn: 13335,
    asName: 'Cloudflare, Inc.',
    asDomain: 'cloudflare.com',
    org: 'APNIC and Cloudflare DNS Resolver project',
    isp: 'Cloudflare, Inc',
    anycast: true,
    hosting: true,
  },
  '185.220.101.34': {
    ...base,
    ip: '185.220.101.34',
    hostname: 'tor-exit-34.for-privacy.net',
    continent: 'Europe',
    continentCode: 'EU',
    country: 'Germany',
    countryCode: 'DE',
    countryCode3: 'DEU',
    region: 'Brandenburg',
    regionCode: 'BB',
    city: 'Brandenburg',
    zip: '14776',
    lat: 52.4125,
    lon: 12.5316,
    timezone: 'Europe/Berlin',
    asn: 60729,
    asName: 'Stiftung Erneuerbare Freiheit',
    asDomain: 'for-privacy.net',
    org: 'Stiftung Erneuerbare Freiheit',
    isp: 'Stiftung Erneuerbare Freiheit',
    tor: true,
    proxy: true,
    hosting: true,
    threatScore: 95,
    knownAttacker: true,
    bot: true,
  },
  '24.48.0.1': {
    ...base,
    ip: '24.48.0.1',
    hostname: 'modemcable001.0-48-24.mc.videotron.ca',
    continent: 'North America',
    continentCode: 'NA',
    country: 'Canada',
    countryCode: 'CA',
    countryCode3: 'CAN',
    region: 'Quebec',
    regionCode: 'QC',
    city: 'Montreal',
    zip: 'H1K',
    lat: 45.6085,
    lon: -73.5493,
    timezone: 'America/Toronto',
    asn: 5769,
    asName: 'Videotron Telecom Ltee',
    asDomain: 'videotron.com',
    org: 'Videotron Ltee',
    isp: 'Le Groupe Videotron Ltee',
  },
};

/** Host names the fakes resolve (ip-api accepts a domain as its query). */
export const FIXTURE_HOSTS: Readonly<Record<string, string>> = {
  'dns.google': '8.8.8.8',
  'one.one.one.one': '1.1.1.1',
};

const PLACES = [
  {
    continent: 'Europe',
    continentCode: 'EU',
    country: 'Netherlands',
    countryCode: 'NL',
    countryCode3: 'NLD',
    region: 'North Holland',
    regionCode: 'NH',
    city: 'Amsterdam',
    zip: '1012',
    lat: 52.3676,
    lon: 4.9041,
    timezone: 'Europe/Amsterdam',
    asn: 14061,
    asName: 'DigitalOcean, LLC',
    asDomain: 'digitalocean.com',
    hosting: true,
    cloudProvider: 'DigitalOcean',
  },
  {
    continent: 'Asia',
    continentCode: 'AS',
    country: 'Japan',
    countryCode: 'JP',
    countryCode3: 'JPN',
    region: 'Tokyo',
    regionCode: '13',
    city: 'Tokyo',
    zip: '100-0001',
    lat: 35.6895,
    lon: 139.6917,
    timezone: 'Asia/Tokyo',
    asn: 2516,
    asName: 'KDDI Corporation',
    asDomain: 'kddi.com',
    hosting: false,
    cloudProvider: '',
  },
  {
    continent: 'South America',
    continentCode: 'SA',
    country: 'Brazil',
    countryCode: 'BR',
    countryCode3: 'BRA',
    region: 'Sao Paulo',
    regionCode: 'SP',
    city: 'São Paulo',
    zip: '01000-000',
    lat: -23.5505,
    lon: -46.6333,
    timezone: 'America/Sao_Paulo',
    asn: 28573,
    asName: 'Claro NXT Telecomunicacoes Ltda',
    asDomain: 'claro.com.br',
    hosting: false,
    cloudProvider: '',
  },
  {
    continent: 'North America',
    continentCode: 'NA',
    country: 'United States',
    countryCode: 'US',
    countryCode3: 'USA',
    region: 'Virginia',
    regionCode: 'VA',
    city: 'Ashburn',
    zip: '20149',
    lat: 39.0438,
    lon: -77.4874,
    timezone: 'America/New_York',
    asn: 16509,
    asName: 'Amazon.com, Inc.',
    asDomain: 'amazon.com',
    hosting: true,
    cloudProvider: 'Amazon AWS',
  },
  {
    continent: 'Europe',
    continentCode: 'EU',
    country: 'Russia',
    countryCode: 'RU',
    countryCode3: 'RUS',
    region: 'Moscow',
    regionCode: 'MOW',
    city: 'Moscow',
    zip: '101000',
    lat: 55.7558,
    lon: 37.6173,
    timezone: 'Europe/Moscow',
    asn: 9009,
    asName: 'M247 Europe SRL',
    asDomain: 'm247.com',
    hosting: true,
    cloudProvider: '',
  },
] as const;

/**
 * The answer for a public address: a fixed fixture, or a synthetic one derived from a hash of the
 * address. The hash's bytes pick the place and set the VPN/proxy/mobile flags and threat score.
 */
export function geoFixture(ip: string): GeoFixture {
  const fixed = FIXED[ip];
  if (fixed) return fixed;
  const digest = createHash('sha256').update(ip).digest();
  const byte = (index: number) => digest[index] ?? 0;
  const place = PLACES[byte(0) % PLACES.length] ?? PLACES[0];
  const vpn = byte(1) % 5 === 0;
  const proxy = vpn || byte(2) % 7 === 0;
  const threatScore = proxy ? 40 + (byte(3) % 50) : byte(3) % 25;
  return {
    ...base,
    ...place,
    ip,
    org: place.asName,
    isp: place.asName,
    vpn,
    proxy,
    mobile: !place.hosting && byte(4) % 3 === 0,
    threatScore,
    knownAttacker: threatScore >= 80,
    spam: proxy && byte(5) % 2 === 0,
  };
}

/**
 * Why a fake geolocation service would refuse an address as private or reserved. A coarse check
 * (the fakes only need to answer like the service for the common ranges), undefined when public.
 */
export function nonPublicRange(ip: string): 'private' | 'reserved' | undefined {
  const version = isIP(ip);
  if (version === 4) {
    const [a = 0, b = 0] = ip.split('.').map(Number);
    if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private';
    if (a === 0 || a === 127 || a >= 224 || (a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127))
      return 'reserved';
    return undefined;
  }
  if (version === 6) {
    const lower = ip.toLowerCase();
    if (/^f[cd]/.test(lower)) return 'private';
    if (lower === '::1' || lower === '::' || /^fe[89ab]/.test(lower) || /^ff/.test(lower)) return 'reserved';
    return undefined;
  }
  return undefined;
}
