import { afterEach, describe, expect, it } from 'vitest';
import { INTEL_FIXTURES, INTEL_UNSEEN } from '../../../../infra/local/sandbox/providers/intel-fixtures';
import { fakeVirusTotal, virusTotalQuotaReply } from '../../../../infra/local/sandbox/providers/virustotal';
import { UnsupportedIndicatorError } from '../../../../shared/integrations/adapters/intel-normalize';
import {
  mapVirusTotal,
  virusTotalAdapter,
  virusTotalUrlId,
} from '../../../../shared/integrations/adapters/virustotal';
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

const KEY = 'vt-test-key-0a1b2c3d4e5f60718293';
let harness: IntelHarness;

async function start(options: HarnessOptions = {}) {
  harness = await startIntelHarness(fakeVirusTotal(), { credentials: { apiKey: KEY }, ...options });
  return harness;
}

afterEach(async () => {
  await harness?.fake.close();
});

describe('VirusTotal lookups', () => {
  it('reads GET /api/v3/ip_addresses/{ip} with x-apikey and scores a flagged IP as malicious', async () => {
    const { ctx, fake } = await start();

    const result = await virusTotalAdapter.lookup(ctx, { type: 'ipv4', value: INTEL_FIXTURES.maliciousIp });

    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]?.method).toBe('GET');
    expect(fake.requests[0]?.path).toBe(`/api/v3/ip_addresses/${INTEL_FIXTURES.maliciousIp}`);
    expect(fake.requests[0]?.headers['x-apikey']).toBe(KEY);
    expect(result).toEqual({
      verdict: 'malicious',
      score: 70,
      confidence: 95,
      tags: ['tor'],
      details: {
        stats: { harmless: 52, malicious: 14, suspicious: 2, undetected: 26 },
        reputation: -42,
        totalVotes: { harmless: 0, malicious: 7 },
        asOwner: 'Stiftung Erneuerbare Freiheit',
        asn: 60729,
        country: 'DE',
        network: '185.220.101.0/24',
        lastAnalysisDate: '2026-11-24T06:00:00.000Z',
      },
    });
  });

  it('looks files up by hash and tags them with the popular threat names', async () => {
    const { ctx, fake } = await start();

    const result = await virusTotalAdapter.lookup(ctx, { type: 'md5', value: INTEL_FIXTURES.eicarMd5 });

    expect(fake.requests[0]?.path).toBe(`/api/v3/files/${INTEL_FIXTURES.eicarMd5}`);
    expect(result).toMatchObject({ verdict: 'malicious', score: 100, confidence: 90 });
    expect(result.tags).toEqual(['text', 'eicar', 'attachment', 'virus', 'test']);
    expect(result.details).toMatchObject({ meaningfulName: 'eicar.com', size: 68, typeDescription: 'Text' });
  });

  it('addresses URLs by their unpadded base64url id', async () => {
    const { ctx, fake } = await start();

    const result = await virusTotalAdapter.lookup(ctx, { type: 'url', value: INTEL_FIXTURES.maliciousUrl });

    expect(virusTotalUrlId(INTEL_FIXTURES.maliciousUrl)).not.toContain('=');
    expect(fake.requests[0]?.path).toBe(
      '/api/v3/urls/aHR0cDovL3VwZGF0ZS1mbGFzaC1wbGF5ZXIudG9wL2Rvd25sb2FkL3NldHVwLmV4ZQ',
    );
    expect(result.verdict).toBe('malicious');
    expect(result.details.lastFinalUrl).toBe(INTEL_FIXTURES.maliciousUrl);
  });

  it('calls a domain every engine finds clean benign and tags its categories', async () => {
    const { ctx, fake } = await start();

    const result = await virusTotalAdapter.lookup(ctx, {
      type: 'domain',
      value: INTEL_FIXTURES.benignDomain,
    });

    expect(fake.requests[0]?.path).toBe('/api/v3/domains/google.com');
    expect(result).toMatchObject({ verdict: 'benign', score: 0, confidence: 95 });
    expect(result.tags).toEqual(['search-engines-and-portals', 'searchengines']);
    expect(result.details.registrar).toBe('MarkMonitor Inc.');
  });

  it('answers unknown for objects VirusTotal has never seen (404)', async () => {
    const { ctx } = await start();

    const result = await virusTotalAdapter.lookup(ctx, { type: 'domain', value: INTEL_UNSEEN.domain });

    expect(result).toEqual({
      verdict: 'unknown',
      score: 0,
      confidence: 0,
      tags: [],
      details: { found: false },
    });
  });

  it('answers unknown for an IP with an object but no analysis', async () => {
    const { ctx } = await start();

    const result = await virusTotalAdapter.lookup(ctx, { type: 'ipv4', value: INTEL_UNSEEN.ipv4 });

    expect(result).toMatchObject({ verdict: 'unknown', score: 0, confidence: 0 });
    expect(result.details.stats).toEqual({ harmless: 0, malicious: 0, suspicious: 0, undetected: 0 });
  });

  it('lets the malicious-engine threshold be configured', async () => {
    const { ctx } = await start({ settings: { maliciousThreshold: 20 } });

    const result = await virusTotalAdapter.lookup(ctx, { type: 'ipv4', value: INTEL_FIXTURES.maliciousIp });

    expect(result).toMatchObject({ verdict: 'suspicious', score: 64 });
  });

  it('lowers confidence for an analysis older than 180 days', () => {
    const attributes = {
      last_analysis_stats: { harmless: 60, malicious: 0, suspicious: 0, undetected: 30 },
      last_analysis_date: TEST_NOW / 1000 - 200 * 86_400,
    };

    expect(mapVirusTotal(attributes, 'ip', TEST_NOW)).toMatchObject({ verdict: 'benign', confidence: 75 });
  });

  it('never sends CVEs or private addresses', async () => {
    const { ctx, fake } = await start();

    const error = await rejection(virusTotalAdapter.lookup(ctx, { type: 'cve', value: 'CVE-2021-44228' }));
    const local = await virusTotalAdapter.lookup(ctx, { type: 'ipv4', value: '192.168.1.10' });

    expect(error).toBeInstanceOf(UnsupportedIndicatorError);
    expect(local.details).toMatchObject({ notSent: true, addressRange: 'private' });
    expect(fake.requests).toHaveLength(0);
  });
});

