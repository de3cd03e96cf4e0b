import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrichmentQueue, queueName } from '../../shared/platform/messaging';
import type { Json } from '../support/http';
import { type LocalStackProcess, startLocalStackProcess } from '../support/local-stack';

const password = 'correct horse battery staple';
const stage = 'local';
const remoteProviders = ['abuseipdb', 'virustotal', 'otx'] as const;
const apiKey = (name: string) => `e2e-faults-${name}-key-7f3a9c41`;
const retryBudget = 3;

const failingIp = '45.133.1.77'; // virustotal: 503 on every call
const throttledIp = '45.133.1.78'; // otx: one 429 with Retry-After: 2
const cachedIp = '185.220.101.34'; // enriched by an earlier job
const privateIp = '10.1.2.3';
const cve = 'CVE-2021-44228';

const finalStatuses = ['done', 'cached', 'skipped', 'failed'];

/** Request times grouped into attempts: calls less than a second apart belong to one attempt. */
function burstsOf(times: readonly number[]): number[][] {
  const bursts: number[][] = [];
  for (const at of [...times].sort((a, b) => a - b)) {
    const last = bursts.at(-1);
    if (last && at - (last.at(-1) ?? 0) < 1_000) last.push(at);
    else bursts.push([at]);
  }
  return bursts;
}

/**
 * Provider failures through the local target: the sandbox fakes misbehave for chosen indicators (via
 * their `/__sandbox` control endpoint) while one job runs through the real queue and worker, so the
 * retry budget, the back-off, `Retry-After`, the DLQ and the final pair states are seen end to end.
 */
