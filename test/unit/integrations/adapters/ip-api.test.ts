import { describe, expect, it } from 'vitest';
import { fakeIpApi } from '../../../../infra/local/sandbox/providers/ip-api';
import { ipApiAdapter } from '../../../../shared/integrations/adapters/ip-api';
import {
  OutboundAuthError,
  OutboundBadRequestError,
  OutboundRateLimitedError,
  OutboundTimeoutError,
  UpstreamError,
} from '../../../../shared/integrations/http/errors';
import { BadRequestError } from '../../../../shared/platform/errors';
import { harness, rejection, serialized, startFake } from './geo-harness';

const PRO_KEY = 'pro-key-7f3a9c21d4e8b6a0';

function clock(start = 1_750_000_000_000) {
  let at = start;
  return {
    now: () => at,
    advance: (ms: number) => {
      at += ms;
    },
  };
}

describe('ip-api.com adapter', () => {
  describe('looking up an address on the free endpoint', () => {
    it('normalizes the answer into the common geo details as context', async () => {
      const fake = await startFake(fakeIpApi());
      const { ctx } = harness({ baseUrl: fake.url });

      const result = await ipApiAdapter.lookup(ctx, { type: 'ipv4', value: '8.8.8.8' });

      expect(result).toEqual({
        verdict: 'unknown',
        score: 0,
        confidence: 0,
        tags: ['hosting'],
        details: {
          provider: 'ip-api',
          ip: '8.8.8.8',
          country: 'United States',
          countryCode: 'US',
          region: 'California',
          city: 'Mountain View',
          lat: 37.4056,
          lon: -122.0775,
          asn: 15169,
          org: 'Google Public DNS',
          isp: 'Google LLC',
          timezone: 'America/Los_Angeles',
          privacy: { proxy: false, hosting: true, mobile: false },
          asName: 'GOOGLE',
          reverse: 'dns.google',
        },
      });
      const [request] = fake.requests;
      expect(request?.method).toBe('GET');
      expect(request?.path).toBe('/json/8.8.8.8');
      expect(request?.query.get('fields')?.split(',')).toEqual(
        expect.arrayContaining(['status', 'message', 'query', 'countryCode', 'as', 'proxy', 'hosting']),
      );
      expect(request?.query.has('key')).toBe(false);
    });

    it('tags a Tor exit as proxy and hosting, and marks it suspicious only when the policy says so', async () => {
      const fake = await startFake(fakeIpApi());
      const context = harness({ baseUrl: fake.url }).ctx;
      const strict = harness({ baseUrl: fake.url, settings: { proxyHostingPolicy: 'suspicious' } }).ctx;

      const plain = await ipApiAdapter.lookup(context, { type: 'ipv4', value: '185.220.101.34' });
      const flagged = await ipApiAdapter.lookup(strict, { type: 'ipv4', value: '185.220.101.34' });

      expect(plain).toMatchObject({ verdict: 'unknown', score: 0, tags: ['proxy', 'hosting'] });
      expect(flagged).toMatchObject({ verdict: 'suspicious', score: 30, confidence: 30 });
    });

    it('sends a host name as the query and keeps it in the details', async () => {
      const fake = await startFake(fakeIpApi());
      const { ctx } = harness({ baseUrl: fake.url });

      const result = await ipApiAdapter.lookup(ctx, { type: 'domain', value: 'dns.google' });

      expect(fake.requests[0]?.path).toBe('/json/dns.google');
      expect(result.details).toMatchObject({ ip: '8.8.8.8', hostname: 'dns.google', countryCode: 'US' });
    });

    it('answers private addresses locally without calling the service', async () => {
      const fake = await startFake(fakeIpApi());
      const { ctx } = harness({ baseUrl: fake.url });

      const result = await ipApiAdapter.lookup(ctx, { type: 'ipv4', value: '10.1.2.3' });

      expect(fake.requests).toHaveLength(0);
      expect(result).toMatchObject({ verdict: 'unknown', score: 0, tags: ['bogon', 'private'] });
    });

    it('refuses indicator types it does not support without sending them', async () => {
      const fake = await startFake(fakeIpApi());
      const { ctx } = harness({ baseUrl: fake.url });

      const error = await rejection(
        ipApiAdapter.lookup(ctx, { type: 'md5', value: '44d88612fea8a8f36de82e1278abb02f' }),
      );

      expect(error).toBeInstanceOf(BadRequestError);
      expect(fake.requests).toHaveLength(0);
    });
  });

  describe('HTTP-200 failures in the body', () => {
    it('reads "reserved range" as unknown context with the reason', async () => {
      const fake = await startFake(fakeIpApi());
      fake.enqueue({ status: 200, body: { status: 'fail', message: 'reserved range', query: '5.5.5.5' } });
      const { ctx } = harness({ baseUrl: fake.url });

      const result = await ipApiAdapter.lookup(ctx, { type: 'ipv4', value: '5.5.5.5' });

      expect(result).toMatchObject({
        verdict: 'unknown',
        score: 0,
        tags: ['private'],
        details: { reason: 'reserved range', ip: '5.5.5.5' },
      });
    });

    it('turns "invalid query" into a bad-request error without retrying', async () => {
      const fake = await startFake(fakeIpApi());
      const { ctx } = harness({ baseUrl: fake.url });

      const error = await rejection(ipApiAdapter.lookup(ctx, { type: 'domain', value: 'no_tld' }));

      expect(error).toBeInstanceOf(OutboundBadRequestError);
      expect(error.message).toContain('invalid query');
      expect(fake.requests).toHaveLength(1);
    });
  });

  describe('the Pro endpoint', () => {
    it('sends the key as the key query parameter', async () => {
      const fake = await startFake(fakeIpApi());
      const { ctx, logs } = harness({ baseUrl: fake.url, credentials: { apiKey: PRO_KEY } });

      const result = await ipApiAdapter.lookup(ctx, { type: 'ipv4', value: '1.1.1.1' });

      expect(fake.requests[0]?.query.get('key')).toBe(PRO_KEY);
      expect(result.details).toMatchObject({ countryCode: 'AU', asn: 13335 });
      expect(serialized(result, logs)).not.toContain(PRO_KEY);
    });

    it('reports a rejected key as an auth error that does not echo the key', async () => {
      const fake = await startFake(fakeIpApi());
      const { ctx, logs } = harness({ baseUrl: fake.url, credentials: { apiKey: 'invalid-key' } });

      const error = await rejection(ipApiAdapter.lookup(ctx, { type: 'ipv4', value: '1.1.1.1' }));

      expect(error).toBeInstanceOf(OutboundAuthError);
      expect(fake.requests).toHaveLength(1);
      expect(serialized(error, logs)).not.toContain('invalid-key');
    });
  });

  describe('rate limit', () => {
    it('stops calling once X-Rl reaches 0 until X-Ttl has passed', async () => {
      const time = clock();
      const fake = await startFake(fakeIpApi({ limitPerMinute: 1, now: time.now }));
      const { ctx } = harness({ baseUrl: fake.url, now: time.now });

      await ipApiAdapter.lookup(ctx, { type: 'ipv4', value: '8.8.8.8' });
      const error = await rejection(ipApiAdapter.lookup(ctx, { type: 'ipv4', value: '1.1.1.1' }));

      expect(fake.requests).toHaveLength(1);
      expect(error).toBeInstanceOf(OutboundRateLimitedError);
      expect((error as OutboundRateLimitedError).retryAfterSeconds).toBe(60);

      time.advance(60_000);
      const later = await ipApiAdapter.lookup(ctx, { type: 'ipv4', value: '1.1.1.1' });
      expect(later.details).toMatchObject({ countryCode: 'AU' });
      expect(fake.requests).toHaveLength(2);
    });

    it('waits out a short 429 using X-Ttl and retries', async () => {
      const fake = await startFake(fakeIpApi());
      fake.enqueue({ status: 429, headers: { 'X-Rl': '0', 'X-Ttl': '1' }, body: '' });
      const { ctx, sleeps } = harness({ baseUrl: fake.url });

      const result = await ipApiAdapter.lookup(ctx, { type: 'ipv4', value: '8.8.8.8' });

      expect(sleeps).toEqual([1_000]);
      expect(fake.requests).toHaveLength(2);
      expect(result.details).toMatchObject({ countryCode: 'US' });
    });

    it('surfaces a long 429 as rate_limited with the reset time and pauses further calls', async () => {
      const time = clock();
      const fake = await startFake(fakeIpApi({ now: time.now }));
      fake.enqueue({ status: 429, headers: { 'X-Rl': '0', 'X-Ttl': '40' }, body: '' });
      const { ctx } = harness({ baseUrl: fake.url, now: time.now });

      const error = await rejection(ipApiAdapter.lookup(ctx, { type: 'ipv4', value: '8.8.8.8' }));
      const second = await rejection(ipApiAdapter.lookup(ctx, { type: 'ipv4', value: '8.8.8.8' }));

      expect(error).toBeInstanceOf(OutboundRateLimitedError);
      expect((error as OutboundRateLimitedError).retryAfterSeconds).toBe(40);
      expect(second).toBeInstanceOf(OutboundRateLimitedError);
      expect(fake.requests).toHaveLength(1);
    });
  });

  describe('transport failures', () => {
    it('retries a 503 and gives up with an upstream error', async () => {
      const fake = await startFake(fakeIpApi());
      fake.enqueue({ status: 503, body: '' }, { status: 503, body: '' });
      const { ctx } = harness({ baseUrl: fake.url });

      const error = await rejection(ipApiAdapter.lookup(ctx, { type: 'ipv4', value: '8.8.8.8' }));

      expect(error).toBeInstanceOf(UpstreamError);
      expect(fake.requests).toHaveLength(2);
    });

    it('times out a slow answer', async () => {
      const fake = await startFake(fakeIpApi());
      fake.enqueue({ status: 200, body: { status: 'success' }, delayMs: 300 });
      const { ctx } = harness({ baseUrl: fake.url, client: { timeoutMs: 50, retry: { attempts: 1 } } });

      const error = await rejection(ipApiAdapter.lookup(ctx, { type: 'ipv4', value: '8.8.8.8' }));

      expect(error).toBeInstanceOf(OutboundTimeoutError);
    });

    it('rejects a body that is not JSON or not the ip-api shape', async () => {
      const fake = await startFake(fakeIpApi());
      fake.enqueue({ status: 200, body: '<html>oops' }, { status: 200, body: { country: 'US' } });
      const { ctx } = harness({ baseUrl: fake.url });

      const notJson = await rejection(ipApiAdapter.lookup(ctx, { type: 'ipv4', value: '8.8.8.8' }));
      const wrongShape = await rejection(ipApiAdapter.lookup(ctx, { type: 'ipv4', value: '8.8.8.8' }));

      expect(notJson).toBeInstanceOf(UpstreamError);
      expect(wrongShape).toBeInstanceOf(UpstreamError);
    });
  });

  describe('test()', () => {
    it('succeeds with the resolved place of 8.8.8.8', async () => {
      const fake = await startFake(fakeIpApi());
      const { ctx } = harness({ baseUrl: fake.url });

      const outcome = await ipApiAdapter.test(ctx);

      expect(outcome).toMatchObject({ ok: true, details: { plan: 'free' } });
      expect(outcome.message).toContain('Mountain View, US');
      expect(fake.requests[0]?.path).toBe('/json/8.8.8.8');
    });

    it('tells the user what to do about a rejected Pro key, without the key', async () => {
      const fake = await startFake(fakeIpApi());
      const { ctx, logs } = harness({ baseUrl: fake.url, credentials: { apiKey: 'invalid-key' } });

      const outcome = await ipApiAdapter.test(ctx);

      expect(outcome.ok).toBe(false);
      expect(outcome.message).toContain('members.ip-api.com');
      expect(serialized(outcome, logs)).not.toContain('invalid-key');
    });

    it('explains a rate limit with the wait', async () => {
      const fake = await startFake(fakeIpApi());
      fake.enqueue({ status: 429, headers: { 'X-Rl': '0', 'X-Ttl': '30' }, body: '' });
      const { ctx } = harness({ baseUrl: fake.url });

      const outcome = await ipApiAdapter.test(ctx);

      expect(outcome).toMatchObject({ ok: false });
      expect(outcome.message).toMatch(/rate limit.*30 s/);
    });
  });

  it('lists a 45/minute free tier and IP plus domain support in its catalog entry', () => {
    expect(ipApiAdapter.catalog).toMatchObject({
      name: 'ip-api',
      category: 'geolocation',
      freeTier: { perMinute: 45 },
      supports: ['ipv4', 'ipv6', 'domain'],
    });
    expect(ipApiAdapter.catalog.fields.find((field) => field.name === 'apiKey')?.type).toBe('secret');
  });
});