describe('VirusTotal failures', () => {
  it('maps WrongCredentialsError to an auth error without leaking the key', async () => {
    const { withCredentials } = await start();

    const error = await rejection(
      virusTotalAdapter.lookup(withCredentials({ apiKey: 'invalid-key' }), {
        type: 'ipv4',
        value: '9.9.9.9',
      }),
    );

    expect(error).toBeInstanceOf(OutboundAuthError);
    expect((error as OutboundAuthError).status).toBe(401);
    expectNoSecret(harness, 'invalid-key', error);
  });

  it('defers a QuotaExceededError by a minute, since VirusTotal sends no Retry-After', async () => {
    const { ctx, fake, sleeps } = await start();
    fake.enqueue(virusTotalQuotaReply());

    const error = await rejection(virusTotalAdapter.lookup(ctx, { type: 'ipv4', value: '9.9.9.9' }));

    expect(error).toBeInstanceOf(OutboundRateLimitedError);
    expect((error as OutboundRateLimitedError).retryAfterSeconds).toBe(60);
    expect(sleeps).toEqual([]);
    expect(fake.requests).toHaveLength(1);
  });

  it('treats a daily-quota message as quota exhaustion until the next UTC midnight', async () => {
    const { ctx, fake } = await start();
    fake.enqueue(virusTotalQuotaReply('Daily quota exceeded for this API key'));

    const error = await rejection(virusTotalAdapter.lookup(ctx, { type: 'ipv4', value: '9.9.9.9' }));

    expect(error).toBeInstanceOf(QuotaExhaustedError);
    expect((error as QuotaExhaustedError).resetsAt?.toISOString()).toBe('2026-12-02T00:00:00.000Z');
  });

  it('retries a TransientError (503) and returns the answer of the second attempt', async () => {
    const { ctx, fake } = await start();
    fake.enqueue({ status: 503, body: { error: { code: 'TransientError', message: 'Try again' } } });

    const result = await virusTotalAdapter.lookup(ctx, { type: 'ipv4', value: INTEL_FIXTURES.benignIp });

    expect(result.verdict).toBe('benign');
    expect(fake.requests).toHaveLength(2);
  });

  it('maps FailedDependencyError (424) to upstream and InvalidArgumentError (400) to bad_request', async () => {
    const { ctx, fake } = await start();
    fake.enqueue(
      { status: 424, body: { error: { code: 'FailedDependencyError', message: 'Dependency failed' } } },
      { status: 424, body: { error: { code: 'FailedDependencyError', message: 'Dependency failed' } } },
      { status: 400, body: { error: { code: 'InvalidArgumentError', message: 'Invalid domain' } } },
    );

    const upstream = await rejection(virusTotalAdapter.lookup(ctx, { type: 'domain', value: 'a.net' }));
    const bad = await rejection(virusTotalAdapter.lookup(ctx, { type: 'domain', value: 'a.net' }));

    expect(upstream).toBeInstanceOf(UpstreamError);
    expect(bad).toBeInstanceOf(OutboundBadRequestError);
  });

  it('times out a slow answer', async () => {
    const { ctx, fake } = await start({ timeoutMs: 50 });
    fake.enqueue({ status: 200, delayMs: 400, body: {} });

    const error = await rejection(virusTotalAdapter.lookup(ctx, { type: 'ipv4', value: '9.9.9.9' }));

    expect(error).toBeInstanceOf(OutboundTimeoutError);
  });

  it('rejects a body that is not a VirusTotal object', async () => {
    const { ctx, fake } = await start();
    fake.enqueue({ status: 200, body: { data: { attributes: {} } } }, { status: 200, body: 'not json' });

    const shape = await rejection(virusTotalAdapter.lookup(ctx, { type: 'ipv4', value: '9.9.9.9' }));
    const text = await rejection(virusTotalAdapter.lookup(ctx, { type: 'ipv4', value: '9.9.9.9' }));

    expect(shape).toBeInstanceOf(UpstreamError);
    expect(text).toBeInstanceOf(UpstreamError);
  });
});

describe('VirusTotal connection test', () => {
  it('succeeds with a real lookup of 8.8.8.8', async () => {
    const { ctx, fake } = await start();

    const outcome = await virusTotalAdapter.test(ctx);

    expect(outcome).toEqual({
      ok: true,
      message: 'VirusTotal accepted the key (8.8.8.8 was checked by 94 engines).',
    });
    expect(fake.requests[0]?.path).toBe('/api/v3/ip_addresses/8.8.8.8');
    expectNoSecret(harness, KEY, outcome);
  });

  it('explains a rejected key and a throttled one', async () => {
    const { withCredentials, ctx, fake } = await start();

    const rejected = await virusTotalAdapter.test(withCredentials({ apiKey: 'invalid-key' }));
    fake.enqueue(virusTotalQuotaReply());
    const throttled = await virusTotalAdapter.test(ctx);

    expect(rejected.ok).toBe(false);
    expect(rejected.message).toContain('rejected the API key. Copy the key from https://www.virustotal.com');
    expect(throttled.ok).toBe(false);
    expect(throttled.message).toContain('Try the test again in 60 s');
    expectNoSecret(harness, KEY, rejected, throttled);
  });
});
