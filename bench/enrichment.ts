import { startLocalStackProcess } from '../test/support/local-stack';

/**
 * Enrichment on the local target with the provider sandbox (real queue, worker, DynamoDB Local and
 * provider fakes): the latency of a fully cached 100-indicator job with `wait`, and the throughput
 * of a 10,000-indicator run against three sandbox providers (their plans raised through the tenant
 * quota override, so the figure is the platform's, not a free tier's).
 */
export interface EnrichmentBench {
  cachedJob: { runs: number; p50Ms: number; p99Ms: number; maxMs: number };
  throughput: {
    indicators: number;
    providers: number;
    results: number;
    seconds: number;
    resultsPerSecond: number;
  };
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;

export async function benchEnrichment(
  options: { cachedRuns?: number; indicators?: number } = {},
): Promise<EnrichmentBench> {
  const stack = await startLocalStackProcess({
    env: { VIGIL_PROVIDER_SANDBOX: '1', VIGIL_ACCESS_LOG: '0', API_RATE_LIMIT_PER_SECOND: '1000' },
  });
  try {
    const send = async (method: string, path: string, body: unknown, token?: string) =>
      fetch(`${stack.httpUrl}${path}`, {
        method,
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
      });
    const registered = (await (
      await send('POST', '/v1/auth/register', {
        tenantName: 'Bench',
        email: 'bench@bench.test',
        password: 'correct horse battery staple',
        name: 'Bench',
      })
    ).json()) as { accessToken: string };
    const token = registered.accessToken;
    /** Polls a job until it completes; returns its pair counts. */
    const completed = async (id: string): Promise<Record<string, number>> => {
      for (;;) {
        const job = (await (
          await fetch(`${stack.httpUrl}/v1/enrichments/${id}`, {
            headers: { authorization: `Bearer ${token}` },
          })
        ).json()) as { status: string; counts: Record<string, number> };
        if (job.status === 'completed') return job.counts;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    };
    const providers = ['virustotal', 'otx', 'threatfox'];
    for (const name of providers) {
      const res = await send(
        'PUT',
        `/v1/integrations/${name}`,
        {
          credentials: { apiKey: `bench-${name}-key-00001` },
          quota: { perSecond: 1000, perMinute: 60_000, perDay: 10_000_000 },
        },
        token,
      );
      if (res.status !== 200) throw new Error(`configuring ${name}: ${res.status} ${await res.text()}`);
    }

    // Fully cached 100-indicator job: warm once, then time repeated runs.
    const hundred = Array.from({ length: 100 }, (_, i) => ({
      value: `185.220.${Math.floor(i / 50)}.${(i % 50) + 1}`,
    }));
    const warm = (await (
      await send('POST', '/v1/enrichments', { indicators: hundred, providers }, token)
    ).json()) as {
      id: string;
    };
    await completed(warm.id);
    const latencies: number[] = [];
    for (let run = 0; run < (options.cachedRuns ?? 40); run += 1) {
      const started = performance.now();
      const res = await send('POST', '/v1/enrichments', { indicators: hundred, providers, wait: 20 }, token);
      const job = (await res.json()) as { counts: Record<string, number> };
      latencies.push(performance.now() - started);
      if (res.status !== 200 || job.counts.cached !== 300)
        throw new Error(`cached run was not fully cached: ${JSON.stringify(job.counts)}`);
    }
    latencies.sort((a, b) => a - b);

    // Throughput: distinct indicators, results counted as pairs settled.
    const total = options.indicators ?? 10_000;
    // Jobs of 100: on DynamoDB Local, with the workers writing at the same time, creating a job of
    // several hundred indicators can pass the 29 s API limit (DynamoDB in AWS does not have this ceiling).
    const jobSize = 100;
    const started = performance.now();
    const ids: string[] = [];
    for (let offset = 0; offset < total; offset += jobSize) {
      const indicators = Array.from({ length: Math.min(jobSize, total - offset) }, (_, i) => {
        const n = offset + i;
        return { value: `45.${10 + Math.floor(n / 62_500)}.${Math.floor(n / 250) % 250}.${(n % 250) + 1}` };
      });
      const res = await send('POST', '/v1/enrichments', { indicators, providers }, token);
      if (res.status !== 202 && res.status !== 200)
        throw new Error(`job creation failed: ${res.status} ${await res.text()}`);
      ids.push(((await res.json()) as { id: string }).id);
    }
    let results = 0;
    for (const id of ids) {
      for (;;) {
        const job = (await (
          await fetch(`${stack.httpUrl}/v1/enrichments/${id}`, {
            headers: { authorization: `Bearer ${token}` },
          })
        ).json()) as { status: string; counts: Record<string, number> };
        if (job.status === 'completed') {
          results += (job.counts.done ?? 0) + (job.counts.cached ?? 0) + (job.counts.failed ?? 0);
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
    const seconds = (performance.now() - started) / 1000;
    return {
      cachedJob: {
        runs: latencies.length,
        p50Ms: quantile(latencies, 0.5),
        p99Ms: quantile(latencies, 0.99),
        maxMs: latencies.at(-1) ?? 0,
      },
      throughput: {
        indicators: total,
        providers: providers.length,
        results,
        seconds,
        resultsPerSecond: results / seconds,
      },
    };
  } finally {
    await stack.stop();
  }
}
