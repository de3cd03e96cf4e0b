import dns from 'node:dns';
import dnsPromises from 'node:dns/promises';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';

/**
 * Vitest setup: no test reaches the internet (ARCHITECTURE.md, Testing). Every TCP connect in the
 * test process — node:http, node:https, fetch/undici, the AWS SDK — goes through
 * `net.Socket.prototype.connect`, which is patched here to refuse anything but loopback with an
 * error naming the destination. Name resolution is patched too: only `localhost` and names a test
 * registers with `registerTestHostname` resolve; everything else fails as if it did not exist.
 * Child processes (the e2e local stack) are not covered; they only talk to loopback anyway.
 */

type Family = 4 | 6;
interface Registry {
  names: Map<string, { address: string; family: Family }>;
}

const REGISTRY_KEY = Symbol.for('vigil.test.network-guard.registry');
const INSTALLED_KEY = Symbol.for('vigil.test.network-guard.installed');
type GlobalWithGuard = typeof globalThis & { [REGISTRY_KEY]?: Registry; [INSTALLED_KEY]?: boolean };
const globalScope = globalThis as GlobalWithGuard;
// One registry per process, shared by every module instance vitest creates for each test file.
globalScope[REGISTRY_KEY] ??= { names: new Map() };
const registry = globalScope[REGISTRY_KEY];

function normalizeName(name: string): string {
  const lower = name.toLowerCase();
  const unbracketed = lower.startsWith('[') && lower.endsWith(']') ? lower.slice(1, -1) : lower;
  return unbracketed.endsWith('.') ? unbracketed.slice(0, -1) : unbracketed;
}

/** True for 127.0.0.0/8, ::1 and their IPv4-mapped forms. */
export function isLoopbackAddress(address: string): boolean {
  const text = normalizeName(address);
  if (net.isIPv4(text)) return text.startsWith('127.');
  if (!net.isIPv6(text)) return false;
  if (text === '::1' || text === '0:0:0:0:0:0:0:1') return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  return mapped?.[1]?.startsWith('127.') ?? false;
}

/**
 * Makes `name` resolve to a loopback `address` for the rest of the test file (SSRF tests use it to
 * simulate "a public-looking name that resolves to 127.0.0.1"). Returns a function that removes it.
 */
export function registerTestHostname(name: string, address: string): () => void {
  if (!isLoopbackAddress(address)) {
    throw new Error(`network guard: test host names may only resolve to loopback, not ${address}`);
  }
  const key = normalizeName(name);
  registry.names.set(key, { address, family: net.isIPv6(address) ? 6 : 4 });
  return () => registry.names.delete(key);
}

interface LookupAnswer {
  address: string;
  family: Family;
}

/** The answers the guard gives for a name, or undefined when the name must not resolve. */
function answersFor(hostname: string): LookupAnswer[] | undefined {
  const name = normalizeName(hostname);
  const family = net.isIP(name);
  if (family !== 0) return [{ address: name, family: family === 6 ? 6 : 4 }];
  if (name === 'localhost' || name.endsWith('.localhost')) {
    return [
      { address: '127.0.0.1', family: 4 },
      { address: '::1', family: 6 },
    ];
  }
  const registered = registry.names.get(name);
  return registered ? [registered] : undefined;
}

function refusedLookup(hostname: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(
    `network guard: DNS lookup of "${hostname}" refused in tests (use localhost or registerTestHostname)`,
  );
  error.code = 'ENOTFOUND';
  return error;
}

interface LookupOptionsLike {
  family?: number | string;
  all?: boolean;
}

function selectAnswers(hostname: string, options: LookupOptionsLike): LookupAnswer[] | NodeJS.ErrnoException {
  const answers = answersFor(hostname);
  if (!answers) return refusedLookup(hostname);
  const wanted = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : Number(options.family ?? 0);
  const filtered = wanted === 4 || wanted === 6 ? answers.filter((a) => a.family === wanted) : answers;
  return filtered.length > 0 ? filtered : refusedLookup(hostname);
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAnswer[],
  family?: number,
) => void;

