import { isIP } from 'node:net';
import type { FakeHandler, FakeReply, FakeRequest } from '../fake-http';
import { FIXTURE_HOSTS, type GeoFixture, geoFixture, nonPublicRange } from './geo-fixtures';

/**
 * ip-api.com (`GET /json/{query}`) in its wire format: HTTP 200 for every lookup, with
 * `status:"success"` or `status:"fail"` plus `message` (`private range`, `reserved range`,
 * `invalid query`). The free mode (no `key`) counts requests in a fixed one-minute window and sends
 * `X-Rl`/`X-Ttl` on every answer, then HTTP 429 with an empty body until the window resets. Pro mode
 * (`?key=`): the key `invalid-key` (or an empty key) gets HTTP 403 with `status:"fail"`,
 * `message:"invalid key"` — the Pro error shape is not documented, this is the observed style.
 * `fields` is honoured as a comma list. Known addresses answer from the shared geo fixtures; any
 * other public address gets a deterministic synthetic answer derived from a hash of its text.
 */
export interface FakeIpApiOptions {
  /** Requests per window on the free endpoint (45 per minute). */
  limitPerMinute?: number;
  now?: () => number;
}

export function fakeIpApi(options: FakeIpApiOptions = {}): FakeHandler {
  const limit = options.limitPerMinute ?? 45;
  const now = options.now ?? Date.now;
  let windowStart = now();
  let used = 0;

  return (request: FakeRequest): FakeReply => {
    const key = request.query.get('key');
    const pro = key !== null;
    let headers: Record<string, string> = {};
    if (!pro) {
      const at = now();
      if (at - windowStart >= 60_000) {
        windowStart = at;
        used = 0;
      }
      const ttl = String(Math.max(1, Math.ceil((windowStart + 60_000 - at) / 1000)));
      if (used >= limit) return { status: 429, headers: { 'X-Rl': '0', 'X-Ttl': ttl }, body: '' };
      used += 1;
      headers = { 'X-Rl': String(limit - used), 'X-Ttl': ttl };
    } else if (key === '' || key === 'invalid-key') {
      return { status: 403, body: { status: 'fail', message: 'invalid key' } };
    }

    if (request.method !== 'GET') return { status: 405, headers, body: '' };
    const match = request.path.match(/^\/json(?:\/(.*))?$/);
    if (!match) return { status: 404, headers, body: '404 page not found' };
    const raw = decodeURIComponent(match[1] ?? '') || '203.0.113.10';
    const fields = request.query.get('fields')?.split(',');
    return { status: 200, headers, body: select(answer(raw), fields) };
  };
}

function answer(query: string): Record<string, unknown> {
  const ip = isIP(query) ? query : FIXTURE_HOSTS[query.toLowerCase()];
  if (ip === undefined) {
    if (!/^[a-z0-9.-]+\.[a-z]{2,}$/i.test(query)) return { status: 'fail', message: 'invalid query', query };
    return success(geoFixture(query), query);
  }
  const range = nonPublicRange(ip);
  if (range) return { status: 'fail', message: `${range} range`, query: ip };
  return success(geoFixture(ip), ip);
}

function success(fixture: GeoFixture, query: string): Record<string, unknown> {
  return {
    status: 'success',
    query: isIP(query) ? query : synthesizedIp(fixture),
    country: fixture.country,
    countryCode: fixture.countryCode,
    region: fixture.regionCode,
    regionName: fixture.region,
    city: fixture.city,
    zip: fixture.zip,
    lat: fixture.lat,
    lon: fixture.lon,
    timezone: fixture.timezone,
    isp: fixture.isp,
    org: fixture.org,
    as: `AS${fixture.asn} ${fixture.asName}`,
    asname: fixture.asName.split(/[\s,]/)[0]?.toUpperCase(),
    reverse: fixture.hostname ?? '',
    mobile: fixture.mobile,
    proxy: fixture.proxy || fixture.vpn || fixture.tor,
    hosting: fixture.hosting,
  };
}

/** The address a host name "resolves" to: the fixture's own, or a documentation address. */
function synthesizedIp(fixture: GeoFixture): string {
  return isIP(fixture.ip) ? fixture.ip : '198.51.100.7';
}

function select(body: Record<string, unknown>, fields: string[] | undefined): Record<string, unknown> {
  if (!fields || fields.length === 0) return body;
  // `status` and `message` always come back, as on the real service.
  const wanted = new Set([...fields, 'status', 'message']);
  return Object.fromEntries(Object.entries(body).filter(([name]) => wanted.has(name)));
}
