import { describe, expect, it } from 'vitest';
import { fakeIpinfo } from '../../../../infra/local/sandbox/providers/ipinfo';
import { ipinfoAdapter } from '../../../../shared/integrations/adapters/ipinfo';
import {
  OutboundAuthError,
  OutboundTimeoutError,
  QuotaExhaustedError,
  UpstreamError,
} from '../../../../shared/integrations/http/errors';
import { BadRequestError } from '../../../../shared/platform/errors';
import { harness, rejection, serialized, startFake } from './geo-harness';

const TOKEN = 'a1b2c3d4e5f60718';
const BUSINESS_TOKEN = 'business-9d8c7b6a5f4e';

describe('IPinfo adapter', () => {
  describe('the Lite API', () => {
    it('normalizes country and ASN and sends the token as a Bearer header', async () => {
      const fake = await startFake(fakeIpinfo());
      const { ctx, logs } = harness({ baseUrl: fake.url, credentials: { token: TOKEN } });

      const result = await ipinfoAdapter.lookup(ctx, { type: 'ipv4', value: '8.8.8.8' });

      expect(result).toEqual({
        verdict: 'unknown',
        score: 0,
        confidence: 0,
        tags: [],
        details: {
          provider: 'ipinfo',
          ip: '8.8.8.8',
          country: 'United States',
          countryCode: 'US',
          asn: 15169,
          org: 'Google LLC',
          privacy: {},
          asDomain: 'google.com',
          plan: 'lite',
        },
      });
      const [request] = fake.requests;
      expect(request?.method).toBe('GET');
      expect(request?.path).toBe('/lite/8.8.8.8');
      expect(request?.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(request?.query.has('token')).toBe(false);
      expect(serialized(result, logs)).not.toContain(TOKEN);
    });

    it('looks up IPv6 addresses in the path', async () => {
      const fake = await startFake(fakeIpinfo());
      const { ctx } = harness({ baseUrl: fake.url, credentials: { token: TOKEN } });

      const result = await ipinfoAdapter.lookup(ctx, { type: 'ipv6', value: '2001:4860:4860::8888' });

      expect(fake.requests[0]?.path).toBe('/lite/2001:4860:4860::8888');
      expect(result.details.ip).toBe('2001:4860:4860::8888');
    });
  });

  describe('the core API', () => {
    it('parses loc, the AS prefix of org and anycast on the free core plan', async () => {
      const fake = await startFake(fakeIpinfo());
      const { ctx } = harness({
        baseUrl: fake.url,
        credentials: { token: TOKEN },
        settings: { plan: 'core' },
      });

      const result = await ipinfoAdapter.lookup(ctx, { type: 'ipv4', value: '8.8.8.8' });

      expect(fake.requests[0]?.path).toBe('/8.8.8.8/json');
      expect(result.tags).toEqual(['anycast']);
      expect(result.details).toEqual({
        provider: 'ipinfo',
        ip: '8.8.8.8',
        country: 'United States',
        countryCode: 'US',
        region: 'California',
        city: 'Mountain View',
        lat: 37.4056,
        lon: -122.0775,
        asn: 15169,
        org: 'Google LLC',
        timezone: 'America/Los_Angeles',
        privacy: {},
        hostname: 'dns.google',
        anycast: true,
        plan: 'core',
      });
    });

    it('turns the paid privacy object into flags and tags', async () => {
      const fake = await startFake(fakeIpinfo());
      const { ctx } = harness({
        baseUrl: fake.url,
        credentials: { token: BUSINESS_TOKEN },
        settings: { plan: 'core' },
      });

      const result = await ipinfoAdapter.lookup(ctx, { type: 'ipv4', value: '185.220.101.34' });

      expect(result).toMatchObject({
        verdict: 'unknown',
        score: 0,
        tags: ['proxy', 'tor', 'hosting'],
        details: {
          countryCode: 'DE',
          asn: 60729,
          privacy: { vpn: false, proxy: true, tor: true, relay: false, hosting: true },
          privacyService: 'Tor',
        },
      });
    });
  });

  describe('no data', () => {
    it('reads a bogon answer as unknown with the bogon tag', async () => {
      const fake = await startFake(fakeIpinfo());
      fake.enqueue({ status: 200, body: { ip: '5.5.5.5', bogon: true } });
      const { ctx } = harness({ baseUrl: fake.url, credentials: { token: TOKEN } });

      const result = await ipinfoAdapter.lookup(ctx, { type: 'ipv4', value: '5.5.5.5' });

      expect(result).toMatchObject({ verdict: 'unknown', score: 0, tags: ['bogon'] });
    });

    it('reads a 404 as unknown context rather than an error', async () => {
      const fake = await startFake(fakeIpinfo());
      fake.enqueue({
        status: 404,
        body: { status: 404, error: { title: 'Wrong ip', message: 'Not valid' } },
      });
      const { ctx } = harness({ baseUrl: fake.url, credentials: { token: TOKEN } });

      const result = await ipinfoAdapter.lookup(ctx, { type: 'ipv4', value: '5.5.5.5' });

      expect(result).toMatchObject({ verdict: 'unknown', score: 0, details: { reason: 'not found' } });
    });

    it('answers private addresses locally and refuses hashes without calling', async () => {
      const fake = await startFake(fakeIpinfo());
      const { ctx } = harness({ baseUrl: fake.url, credentials: { token: TOKEN } });

      const local = await ipinfoAdapter.lookup(ctx, { type: 'ipv6', value: 'fd00::1' });
      const refused = await rejection(ipinfoAdapter.lookup(ctx, { type: 'domain', value: 'example.com' }));

      expect(local.tags).toEqual(['bogon', 'private']);
      expect(refused).toBeInstanceOf(BadRequestError);
      expect(fake.requests).toHaveLength(0);
    });
  });

  describe('credential errors', () => {
    it('reports a 403 for a bad token as an auth error without the token', async () => {
      const fake = await startFake(fakeIpinfo());
      const { ctx, logs } = harness({ baseUrl: fake.url, credentials: { token: 'invalid-key' } });

      const error = await rejection(ipinfoAdapter.lookup(ctx, { type: 'ipv4', value: '8.8.8.8' }));

      expect(error).toBeInstanceOf(OutboundAuthError);
      expect(fake.requests).toHaveLength(1);
      expect(serialized(error, logs)).not.toContain('invalid-key');
    });

    it('reports an HTTP-200 error object about the token as an auth error', async () => {
      const fake = await startFake(fakeIpinfo());
      fake.enqueue({
        status: 200,
        body: { error: { title: 'Unknown token', message: 'Please check your token' } },
      });
      const { ctx } = harness({ baseUrl: fake.url, credentials: { token: TOKEN } });

      const error = await rejection(ipinfoAdapter.lookup(ctx, { type: 'ipv4', value: '8.8.8.8' }));

      expect(error).toBeInstanceOf(OutboundAuthError);
      expect(error.message).toContain('Unknown token');
    });
  });

  describe('quota and throttling', () => {
    it('treats a 429 without Retry-After as the quota used up, without retrying', async () => {
      const fake = await startFake(fakeIpinfo({ monthlyLimit: 0 }));
      const { ctx } = harness({ baseUrl: fake.url, credentials: { token: TOKEN } });

      const error = await rejection(ipinfoAdapter.lookup(ctx, { type: 'ipv4', value: '8.8.8.8' }));

      expect(error).toBeInstanceOf(QuotaExhaustedError);
      expect(fake.requests).toHaveLength(1);
    });

    it('waits out a 429 that carries a short Retry-After', async () => {
      const fake = await startFake(fakeIpinfo());
      fake.enqueue({
        status: 429,
        headers: { 'Retry-After': '1' },
        body: { status: 429, error: 'slow down' },
      });
      const { ctx, sleeps } = harness({ baseUrl: fake.url, credentials: { token: TOKEN } });

      const result = await ipinfoAdapter.lookup(ctx, { type: 'ipv4', value: '8.8.8.8' });

      expect(sleeps).toEqual([1_000]);
      expect(result.details.countryCode).toBe('US');
    });
  });

  describe('transport failures', () => {
    it('retries a 502 and gives up with an upstream error', async () => {
      const fake = await startFake(fakeIpinfo());
      fake.enqueue({ status: 502, body: 'bad gateway' }, { status: 502, body: 'bad gateway' });
      const { ctx } = harness({ baseUrl: fake.url, credentials: { token: TOKEN } });

      const error = await rejection(ipinfoAdapter.lookup(ctx, { type: 'ipv4', value: '8.8.8.8' }));

      expect(error).toBeInstanceOf(UpstreamError);
      expect(fake.requests).toHaveLength(2);
    });

    it('times out a slow answer', async () => {
      const fake = await startFake(fakeIpinfo());
      fake.enqueue({ status: 200, body: { ip: '8.8.8.8' }, delayMs: 300 });
      const { ctx } = harness({
        baseUrl: fake.url,
        credentials: { token: TOKEN },
        client: { timeoutMs: 50, retry: { attempts: 1 } },
      });

      const error = await rejection(ipinfoAdapter.lookup(ctx, { type: 'ipv4', value: '8.8.8.8' }));

      expect(error).toBeInstanceOf(OutboundTimeoutError);
    });

    it('rejects a malformed body', async () => {
      const fake = await startFake(fakeIpinfo());
      fake.enqueue({ status: 200, body: 'not json' }, { status: 200, body: { country: 'US' } });
      const { ctx } = harness({ baseUrl: fake.url, credentials: { token: TOKEN } });

      const notJson = await rejection(ipinfoAdapter.lookup(ctx, { type: 'ipv4', value: '8.8.8.8' }));
      const noIp = await rejection(ipinfoAdapter.lookup(ctx, { type: 'ipv4', value: '8.8.8.8' }));

      expect(notJson).toBeInstanceOf(UpstreamError);
      expect(noIp).toBeInstanceOf(UpstreamError);
    });
  });

  describe('test()', () => {
    it('succeeds with the country and ASN of 8.8.8.8', async () => {
      const fake = await startFake(fakeIpinfo());
      const { ctx } = harness({ baseUrl: fake.url, credentials: { token: TOKEN } });

      const outcome = await ipinfoAdapter.test(ctx);

      expect(outcome).toMatchObject({ ok: true, details: { plan: 'lite' } });
      expect(outcome.message).toContain('US, AS15169');
    });

    it('points at the token page when the token is rejected', async () => {
      const fake = await startFake(fakeIpinfo());
      const { ctx, logs } = harness({ baseUrl: fake.url, credentials: { token: 'invalid-key' } });

      const outcome = await ipinfoAdapter.test(ctx);

      expect(outcome.ok).toBe(false);
      expect(outcome.message).toContain('ipinfo.io/account/token');
      expect(serialized(outcome, logs)).not.toContain('invalid-key');
    });

    it('asks for a token before calling when none is configured', async () => {
      const fake = await startFake(fakeIpinfo());
      const { ctx } = harness({ baseUrl: fake.url });

      const outcome = await ipinfoAdapter.test(ctx);

      expect(outcome.ok).toBe(false);
      expect(fake.requests).toHaveLength(0);
    });
  });
});
