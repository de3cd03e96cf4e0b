import { afterEach, describe, expect, it } from 'vitest';
import { abuseIpdbDailyLimitReply, fakeAbuseIpdb } from '../../../../infra/local/sandbox/providers/abuseipdb';
import { INTEL_FIXTURES, INTEL_UNSEEN } from '../../../../infra/local/sandbox/providers/intel-fixtures';
import { abuseIpdbAdapter, mapAbuseIpdb } from '../../../../shared/integrations/adapters/abuseipdb';
import { UnsupportedIndicatorError } from '../../../../shared/integrations/adapters/intel-normalize';
import {
  OutboundAuthError,
  OutboundBadRequestError,
  OutboundRateLimitedError,
  OutboundTimeoutError,
  QuotaExhaustedError,
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

const KEY = 'abuse-test-key-5f1c0e9a7b';
let harness: IntelHarness;

async function start(options: HarnessOptions = {}) {
  harness = await startIntelHarness(fakeAbuseIpdb(), { credentials: { apiKey: KEY }, ...options });
  return harness;
}

afterEach(async () => {
  await harness?.fake.close();
});

describe('AbuseIPDB lookups', () => {
  it('calls GET /api/v2/check with the Key header and maps a reported Tor exit to malicious', async () => {
    const { ctx, fake } = await start();

    const result = await abuseIpdbAdapter.lookup(ctx, { type: 'ipv4', value: INTEL_FIXTURES.maliciousIp });

    expect(fake.requests).toHaveLength(1);
    const sent = fake.requests[0];
    expect(sent?.method).toBe('GET');
    expect(sent?.path).toBe('/api/v2/check');
    expect(sent?.headers.key).toBe(KEY);
    expect(sent?.headers.accept).toBe('application/json');
    expect(sent?.query.get('ipAddress')).toBe(INTEL_FIXTURES.maliciousIp);
    expect(sent?.query.get('maxAgeInDays')).toBe('90');
    expect(sent?.query.has('verbose')).toBe(true);
    expect(result).toEqual({
      verdict: 'malicious',
      score: 100,
      confidence: 95,
      tags: [
        'tor',
        'data-center-web-hosting-transit',
        'brute-force',
        'ssh',
        'port-scan',
        'hacking',
        'web-app-attack',
      ],
      details: {
        countryCode: 'DE',
        isp: 'Network for Tor-Exit traffic.',
        domain: 'artikel10.org',
        usageType: 'Data Center/Web Hosting/Transit',
        abuseConfidenceScore: 100,
        totalReports: 2841,
        numDistinctUsers: 412,
        lastReportedAt: '2026-11-30T22:14:05+00:00',
      },
    });
  });

  it('trusts the whitelist: 8.8.8.8 is benign with a capped score', async () => {
    const { ctx } = await start();

    const result = await abuseIpdbAdapter.lookup(ctx, { type: 'ipv4', value: INTEL_FIXTURES.benignIp });

    expect(result.verdict).toBe('benign');
    expect(result.score).toBe(0);
    expect(result.confidence).toBe(70);
    expect(result.tags).toContain('whitelisted');
  });

  it('treats a never-reported address (the all-zero record) as unknown, not benign', async () => {
    const { ctx } = await start();

    const result = await abuseIpdbAdapter.lookup(ctx, { type: 'ipv4', value: INTEL_UNSEEN.ipv4 });

    expect(result).toMatchObject({ verdict: 'unknown', score: 0, confidence: 20 });
    expect(result.details).toMatchObject({ totalReports: 0, abuseConfidenceScore: 0 });
  });

  it('sends IPv6 addresses as they are and honours the report window setting', async () => {
    const { ctx, fake } = await start({ settings: { maxAgeInDays: 30 } });

    await abuseIpdbAdapter.lookup(ctx, { type: 'ipv6', value: '2001:4860:4860::8888' });

    expect(fake.requests[0]?.query.get('ipAddress')).toBe('2001:4860:4860::8888');
    expect(fake.requests[0]?.query.get('maxAgeInDays')).toBe('30');
  });

  it('lowers confidence for reports older than 90 days', () => {
    const base = {
      ipAddress: '45.1.1.1',
      isPublic: true,
      isWhitelisted: false,
      abuseConfidenceScore: 50,
      totalReports: 6,
      numDistinctUsers: 3,
    };
    const fresh = mapAbuseIpdb({ ...base, lastReportedAt: '2026-11-20T00:00:00+00:00' }, TEST_NOW);
    const stale = mapAbuseIpdb({ ...base, lastReportedAt: '2026-01-20T00:00:00+00:00' }, TEST_NOW);

    expect(fresh).toMatchObject({ verdict: 'suspicious', score: 50, confidence: 64 });
    expect(stale).toMatchObject({ verdict: 'suspicious', score: 50, confidence: 44 });
  });

  it('does not send private addresses and refuses indicator types it does not support', async () => {
    const { ctx, fake } = await start();

    const result = await abuseIpdbAdapter.lookup(ctx, { type: 'ipv4', value: '10.1.2.3' });
    const error = await rejection(abuseIpdbAdapter.lookup(ctx, { type: 'domain', value: 'example.org' }));

    expect(result).toMatchObject({ verdict: 'unknown', tags: ['private'] });
    expect(error).toBeInstanceOf(UnsupportedIndicatorError);
    expect(fake.requests).toHaveLength(0);
  });
});

describe('AbuseIPDB failures', () => {
  it('surfaces a rejected key as an auth error without leaking it', async () => {
    const { ctx, withCredentials } = await start();
    const bad = withCredentials({ apiKey: 'invalid-key' });

    const error = await rejection(abuseIpdbAdapter.lookup(bad, { type: 'ipv4', value: '8.8.4.4' }));

    expect(error).toBeInstanceOf(OutboundAuthError);
    expect((error as OutboundAuthError).status).toBe(401);
    expect(ctx.credentials.apiKey).toBe(KEY);
    expectNoSecret(harness, 'invalid-key', error);
  });

  it('refuses to call without a key', async () => {
    const { withCredentials, fake } = await start();

    const error = await rejection(
      abuseIpdbAdapter.lookup(withCredentials({}), { type: 'ipv4', value: '8.8.4.4' }),
    );

    expect(error).toBeInstanceOf(OutboundAuthError);
    expect(fake.requests).toHaveLength(0);
  });

  it('reports the spent daily quota with its reset time and does not retry', async () => {
    const { ctx, fake } = await start();
    const reset = TEST_NOW / 1000 + 7200;
    fake.enqueue(abuseIpdbDailyLimitReply(reset, 7200));

    const error = await rejection(abuseIpdbAdapter.lookup(ctx, { type: 'ipv4', value: '8.8.4.4' }));

    expect(error).toBeInstanceOf(QuotaExhaustedError);
    expect((error as QuotaExhaustedError).resetsAt?.getTime()).toBe(reset * 1000);
    expect(fake.requests).toHaveLength(1);
  });

  it('waits out a short Retry-After and then succeeds', async () => {
    const { ctx, fake, sleeps } = await start();
    fake.enqueue({
      status: 429,
      headers: { 'Retry-After': '1' },
      body: { errors: [{ detail: 'Too Many Attempts.', status: 429 }] },
    });

    const result = await abuseIpdbAdapter.lookup(ctx, { type: 'ipv4', value: INTEL_FIXTURES.maliciousIp });

    expect(result.verdict).toBe('malicious');
    expect(sleeps).toEqual([1000]);
    expect(fake.requests).toHaveLength(2);
  });

  it('hands a long throttle back as rate_limited with the wait', async () => {
    const { ctx, fake } = await start();
    fake.enqueue({
      status: 429,
      headers: { 'Retry-After': '600' },
      body: { errors: [{ detail: 'Too Many Attempts.', status: 429 }] },
    });

    const error = await rejection(abuseIpdbAdapter.lookup(ctx, { type: 'ipv4', value: '8.8.4.4' }));

    expect(error).toBeInstanceOf(OutboundRateLimitedError);
    expect((error as OutboundRateLimitedError).retryAfterSeconds).toBe(600);
  });

  it('retries a 503 once and then reports an upstream error', async () => {
    const { ctx, fake } = await start();
    fake.enqueue({ status: 503, body: 'Service Unavailable' }, { status: 503, body: 'Service Unavailable' });

    const error = await rejection(abuseIpdbAdapter.lookup(ctx, { type: 'ipv4', value: '8.8.4.4' }));

    expect(error).toBeInstanceOf(UpstreamError);
    expect(fake.requests).toHaveLength(2);
  });

  it('maps a 422 validation error to bad_request', async () => {
    const { ctx, fake } = await start();
    fake.enqueue({
      status: 422,
      body: { errors: [{ detail: 'The ip address must be a valid IPv4 or IPv6 address.', status: 422 }] },
    });

    const error = await rejection(abuseIpdbAdapter.lookup(ctx, { type: 'ipv4', value: '8.8.4.4' }));

    expect(error).toBeInstanceOf(OutboundBadRequestError);
  });

  it('times out a slow answer', async () => {
    const { ctx, fake } = await start({ timeoutMs: 50 });
    fake.enqueue({ status: 200, delayMs: 400, body: { data: {} } });

    const error = await rejection(abuseIpdbAdapter.lookup(ctx, { type: 'ipv4', value: '8.8.4.4' }));

    expect(error).toBeInstanceOf(OutboundTimeoutError);
  });

  it('rejects bodies that are not JSON or not a check record', async () => {
    const { ctx, fake } = await start();
    fake.enqueue(
      { status: 200, body: '<html>maintenance</html>' },
      { status: 200, body: { data: { ip: 1 } } },
    );

    const notJson = await rejection(abuseIpdbAdapter.lookup(ctx, { type: 'ipv4', value: '8.8.4.4' }));
    const wrongShape = await rejection(abuseIpdbAdapter.lookup(ctx, { type: 'ipv4', value: '8.8.4.4' }));

    expect(notJson).toBeInstanceOf(UpstreamError);
    expect(wrongShape).toBeInstanceOf(UpstreamError);
  });
});

describe('AbuseIPDB connection test', () => {
  it('reports success with the remaining daily checks', async () => {
    const { ctx, fake } = await start();

    const outcome = await abuseIpdbAdapter.test(ctx);

    expect(outcome.ok).toBe(true);
    expect(outcome.message).toContain('999 of 1000 daily checks left');
    expect(fake.requests[0]?.query.get('ipAddress')).toBe('8.8.8.8');
    expectNoSecret(harness, KEY, outcome);
  });

  it('tells the user where to get a valid key when it is rejected', async () => {
    const { withCredentials } = await start();

    const outcome = await abuseIpdbAdapter.test(withCredentials({ apiKey: 'invalid-key' }));

    expect(outcome.ok).toBe(false);
    expect(outcome.message).toMatch(/rejected the API key.*abuseipdb\.com\/account\/api/);
    expect(outcome.details).toMatchObject({ kind: 'auth', status: 401 });
    expectNoSecret(harness, 'invalid-key', outcome);
  });

  it('asks for a key when none is configured', async () => {
    const { withCredentials, fake } = await start();

    const outcome = await abuseIpdbAdapter.test(withCredentials({}));

    expect(outcome).toMatchObject({ ok: false });
    expect(outcome.message).toContain('has no API key configured');
    expect(fake.requests).toHaveLength(0);
  });
});
