import { isIP } from 'node:net';
import type { FakeHandler, FakeReply } from '../fake-http';
import { demoVerdict, INTEL_FIXTURES } from './intel-fixtures';

/**
 * IPQualityScore fake (providers-intel.md §5): `GET /api/json/ip/{key}/{ip}` and
 * `GET /api/json/url/{key}/{url or domain}`, the key being a path segment. Every answer is HTTP 200,
 * failures included: `{"success":false,"message":…}` for a missing or `invalid-key` key, an
 * invalid indicator, or spent credits (the fake counts 5,000 lookups per instance, the free
 * monthly allowance). Unknown string fields are `"N/A"`, as IPQS sends them.
 *
 * Fixtures: 185.220.101.34 (Tor, fraud score 100), 8.8.8.8 and 1.1.1.1 (clean data-center
 * resolvers), update-flash-player.top and its URL (phishing, risk 100), google.com (clean). Other
 * values are scored from a hash of the value (`demoVerdict`); "no data" is what IPQS answers for an
 * unresolvable name: risk 0 with `dns_valid: false`.
 */

const MONTHLY_CREDITS = 5000;

const requestId = (seed: number) => `demo${seed.toString(36).padStart(6, '0')}`;

const failure = (message: string, seed = 0): FakeReply => ({
  status: 200,
  body: { success: false, message, request_id: requestId(seed) },
});

interface IpFields {
  fraud_score: number;
  country_code: string;
  region: string;
  city: string;
  ISP: string;
  ASN: number;
  organization: string;
  host: string;
  proxy: boolean;
  vpn: boolean;
  tor: boolean;
  active_vpn: boolean;
  active_tor: boolean;
  recent_abuse: boolean;
  bot_status: boolean;
  connection_type: string;
  abuse_velocity: string;
}

const cleanIp = (overrides: Partial<IpFields>): IpFields => ({
  fraud_score: 0,
  country_code: 'US',
  region: 'N/A',
  city: 'N/A',
  ISP: 'N/A',
  ASN: 0,
  organization: 'N/A',
  host: 'N/A',
  proxy: false,
  vpn: false,
  tor: false,
  active_vpn: false,
  active_tor: false,
  recent_abuse: false,
  bot_status: false,
  connection_type: 'Residential',
  abuse_velocity: 'none',
  ...overrides,
});

const IPS: Record<string, IpFields> = {
  [INTEL_FIXTURES.maliciousIp]: cleanIp({
    fraud_score: 100,
    country_code: 'DE',
    region: 'Berlin',
    city: 'Berlin',
    ISP: 'Stiftung Erneuerbare Freiheit',
    ASN: 60729,
    organization: 'Stiftung Erneuerbare Freiheit',
    host: 'tor-exit-34.for-privacy.net',
    proxy: true,
    vpn: true,
    tor: true,
    active_tor: true,
    recent_abuse: true,
    bot_status: true,
    connection_type: 'Data Center',
    abuse_velocity: 'high',
  }),
  [INTEL_FIXTURES.benignIp]: cleanIp({
    region: 'California',
    city: 'Mountain View',
    ISP: 'Google',
    ASN: 15169,
    organization: 'Google',
    host: 'dns.google',
    connection_type: 'Data Center',
  }),
  [INTEL_FIXTURES.benignIp2]: cleanIp({
    country_code: 'AU',
    region: 'Queensland',
    city: 'Brisbane',
    ISP: 'Cloudflare',
    ASN: 13335,
    organization: 'APNIC and Cloudflare DNS Resolver project',
    host: 'one.one.one.one',
    connection_type: 'Data Center',
  }),
};

function derivedIp(ip: string): IpFields {
  const { outcome, level } = demoVerdict(ip);
  const base = { ISP: 'Demo Hosting', ASN: 64500, organization: 'Demo Hosting', country_code: 'NL' };
  switch (outcome) {
    case 'none':
    case 'benign':
      return cleanIp({ ...base, fraud_score: level % 40 });
    case 'suspicious':
      return cleanIp({
        ...base,
        fraud_score: 75 + (level % 13),
        proxy: true,
        connection_type: 'Data Center',
      });
    case 'malicious':
      return cleanIp({
        ...base,
        fraud_score: 88 + (level % 13),
        proxy: true,
        vpn: true,
        recent_abuse: true,
        connection_type: 'Data Center',
        abuse_velocity: 'medium',
      });
  }
}

