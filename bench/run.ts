import { benchBundles } from './bundles';
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

main()
  .then(identity)
  .catch((err) => {
    console.error(err);
    process.exit(1);
  });
