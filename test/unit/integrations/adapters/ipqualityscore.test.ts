import { afterEach, describe, expect, it } from 'vitest';
import { INTEL_FIXTURES, INTEL_UNSEEN } from '../../../../infra/local/sandbox/providers/intel-fixtures';
import {
  fakeIpQualityScore,
  ipQualityScoreFailure,
} from '../../../../infra/local/sandbox/providers/ipqualityscore';
import { UnsupportedIndicatorError } from '../../../../shared/integrations/adapters/intel-normalize';
import { ipQualityScoreAdapter, mapIpqsIp } from '../../../../shared/integrations/adapters/ipqualityscore';
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
} from './intel-harness';

const KEY = 'ipqsTestKey4b3c2d1e0f9a8b7c6d5e4f3a';
let harness: IntelHarness;

async function start(options: HarnessOptions = {}) {
  harness = await startIntelHarness(fakeIpQualityScore(), { credentials: { apiKey: KEY }, ...options });
  return harness;
}

afterEach(async () => {
  await harness?.fake.close();
});

describe('IPQualityScore lookups', () => {
  it('puts the key in the path, asks for a fast strict-1 IP score and maps a Tor exit to malicious', async () => {
    const { ctx, fake } = await start();

    const result = await ipQualityScoreAdapter.lookup(ctx, {
      type: 'ipv4',
      value: INTEL_FIXTURES.maliciousIp,
    });

    expect(fake.requests).toHaveLength(1);
    const sent = fake.requests[0];
    expect(sent?.method).toBe('GET');
    expect(sent?.path).toBe(`/api/json/ip/${KEY}/${INTEL_FIXTURES.maliciousIp}`);
    expect(Object.fromEntries(sent?.query ?? [])).toEqual({
      strictness: '1',
      allow_public_access_points: 'true',
      fast: 'true',
    });
    expect(result).toEqual({
      verdict: 'malicious',
      score: 100,
      confidence: 85,
      tags: ['proxy', 'vpn', 'tor', 'active-tor', 'bot', 'recent-abuse', 'data-center'],
      details: {
        fraudScore: 100,
        countryCode: 'DE',
        isp: 'Stiftung Erneuerbare Freiheit',
        asn: 60729,
        organization: 'Stiftung Erneuerbare Freiheit',
        host: 'tor-exit-34.for-privacy.net',
        connectionType: 'Data Center',
        recentAbuse: true,
        abuseVelocity: 'high',
        proxy: true,
        vpn: true,
        tor: true,
      },
    });
    expectNoSecret(harness, KEY, result);
  });

  it('scores a clean resolver benign and honours the strictness setting', async () => {
    const { ctx, fake } = await start({ settings: { strictness: '2' } });

    const result = await ipQualityScoreAdapter.lookup(ctx, { type: 'ipv4', value: INTEL_FIXTURES.benignIp });

    expect(fake.requests[0]?.query.get('strictness')).toBe('2');
    expect(result).toMatchObject({ verdict: 'benign', score: 0, confidence: 60, tags: ['data-center'] });
  });

  it('calls recent abuse suspicious even with a low fraud score', () => {
    const result = mapIpqsIp({
      success: true,
      fraud_score: 40,
      recent_abuse: true,
      abuse_velocity: 'medium',
    });

    expect(result).toMatchObject({ verdict: 'suspicious', score: 40, confidence: 85 });
  });

  it('URL-encodes URLs into the path and maps phishing to malicious', async () => {
    const { ctx, fake } = await start();

    const result = await ipQualityScoreAdapter.lookup(ctx, {
      type: 'url',
      value: INTEL_FIXTURES.maliciousUrl,
    });

    expect(fake.requests[0]?.path).toBe(
      `/api/json/url/${KEY}/${encodeURIComponent(INTEL_FIXTURES.maliciousUrl)}`,
    );
    expect(fake.requests[0]?.query.get('strictness')).toBe('0');
    expect(result).toMatchObject({
      verdict: 'malicious',
      score: 100,
      confidence: 95,
      tags: ['phishing', 'malware'],
    });
    expect(result.details).toMatchObject({ domain: INTEL_FIXTURES.maliciousDomain, category: 'Phishing' });
  });

  it('calls a clean resolving domain benign and an unresolvable one unknown', async () => {
    const { ctx } = await start();

    const clean = await ipQualityScoreAdapter.lookup(ctx, {
      type: 'domain',
      value: INTEL_FIXTURES.benignDomain,
    });
    const unseen = await ipQualityScoreAdapter.lookup(ctx, { type: 'domain', value: INTEL_UNSEEN.domain });

    expect(clean).toMatchObject({ verdict: 'benign', score: 0, confidence: 65, tags: ['search-engines'] });
    expect(unseen).toMatchObject({
      verdict: 'unknown',
      score: 0,
      confidence: 30,
      details: { dnsValid: false },
    });
  });

  it('does not send file hashes', async () => {
    const { ctx, fake } = await start();

    const error = await rejection(
      ipQualityScoreAdapter.lookup(ctx, { type: 'sha256', value: INTEL_FIXTURES.eicarSha256 }),
    );

    expect(error).toBeInstanceOf(UnsupportedIndicatorError);
    expect(fake.requests).toHaveLength(0);
  });
});