interface UrlFields {
  unsafe: boolean;
  domain: string;
  ip_address: string;
  dns_valid: boolean;
  parking: boolean;
  spamming: boolean;
  malware: boolean;
  phishing: boolean;
  suspicious: boolean;
  adult: boolean;
  risk_score: number;
  category: string;
  status_code: number;
  domain_rank: number;
}

function urlFields(domain: string, overrides: Partial<UrlFields>): UrlFields {
  return {
    unsafe: false,
    domain,
    ip_address: 'N/A',
    dns_valid: true,
    parking: false,
    spamming: false,
    malware: false,
    phishing: false,
    suspicious: false,
    adult: false,
    risk_score: 0,
    category: 'N/A',
    status_code: 200,
    domain_rank: 0,
    ...overrides,
  };
}

function urlAnswer(target: string): UrlFields {
  const domain = (/^[a-z][a-z0-9+.-]*:\/\/([^/:?#]+)/i.exec(target)?.[1] ?? target).toLowerCase();
  if (domain === INTEL_FIXTURES.maliciousDomain) {
    return urlFields(domain, {
      unsafe: true,
      ip_address: '91.92.240.17',
      phishing: true,
      malware: target === INTEL_FIXTURES.maliciousUrl,
      suspicious: true,
      risk_score: 100,
      category: 'Phishing',
    });
  }
  if (domain === INTEL_FIXTURES.benignDomain) {
    return urlFields(domain, { ip_address: '142.250.186.78', category: 'Search Engines', domain_rank: 1 });
  }
  const { outcome, level } = demoVerdict(target);
  switch (outcome) {
    case 'none':
      return urlFields(domain, { dns_valid: false, status_code: 0 });
    case 'benign':
      return urlFields(domain, { ip_address: '198.51.100.20', risk_score: level % 30, category: 'Business' });
    case 'suspicious':
      return urlFields(domain, {
        ip_address: '198.51.100.21',
        risk_score: 75 + (level % 10),
        suspicious: true,
      });
    case 'malicious':
      return urlFields(domain, {
        unsafe: true,
        ip_address: '198.51.100.22',
        malware: true,
        suspicious: true,
        risk_score: 85 + (level % 16),
        category: 'Malware',
      });
  }
}

/** The IPQualityScore fake handler; one instance counts its own monthly credits. */
export function fakeIpQualityScore(): FakeHandler {
  let used = 0;
  return (request) => {
    const match = /^\/api\/json\/(ip|url)\/([^/]*)\/(.+)$/.exec(request.path);
    if (!match || request.method !== 'GET') return { status: 404, body: 'Not Found' };
    const [, kind, rawKey = '', rawValue = ''] = match;
    const key = decodeURIComponent(rawKey);
    if (key === '' || key === 'invalid-key') {
      return failure('Invalid or unauthorized key. Please check the API key and try again.');
    }
    used += 1;
    if (used > MONTHLY_CREDITS) return failure('You have insufficient credits to make this query.', used);
    const value = decodeURIComponent(rawValue);
    const id = requestId(demoVerdict(value).seed);
    if (kind === 'ip') {
      if (isIP(value) === 0) return failure('Invalid IPv4 address, IPv6 address or hostname.', used);
      const fields = IPS[value] ?? derivedIp(value);
      return {
        status: 200,
        body: {
          success: true,
          message: 'Success',
          ...fields,
          is_crawler: false,
          timezone: 'N/A',
          mobile: false,
          zip_code: 'N/A',
          latitude: 0,
          longitude: 0,
          request_id: id,
        },
      };
    }
    if (!/^([a-z][a-z0-9+.-]*:\/\/)?[a-z0-9.-]+\.[a-z]{2,}/i.test(value)) {
      return failure('Invalid URL or domain provided.', used);
    }
    return {
      status: 200,
      body: {
        success: true,
        message: 'Success',
        ...urlAnswer(value),
        server: 'nginx',
        content_type: 'text/html; charset=UTF-8',
        page_size: 13_045,
        redirected: false,
        country_code: 'US',
        language_code: 'en',
        domain_age: { human: '3 months ago', timestamp: 1_788_000_000, iso: '2026-08-30T10:40:00-04:00' },
        request_id: id,
      },
    };
  };
}

/** A `success:false` answer, for tests and the sandbox to enqueue (quota, auth, bad input). */
export function ipQualityScoreFailure(message: string): FakeReply {
  return failure(message);
}
