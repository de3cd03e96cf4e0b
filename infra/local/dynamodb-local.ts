import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';

/**
 * Runs AWS's official DynamoDB Local. The jar ships inside the npm package `amplify-dynamodb-simulator`;
 * `prepareDynamoDbLocal` copies (extracts) it once into a project-owned cache directory, verifying the
 * package's own checksum, so nothing is downloaded and nothing of that package's JavaScript is used.
 */
export class JavaMissingError extends Error {
  override readonly name = 'JavaMissingError';
  constructor(detail: string) {
    super(
      `DynamoDB Local needs Java 17 or newer, and 'java' could not be run (${detail}). ` +
        'Install a JRE (Debian/Ubuntu: `sudo apt-get install openjdk-17-jre-headless`; macOS: `brew install openjdk@17`) ' +
        'or point JAVA_HOME at one, then run the command again.',
    );
  }
}

const require = createRequire(import.meta.url);

/** Directory of the emulator inside the npm package. */
function packagedEmulatorDir(): string {
  const pkgJson = require.resolve('amplify-dynamodb-simulator/package.json');
  return join(dirname(pkgJson), 'emulator');
}

function javaBinary(): string {
  const home = process.env.JAVA_HOME;
  return home ? join(home, 'bin', 'java') : 'java';
}

/** Throws `JavaMissingError` unless a Java runtime answers `-version`. */
export function assertJava(): void {
  const result = spawnSync(javaBinary(), ['-version'], { encoding: 'utf8' });
  if (result.error) throw new JavaMissingError(result.error.message);
  if (result.status !== 0) throw new JavaMissingError(`exit code ${result.status}`);
  const match = /version "(\d+)/.exec(result.stderr ?? '');
  const major = match?.[1] ? Number(match[1]) : undefined;
  if (major !== undefined && major < 17) throw new JavaMissingError(`found Java ${major}`);
}

/**
 * Extracts the emulator into `cacheDir` (idempotent: a marker with the jar's hash skips the copy) and
 * returns the directory holding `DynamoDBLocal.jar`.
 */
export function prepareDynamoDbLocal(cacheDir: string): string {
  const source = packagedEmulatorDir();
  const jar = join(source, 'DynamoDBLocal.jar');
  if (!existsSync(jar)) {
    throw new Error(`DynamoDB Local jar not found at ${jar}; run 'npm ci' to install dev dependencies.`);
  }
  const digest = createHash('sha256').update(readFileSync(jar)).digest('hex');
  const target = join(cacheDir, 'dynamodb-local');
  const marker = join(target, '.extracted');
  if (existsSync(marker) && readFileSync(marker, 'utf8') === digest) return target;
  mkdirSync(target, { recursive: true });
  cpSync(source, target, { recursive: true });
  writeFileSync(marker, digest);
  return target;
}

/** Finds a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface DynamoDbLocalOptions {
  cacheDir: string;
  /** Persist to this directory; omit to run in memory (tests). */
  dataDir?: string;
  port?: number;
}

export interface RunningDynamoDbLocal {
  endpoint: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts DynamoDB Local and resolves once it accepts requests. */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions): Promise<RunningDynamoDbLocal> {
  assertJava();
  const dir = prepareDynamoDbLocal(options.cacheDir);
  const port = options.port ?? (await freePort());
  const args = [
    `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
    '-Xms64m',
    '-jar',
    join(dir, 'DynamoDBLocal.jar'),
    '-port',
    String(port),
    '-disableTelemetry',
  ];
  if (options.dataDir) {
    mkdirSync(options.dataDir, { recursive: true });
    stopStaleInstance(options.dataDir);
    args.push('-sharedDb', '-dbPath', options.dataDir);
  } else {
    args.push('-sharedDb', '-inMemory');
  }
  const child = spawn(javaBinary(), args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  if (options.dataDir && child.pid) writeFileSync(join(options.dataDir, pidFile), String(child.pid));
  const endpoint = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`DynamoDB Local exited with code ${child.exitCode}: ${output.slice(-2000)}`);
    }
    if (await answers(endpoint)) return { endpoint, port, process: child, stop };
    await new Promise((r) => setTimeout(r, 150));
  }
  await stop();
  throw new Error(`DynamoDB Local did not answer on ${endpoint} within 30 s: ${output.slice(-2000)}`);
}

const pidFile = 'dynamodb-local.pid';

/**
 * A previous run that was killed outright (SIGKILL) cannot stop its Java child; the next start finds
 * that process through the pid file in the data directory and stops it before reusing the directory.
 */
function stopStaleInstance(dataDir: string): void {
  const file = join(dataDir, pidFile);
  if (!existsSync(file)) return;
  const pid = Number(readFileSync(file, 'utf8'));
  rmSync(file, { force: true });
  if (!Number.isInteger(pid) || pid <= 1) return;
  let cmdline = '';
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return;
  }
  if (!cmdline.includes('DynamoDBLocal.jar') || !cmdline.includes(dataDir)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

async function answers(endpoint: string): Promise<boolean> {
  try {
    // An unsigned request gets a 400 from DynamoDB Local: any HTTP answer means it is up.
    const res = await fetch(endpoint, { method: 'POST', signal: AbortSignal.timeout(1_000) });
    await res.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}
