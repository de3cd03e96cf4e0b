import { spawnSync } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { bundlingOptions } from '../infra/bundling';
import { type LambdaDef, lambdas } from '../infra/lambdas';

/**
 * Bundle benchmark: bundles every Lambda exactly as CDK does (same esbuild options) and reports its
 * size and cold-init time — the time for a fresh Node process to load the bundle and run its module
 * scope (config, clients) — as the median of several runs, next to an empty handler as baseline.
 */
const root = resolve(import.meta.dirname, '..');
const outDir = join(root, 'bench', 'out');
const runs = Number(process.env.BENCH_INIT_RUNS ?? 9);

/** Environment a deployed function would have; values are dummies since init must not call AWS. */
const lambdaEnv: Record<string, string> = {
  VIGIL_STAGE: 'bench',
  VIGIL_VERSION: '0.0.0-bench',
  STATE_TABLE_NAME: 'vigil-bench-state',
  AUDIT_TABLE_NAME: 'vigil-bench-audit',
  EVENT_BUS_NAME: 'vigil-bench',
  WS_MANAGEMENT_ENDPOINT: 'https://example.execute-api.us-east-1.amazonaws.com/bench',
  PLATFORM_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:bench',
  JWT_SIGNING_KEY_ARN: 'arn:aws:kms:us-east-1:000000000000:key/bench',
  DATA_KEY_ARN: 'arn:aws:kms:us-east-1:000000000000:key/bench-data',
  ENRICHMENT_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/vigil-bench-enrichment',
  ENRICHMENT_DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/vigil-bench-enrichment-dlq',
  AWS_ENDPOINT_URL_SESV2: 'http://127.0.0.1:1',
  EMAIL_FROM: 'bench@example.com',
  AWS_REGION: 'us-east-1',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  POWERTOOLS_TRACE_ENABLED: 'false',
};

async function bundle(id: string, entry: string): Promise<string> {
  const dir = join(outDir, id);
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, 'index.mjs');
  await build({ ...bundlingOptions, entryPoints: [entry], outfile, logLevel: 'error' });
  return outfile;
}

function initMs(file: string, env: Record<string, string>): number {
  const samples: number[] = [];
  const script = `const t = performance.now(); const m = await import(${JSON.stringify(`file://${file}`)}); if (typeof m.handler !== 'function') throw new Error('no handler'); process.stdout.write(String(performance.now() - t));`;
  for (let i = 0; i < runs; i += 1) {
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH ?? '', ...env },
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`init of ${file} failed: ${result.stderr.slice(-800)}`);
    samples.push(Number(result.stdout));
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] ?? Number.NaN;
}

export interface BundleFigure {
  id: string;
  bytes: number;
  initMedianMs: number;
}

export async function benchBundles(): Promise<BundleFigure[]> {
  const baselineEntry = join(outDir, 'baseline-entry.ts');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(baselineEntry, 'export const handler = async () => ({ statusCode: 200 });\n');
  const entries: Array<Pick<LambdaDef, 'id' | 'entry'>> = [
    { id: '(empty handler)', entry: baselineEntry },
    ...lambdas,
  ];
  const figures: BundleFigure[] = [];
  for (const def of entries) {
    const file = await bundle(def.id.replace(/[^a-z0-9-]/gi, '_'), resolve(root, def.entry));
    const env =
      def.id === 'platform-docs'
        ? { ...lambdaEnv, DOCS_ASSETS_DIR: join(root, 'node_modules', 'swagger-ui-dist') }
        : lambdaEnv;
    figures.push({ id: def.id, bytes: statSync(file).size, initMedianMs: initMs(file, env) });
  }
  return figures;
}
