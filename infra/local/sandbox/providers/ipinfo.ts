import { isIP } from 'node:net';
import type { FakeHandler, FakeReply, FakeRequest } from '../fake-http';
import { type GeoFixture, geoFixture, nonPublicRange } from './geo-fixtures';

/**
 * IPinfo in its wire format: Lite `GET /lite/{ip}` and core `GET /{ip}` or `/{ip}/json`. The token is
 * read from `Authorization: Bearer` or `?token=`. Conventions:
 * - token `invalid-key` → 403 `{status:403, error:{title, message}}`;
 * - no token → core answers with the data plus `readme: …/missingauth`, Lite answers 403;
 * - a token containing `business` → core answers add the paid `asn`, `company` and `privacy` objects;
 * - private/reserved addresses → `{ip, bogon:true}`; a malformed address → 404 `Wrong ip`;
 * - more than `monthlyLimit` requests → 429 with the quota error body (no `Retry-After`).
 * Known addresses answer from the shared geo fixtures; any other public address gets a deterministic
 * synthetic answer derived from a hash of its text.
 */
export interface FakeIpinfoOptions {
  monthlyLimit?: number;
}

export function fakeIpinfo(options: FakeIpinfoOptions = {}): FakeHandler {
  const limit = options.monthlyLimit ?? 50_000;
  let used = 0;

  return (request: FakeRequest): FakeReply => {
    const authorization = request.headers.authorization;
    const token = authorization?.startsWith('Bearer ')
      ? authorization.slice('Bearer '.length).trim()
      : (request.query.get('token') ?? '');
    const lite = request.path.startsWith('/lite/');
    const match = lite
      ? request.path.match(/^\/lite\/([^/]+)$/)
      : request.path.match(/^\/([^/]+)(?:\/json)?$/);

    if (token === 'invalid-key' || (lite && token === '')) {
      return error(403, 'Unknown token', 'The token is not valid; check it on your account page.');
    }
    if (request.method !== 'GET') return error(405, 'Method not allowed', 'Use GET.');
    used += 1;
    if (used > limit) {
      return error(
        429,
        'Rate limit exceeded',
        'The request quota for this token is used up for this period.',
      );
    }
    const ip = decodeURIComponent(match?.[1] ?? '');
    if (isIP(ip) === 0) return error(404, 'Wrong ip', 'Please provide a valid IP address.');
    if (nonPublicRange(ip)) return { status: 200, body: { ip, bogon: true } };

    const fixture = geoFixture(ip);
    if (lite) return { status: 200, body: liteBody(fixture) };
    const body = coreBody(fixture, token.includes('business'));
    if (token === '') body.readme = 'https://ipinfo.io/missingauth';
    return { status: 200, body };
  };
}

function error(status: number, title: string, message: string): FakeReply {
  return { status, body: { status, error: { title, message } } };
}

function liteBody(fixture: GeoFixture): Record<string, unknown> {
  return {
    ip: fixture.ip,
    asn: `AS${fixture.asn}`,
    as_name: fixture.asName,
    as_domain: fixture.asDomain,
    country_code: fixture.countryCode,
    country: fixture.country,
    continent_code: fixture.continentCode,
    continent: fixture.continent,
  };
}

function coreBody(fixture: GeoFixture, paid: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = {
    ip: fixture.ip,
    ...(fixture.hostname ? { hostname: fixture.hostname } : {}),
    city: fixture.city,
    region: fixture.region,
    country: fixture.countryCode,
    loc: `${fixture.lat.toFixed(4)},${fixture.lon.toFixed(4)}`,
    org: `AS${fixture.asn} ${fixture.asName}`,
    postal: fixture.zip,
    timezone: fixture.timezone,
    ...(fixture.anycast ? { anycast: true } : {}),
  };
  if (!paid) return body;
  return {
    ...body,
    asn: {
      asn: `AS${fixture.asn}`,
      name: fixture.asName,
      domain: fixture.asDomain,
      route: `${fixture.ip.split('.').slice(0, 2).join('.')}.0.0/16`,
      type: fixture.hosting ? 'hosting' : 'isp',
    },
    company: { name: fixture.org, domain: fixture.asDomain, type: fixture.hosting ? 'hosting' : 'isp' },
    privacy: {
      vpn: fixture.vpn,
      proxy: fixture.proxy,
      tor: fixture.tor,
      relay: fixture.relay,
      hosting: fixture.hosting,
      service: fixture.tor ? 'Tor' : '',
    },
  };
}
