import { afterEach, describe, expect, it } from 'vitest';
import { INTEL_FIXTURES, INTEL_UNSEEN } from '../../../../infra/local/sandbox/providers/intel-fixtures';
import { fakeThreatFox } from '../../../../infra/local/sandbox/providers/threatfox';
import { UnsupportedIndicatorError } from '../../../../shared/integrations/adapters/intel-normalize';
import { mapThreatFox, threatFoxAdapter } from '../../../../shared/integrations/adapters/threatfox';
import {
  OutboundAuthError,
  OutboundBadRequestError,
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

const KEY = 'tf-test-key-3e2d1c0b9a8f7e6d5c4b3a29';
let harness: IntelHarness;

async function start(options: HarnessOptions = {}) {
  harness = await startIntelHarness(fakeThreatFox(), { credentials: { apiKey: KEY }, ...options });
  return harness;
}

afterEach(async () => {
  await harness?.fake.close();
});

describe('ThreatFox lookups', () => {
  it('POSTs search_ioc with the Auth-Key and maps a C2 ip:port record to malicious', async () => {
    const { ctx, fake } = await start();

    const result = await threatFoxAdapter.lookup(ctx, { type: 'ipv4', value: INTEL_FIXTURES.maliciousIp });

    expect(fake.requests).toHaveLength(1);
    const sent = fake.requests[0];
    expect(sent?.method).toBe('POST');
    expect(sent?.path).toBe('/api/v1/');
    expect(sent?.headers['auth-key']).toBe(KEY);
    expect(sent?.headers['content-type']).toBe('application/json');
    expect(sent?.json()).toEqual({ query: 'search_ioc', search_term: INTEL_FIXTURES.maliciousIp });
    expect(result).toEqual({
      verdict: 'malicious',
      score: 75,
      confidence: 75,
      tags: ['cobalt-strike', 'botnet_cc', 'ip:port', 'cobaltstrike', 'c2'],
      details: {
        matches: 1,
        matchedBy: 'ioc',
        malware: 'Cobalt Strike',
        threatType: 'botnet_cc',
        firstSeen: '2026-11-02 08:14:03 UTC',
        lastSeen: '2026-11-29 17:40:11 UTC',
        ids: ['1398201'],
      },
    });
  });

  it('ignores records for longer addresses that a bare-IP search also matches', async () => {
    const { ctx } = await start();

    const result = await threatFoxAdapter.lookup(ctx, { type: 'ipv4', value: '185.220.101.3' });

    expect(result).toMatchObject({ verdict: 'unknown', score: 0, details: { matches: 0 } });
  });

  it('searches domains and URLs with exact matching', async () => {
    const { ctx, fake } = await start();

    const domain = await threatFoxAdapter.lookup(ctx, {
      type: 'domain',
      value: INTEL_FIXTURES.maliciousDomain,
    });
    const url = await threatFoxAdapter.lookup(ctx, { type: 'url', value: INTEL_FIXTURES.maliciousUrl });

    expect(fake.requests[0]?.json()).toEqual({
      query: 'search_ioc',
      search_term: INTEL_FIXTURES.maliciousDomain,
      exact_match: true,
    });
    expect(domain).toMatchObject({ verdict: 'malicious', score: 100, confidence: 100 });
    expect(domain.tags).toEqual(['socgholish', 'payload_delivery', 'domain', 'fakeupdates']);
    expect(url.details.ids).toEqual(['1401878']);
  });

  it('falls back to search_hash for a hash that is a known sample rather than an IOC', async () => {
    const { ctx, fake } = await start();

    const result = await threatFoxAdapter.lookup(ctx, { type: 'md5', value: INTEL_FIXTURES.eicarMd5 });

    expect(fake.requests.map((request) => request.json())).toEqual([
      { query: 'search_ioc', search_term: INTEL_FIXTURES.eicarMd5, exact_match: true },
      { query: 'search_hash', hash: INTEL_FIXTURES.eicarMd5 },
    ]);
    expect(result).toMatchObject({
      verdict: 'malicious',
      details: { matchedBy: 'sample', malware: 'Cobalt Strike' },
    });
    expect(result.tags).toContain('malware-sample');
  });

  it('answers unknown on no_result', async () => {
    const { ctx, fake } = await start();

    const result = await threatFoxAdapter.lookup(ctx, { type: 'domain', value: INTEL_UNSEEN.domain });

    expect(result).toEqual({
      verdict: 'unknown',
      score: 0,
      confidence: 20,
      tags: [],
      details: { matches: 0 },
    });
    expect(fake.requests).toHaveLength(1);
  });

  it('downgrades a match first seen long ago and not seen since', () => {
    const old = {
      id: '7',
      ioc: 'old.example.top',
      confidence_level: 75,
      first_seen: '2026-01-01 00:00:00 UTC',
      last_seen: null,
    };

    expect(mapThreatFox([old], 'ioc', TEST_NOW)).toMatchObject({
      verdict: 'suspicious',
      score: 69,
      confidence: 55,
    });
  });

  it('never sends SHA-1 hashes (not a ThreatFox IOC type)', async () => {
    const { ctx, fake } = await start();

    const error = await rejection(
      threatFoxAdapter.lookup(ctx, { type: 'sha1', value: INTEL_FIXTURES.eicarSha1 }),
    );

    expect(error).toBeInstanceOf(UnsupportedIndicatorError);
    expect(fake.requests).toHaveLength(0);
  });
});

describe('ThreatFox failures', () => {
  it('maps a rejected Auth-Key (HTTP 401) to an auth error without leaking it', async () => {
    const { withCredentials } = await start();

    const error = await rejection(
      threatFoxAdapter.lookup(withCredentials({ apiKey: 'invalid-key' }), { type: 'domain', value: 'a.net' }),
    );

    expect(error).toBeInstanceOf(OutboundAuthError);
    expect((error as OutboundAuthError).status).toBe(401);
    expectNoSecret(harness, 'invalid-key', error);
  });

  it('reads auth and query errors that arrive as HTTP 200', async () => {
    const { ctx, fake } = await start();
    fake.enqueue(
      { status: 200, body: { query_status: 'unknown_auth_key' } },
      { status: 200, body: { query_status: 'illegal_search_term' } },
      { status: 200, body: { query_status: 'server_busy' } },
    );

    const auth = await rejection(threatFoxAdapter.lookup(ctx, { type: 'domain', value: 'a.net' }));
    const illegal = await rejection(threatFoxAdapter.lookup(ctx, { type: 'domain', value: 'a.net' }));
    const other = await rejection(threatFoxAdapter.lookup(ctx, { type: 'domain', value: 'a.net' }));

    expect(auth).toBeInstanceOf(OutboundAuthError);
    expect(illegal).toBeInstanceOf(OutboundBadRequestError);
    expect(other).toBeInstanceOf(UpstreamError);
    expect(fake.requests).toHaveLength(3);
  });

  it('waits out a short 429 and retries', async () => {
    const { ctx, fake, sleeps } = await start();
    fake.enqueue({ status: 429, headers: { 'Retry-After': '1' }, body: 'Too Many Requests' });

    const result = await threatFoxAdapter.lookup(ctx, {
      type: 'domain',
      value: INTEL_FIXTURES.maliciousDomain,
    });

    expect(result.verdict).toBe('malicious');
    expect(sleeps).toEqual([1000]);
  });

  it('reports a persistent 502 as upstream after one retry', async () => {
    const { ctx, fake } = await start();
    fake.enqueue({ status: 502, body: 'Bad Gateway' }, { status: 502, body: 'Bad Gateway' });

    const error = await rejection(threatFoxAdapter.lookup(ctx, { type: 'domain', value: 'a.net' }));

    expect(error).toBeInstanceOf(UpstreamError);
    expect(fake.requests).toHaveLength(2);
  });

  it('times out a slow answer and rejects a malformed one', async () => {
    const { ctx, fake } = await start({ timeoutMs: 50 });
    fake.enqueue(
      { status: 200, delayMs: 400, body: {} },
      { status: 200, body: { query_status: 'ok', data: 5 } },
    );

    const slow = await rejection(threatFoxAdapter.lookup(ctx, { type: 'domain', value: 'a.net' }));
    const malformed = await rejection(threatFoxAdapter.lookup(ctx, { type: 'domain', value: 'a.net' }));

    expect(slow).toBeInstanceOf(OutboundTimeoutError);
    expect(malformed).toBeInstanceOf(UpstreamError);
  });
});

describe('ThreatFox connection test', () => {
  it('succeeds with a search that proves the key works', async () => {
    const { ctx, fake } = await start();

    const outcome = await threatFoxAdapter.test(ctx);

    expect(outcome.ok).toBe(true);
    expect(outcome.message).toMatch(/^ThreatFox accepted the Auth-Key/);
    expect(fake.requests[0]?.json()).toMatchObject({ query: 'search_ioc', search_term: '8.8.8.8' });
    expectNoSecret(harness, KEY, outcome);
  });

  it('explains a missing or rejected key', async () => {
    const { withCredentials, fake } = await start();

    const missing = await threatFoxAdapter.test(withCredentials({}));
    const rejected = await threatFoxAdapter.test(withCredentials({ apiKey: 'invalid-key' }));

    expect(missing).toMatchObject({ ok: false });
    expect(missing.message).toContain('has no API key configured');
    expect(rejected.ok).toBe(false);
    expect(rejected.message).toContain(
      'rejected the API key. Copy the Auth-Key from your account at https://auth.abuse.ch',
    );
    expect(fake.requests).toHaveLength(1);
    expectNoSecret(harness, 'invalid-key', rejected);
  });
});
