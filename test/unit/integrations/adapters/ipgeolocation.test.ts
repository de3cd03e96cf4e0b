import { describe, expect, it } from 'vitest';
import { fakeIpgeolocation } from '../../../../infra/local/sandbox/providers/ipgeolocation';
import { ipgeolocationAdapter } from '../../../../shared/integrations/adapters/ipgeolocation';
import {
  OutboundAuthError,
  OutboundBadRequestError,
  OutboundTimeoutError,
  QuotaExhaustedError,
  UpstreamError,
} from '../../../../shared/integrations/http/errors';
import { BadRequestError } from '../../../../shared/platform/errors';
import { harness, rejection, serialized, startFake } from './geo-harness';

const KEY = 'c0ffee11d00d22beef33';

function withSecurity(security: Record<string, unknown>) {
  return { ip: '5.5.5.5', location: { country_code2: 'DE' }, security };
}

describe('ipgeolocation.io adapter', () => {
  describe('geolocation without the security module', () => {
    it('normalizes the v2 answer as context and sends key and address as query parameters', async () => {
      const fake = await startFake(fakeIpgeolocation());
      const { ctx, logs } = harness({ baseUrl: fake.url, credentials: { apiKey: KEY } });

      const result = await ipgeolocationAdapter.lookup(ctx, { type: 'ipv4', value: '8.8.8.8' });

      expect(result).toEqual({
        verdict: 'unknown',
        score: 0,
        confidence: 0,
        tags: [],
        details: {
          provider: 'ipgeolocation',
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
          privacy: {},
        },
      });
      const [request] = fake.requests;
      expect(request?.method).toBe('GET');
      expect(request?.path).toBe('/v2/ipgeo');
      expect(request?.query.get('apiKey')).toBe(KEY);
      expect(request?.query.get('ip')).toBe('8.8.8.8');
      expect(request?.query.has('include')).toBe(false);
      expect(serialized(result, logs)).not.toContain(KEY);
    });

    it('answers private addresses locally and refuses domains without calling', async () => {
      const fake = await startFake(fakeIpgeolocation());
      const { ctx } = harness({ baseUrl: fake.url, credentials: { apiKey: KEY } });

      const local = await ipgeolocationAdapter.lookup(ctx, { type: 'ipv4', value: '192.168.1.1' });
      const refused = await rejection(
        ipgeolocationAdapter.lookup(ctx, { type: 'domain', value: 'example.com' }),
      );

      expect(local).toMatchObject({ verdict: 'unknown', tags: ['bogon', 'private'] });
      expect(refused).toBeInstanceOf(BadRequestError);
      expect(fake.requests).toHaveLength(0);
    });
  });

  describe('with the security module', () => {
    const settings = { securityModule: 'on' };

    it('calls a known attacker malicious with its threat score', async () => {
      const fake = await startFake(fakeIpgeolocation());
      const { ctx } = harness({ baseUrl: fake.url, credentials: { apiKey: KEY }, settings });

      const result = await ipgeolocationAdapter.lookup(ctx, { type: 'ipv4', value: '185.220.101.34' });

      expect(fake.requests[0]?.query.get('include')).toBe('security');
      expect(result).toMatchObject({
        verdict: 'malicious',
        score: 95,
        confidence: 70,
        details: { threatScore: 95, proxyType: 'TOR', privacy: { tor: true, proxy: true, anonymous: true } },
      });
      expect(result.tags).toEqual(['proxy', 'tor', 'anonymous', 'bot', 'known_attacker']);
    });

    it('calls a clean cloud address benign with low confidence and cloud tags', async () => {
      const fake = await startFake(fakeIpgeolocation());
      const { ctx } = harness({ baseUrl: fake.url, credentials: { apiKey: KEY }, settings });

      const result = await ipgeolocationAdapter.lookup(ctx, { type: 'ipv4', value: '8.8.8.8' });

      expect(result).toMatchObject({ verdict: 'benign', score: 0, confidence: 40 });
      expect(result.tags).toEqual(['hosting', 'cloud', 'google-cloud']);
    });

    it('calls a high threat score or spam flag suspicious, clamped to 30–69', async () => {
      const fake = await startFake(fakeIpgeolocation());
      fake.enqueue(
        { status: 200, body: withSecurity({ threat_score: 55 }) },
        { status: 200, body: withSecurity({ threat_score: 5, is_spam: true }) },
        { status: 200, body: withSecurity({ threat_score: 45 }) },
      );
      const { ctx } = harness({ baseUrl: fake.url, credentials: { apiKey: KEY }, settings });
      const ip = { type: 'ipv4', value: '5.5.5.5' } as const;

      const high = await ipgeolocationAdapter.lookup(ctx, ip);
      const spam = await ipgeolocationAdapter.lookup(ctx, ip);
      const belowThreshold = await ipgeolocationAdapter.lookup(ctx, ip);

      expect(high).toMatchObject({ verdict: 'suspicious', score: 55, confidence: 50 });
      expect(spam).toMatchObject({ verdict: 'suspicious', score: 30, tags: ['spam'] });
      expect(belowThreshold).toMatchObject({ verdict: 'benign', score: 20 });
    });
  });

  describe('no data', () => {
    it('reads a 423 as a bogon and a 404 as missing context', async () => {
      const fake = await startFake(fakeIpgeolocation());
      fake.enqueue(
        { status: 423, body: { message: "'5.5.5.5' is a bogon IP address." } },
        { status: 404, body: { message: 'Not found.' } },
      );
      const { ctx } = harness({ baseUrl: fake.url, credentials: { apiKey: KEY } });

      const bogon = await ipgeolocationAdapter.lookup(ctx, { type: 'ipv4', value: '5.5.5.5' });
      const missing = await ipgeolocationAdapter.lookup(ctx, { type: 'ipv4', value: '5.5.5.5' });

      expect(bogon).toMatchObject({ verdict: 'unknown', tags: ['bogon'], details: { reason: 'bogon' } });
      expect(missing).toMatchObject({ verdict: 'unknown', tags: [], details: { reason: 'not found' } });
    });

    it('lets a 400 for an address the service refuses surface as a bad request', async () => {
      const fake = await startFake(fakeIpgeolocation());
      fake.enqueue({ status: 400, body: { message: 'not a valid IP address' } });
      const { ctx } = harness({ baseUrl: fake.url, credentials: { apiKey: KEY } });

      const error = await rejection(ipgeolocationAdapter.lookup(ctx, { type: 'ipv4', value: '5.5.5.5' }));

      expect(error).toBeInstanceOf(OutboundBadRequestError);
    });
  });

  describe('credential, quota and transport errors', () => {
    it('reports a rejected key as an auth error that does not echo the key', async () => {
      const fake = await startFake(fakeIpgeolocation());
      const { ctx, logs } = harness({ baseUrl: fake.url, credentials: { apiKey: 'invalid-key' } });

      const error = await rejection(ipgeolocationAdapter.lookup(ctx, { type: 'ipv4', value: '8.8.8.8' }));

      expect(error).toBeInstanceOf(OutboundAuthError);
      expect(serialized(error, logs)).not.toContain('invalid-key');
    });

    it('treats a 429 as the daily quota, without retrying', async () => {
      const fake = await startFake(fakeIpgeolocation({ dailyLimit: 0 }));
      const { ctx } = harness({ baseUrl: fake.url, credentials: { apiKey: KEY } });

      const error = await rejection(ipgeolocationAdapter.lookup(ctx, { type: 'ipv4', value: '8.8.8.8' }));

      expect(error).toBeInstanceOf(QuotaExhaustedError);
      expect(fake.requests).toHaveLength(1);
    });

    it('retries a 500 once and gives up with an upstream error', async () => {
      const fake = await startFake(fakeIpgeolocation());
      fake.enqueue({ status: 503, body: { message: 'down' } }, { status: 503, body: { message: 'down' } });
      const { ctx } = harness({ baseUrl: fake.url, credentials: { apiKey: KEY } });

      const error = await rejection(ipgeolocationAdapter.lookup(ctx, { type: 'ipv4', value: '8.8.8.8' }));

      expect(error).toBeInstanceOf(UpstreamError);
      expect(fake.requests).toHaveLength(2);
    });

    it('times out a slow answer', async () => {
      const fake = await startFake(fakeIpgeolocation());
      fake.enqueue({ status: 200, body: { ip: '8.8.8.8' }, delayMs: 300 });
      const { ctx } = harness({
        baseUrl: fake.url,
        credentials: { apiKey: KEY },
        client: { timeoutMs: 50, retry: { attempts: 1 } },
      });

      const error = await rejection(ipgeolocationAdapter.lookup(ctx, { type: 'ipv4', value: '8.8.8.8' }));

      expect(error).toBeInstanceOf(OutboundTimeoutError);
    });

    it('rejects a malformed body', async () => {
      const fake = await startFake(fakeIpgeolocation());
      fake.enqueue({ status: 200, body: '{"ip":' }, { status: 200, body: { location: {} } });
      const { ctx } = harness({ baseUrl: fake.url, credentials: { apiKey: KEY } });

      const truncated = await rejection(ipgeolocationAdapter.lookup(ctx, { type: 'ipv4', value: '8.8.8.8' }));
      const noIp = await rejection(ipgeolocationAdapter.lookup(ctx, { type: 'ipv4', value: '8.8.8.8' }));

      expect(truncated).toBeInstanceOf(UpstreamError);
      expect(noIp).toBeInstanceOf(UpstreamError);
    });
  });

  describe('test()', () => {
    it('succeeds with the place of 8.8.8.8', async () => {
      const fake = await startFake(fakeIpgeolocation());
      const { ctx } = harness({ baseUrl: fake.url, credentials: { apiKey: KEY } });

      const outcome = await ipgeolocationAdapter.test(ctx);

      expect(outcome).toEqual({
        ok: true,
        message: 'ipgeolocation.io answered: 8.8.8.8 is in Mountain View, US.',
        details: { securityModule: false },
      });
    });

    it('quotes the provider and suggests switching the security module off on a free key', async () => {
      const fake = await startFake(fakeIpgeolocation());
      const { ctx, logs } = harness({
        baseUrl: fake.url,
        credentials: { apiKey: 'free-0a1b2c3d4e' },
        settings: { securityModule: 'on' },
      });

      const outcome = await ipgeolocationAdapter.test(ctx);

      expect(outcome.ok).toBe(false);
      expect(outcome.message).toContain('not available on your subscription plan');
      expect(outcome.message).toContain('"Security module" to "off"');
      expect(serialized(outcome, logs)).not.toContain('free-0a1b2c3d4e');
    });

    it('asks for the key before calling when none is configured', async () => {
      const fake = await startFake(fakeIpgeolocation());
      const { ctx } = harness({ baseUrl: fake.url });

      const outcome = await ipgeolocationAdapter.test(ctx);

      expect(outcome.ok).toBe(false);
      expect(outcome.message).toContain('API key');
      expect(fake.requests).toHaveLength(0);
    });
  });
});
