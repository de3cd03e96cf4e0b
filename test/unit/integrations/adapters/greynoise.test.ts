import { afterEach, describe, expect, it } from 'vitest';
import { fakeGreyNoise, greyNoiseQuotaReply } from '../../../../infra/local/sandbox/providers/greynoise';
import { INTEL_FIXTURES, INTEL_UNSEEN } from '../../../../infra/local/sandbox/providers/intel-fixtures';
import { greyNoiseAdapter } from '../../../../shared/integrations/adapters/greynoise';
import { UnsupportedIndicatorError } from '../../../../shared/integrations/adapters/intel-normalize';
import {
  OutboundAuthError,
  OutboundBadRequestError,
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

const KEY = 'gn-test-key-7c6b5a4938271605f4e3d2c1';
let harness: IntelHarness;

async function start(options: HarnessOptions = {}) {
  harness = await startIntelHarness(fakeGreyNoise(), { credentials: { apiKey: KEY }, ...options });
  return harness;
}

afterEach(async () => {
  await harness?.fake.close();
});

describe('GreyNoise community lookups', () => {
  it('reads GET /v3/community/{ip} with the key header and calls a malicious scanner malicious', async () => {
    const { ctx, fake } = await start();

    const result = await greyNoiseAdapter.lookup(ctx, { type: 'ipv4', value: INTEL_FIXTURES.maliciousIp });

    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]?.method).toBe('GET');
    expect(fake.requests[0]?.path).toBe(`/v3/community/${INTEL_FIXTURES.maliciousIp}`);
    expect(fake.requests[0]?.headers.key).toBe(KEY);
    expect(result).toEqual({
      verdict: 'malicious',
      score: 85,
      confidence: 80,
      tags: ['mass-scanner'],
      details: {
        observed: true,
        noise: true,
        riot: false,
        classification: 'malicious',
        name: 'unknown',
        lastSeen: '2026-11-30',
        link: `https://viz.greynoise.io/ip/${INTEL_FIXTURES.maliciousIp}`,
      },
    });
  });

  it('vouches for RIOT business services and tags research scanners as benign noise', async () => {
    const { ctx } = await start();

    const riot = await greyNoiseAdapter.lookup(ctx, { type: 'ipv4', value: INTEL_FIXTURES.benignIp });
    const scanner = await greyNoiseAdapter.lookup(ctx, { type: 'ipv4', value: '71.6.135.131' });

    expect(riot).toMatchObject({
      verdict: 'benign',
      score: 0,
      confidence: 85,
      tags: ['riot', 'google-public-dns'],
    });
    expect(scanner).toMatchObject({
      verdict: 'benign',
      score: 10,
      confidence: 75,
      tags: ['benign-scanner', 'shodan.io'],
    });
  });

  it('calls an address that is not observed unknown, whether it comes as a 404 or a 200', async () => {
    const { ctx, fake } = await start();

    const missing = await greyNoiseAdapter.lookup(ctx, { type: 'ipv4', value: INTEL_UNSEEN.ipv4 });
    fake.enqueue({
      status: 200,
      body: { ip: '9.9.9.9', noise: false, riot: false, message: 'IP not observed scanning the internet.' },
    });
    const empty = await greyNoiseAdapter.lookup(ctx, { type: 'ipv4', value: '9.9.9.9' });

    expect(missing).toMatchObject({
      verdict: 'unknown',
      score: 0,
      confidence: 30,
      details: { observed: false },
    });
    expect(empty).toMatchObject({ verdict: 'unknown', score: 0, details: { observed: false } });
  });

  it('treats unclassified mass scanning as suspicious', async () => {
    const { ctx, fake } = await start();
    fake.enqueue({
      status: 200,
      body: {
        ip: '9.9.9.9',
        noise: true,
        riot: false,
        classification: 'unknown',
        name: 'unknown',
        message: 'Success',
      },
    });

    const result = await greyNoiseAdapter.lookup(ctx, { type: 'ipv4', value: '9.9.9.9' });

    expect(result).toMatchObject({
      verdict: 'suspicious',
      score: 30,
      confidence: 50,
      tags: ['mass-scanner'],
    });
  });

  it('works without a key and sends no key header then', async () => {
    const { withCredentials, fake } = await start();

    const result = await greyNoiseAdapter.lookup(withCredentials({}), {
      type: 'ipv4',
      value: INTEL_FIXTURES.benignIp,
    });

    expect(result.verdict).toBe('benign');
    expect(fake.requests[0]?.headers.key).toBeUndefined();
  });

  it('does not send IPv6 addresses (not covered by GreyNoise)', async () => {
    const { ctx, fake } = await start();

    const error = await rejection(
      greyNoiseAdapter.lookup(ctx, { type: 'ipv6', value: '2001:4860:4860::8888' }),
    );

    expect(error).toBeInstanceOf(UnsupportedIndicatorError);
    expect(fake.requests).toHaveLength(0);
  });
});

