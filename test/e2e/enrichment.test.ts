import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type Json, json } from '../support/http';
import { type LocalStackProcess, startLocalStackProcess } from '../support/local-stack';

const password = 'correct horse battery staple';

/** Enrichment through the local target with the provider sandbox: real queue, worker, fakes. */
describe('local target: enrichment with the provider sandbox', () => {
  let stack: LocalStackProcess;
  let token: string;
  const call = async (method: string, path: string, body?: unknown) =>
    fetch(`${stack.httpUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  beforeAll(async () => {
    stack = await startLocalStackProcess({ env: { VIGIL_PROVIDER_SANDBOX: '1' } });
    const res = await fetch(`${stack.httpUrl}/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tenantName: 'Enrich', email: 'admin@enrich.test', password, name: 'A' }),
    });
    token = (await json(res)).accessToken;
    for (const name of ['abuseipdb', 'virustotal', 'otx']) {
      const saved = await call('PUT', `/v1/integrations/${name}`, {
        credentials: { apiKey: `sandbox-${name}-key-0001` },
      });
      expect(saved.status).toBe(200);
    }
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('extracts defanged indicators from text, without file names or versions', async () => {
    const res = await call('POST', '/v1/extract', {
      text: 'C2 at hxxps://evil[.]example[.]net/gate.php from 185.220.101[.]34; see readme.md, agent v10.0.19041.1',
    });
    const { indicators } = await json(res);

    expect(indicators.map((i: Json) => `${i.type}:${i.value}`)).toEqual(
      expect.arrayContaining([
        'url:https://evil.example.net/gate.php',
        'domain:evil.example.net',
        'ipv4:185.220.101.34',
      ]),
    );
    expect(indicators.some((i: Json) => i.value === 'readme.md' || i.value.startsWith('10.0.19041'))).toBe(
      false,
    );
  });

  it('enriches a mixed batch: fresh then cached results, private and unsupported pairs skipped, live progress', async () => {
    const ws = new WebSocket(`${stack.wsUrl}?token=${token}`);
    const pushes: Json[] = [];
    ws.on('message', (data) => pushes.push(JSON.parse(String(data))));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));

    const first = await call('POST', '/v1/enrichments', {
      indicators: [{ value: '185.220.101.34' }, { value: '192.168.1.20' }, { value: 'CVE-2021-44228' }],
      wait: 15,
    });
    const job = await json(first);
    const again = await json(
      await call('POST', '/v1/enrichments', { indicators: [{ value: '185.220.101.34' }], wait: 15 }),
    );
    // Subscribing after the fact still works for later jobs: watch a third one live.
    const third = await json(
      await call('POST', '/v1/enrichments', { indicators: [{ value: '45.155.205.233' }] }),
    );
    ws.send(JSON.stringify({ action: 'subscribe', topics: [`enrichment:${third.id}`] }));
    const deadline = Date.now() + 15_000;
    while (!pushes.some((p) => p.data?.type === 'enrichment.completed') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    ws.close();
    const results = (value: string) => job.indicators.find((i: Json) => i.value === value).results;
    const status = (value: string, provider: string) =>
      results(value).find((r: Json) => r.provider === provider);
    const verdict = await json(await call('GET', '/v1/indicators/ipv4/185.220.101.34'));
    const providers = await json(await call('GET', '/v1/providers'));
    const stats = await json(await call('GET', '/v1/enrichments/stats'));
    const otherTenant = await fetch(`${stack.httpUrl}/v1/enrichments/${job.id}`, {
      headers: {
        authorization: `Bearer ${
          (
            await json(
              await fetch(`${stack.httpUrl}/v1/auth/register`, {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify({ tenantName: 'Other', email: 'o@enrich.test', password, name: 'O' }),
              }),
            )
          ).accessToken
        }`,
      },
    });

    expect(first.status).toBe(200);
    expect(job.status).toBe('completed');
    expect(job.counts.pending).toBe(0);
    expect(status('185.220.101.34', 'abuseipdb').status).toBe('done');
    expect(status('192.168.1.20', 'abuseipdb')).toMatchObject({
      status: 'skipped',
      reason: 'private_address',
    });
    expect(status('CVE-2021-44228', 'abuseipdb')).toMatchObject({
      status: 'skipped',
      reason: 'unsupported_type',
    });
    expect(job.indicators.find((i: Json) => i.value === '185.220.101.34').aggregate.verdict).toBe(
      'malicious',
    );
    expect(
      again.indicators[0].results
        .filter((r: Json) => r.status === 'cached')
        .map((r: Json) => r.provider)
        .sort(),
    ).toEqual(['abuseipdb', 'otx', 'virustotal']);
    expect(
      pushes.some((p) => p.topic === `enrichment:${third.id}` && p.data?.type === 'enrichment.completed'),
    ).toBe(true);
    expect(verdict).toMatchObject({ verdict: 'malicious', type: 'ipv4' });
    expect(providers.items.find((p: Json) => p.name === 'abuseipdb')).toMatchObject({
      enabled: true,
      configured: true,
    });
    expect(stats.jobsByStatus.completed).toBeGreaterThanOrEqual(2);
    expect(stats.cacheHitRatio).toBeGreaterThan(0);
    expect(otherTenant.status).toBe(404);
  });

  it('short-circuits allow-listed indicators to benign and reports IOC store matches', async () => {
    await call('POST', '/v1/allowlist', { value: 'intranet-partner.com', reason: 'our partner' });
    await call('POST', '/v1/iocs', {
      value: 'bad-actor.net',
      source: 'case-17',
      confidence: 90,
      tags: ['phishing'],
    });

    const job = await json(
      await call('POST', '/v1/enrichments', {
        indicators: [{ value: 'intranet-partner.com' }, { value: 'bad-actor.net' }],
        wait: 15,
      }),
    );
    const check = await json(await call('GET', '/v1/iocs/check?value=https://bad-actor.net/login'));
    const allowed = job.indicators.find((i: Json) => i.value === 'intranet-partner.com');
    const bad = job.indicators.find((i: Json) => i.value === 'bad-actor.net');

    expect(allowed.aggregate.verdict).toBe('benign');
    expect(allowed.results.filter((r: Json) => r.reason === 'allow_listed').length).toBeGreaterThan(0);
    expect(bad.aggregate.verdict).toBe('malicious');
    expect(check.matches[0]).toMatchObject({ matchedOn: 'host', ioc: { value: 'bad-actor.net' } });
  });

  it('refuses a job of more than 1,000 indicators with 413 and guidance', async () => {
    const indicators = Array.from({ length: 1001 }, (_, i) => ({
      value: `185.${Math.floor(i / 250)}.${i % 250}.7`,
    }));
    const res = await call('POST', '/v1/enrichments', { indicators });

    expect(res.status).toBe(413);
    expect(await json(res)).toMatchObject({ code: 'too_many_indicators', limit: 1000 });
  });
});