/** Drop-in `dns.lookup` with the guard's answers: (hostname, [options | family], callback). */
function guardedLookup(hostname: string, ...rest: unknown[]): void {
  const callback = rest.at(-1) as LookupCallback;
  const raw = rest.length > 1 ? rest[0] : undefined;
  const options: LookupOptionsLike =
    typeof raw === 'number' ? { family: raw } : ((raw as LookupOptionsLike) ?? {});
  const result = selectAnswers(hostname, options);
  process.nextTick(() => {
    if (result instanceof Error) callback(result, '', 0);
    else if (options.all) callback(null, result);
    else {
      const [first] = result as [LookupAnswer];
      callback(null, first.address, first.family);
    }
  });
}

async function guardedLookupPromise(
  hostname: string,
  raw?: number | LookupOptionsLike,
): Promise<LookupAnswer | LookupAnswer[]> {
  const options: LookupOptionsLike = typeof raw === 'number' ? { family: raw } : (raw ?? {});
  const result = selectAnswers(hostname, options);
  if (result instanceof Error) throw result;
  return options.all ? result : (result[0] as LookupAnswer);
}

function refusedConnect(destination: string): Error {
  return new Error(
    `network guard: tests may only connect to loopback; refused a connection to ${destination}`,
  );
}

interface ConnectOptionsLike {
  host?: string;
  port?: number | string;
  path?: string | null;
  lookup?: (hostname: string, options: LookupOptionsLike, callback: LookupCallback) => void;
}

/** The options object of any `socket.connect` call shape, or undefined for an IPC path. */
function connectOptions(args: unknown[]): ConnectOptionsLike | undefined {
  const [first, second] = args;
  // net.connect() hands over its already normalized [options, callback] array.
  const candidate = Array.isArray(first) ? first[0] : first;
  if (candidate !== null && typeof candidate === 'object') return candidate as ConnectOptionsLike;
  if (typeof candidate === 'number' || (typeof candidate === 'string' && /^\d+$/.test(candidate))) {
    return { port: candidate, host: typeof second === 'string' ? second : 'localhost' };
  }
  return undefined;
}

/** The call's arguments with `options` in place of a positional (port, host) form. */
function withOptions(args: unknown[], options: ConnectOptionsLike): unknown[] {
  const [first] = args;
  if (Array.isArray(first) || (first !== null && typeof first === 'object')) return args;
  const callback = args.find((arg) => typeof arg === 'function');
  return callback ? [options, callback] : [options];
}

function install(): void {
  if (globalScope[INSTALLED_KEY]) return;
  globalScope[INSTALLED_KEY] = true;

  const originalConnect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
    const options = connectOptions(args);
    // http(s) agents pass `path: null`; only a non-empty path means an IPC (unix socket) connect.
    const ipc = typeof options?.path === 'string' && options.path !== '';
    if (options && !ipc) {
      args = withOptions(args, options);
      const host = options.host ?? 'localhost';
      const destination = `${host}:${options.port ?? ''}`;
      if (net.isIP(normalizeName(host)) !== 0) {
        if (!isLoopbackAddress(host)) throw refusedConnect(destination);
      } else if (options.lookup) {
        // A caller-supplied lookup (the SSRF client's pinned one): whatever it answers must be loopback.
        const inner = options.lookup;
        options.lookup = (hostname, lookupOptions, callback) =>
          inner(hostname, lookupOptions, (error, address, family) => {
            if (error) return callback(error, address, family);
            const list = Array.isArray(address) ? address : [{ address, family: (family ?? 4) as Family }];
            const outside = list.find((entry) => !isLoopbackAddress(entry.address));
            if (outside) return callback(refusedConnect(`${outside.address}:${options.port ?? ''}`), '', 0);
            callback(null, address, family);
          });
      } else if (answersFor(host) === undefined) {
        throw refusedConnect(destination);
      } else {
        options.lookup = guardedLookup as ConnectOptionsLike['lookup'];
      }
    }
    return (originalConnect as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof net.Socket.prototype.connect;

  (dns as { lookup: unknown }).lookup = guardedLookup;
  (dnsPromises as { lookup: unknown }).lookup = guardedLookupPromise;
  if (dns.promises !== dnsPromises) (dns.promises as { lookup: unknown }).lookup = guardedLookupPromise;
  // ESM named imports of builtins (`import { lookup } from 'node:dns'`) read the patched functions too.
  syncBuiltinESMExports();
}

install();
