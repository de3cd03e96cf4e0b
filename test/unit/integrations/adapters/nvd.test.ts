import { afterEach, describe, expect, it } from 'vitest';
import { INTEL_FIXTURES, INTEL_UNSEEN } from '../../../../infra/local/sandbox/providers/intel-fixtures';
import { fakeNvd } from '../../../../infra/local/sandbox/providers/nvd';
import { UnsupportedIndicatorError } from '../../../../shared/integrations/adapters/intel-normalize';
import { mapNvd, nvdAdapter } from '../../../../shared/integrations/adapters/nvd';
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

const KEY = '7c1a9e52-3b4d-4f6a-8e2b-0d9c8b7a6f51';
let harness: IntelHarness;

async function start(options: HarnessOptions = {}, handler = fakeNvd()) {
  harness = await startIntelHarness(handler, { credentials: { apiKey: KEY }, ...options });
  return harness;
}

afterEach(async () => {
  await harness?.fake.close();
});

const page = (cve: Record<string, unknown>) => ({
  resultsPerPage: 1,
  startIndex: 0,
  totalResults: 1,
  format: 'NVD_CVE',
  version: '2.0',
  timestamp: '2026-12-01T00:00:00.000',
  vulnerabilities: [{ cve }],
});

/** A parsed one-record page, for exercising the mapping directly. */
type Page = Parameters<typeof mapNvd>[0];
const one = (cve: Page['vulnerabilities'][number]['cve']): Page => ({
  totalResults: 1,
  vulnerabilities: [{ cve }],
});

describe('NVD CVE lookups', () => {
  it('asks GET /rest/json/cves/2.0?cveId= with the apiKey header and calls a KEV entry malicious', async () => {
    const { ctx, fake } = await start();

    const result = await nvdAdapter.lookup(ctx, { type: 'cve', value: INTEL_FIXTURES.kevCve });

    expect(fake.requests).toHaveLength(1);
    const sent = fake.requests[0];
    expect(sent?.method).toBe('GET');
    expect(sent?.path).toBe('/rest/json/cves/2.0');
    expect(sent?.query.get('cveId')).toBe('CVE-2021-44228');
    expect(sent?.headers.apikey).toBe(KEY);
    expect(result).toMatchObject({
      verdict: 'malicious',
      score: 100,
      confidence: 90,
      tags: ['critical', 'cwe-502', 'cwe-400', 'cwe-20', 'kev'],
      details: {
        cveId: 'CVE-2021-44228',
        baseScore: 10,
        severity: 'CRITICAL',
        cvssVersion: '3.1',
        vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H',
        published: '2021-12-10T10:15:09.143',
        vulnStatus: 'Analyzed',
        knownExploited: true,
        kevAdded: '2021-12-10',
        kevDueDate: '2021-12-24',
      },
    });
    expect(result.details.description).toMatch(/^Remote code execution in Apache Log4j2/);
    expectNoSecret(harness, KEY, result);
  });

  it('works without a key and then sends no apiKey header', async () => {
    const { withCredentials, fake } = await start();

    const result = await nvdAdapter.lookup(withCredentials({}), {
      type: 'cve',
      value: INTEL_FIXTURES.kevCve,
    });

    expect(result.verdict).toBe('malicious');
    expect(fake.requests[0]?.headers.apikey).toBeUndefined();
  });

  it('calls a CVE NVD does not know unknown (totalResults 0)', async () => {
    const { ctx } = await start();

    const result = await nvdAdapter.lookup(ctx, { type: 'cve', value: INTEL_UNSEEN.cve });

    expect(result).toEqual({
      verdict: 'unknown',
      score: 0,
      confidence: 20,
      tags: [],
      details: { found: false },
    });
  });

  it('calls a rejected CVE benign', async () => {
    const { ctx, fake } = await start();
    fake.enqueue({
      status: 200,
      body: page({
        id: 'CVE-2023-99999',
        vulnStatus: 'Rejected',
        descriptions: [{ lang: 'en', value: 'Rejected' }],
      }),
    });

    const result = await nvdAdapter.lookup(ctx, { type: 'cve', value: 'CVE-2023-99999' });

    expect(result).toMatchObject({ verdict: 'benign', score: 0, confidence: 90, tags: ['rejected'] });
  });

  it('calls a high-severity CVE suspicious, reading the v2 severity from the metric and lowering confidence while pending', () => {
    const result = mapNvd(
      one({
        id: 'CVE-2014-0001',
        vulnStatus: 'Awaiting Analysis',
        descriptions: [],
        metrics: {
          cvssMetricV2: [
            { source: 'other@cna.org', type: 'Secondary', cvssData: { version: '2.0', baseScore: 5 } },
            {
              source: 'nvd@nist.gov',
              type: 'Primary',
              cvssData: { version: '2.0', baseScore: 7.5 },
              baseSeverity: 'HIGH',
            },
          ],
        },
      }),
    );

    expect(result).toMatchObject({ verdict: 'suspicious', score: 69, confidence: 40, tags: ['high'] });
    expect(result.details.baseScore).toBe(7.5);
  });

  it('keeps a low-severity CVE unknown: a CVE is never benign', () => {
    const result = mapNvd(
      one({
        id: 'CVE-2020-0002',
        vulnStatus: 'Analyzed',
        descriptions: [],
        metrics: {
          cvssMetricV31: [{ type: 'Primary', cvssData: { baseScore: 4.3, baseSeverity: 'MEDIUM' } }],
        },
      }),
    );

    expect(result).toMatchObject({ verdict: 'unknown', score: 0, confidence: 30, tags: ['medium'] });
  });

  it('looks up nothing but CVEs', async () => {
    const { ctx, fake } = await start();

    const error = await rejection(nvdAdapter.lookup(ctx, { type: 'ipv4', value: '8.8.8.8' }));

    expect(error).toBeInstanceOf(UnsupportedIndicatorError);
    expect(fake.requests).toHaveLength(0);
  });
});

