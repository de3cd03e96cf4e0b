import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startLocalStackProcess } from '../test/support/local-stack';

/**
 * Enrichment on the local target with the provider sandbox (real queue, worker, DynamoDB Local and
 * provider fakes): the latency of a fully cached 100-indicator job with `wait`, and the throughput
 * of a 10,000-indicator run against three sandbox providers (their plans raised through the tenant
 * quota override, so the figure is the platform's, not a free tier's).
 */
export interface CapacityFigures {
  readUnits: number;
  writeUnits: number;
  calls: number;
}

export interface EnrichmentBench {
  cachedJob: { runs: number; p50Ms: number; p99Ms: number; maxMs: number; perJob: CapacityFigures };
  throughput: {
    indicators: number;
    providers: number;
    results: number;
    seconds: number;
    resultsPerSecond: number;
    /** DynamoDB units of the whole run (job creation, workers, polling excluded) per result. */
    perResult: CapacityFigures;
  };
}

/** DynamoDB on-demand list prices, us-east-1, standard table class (USD per million request units). */
export const dynamoDbPrices = { perMillionWrites: 0.625, perMillionReads: 0.125 };

interface MeterTotals extends CapacityFigures {
  at: number;
}

const meterModule = resolve(import.meta.dirname, 'dynamodb-meter.mjs');

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;

export async function benchEnrichment(
  options: { cachedRuns?: number; indicators?: number } = {},
): Promise<EnrichmentBench> {
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-bench-'));
  const meterFile = join(dataDir, 'dynamodb-meter.json');
  const stack = await startLocalStackProcess({
    dataDir,
    env: {
      VIGIL_BENCH_METER_FILE: meterFile,
      VIGIL_PROVIDER_SANDBOX: '1',
      VIGIL_ACCESS_LOG: '0',
      API_RATE_LIMIT_PER_SECOND: '1000',
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${meterModule}`.trim(),
    },
  });
  /** The local target's DynamoDB totals so far (asked for with SIGUSR2). */
  const meter = async (): Promise<MeterTotals> => {
    const before = (() => {
      try {
        return statSync(meterFile).mtimeMs;
      } catch {
        return 0;
      }
    })();
    stack.child.kill('SIGUSR2');
    for (let i = 0; i < 100; i += 1) {
      await new Promise((r) => setTimeout(r, 20));
      try {
        const totals = JSON.parse(readFileSync(meterFile, 'utf8')) as MeterTotals;
        if (statSync(meterFile).mtimeMs > before || totals.at > before) return totals;
      } catch {
        // not written yet
      }
    }
    throw new Error('the DynamoDB meter did not answer');
  };
  const between = (a: MeterTotals, b: MeterTotals, per: number): CapacityFigures => ({
    readUnits: (b.readUnits - a.readUnits) / per,
    writeUnits: (b.writeUnits - a.writeUnits) / per,
    calls: (b.calls - a.calls) / per,
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
    const cachedBefore = await meter();
    // A p99 needs at least 100 samples (of 40, it is the maximum).
    const cachedRuns = options.cachedRuns ?? 100;
    for (let run = 0; run < cachedRuns; run += 1) {
      const started = performance.now();
      const res = await send('POST', '/v1/enrichments', { indicators: hundred, providers, wait: 20 }, token);
      const job = (await res.json()) as { counts: Record<string, number> };
      latencies.push(performance.now() - started);
      if (res.status !== 200 || job.counts.cached !== 300)
        throw new Error(`cached run was not fully cached: ${JSON.stringify(job.counts)}`);
    }
    latencies.sort((a, b) => a - b);
    const perCachedJob = between(cachedBefore, await meter(), cachedRuns);

    // Throughput: distinct indicators, results counted as pairs settled.
    const total = options.indicators ?? 10_000;
    // Jobs of 100: on DynamoDB Local, with the workers writing at the same time, creating a job of
    // several hundred indicators can pass the 29 s API limit (DynamoDB in AWS does not have this ceiling).
    const jobSize = 100;
    const started = performance.now();
    const runBefore = await meter();
    let polling = 0;
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
        polling += 1;
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
    const runTotals = between(runBefore, await meter(), 1);
    // The bench's own polling (GET of a job: authorizer reads and one job query each) is not part
    // of enrichment; take its share out with the per-GET figure measured on a finished job.
    const pollBefore = await meter();
    for (let i = 0; i < 20; i += 1) {
      await fetch(`${stack.httpUrl}/v1/enrichments/${ids[0]}`, {
        headers: { authorization: `Bearer ${token}` },
      });
    }
    const perPoll = between(pollBefore, await meter(), 20);
    const perResult: CapacityFigures = {
      readUnits: Math.max(0, runTotals.readUnits - perPoll.readUnits * polling) / results,
      writeUnits: Math.max(0, runTotals.writeUnits - perPoll.writeUnits * polling) / results,
      calls: Math.max(0, runTotals.calls - perPoll.calls * polling) / results,
    };
    return {
      cachedJob: {
        runs: latencies.length,
        p50Ms: quantile(latencies, 0.5),
        p99Ms: quantile(latencies, 0.99),
        maxMs: latencies.at(-1) ?? 0,
        perJob: perCachedJob,
      },
      throughput: {
        indicators: total,
        providers: providers.length,
        results,
        seconds,
        resultsPerSecond: results / seconds,
        perResult,
      },
    };
  } finally {
    await stack.stop();
  }
}
