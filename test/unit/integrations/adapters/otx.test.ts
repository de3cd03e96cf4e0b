import { afterEach, describe, expect, it } from 'vitest';
import { INTEL_FIXTURES, INTEL_UNSEEN } from '../../../../infra/local/sandbox/providers/intel-fixtures';
import { fakeOtx } from '../../../../infra/local/sandbox/providers/otx';
import { UnsupportedIndicatorError } from '../../../../shared/integrations/adapters/intel-normalize';
import { mapOtx, otxAdapter } from '../../../../shared/integrations/adapters/otx';
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
  TEST_NOW,
} from './intel-harness';

const KEY = 'otx-test-key-9f8e7d6c5b4a39281706f5e4d3c2b1a0';
let harness: IntelHarness;

async function start(options: HarnessOptions = {}) {
  harness = await startIntelHarness(fakeOtx(), { credentials: { apiKey: KEY }, ...options });
  return harness;
}

afterEach(async () => {
  await harness?.fake.close();
});

describe('AlienVault OTX lookups', () => {
  it('reads the general section with X-OTX-API-KEY and calls an IP in three pulses with a family malicious', async () => {
    const { ctx, fake } = await start();

    const result = await otxAdapter.lookup(ctx, { type: 'ipv4', value: INTEL_FIXTURES.maliciousIp });

    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]?.method).toBe('GET');
    expect(fake.requests[0]?.path).toBe(`/api/v1/indicators/IPv4/${INTEL_FIXTURES.maliciousIp}/general`);
    expect(fake.requests[0]?.headers['x-otx-api-key']).toBe(KEY);
    expect(result.verdict).toBe('malicious');
    expect(result.score).toBe(70);
    expect(result.confidence).toBe(55);
    expect(result.tags).toEqual([
      'mirai',
      't1110',
      'honeypot',
      'cowrie',
      'ssh',
      'tor',
      'exit-node',
      'bruteforce',
    ]);
    expect(result.details).toMatchObject({
      pulseCount: 3,
      malwareFamilies: ['Mirai'],
      adversaries: [],
      asn: 'AS60729 Stiftung Erneuerbare Freiheit',
      countryCode: 'DE',
    });
    expect((result.details.pulses as unknown[]).length).toBe(3);
    expect((result.details.pulses as { tlp: string }[])[0]).toMatchObject({
      name: 'Honeypot Data - T-Pot - November',
      tlp: 'white',
    });
  });

  it('trusts a whitelist validation even when pulses mention the IP', async () => {
    const { ctx } = await start();

    const result = await otxAdapter.lookup(ctx, { type: 'ipv4', value: INTEL_FIXTURES.benignIp });

    expect(result).toMatchObject({ verdict: 'benign', score: 0, confidence: 70 });
    expect(result.tags).toEqual(['whitelisted', 'whitelisted-ip']);
  });

  it('maps CVEs and file hashes to the cve and file types', async () => {
    const { ctx, fake } = await start();

    const cve = await otxAdapter.lookup(ctx, { type: 'cve', value: INTEL_FIXTURES.kevCve });
    const file = await otxAdapter.lookup(ctx, { type: 'sha256', value: INTEL_FIXTURES.eicarSha256 });

    expect(fake.requests.map((request) => request.path)).toEqual([
      '/api/v1/indicators/cve/CVE-2021-44228/general',
      `/api/v1/indicators/file/${INTEL_FIXTURES.eicarSha256}/general`,
    ]);
    expect(cve).toMatchObject({ verdict: 'malicious', confidence: 50 });
    expect(cve.tags).toContain('apt41');
    expect(file).toMatchObject({ verdict: 'suspicious', score: 40 });
  });

  it('percent-encodes the characters that would cut a URL indicator short', async () => {
    const { ctx, fake } = await start();

    await otxAdapter.lookup(ctx, { type: 'url', value: 'http://quiet-meadow-garden.net/a b?x=1#top' });

    expect(fake.requests[0]?.path).toBe(
      '/api/v1/indicators/url/http://quiet-meadow-garden.net/a%20b%3Fx=1%23top/general',
    );
  });

  it('calls an indicator in no pulse unknown, and a 404 too', async () => {
    const { ctx, fake } = await start();

    const noPulses = await otxAdapter.lookup(ctx, { type: 'domain', value: INTEL_UNSEEN.domain });
    fake.enqueue({ status: 404, body: { detail: 'Not found.' } });
    const missing = await otxAdapter.lookup(ctx, { type: 'domain', value: INTEL_UNSEEN.domain });

    expect(noPulses).toMatchObject({ verdict: 'unknown', score: 0, confidence: 20 });
    expect(noPulses.details.pulseCount).toBe(0);
    expect(missing).toMatchObject({ verdict: 'unknown', score: 0, confidence: 10 });
  });

  it('lowers confidence when the newest pulse is more than a year old', () => {
    const general = {
      indicator: '45.1.1.1',
      pulse_info: {
        count: 1,
        pulses: [{ id: 'p1', name: 'Old campaign', modified: '2025-01-01T00:00:00.000000' }],
      },
    };

    expect(mapOtx(general, TEST_NOW)).toMatchObject({ verdict: 'suspicious', score: 40, confidence: 25 });
  });

  it('refuses emails without calling OTX', async () => {
    const { ctx, fake } = await start();

    const error = await rejection(otxAdapter.lookup(ctx, { type: 'email', value: 'a@b.net' }));

    expect(error).toBeInstanceOf(UnsupportedIndicatorError);
    expect(fake.requests).toHaveLength(0);
  });
});

