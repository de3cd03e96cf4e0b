import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Runs the local target as `npm start` does — a child process on its own ports and data directory —
 * and reads its URLs from what it prints. Used by the e2e suite.
 */
export interface LocalStackProcess {
  httpUrl: string;
  wsUrl: string;
  dynamodbEndpoint: string;
  /** The local target's emulated AWS endpoint (SQS and the rest), for SDK clients in the test. */
  awsEndpoint: string;
  dataDir: string;
  output: () => string;
  child: ChildProcess;
  /** Sends SIGTERM and resolves with the exit code once the process is gone. */
  stop(): Promise<number | null>;
}

const root = resolve(import.meta.dirname, '..', '..');

export async function startLocalStackProcess(
  options: { dataDir?: string; env?: Record<string, string> } = {},
): Promise<LocalStackProcess> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'vigil-e2e-'));
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'infra', 'local', 'main.ts')], {
    cwd: root,
    env: {
      ...process.env,
      VIGIL_PORT: '0',
      VIGIL_WS_PORT: '0',
      VIGIL_DATA_DIR: dataDir,
      VIGIL_LOG_LEVEL: 'ERROR',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));

  const deadline = Date.now() + 60_000;
  while (!/Ready in/.test(output)) {
    if (child.exitCode !== null) throw new Error(`local target exited early:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`local target not ready within 60 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const httpUrl = /HTTP API\s+(\S+)/.exec(output)?.[1];
  const wsUrl = /WebSocket\s+(\S+)/.exec(output)?.[1];
  const dynamodbEndpoint = /DynamoDB\s+(\S+)/.exec(output)?.[1];
  const awsEndpoint = /AWS APIs\s+(\S+)/.exec(output)?.[1];
  if (!httpUrl || !wsUrl || !dynamodbEndpoint || !awsEndpoint)
    throw new Error(`could not read URLs from:\n${output}`);

  return {
    httpUrl,
    wsUrl,
    dynamodbEndpoint,
    awsEndpoint,
    dataDir,
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Processes whose command line mentions `needle` (e.g. a DynamoDB Local serving a data directory). */
export function processesMentioning(needle: string): string[] {
  const result = spawnSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return result.stdout.split('\n').filter((line) => line.includes(needle) && !line.includes('ps -eo'));
}
