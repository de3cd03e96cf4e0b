import { afterEach, describe, expect, it } from 'vitest';
import { INTEL_FIXTURES, INTEL_UNSEEN } from '../../../../infra/local/sandbox/providers/intel-fixtures';
import { fakeShodan } from '../../../../infra/local/sandbox/providers/shodan';
import { UnsupportedIndicatorError } from '../../../../shared/integrations/adapters/intel-normalize';
import { mapShodan, shodanAdapter } from '../../../../shared/integrations/adapters/shodan';
import {
  OutboundAuthError,
  OutboundBadRequestError,
  OutboundRateLimitedError,
  OutboundTimeoutError,
  UpstreamError,
} from '../../../../shared/integrations/http/errors';
import {
  expectNoSecret,
  type HarnessOptions,
  type IntelHarness,
  rejection,
  startIntelHarness,
} from './intel-harness';

const KEY = 'shodanTestKey8a7b6c5d4e3f2a1b';
let harness: IntelHarness;

async function start(options: HarnessOptions = {}) {
  harness = await startIntelHarness(fakeShodan(), { credentials: { apiKey: KEY }, ...options });
  return harness;
}

afterEach(async () => {
  await harness?.fake.close();
});

describe('Shodan host lookups', () => {
  it('reads GET /shodan/host/{ip} with the key parameter and minify, and flags a Tor relay as suspicious', async () => {
    const { ctx, fake } = await start();

    const result = await shodanAdapter.lookup(ctx, { type: 'ipv4', value: INTEL_FIXTURES.maliciousIp });

    expect(fake.requests).toHaveLength(1);
    const sent = fake.requests[0];
    expect(sent?.method).toBe('GET');
    expect(sent?.path).toBe(`/shodan/host/${INTEL_FIXTURES.maliciousIp}`);
    expect(sent?.query.get('key')).toBe(KEY);
    expect(sent?.query.get('minify')).toBe('true');
    expect(result).toEqual({
      verdict: 'suspicious',
      score: 40,
      confidence: 50,
      tags: ['tor', 'port:80', 'port:443', 'port:9001'],
      details: {
        ports: [80, 443, 9001],
        vulns: [],
        vulnCount: 0,
        org: 'Stiftung Erneuerbare Freiheit',
        isp: 'Stiftung Erneuerbare Freiheit',
        asn: 'AS60729',
        os: 'Linux',
        countryCode: 'DE',
        lastUpdate: '2026-11-29T04:12:55.811327',
        hostnames: ['tor-exit-34.for-privacy.net'],
      },
    });
    expectNoSecret(harness, KEY, result);
  });

  it('keeps plain exposure unknown: open ports are context, not a verdict', async () => {
    const { ctx } = await start();

    const result = await shodanAdapter.lookup(ctx, { type: 'ipv4', value: INTEL_FIXTURES.benignIp });

    expect(result).toMatchObject({ verdict: 'unknown', score: 0, confidence: 30 });
    expect(result.tags).toEqual(['cloud', 'port:53', 'port:443']);
  });

  it('calls hosts Shodan tags as C2 or malware malicious and notes known CVEs', () => {
    const result = mapShodan({ ip_str: '45.1.1.1', ports: [50050], tags: ['c2'], vulns: ['CVE-2021-44228'] });

    expect(result).toMatchObject({ verdict: 'malicious', score: 80, confidence: 60 });
    expect(result.tags).toEqual(['c2', 'has-vulns', 'port:50050']);
    expect(result.details.vulns).toEqual(['CVE-2021-44228']);
  });

  it('answers unknown for an address Shodan has not indexed (404)', async () => {
    const { ctx } = await start();

    const result = await shodanAdapter.lookup(ctx, { type: 'ipv4', value: INTEL_UNSEEN.ipv4 });

    expect(result).toEqual({
      verdict: 'unknown',
      score: 0,
      confidence: 10,
      tags: [],
      details: { indexed: false },
    });
  });

  it('sends IPv6 hosts but never domains or private addresses', async () => {
    const { ctx, fake } = await start();

    await shodanAdapter.lookup(ctx, { type: 'ipv6', value: INTEL_UNSEEN.ipv6 });
    const error = await rejection(shodanAdapter.lookup(ctx, { type: 'domain', value: 'a.net' }));
    const local = await shodanAdapter.lookup(ctx, { type: 'ipv4', value: '127.0.0.1' });

    expect(fake.requests.map((request) => request.path)).toEqual([
      `/shodan/host/${encodeURIComponent(INTEL_UNSEEN.ipv6)}`,
    ]);
    expect(error).toBeInstanceOf(UnsupportedIndicatorError);
    expect(local.details).toMatchObject({ notSent: true, addressRange: 'loopback' });
  });
});

