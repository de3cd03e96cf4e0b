import { isIP } from 'node:net';
import type { FakeHandler, FakeReply, FakeRequest } from '../fake-http';
import { type GeoFixture, geoFixture, nonPublicRange } from './geo-fixtures';

/**
 * ipgeolocation.io API v2 in its wire format: `GET /v2/ipgeo?apiKey=…&ip=…[&include=security]`,
 * errors as `{ "message": "…" }`. Conventions:
 * - no `apiKey` → 401 asking for a key; `invalid-key` → 401 "not valid";
 * - a key starting with `free-` asking for `include=security` → 401 (paid feature on a free key);
 * - the address in the path (`/v2/ipgeo/8.8.8.8`) → 404, as on the real service;
 * - an invalid address → 400; a private or reserved one → 423 (bogon);
 * - more than `dailyLimit` requests → 429 (daily quota, no rate-limit headers).
 * Known addresses answer from the shared geo fixtures; any other public address gets a deterministic
 * synthetic answer, including a threat score, derived from a hash of its text.
 */
export interface FakeIpgeolocationOptions {
  dailyLimit?: number;
}

export function fakeIpgeolocation(options: FakeIpgeolocationOptions = {}): FakeHandler {
  const limit = options.dailyLimit ?? 1_000;
  let used = 0;

  return (request: FakeRequest): FakeReply => {
    const key = request.query.get('apiKey') ?? '';
    if (key === '') {
      return message(
        401,
        "Please provide an API key (request parameter 'apiKey') to use the IP Geolocation API.",
      );
    }
    if (key === 'invalid-key')
      return message(401, 'Provided API key is not valid. Contact technical support.');
    if (request.method !== 'GET') return message(405, 'Method not allowed.');
    if (request.path !== '/v2/ipgeo') return message(404, 'The requested endpoint does not exist.');
    const include = (request.query.get('include') ?? '').split(',');
    const security = include.includes('security');
    if (security && key.startsWith('free-')) {
      return message(401, "The 'security' module is not available on your subscription plan.");
    }
    used += 1;
    if (used > limit) return message(429, 'You have exceeded your daily request limit. Upgrade your plan.');

    const ip = request.query.get('ip') ?? '8.8.8.8';
    if (isIP(ip) === 0) return message(400, `'${ip}' is not a valid IP address or domain name.`);
    if (nonPublicRange(ip)) return message(423, `'${ip}' is a bogon IP address.`);
    return { status: 200, body: responseBody(geoFixture(ip), security) };
  };
}

function message(status: number, text: string): FakeReply {
  return { status, body: { message: text } };
}

function responseBody(fixture: GeoFixture, security: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = {
    ip: fixture.ip,
    location: {
      continent_code: fixture.continentCode,
      continent_name: fixture.continent,
      country_code2: fixture.countryCode,
      country_code3: fixture.countryCode3,
      country_name: fixture.country,
      state_prov: fixture.region,
      state_code: `${fixture.countryCode}-${fixture.regionCode}`,
      city: fixture.city,
      zipcode: fixture.zip,
      latitude: fixture.lat.toFixed(5),
      longitude: fixture.lon.toFixed(5),
      is_eu: ['DE', 'NL'].includes(fixture.countryCode),
    },
    network: {
      asn: { as_number: `AS${fixture.asn}`, organization: fixture.asName, country: fixture.countryCode },
      connection_type: '',
      company: { name: fixture.org },
    },
    currency: { code: 'USD', name: 'US Dollar', symbol: '$' },
  };
  if (!security) return body;
  return {
    ...body,
    security: {
      threat_score: fixture.threatScore,
      is_tor: fixture.tor,
      is_proxy: fixture.proxy || fixture.vpn,
      proxy_type: fixture.vpn ? 'VPN' : fixture.tor ? 'TOR' : '',
      proxy_provider: '',
      is_anonymous: fixture.tor || fixture.vpn,
      is_known_attacker: fixture.knownAttacker,
      is_spam: fixture.spam,
      is_bot: fixture.bot,
      is_cloud_provider: fixture.cloudProvider !== '',
      cloud_provider: fixture.cloudProvider,
    },
  };
}