describe('NVD failures (empty bodies, reason in the message header)', () => {
  it('maps 404 "Invalid apiKey." to an auth error without leaking the key', async () => {
    const { withCredentials } = await start();

    const error = await rejection(
      nvdAdapter.lookup(withCredentials({ apiKey: 'invalid-key' }), {
        type: 'cve',
        value: INTEL_FIXTURES.kevCve,
      }),
    );

    expect(error).toBeInstanceOf(OutboundAuthError);
    expect((error as OutboundAuthError).status).toBe(404);
    expectNoSecret(harness, 'invalid-key', error);
  });

  it('maps a 404 with another message to bad_request', async () => {
    const { ctx, fake } = await start();
    fake.enqueue({ status: 404, headers: { message: 'Invalid cveId parameter value.' } });

    const error = await rejection(nvdAdapter.lookup(ctx, { type: 'cve', value: 'CVE-2021-44228' }));

    expect(error).toBeInstanceOf(OutboundBadRequestError);
    expect(error.message).toContain('Invalid cveId parameter value.');
  });

  it('defers a 403 by the 30-second window', async () => {
    const { ctx, fake, sleeps } = await start();
    fake.enqueue({ status: 403, headers: { apikey: 'Yes' } });

    const error = await rejection(nvdAdapter.lookup(ctx, { type: 'cve', value: 'CVE-2021-44228' }));

    expect(error).toBeInstanceOf(OutboundRateLimitedError);
    expect((error as OutboundRateLimitedError).retryAfterSeconds).toBe(30);
    expect(sleeps).toEqual([]);
    expect(fake.requests).toHaveLength(1);
  });

  it('enforces 5 keyless requests per rolling 30 s in the fake, which the adapter reports as rate_limited', async () => {
    let clock = 1_000_000;
    const { withCredentials } = await start(
      {},
      fakeNvd(() => clock),
    );
    const keyless = withCredentials({});
    for (let i = 0; i < 5; i += 1)
      await nvdAdapter.lookup(keyless, { type: 'cve', value: INTEL_FIXTURES.kevCve });

    const throttled = await rejection(
      nvdAdapter.lookup(keyless, { type: 'cve', value: INTEL_FIXTURES.kevCve }),
    );
    clock += 30_001;
    const later = await nvdAdapter.lookup(keyless, { type: 'cve', value: INTEL_FIXTURES.kevCve });

    expect(throttled).toBeInstanceOf(OutboundRateLimitedError);
    expect(later.verdict).toBe('malicious');
  });

  it('retries a 503 once and then reports upstream', async () => {
    const { ctx, fake } = await start();
    fake.enqueue({ status: 503 }, { status: 503 });

    const error = await rejection(nvdAdapter.lookup(ctx, { type: 'cve', value: 'CVE-2021-44228' }));

    expect(error).toBeInstanceOf(UpstreamError);
    expect(fake.requests).toHaveLength(2);
  });

  it('times out a slow answer and rejects a malformed one', async () => {
    const { ctx, fake } = await start({ timeoutMs: 50 });
    fake.enqueue({ status: 200, delayMs: 400, body: {} }, { status: 200, body: { totalResults: '1' } });

    const slow = await rejection(nvdAdapter.lookup(ctx, { type: 'cve', value: 'CVE-2021-44228' }));
    const malformed = await rejection(nvdAdapter.lookup(ctx, { type: 'cve', value: 'CVE-2021-44228' }));

    expect(slow).toBeInstanceOf(OutboundTimeoutError);
    expect(malformed).toBeInstanceOf(UpstreamError);
  });
});

describe('NVD connection test', () => {
  it('succeeds with and without a key', async () => {
    const { ctx, withCredentials } = await start();

    const keyed = await nvdAdapter.test(ctx);
    const keyless = await nvdAdapter.test(withCredentials({}));

    expect(keyed).toEqual({
      ok: true,
      message: 'NVD accepted the key (50 requests per 30 s); CVE-2021-44228 returned 1 record.',
    });
    expect(keyless.ok).toBe(true);
    expect(keyless.message).toContain('answered without a key (5 requests per 30 s)');
    expectNoSecret(harness, KEY, keyed, keyless);
  });

  it('fails when the key is rejected or not applied', async () => {
    const { ctx, withCredentials, fake } = await start();

    const rejected = await nvdAdapter.test(withCredentials({ apiKey: 'invalid-key' }));
    fake.enqueue({ status: 200, headers: { apikey: 'No' }, body: page({ id: 'CVE-2021-44228' }) });
    const ignored = await nvdAdapter.test(ctx);

    expect(rejected.ok).toBe(false);
    expect(rejected.message).toContain('NVD rejected the API key. Copy the key from the activation email');
    expect(ignored).toMatchObject({ ok: false });
    expect(ignored.message).toContain('did not apply the API key');
    expectNoSecret(harness, KEY, rejected, ignored);
  });
});