describe('Shodan failures', () => {
  it('maps the HTML 401 page for a bad key to an auth error, keeping the key out of logs', async () => {
    const { withCredentials } = await start();

    const error = await rejection(
      shodanAdapter.lookup(withCredentials({ apiKey: 'invalid-key' }), { type: 'ipv4', value: '9.9.9.9' }),
    );

    expect(error).toBeInstanceOf(OutboundAuthError);
    expect((error as OutboundAuthError).status).toBe(401);
    expectNoSecret(harness, 'invalid-key', error);
  });

  it('waits a second on a 429 and retries; a persistent one is rate_limited', async () => {
    const { ctx, fake, sleeps } = await start();
    fake.enqueue({ status: 429, body: { error: 'Request rate limit reached (1/ second).' } });

    const result = await shodanAdapter.lookup(ctx, { type: 'ipv4', value: INTEL_FIXTURES.maliciousIp });
    fake.enqueue(
      { status: 429, body: { error: 'Request rate limit reached (1/ second).' } },
      { status: 429, body: { error: 'Request rate limit reached (1/ second).' } },
    );
    const error = await rejection(shodanAdapter.lookup(ctx, { type: 'ipv4', value: '9.9.9.9' }));

    expect(result.verdict).toBe('suspicious');
    expect(sleeps).toEqual([1000, 1000]);
    expect(error).toBeInstanceOf(OutboundRateLimitedError);
    expect((error as OutboundRateLimitedError).retryAfterSeconds).toBe(1);
  });

  it('treats an error envelope on HTTP 200 as an upstream failure', async () => {
    const { ctx, fake } = await start();
    fake.enqueue({ status: 200, body: { error: 'Unable to retrieve host information at this time.' } });

    const error = await rejection(shodanAdapter.lookup(ctx, { type: 'ipv4', value: '9.9.9.9' }));

    expect(error).toBeInstanceOf(UpstreamError);
  });

  it('maps 400 Invalid IP to bad_request and a 503 to upstream after a retry', async () => {
    const { ctx, fake } = await start();
    fake.enqueue(
      { status: 400, body: { error: 'Invalid IP' } },
      { status: 503, body: 'Service Unavailable' },
      { status: 503, body: 'Service Unavailable' },
    );

    const bad = await rejection(shodanAdapter.lookup(ctx, { type: 'ipv4', value: '9.9.9.9' }));
    const down = await rejection(shodanAdapter.lookup(ctx, { type: 'ipv4', value: '9.9.9.9' }));

    expect(bad).toBeInstanceOf(OutboundBadRequestError);
    expect(down).toBeInstanceOf(UpstreamError);
    expect(fake.requests).toHaveLength(3);
  });

  it('times out a slow answer and rejects a malformed one', async () => {
    const { ctx, fake } = await start({ timeoutMs: 50 });
    fake.enqueue({ status: 200, delayMs: 400, body: {} }, { status: 200, body: { ports: [80] } });

    const slow = await rejection(shodanAdapter.lookup(ctx, { type: 'ipv4', value: '9.9.9.9' }));
    const malformed = await rejection(shodanAdapter.lookup(ctx, { type: 'ipv4', value: '9.9.9.9' }));

    expect(slow).toBeInstanceOf(OutboundTimeoutError);
    expect(malformed).toBeInstanceOf(UpstreamError);
  });
});

describe('Shodan connection test', () => {
  it('checks the key with /api-info, which costs no credits', async () => {
    const { ctx, fake } = await start();

    const outcome = await shodanAdapter.test(ctx);

    expect(fake.requests[0]?.path).toBe('/api-info');
    expect(outcome).toEqual({
      ok: true,
      message: 'Shodan accepted the key (plan oss, 0 query credits left; host lookups need none).',
      details: { plan: 'oss', queryCredits: 0, scanCredits: 0 },
    });
    expectNoSecret(harness, KEY, outcome);
  });

  it('explains a rejected key', async () => {
    const { withCredentials } = await start();

    const outcome = await shodanAdapter.test(withCredentials({ apiKey: 'invalid-key' }));

    expect(outcome.ok).toBe(false);
    expect(outcome.message).toBe(
      'Shodan rejected the API key. Copy the key shown at https://account.shodan.io and save it again.',
    );
    expectNoSecret(harness, 'invalid-key', outcome);
  });
});