describe('IPQualityScore failures (HTTP 200 with success:false)', () => {
  it('maps an invalid key to an auth error, keeping the key out of messages and logs', async () => {
    const { withCredentials } = await start();
    const bad = withCredentials({ apiKey: 'invalid-key' });

    const error = await rejection(ipQualityScoreAdapter.lookup(bad, { type: 'ipv4', value: '9.9.9.9' }));

    expect(error).toBeInstanceOf(OutboundAuthError);
    expect((error as OutboundAuthError).status).toBe(200);
    expectNoSecret(harness, 'invalid-key', error);
  });

  it('maps spent credits and an exceeded monthly quota to quota exhaustion without retrying', async () => {
    const { ctx, fake } = await start();
    fake.enqueue(
      ipQualityScoreFailure('You have insufficient credits to make this query.'),
      ipQualityScoreFailure('You have exceeded your request quota of 5000 per month.'),
    );

    const credits = await rejection(ipQualityScoreAdapter.lookup(ctx, { type: 'ipv4', value: '9.9.9.9' }));
    const monthly = await rejection(ipQualityScoreAdapter.lookup(ctx, { type: 'ipv4', value: '9.9.9.9' }));

    expect(credits).toBeInstanceOf(QuotaExhaustedError);
    expect(monthly).toBeInstanceOf(QuotaExhaustedError);
    expect(fake.requests).toHaveLength(2);
  });

  it('maps invalid input to bad_request and other failures to upstream', async () => {
    const { ctx, fake } = await start();
    fake.enqueue(
      ipQualityScoreFailure('Invalid IPv4 address, IPv6 address or hostname.'),
      ipQualityScoreFailure('Temporary system error, please retry.'),
    );

    const bad = await rejection(ipQualityScoreAdapter.lookup(ctx, { type: 'ipv4', value: '9.9.9.9' }));
    const other = await rejection(ipQualityScoreAdapter.lookup(ctx, { type: 'ipv4', value: '9.9.9.9' }));

    expect(bad).toBeInstanceOf(OutboundBadRequestError);
    expect(other).toBeInstanceOf(UpstreamError);
  });

  it('retries a 503 once, then reports upstream, with the key redacted from the message', async () => {
    const { ctx, fake } = await start();
    fake.enqueue({ status: 503, body: 'Service Unavailable' }, { status: 503, body: 'Service Unavailable' });

    const error = await rejection(ipQualityScoreAdapter.lookup(ctx, { type: 'ipv4', value: '9.9.9.9' }));

    expect(error).toBeInstanceOf(UpstreamError);
    expect(error.message).toContain('[redacted]');
    expect(fake.requests).toHaveLength(2);
    expectNoSecret(harness, KEY, error);
  });

  it('times out a slow answer and rejects a malformed one', async () => {
    const { ctx, fake } = await start({ timeoutMs: 50 });
    fake.enqueue(
      { status: 200, delayMs: 400, body: {} },
      { status: 200, body: { success: true, fraud_score: 'high' } },
    );

    const slow = await rejection(ipQualityScoreAdapter.lookup(ctx, { type: 'ipv4', value: '9.9.9.9' }));
    const malformed = await rejection(ipQualityScoreAdapter.lookup(ctx, { type: 'ipv4', value: '9.9.9.9' }));

    expect(slow).toBeInstanceOf(OutboundTimeoutError);
    expect(malformed).toBeInstanceOf(UpstreamError);
  });
});

describe('IPQualityScore connection test', () => {
  it('succeeds with a lookup of 8.8.8.8', async () => {
    const { ctx } = await start();

    const outcome = await ipQualityScoreAdapter.test(ctx);

    expect(outcome).toEqual({
      ok: true,
      message: 'IPQualityScore accepted the key (8.8.8.8 has a fraud score of 0).',
    });
    expectNoSecret(harness, KEY, outcome);
  });

  it('explains a rejected key and spent credits', async () => {
    const { ctx, withCredentials, fake } = await start();

    const rejected = await ipQualityScoreAdapter.test(withCredentials({ apiKey: 'invalid-key' }));
    fake.enqueue(ipQualityScoreFailure('You have insufficient credits to make this query.'));
    const spent = await ipQualityScoreAdapter.test(ctx);

    expect(rejected).toMatchObject({ ok: false, details: { kind: 'auth' } });
    expect(rejected.message).toContain('rejected the API key');
    expect(spent).toMatchObject({ ok: false, details: { kind: 'quota_exhausted' } });
    expect(spent.message).toContain('quota is used up');
    expectNoSecret(harness, KEY, rejected, spent);
  });
});