describe('AlienVault OTX failures', () => {
  it('maps the 403 for a bad key to an auth error without leaking the key', async () => {
    const { withCredentials } = await start();

    const error = await rejection(
      otxAdapter.lookup(withCredentials({ apiKey: 'invalid-key' }), { type: 'ipv4', value: '9.9.9.9' }),
    );

    expect(error).toBeInstanceOf(OutboundAuthError);
    expect((error as OutboundAuthError).status).toBe(403);
    expectNoSecret(harness, 'invalid-key', error);
  });

  it('backs off and retries a 429, and hands a persistent one back as rate_limited', async () => {
    const { ctx, fake, sleeps } = await start();
    fake.enqueue({ status: 429, body: { detail: 'Request was throttled.' } });

    const result = await otxAdapter.lookup(ctx, { type: 'ipv4', value: INTEL_FIXTURES.maliciousIp });
    fake.enqueue(
      { status: 429, body: { detail: 'Request was throttled.' } },
      { status: 429, body: { detail: 'Request was throttled.' } },
    );
    const error = await rejection(otxAdapter.lookup(ctx, { type: 'ipv4', value: '9.9.9.9' }));

    expect(result.verdict).toBe('malicious');
    expect(sleeps.length).toBe(2);
    expect(error).toBeInstanceOf(OutboundRateLimitedError);
  });

  it('reports 504 outages as upstream errors after a retry, and 400 as bad_request', async () => {
    const { ctx, fake } = await start();
    fake.enqueue({ status: 504, body: 'Gateway Timeout' }, { status: 504, body: 'Gateway Timeout' });

    const outage = await rejection(otxAdapter.lookup(ctx, { type: 'ipv4', value: '9.9.9.9' }));
    fake.enqueue({ status: 400, body: { detail: 'Invalid IPv4 indicator.' } });
    const bad = await rejection(otxAdapter.lookup(ctx, { type: 'ipv4', value: '9.9.9.9' }));

    expect(outage).toBeInstanceOf(UpstreamError);
    expect(bad).toBeInstanceOf(OutboundBadRequestError);
    expect(fake.requests).toHaveLength(3);
  });

  it('times out a slow answer and rejects a malformed one', async () => {
    const { ctx, fake } = await start({ timeoutMs: 50 });
    fake.enqueue({ status: 200, delayMs: 400, body: {} }, { status: 200, body: { pulse_info: 'none' } });

    const slow = await rejection(otxAdapter.lookup(ctx, { type: 'ipv4', value: '9.9.9.9' }));
    const malformed = await rejection(otxAdapter.lookup(ctx, { type: 'ipv4', value: '9.9.9.9' }));

    expect(slow).toBeInstanceOf(OutboundTimeoutError);
    expect(malformed).toBeInstanceOf(UpstreamError);
  });
});

describe('AlienVault OTX connection test', () => {
  it('succeeds with a lookup of 8.8.8.8', async () => {
    const { ctx, fake } = await start();

    const outcome = await otxAdapter.test(ctx);

    expect(outcome).toEqual({
      ok: true,
      message: 'AlienVault OTX accepted the key (8.8.8.8 appears in 1 pulses).',
    });
    expect(fake.requests[0]?.path).toBe('/api/v1/indicators/IPv4/8.8.8.8/general');
    expectNoSecret(harness, KEY, outcome);
  });

  it('points the user to the settings page when the key is rejected', async () => {
    const { withCredentials } = await start();

    const outcome = await otxAdapter.test(withCredentials({ apiKey: 'invalid-key' }));

    expect(outcome.ok).toBe(false);
    expect(outcome.message).toContain('otx.alienvault.com/settings');
    expectNoSecret(harness, 'invalid-key', outcome);
  });
});
