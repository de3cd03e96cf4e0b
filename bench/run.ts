import { benchBundles } from './bundles';
import { benchEnrichment, dynamoDbPrices } from './enrichment';
import { benchExtraction } from './extraction';
import { benchPasswordVerification, benchTokenVerification } from './identity';

/**
 * `npm run bench`: prints every benchmark's figures. Not part of `npm test`; figures depend on the
 * machine, so compare runs on the same one.
 */
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const budgetBytes = 1024 * 1024;
const healthBudgetBytes = 150 * 1024;

async function main(): Promise<void> {
  console.log(
    `Lambda bundles (esbuild, ${process.version}; init = median of ${process.env.BENCH_INIT_RUNS ?? 9} fresh processes)`,
  );
  const figures = await benchBundles();
  const baseline = figures[0]?.initMedianMs ?? 0;
  console.log(
    [
      'function'.padEnd(22),
      'bundle'.padStart(11),
      'init'.padStart(10),
      'init-baseline'.padStart(14),
      'budget',
    ].join('  '),
  );
  for (const f of figures) {
    const budget = f.id === 'platform-health' ? healthBudgetBytes : budgetBytes;
    const verdict =
      f.id === '(empty handler)' ? '' : f.bytes <= budget ? `ok (< ${kib(budget)})` : `OVER ${kib(budget)}`;
    console.log(
      [
        f.id.padEnd(22),
        kib(f.bytes).padStart(11),
        `${f.initMedianMs.toFixed(1)} ms`.padStart(10),
        `${(f.initMedianMs - baseline).toFixed(1)} ms`.padStart(14),
        verdict,
      ].join('  '),
    );
  }
}

async function identity(): Promise<void> {
  const tokens = await benchTokenVerification();
  console.log('');
  console.log('Access-token verification (ES256, public key cached, as in the authorizer)');
  console.log(
    `  ${tokens.perSecond.toFixed(0)} verifications/s; p50 ${(tokens.p50 * 1000).toFixed(0)} µs, p99 ${(tokens.p99 * 1000).toFixed(0)} µs (target p99 < 1 ms)`,
  );
  const passwords = await benchPasswordVerification();
  console.log(`Password verification (${passwords.stored}, the production scrypt cost)`);
  console.log(`  p50 ${passwords.p50.toFixed(0)} ms, p99 ${passwords.p99.toFixed(0)} ms per login`);
}

async function extraction(): Promise<void> {
  const r = await benchExtraction();
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  console.log('');
  console.log(
    `Indicator extraction (${(r.inputBytes / 1e6).toFixed(1)} MB of repeated corpus; quality on ${r.cases} labelled cases)`,
  );
  console.log(
    [
      'extractor'.padEnd(16),
      'MB/s'.padStart(8),
      'varied'.padStart(8),
      'precision'.padStart(10),
      'recall'.padStart(8),
    ].join('  '),
  );
  for (const [name, f] of [
    ['vigil', r.ours],
    ['ioc-extractor', r.iocExtractor],
  ] as const) {
    console.log(
      [
        name.padEnd(16),
        f.mbPerSecond.toFixed(1).padStart(8),
        f.variedMbPerSecond.toFixed(1).padStart(8),
        pct(f.precision).padStart(10),
        pct(f.recall).padStart(8),
      ].join('  '),
    );
  }
  console.log(
    `  ${r.speedup.toFixed(1)}x ioc-extractor's throughput (${r.variedSpeedup.toFixed(1)}x on varied input; target >= 5x, no lower recall)`,
  );
}

async function enrichment(): Promise<void> {
  const indicators = Number(process.env.BENCH_ENRICH_INDICATORS ?? 10_000);
  const r = await benchEnrichment({ indicators });
  const cost = (f: { readUnits: number; writeUnits: number }) =>
    f.readUnits * dynamoDbPrices.perMillionReads + f.writeUnits * dynamoDbPrices.perMillionWrites;
  const t = r.throughput;
  console.log('');
  console.log('Enrichment on the local target (provider sandbox, DynamoDB Local, real queue and worker)');
  console.log(
    `  fully cached 100-indicator job with wait: p50 ${r.cachedJob.p50Ms.toFixed(0)} ms, p99 ${r.cachedJob.p99Ms.toFixed(0)} ms over ${r.cachedJob.runs} runs (target p99 < 150 ms)`,
  );
  console.log(
    `    DynamoDB per cached job (request incl. authorizer, limiter, audit): ${r.cachedJob.perJob.readUnits.toFixed(1)} RRU, ${r.cachedJob.perJob.writeUnits.toFixed(1)} WRU in ${r.cachedJob.perJob.calls.toFixed(0)} calls = $${(cost(r.cachedJob.perJob) / 1e6).toFixed(7)} per job`,
  );
  console.log(
    `  ${t.indicators} indicators x ${t.providers} sandbox providers: ${t.results} results in ${t.seconds.toFixed(1)} s = ${t.resultsPerSecond.toFixed(0)} results/s`,
  );
  console.log(
    `    DynamoDB per (indicator, provider) result: ${t.perResult.readUnits.toFixed(2)} RRU, ${t.perResult.writeUnits.toFixed(2)} WRU in ${t.perResult.calls.toFixed(1)} calls`,
  );
  console.log(
    `    at on-demand list prices (us-east-1: $${dynamoDbPrices.perMillionReads}/M RRU, $${dynamoDbPrices.perMillionWrites}/M WRU): $${cost(t.perResult).toFixed(2)} per million enrichments (results); $${(cost(t.perResult) * t.providers).toFixed(2)} per million indicators x ${t.providers} providers`,
  );
}

main()
  .then(identity)
  .then(extraction)
  .then(enrichment)
  .catch((err) => {
    console.error(err);
    process.exit(1);
  });