describe('local target: enrichment when providers fail', () => {
  let stack: LocalStackProcess;
  let token: string;
  let fakes: Record<string, string>;
  /** Every body the Vigil API answered, to check that no credential ever leaks. */
  const bodies: string[] = [];
  const call = async (method: string, path: string, body?: unknown, auth = true) => {
    const res = await fetch(`${stack.httpUrl}${path}`, {
      method,
      headers: {
        ...(auth ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    bodies.push(text);
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as Json };
  };
  const sandbox = async (provider: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${fakes[provider]}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (res.status === 204 ? undefined : await res.json()) as Json };
  };
  const seenBy = async (provider: string, match: string) =>
    (await sandbox(provider, 'GET', `/__sandbox/requests?match=${encodeURIComponent(match)}`)).body as {
      count: number;
      requests: { method: string; path: string; at: number }[];
    };

  let submitted: { status: number; body: Json };
  let job: Json;
  let providers: Json[];
  let vtFault: { status: number; body: Json };
  let otxFault: { status: number; body: Json };

  beforeAll(async () => {
    stack = await startLocalStackProcess({
      env: {
        VIGIL_PROVIDER_SANDBOX: '1',
        VIGIL_STAGE: stage,
        ENRICHMENT_RETRY_BASE_SECONDS: '1',
        ENRICHMENT_RETRY_BUDGET: String(retryBudget),
        // 50 jobs at once from one analyst below.
        API_RATE_LIMIT_PER_SECOND: '100',
      },
    });
    const registered = await call(
      'POST',
      '/v1/auth/register',
      { tenantName: 'Faults', email: 'admin@faults.test', password, name: 'A' },
      false,
    );
    token = registered.body.accessToken;
    for (const name of remoteProviders) {
      const saved = await call('PUT', `/v1/integrations/${name}`, {
        credentials: { apiKey: apiKey(name) },
        // VirusTotal's free tier (4 lookups a minute) would defer the third attempt by up to a
        // minute; a paid plan keeps quota deferral out of the retry timing under test.
        ...(name === 'virustotal' ? { quota: { perMinute: 60 } } : {}),
      });
      expect(saved.status).toBe(200);
    }
    fakes = JSON.parse(readFileSync(join(stack.dataDir, 'sandbox', 'providers.json'), 'utf8'));

    // An earlier job fills the cache for one indicator.
    const warm = await call('POST', '/v1/enrichments', { indicators: [{ value: cachedIp }], wait: 15 });
    expect(warm.body.status).toBe('completed');

    vtFault = await sandbox('virustotal', 'POST', '/__sandbox/faults', {
      match: failingIp,
      status: 503,
      body: { error: { code: 'TransientError', message: 'Service temporarily unavailable' } },
    });
    otxFault = await sandbox('otx', 'POST', '/__sandbox/faults', {
      match: throttledIp,
      status: 429,
      headers: { 'retry-after': '2' },
      body: { detail: 'Request was throttled. Expected available in 2 seconds.' },
      times: 1,
    });

    submitted = await call('POST', '/v1/enrichments', {
      indicators: [
        { value: failingIp },
        { value: throttledIp },
        { value: cachedIp },
        { value: privateIp },
        { value: cve },
      ],
    });
    const deadline = Date.now() + 60_000;
    job = submitted.body;
    while (job?.id && job.status !== 'completed' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      job = (await call('GET', `/v1/enrichments/${submitted.body.id}`)).body;
    }
    providers = (await call('GET', '/v1/providers')).body.items;
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
  });

  const resultsOf = (value: string): Json[] =>
    job.indicators.find((i: Json) => i.value === value)?.results ?? [];
  const pair = (value: string, provider: string): Json =>
    resultsOf(value).find((r: Json) => r.provider === provider);

  it('completes the job with every pair in a final state', () => {
    expect(vtFault.status).toBe(201);
    expect(otxFault.status).toBe(201);
    expect(submitted.status).toBe(202);
    expect(job.status).toBe('completed');
    expect(job.counts.pending).toBe(0);
    const statuses = job.indicators.flatMap((i: Json) => i.results.map((r: Json) => r.status));
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.filter((s: string) => !finalStatuses.includes(s))).toEqual([]);
  });

  it('skips private addresses and types a provider does not support, and reuses the cache', () => {
    const supportsCve = new Set(
      providers.filter((p: Json) => p.supports.includes('cve')).map((p: Json) => p.name),
    );
    const cveUnsupported = resultsOf(cve).filter((r: Json) => !supportsCve.has(r.provider));

    for (const provider of remoteProviders) {
      expect(pair(privateIp, provider)).toMatchObject({ status: 'skipped', reason: 'private_address' });
      expect(pair(cachedIp, provider)).toMatchObject({ status: 'cached' });
    }
    expect(cveUnsupported.map((r: Json) => r.provider)).toEqual(
      expect.arrayContaining(['abuseipdb', 'virustotal']),
    );
    for (const result of cveUnsupported) {
      expect(result).toMatchObject({ status: 'skipped', reason: 'unsupported_type' });
    }
  });

  it('retries a provider answering 503 with back-off base·2ⁿ, then fails the pair after the budget', async () => {
    const { requests } = await seenBy('virustotal', failingIp);
    const attempts = burstsOf(requests.map((r) => r.at));
    // From the end of one attempt to the start of the next: base · 2ⁿ s after the n-th failure.
    const gaps = attempts.slice(1).map((attempt, n) => (attempt[0] ?? 0) - (attempts[n]?.at(-1) ?? 0));

    expect(pair(failingIp, 'virustotal')).toMatchObject({ status: 'failed' });
    expect(pair(failingIp, 'virustotal').reason).toMatch(
      new RegExp(`^upstream after ${retryBudget} attempts: `),
    );
    expect(attempts).toHaveLength(retryBudget);
    // 2 s then 4 s with ENRICHMENT_RETRY_BASE_SECONDS=1 (the default base of 5 s would wait 10 s, 20 s).
    expect(gaps[0]).toBeGreaterThanOrEqual(1_900);
    expect(gaps[0]).toBeLessThan(5_000);
    expect(gaps[1]).toBeGreaterThanOrEqual(3_900);
    expect(gaps[1]).toBeLessThan(8_000);
    expect(pair(failingIp, 'abuseipdb').status).toBe('done');
    expect(pair(failingIp, 'otx').status).toBe('done');
  });

  it('makes exactly one provider call per attempt (the quota governor granted one)', async () => {
    const seen = await seenBy('virustotal', failingIp);

    expect(seen.count).toBe(retryBudget);
  });

  it('honours a 429 Retry-After and then completes the lookup', async () => {
    const seen = await seenBy('otx', throttledIp);
    const rules = (await sandbox('otx', 'GET', '/__sandbox/faults')).body.rules;
    const [first, second] = seen.requests;

    expect(pair(throttledIp, 'otx').status).toBe('done');
    expect(rules).toEqual([expect.objectContaining({ match: throttledIp, fired: 1 })]);
    expect(seen.count).toBeGreaterThanOrEqual(2);
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(1_900);
  });

  it('parks the lookup that used its budget in the enrichment DLQ', async () => {
    const sqs = new SQSClient({
      endpoint: stack.awsEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const { QueueUrl } = await sqs.send(
      new GetQueueUrlCommand({ QueueName: queueName(stage, enrichmentQueue, true) }),
    );
    const attributes = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    const received: Message[] =
      (await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }))).Messages ?? [];
    const parked = received.map((m) => JSON.parse(m.Body ?? '{}'));
    sqs.destroy();

    expect(Number(attributes.Attributes?.ApproximateNumberOfMessages)).toBeGreaterThanOrEqual(1);
    expect(parked).toContainEqual(
      expect.objectContaining({
        provider: 'virustotal',
        jobId: submitted.body.id,
        indicator: { type: 'ipv4', value: failingIp },
      }),
    );
  });

  it('makes one provider call for 50 concurrent jobs on the same indicator', async () => {
    const shared = '45.133.1.99';
    const created = await Promise.all(
      Array.from({ length: 50 }, () =>
        call('POST', '/v1/enrichments', { indicators: [{ value: shared }], providers: ['otx'] }),
      ),
    );
    const ids = created.map((c) => c.body.id as string);
    const deadline = Date.now() + 30_000;
    let jobs: Json[] = [];
    do {
      await new Promise((resolve) => setTimeout(resolve, 250));
      jobs = await Promise.all(ids.map(async (id) => (await call('GET', `/v1/enrichments/${id}`)).body));
    } while (jobs.some((job) => job.status !== 'completed') && Date.now() < deadline);

    expect(created.map((c) => c.status).filter((status) => status !== 202 && status !== 200)).toEqual([]);
    expect(jobs.map((job) => job.status)).toEqual(ids.map(() => 'completed'));
    expect(
      jobs.map((job) => job.indicators[0].results[0].status).filter((s) => s !== 'done' && s !== 'cached'),
    ).toEqual([]);
    expect((await seenBy('otx', shared)).count).toBe(1);
  });

  it('never returns a provider credential in any response', () => {
    expect(bodies.length).toBeGreaterThan(0);
    for (const name of remoteProviders) {
      expect(bodies.filter((b) => b.includes(apiKey(name)))).toEqual([]);
    }
  });
});