describe('GreyNoise failures', () => {
  it('maps a rejected key to an auth error without leaking it', async () => {
    const { withCredentials } = await start();

    const error = await rejection(
      greyNoiseAdapter.lookup(withCredentials({ apiKey: 'invalid-key' }), { type: 'ipv4', value: '9.9.9.9' }),
    );

    expect(error).toBeInstanceOf(OutboundAuthError);
    expect((error as OutboundAuthError).status).toBe(401);
    expectNoSecret(harness, 'invalid-key', error);
  });

  it('reads a 429 as the daily quota, resetting at the next UTC midnight, without retrying', async () => {
    const { ctx, fake } = await start();
    fake.enqueue(greyNoiseQuotaReply());

    const error = await rejection(greyNoiseAdapter.lookup(ctx, { type: 'ipv4', value: '9.9.9.9' }));

    expect(error).toBeInstanceOf(QuotaExhaustedError);
    expect((error as QuotaExhaustedError).resetsAt?.toISOString()).toBe('2026-12-02T00:00:00.000Z');
    expect(fake.requests).toHaveLength(1);
  });

  it('uses Retry-After for the reset time when GreyNoise sends one', async () => {
    const { ctx, fake } = await start();
    fake.enqueue({ ...greyNoiseQuotaReply(), headers: { 'Retry-After': '3600' } });

    const error = await rejection(greyNoiseAdapter.lookup(ctx, { type: 'ipv4', value: '9.9.9.9' }));

    expect((error as QuotaExhaustedError).resetsAt?.getTime()).toBe(TEST_NOW + 3_600_000);
  });

  it('stops the keyless sandbox after its daily allowance with the real 429 body', async () => {
    const handler = fakeGreyNoise();
    const request = {
      method: 'GET',
      path: '/v3/community/8.8.8.8',
      query: new URLSearchParams(),
      headers: {},
      body: Buffer.alloc(0),
      json: () => undefined,
      form: () => new URLSearchParams(),
    };
    for (let i = 0; i < 100; i += 1) expect((await handler(request)).status).toBe(200);

    const reply = await handler(request);

    expect(reply.status).toBe(429);
    expect(reply.body).toMatchObject({ plan: 'unauthenticated', 'rate-limit': '100-lookups/day' });
  });

  it('maps 400 to bad_request and a 500 to upstream', async () => {
    const { ctx, fake } = await start();
    fake.enqueue(
      { status: 400, body: { message: 'Request is not a valid routable IPv4 address' } },
      { status: 500, body: { message: 'Internal Server Error' } },
    );

    const bad = await rejection(greyNoiseAdapter.lookup(ctx, { type: 'ipv4', value: '9.9.9.9' }));
    const down = await rejection(greyNoiseAdapter.lookup(ctx, { type: 'ipv4', value: '9.9.9.9' }));

    expect(bad).toBeInstanceOf(OutboundBadRequestError);
    expect(down).toBeInstanceOf(UpstreamError);
  });

  it('times out a slow answer and rejects a malformed one', async () => {
    const { ctx, fake } = await start({ timeoutMs: 50 });
    fake.enqueue({ status: 200, delayMs: 400, body: {} }, { status: 200, body: { noise: 'yes' } });

    const slow = await rejection(greyNoiseAdapter.lookup(ctx, { type: 'ipv4', value: '9.9.9.9' }));
    const malformed = await rejection(greyNoiseAdapter.lookup(ctx, { type: 'ipv4', value: '9.9.9.9' }));

    expect(slow).toBeInstanceOf(OutboundTimeoutError);
    expect(malformed).toBeInstanceOf(UpstreamError);
  });
});

describe('GreyNoise connection test', () => {
  it('succeeds with and without a key', async () => {
    const { ctx, withCredentials } = await start();

    const keyed = await greyNoiseAdapter.test(ctx);
    const keyless = await greyNoiseAdapter.test(withCredentials({}));

    expect(keyed).toEqual({
      ok: true,
      message: 'GreyNoise accepted the key; 8.8.8.8 is a known business service (Google Public DNS).',
    });
    expect(keyless.ok).toBe(true);
    expect(keyless.message).toContain('answered without a key');
    expectNoSecret(harness, KEY, keyed, keyless);
  });

  it('explains a rejected key and a spent quota', async () => {
    const { ctx, withCredentials, fake } = await start();

    const rejected = await greyNoiseAdapter.test(withCredentials({ apiKey: 'invalid-key' }));
    fake.enqueue(greyNoiseQuotaReply());
    const spent = await greyNoiseAdapter.test(ctx);

    expect(rejected.ok).toBe(false);
    expect(rejected.message).toContain('viz.greynoise.io/account/api-key');
    expect(spent.ok).toBe(false);
    expect(spent.message).toContain('quota is used up. It resets at 2026-12-02T00:00:00.000Z');
  });
});
