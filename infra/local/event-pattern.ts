import { isIP } from 'node:net';

/**
 * EventBridge content filtering, as the local bus (and later playbook event triggers) evaluate it:
 * exact values, `prefix`, `suffix`, `anything-but`, `numeric`, `exists`, `cidr`,
 * `equals-ignore-case`, `wildcard` and `$or`. Arrays in a pattern are alternatives; an array in the
 * event matches when any element does.
 */
export class EventPatternError extends Error {
  override readonly name = 'EventPatternError';
}

type Pattern = Record<string, unknown>;
type Matcher = unknown;

const operators = new Set([
  'prefix',
  'suffix',
  'anything-but',
  'numeric',
  'exists',
  'cidr',
  'equals-ignore-case',
  'wildcard',
]);

/** Throws `EventPatternError` naming the problem when `pattern` is not a valid event pattern. */
export function validatePattern(pattern: unknown, path = ''): void {
  if (!isObject(pattern))
    throw new EventPatternError(`Pattern${path ? ` at ${path}` : ''} must be an object.`);
  for (const [key, value] of Object.entries(pattern)) {
    const here = path ? `${path}.${key}` : key;
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2)
        throw new EventPatternError(`$or at ${here} needs at least two patterns.`);
      for (const [i, alt] of value.entries()) validatePattern(alt, `${here}[${i}]`);
    } else if (Array.isArray(value)) {
      if (value.length === 0) throw new EventPatternError(`Empty match list at ${here}.`);
      for (const matcher of value) validateMatcher(matcher, here);
    } else if (isObject(value)) {
      validatePattern(value, here);
    } else {
      throw new EventPatternError(`Value at ${here} must be an array of matchers or a nested object.`);
    }
  }
}

function validateMatcher(matcher: Matcher, path: string): void {
  if (!isObject(matcher)) return;
  const keys = Object.keys(matcher);
  const [op] = keys;
  if (keys.length !== 1 || op === undefined || !operators.has(op)) {
    throw new EventPatternError(`Unknown operator ${JSON.stringify(keys)} at ${path}.`);
  }
  const arg = matcher[op];
  switch (op) {
    case 'numeric':
      parseNumeric(arg, path);
      return;
    case 'exists':
      if (typeof arg !== 'boolean') throw new EventPatternError(`exists at ${path} takes true or false.`);
      return;
    case 'cidr':
      if (typeof arg !== 'string' || !parseCidr(arg)) throw new EventPatternError(`Invalid CIDR at ${path}.`);
      return;
    case 'anything-but':
      if (isObject(arg)) validateMatcher(arg, path);
      return;
    default:
      if (typeof arg !== 'string' && !(op === 'prefix' && isObject(arg))) {
        throw new EventPatternError(`${op} at ${path} takes a string.`);
      }
  }
}

/** True when `event` matches `pattern`. */
export function matchesPattern(pattern: Pattern, event: unknown): boolean {
  if (!isObject(event)) return false;
  for (const [key, expected] of Object.entries(pattern)) {
    if (key === '$or') {
      if (!(expected as Pattern[]).some((alt) => matchesPattern(alt, event))) return false;
      continue;
    }
    const present = Object.hasOwn(event, key);
    const actual = event[key];
    if (Array.isArray(expected)) {
      if (!matchField(expected, present, actual)) return false;
    } else if (isObject(expected)) {
      if (!matchesPattern(expected, present ? actual : {})) return false;
    } else return false;
  }
  return true;
}

function matchField(matchers: Matcher[], present: boolean, actual: unknown): boolean {
  const values = Array.isArray(actual) ? actual : [actual];
  return matchers.some((matcher) => {
    if (isObject(matcher) && 'exists' in matcher) {
      const exists = present && !(Array.isArray(actual) && actual.length === 0) && !isObject(actual);
      return matcher.exists === exists;
    }
    if (!present) return false;
    return values.some((value) => matchOne(matcher, value));
  });
}

function matchOne(matcher: Matcher, value: unknown): boolean {
  if (!isObject(matcher)) return matcher === value;
  const [op] = Object.keys(matcher);
  const arg = op === undefined ? undefined : matcher[op];
  switch (op) {
    case 'prefix':
      if (isObject(arg)) {
        const inner = arg['equals-ignore-case'];
        return (
          typeof value === 'string' &&
          typeof inner === 'string' &&
          value.toLowerCase().startsWith(inner.toLowerCase())
        );
      }
      return typeof value === 'string' && typeof arg === 'string' && value.startsWith(arg);
    case 'suffix':
      return typeof value === 'string' && typeof arg === 'string' && value.endsWith(arg);
    case 'equals-ignore-case':
      return (
        typeof value === 'string' && typeof arg === 'string' && value.toLowerCase() === arg.toLowerCase()
      );
    case 'wildcard':
      return typeof value === 'string' && typeof arg === 'string' && wildcard(arg).test(value);
    case 'numeric':
      return typeof value === 'number' && parseNumeric(arg, '').every(([cmp, n]) => compare(value, cmp, n));
    case 'cidr':
      return typeof value === 'string' && typeof arg === 'string' && inCidr(value, arg);
    case 'anything-but': {
      if (isObject(arg)) return !matchOne(arg, value);
      const excluded = Array.isArray(arg) ? arg : [arg];
      return !excluded.includes(value);
    }
    default:
      return false;
  }
}

function parseNumeric(arg: unknown, path: string): Array<[string, number]> {
  if (!Array.isArray(arg) || arg.length === 0 || arg.length % 2 !== 0) {
    throw new EventPatternError(`numeric at ${path} takes [operator, number, ...].`);
  }
  const pairs: Array<[string, number]> = [];
  for (let i = 0; i < arg.length; i += 2) {
    const cmp = arg[i];
    const n = arg[i + 1];
    if (typeof cmp !== 'string' || !['<', '<=', '=', '>', '>='].includes(cmp) || typeof n !== 'number') {
      throw new EventPatternError(`numeric at ${path} has an invalid comparison.`);
    }
    pairs.push([cmp, n]);
  }
  return pairs;
}

function compare(value: number, cmp: string, n: number): boolean {
  switch (cmp) {
    case '<':
      return value < n;
    case '<=':
      return value <= n;
    case '=':
      return value === n;
    case '>':
      return value > n;
    default:
      return value >= n;
  }
}

function wildcard(pattern: string): RegExp {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`, 's');
}

function parseCidr(cidr: string): { family: 4 | 6; base: bigint; bits: number } | undefined {
  const [address, prefix] = cidr.split('/');
  const family = address ? isIP(address) : 0;
  if (family !== 4 && family !== 6) return undefined;
  const width = family === 4 ? 32 : 128;
  const bits = prefix === undefined ? width : Number(prefix);
  if (!Number.isInteger(bits) || bits < 0 || bits > width) return undefined;
  const value = ipToBigInt(address as string, family);
  return value === undefined ? undefined : { family, base: value, bits };
}

function inCidr(ip: string, cidr: string): boolean {
  const range = parseCidr(cidr);
  const family = isIP(ip);
  if (!range || family !== range.family) return false;
  const value = ipToBigInt(ip, family);
  if (value === undefined) return false;
  const width = BigInt(family === 4 ? 32 : 128);
  const shift = width - BigInt(range.bits);
  return value >> shift === range.base >> shift;
}

function ipToBigInt(ip: string, family: number): bigint | undefined {
  if (family === 4) return ip.split('.').reduce((acc, part) => (acc << 8n) + BigInt(Number(part)), 0n);
  let text = ip.toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1]) {
    const n = ipToBigInt(v4[1], 4) ?? 0n;
    text = text.replace(v4[1], `${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`);
  }
  const [head = '', tail] = text.split('::');
  const headParts = head ? head.split(':') : [];
  const tailParts = tail ? tail.split(':') : [];
  const missing = 8 - headParts.length - tailParts.length;
  const parts = tail === undefined ? headParts : [...headParts, ...Array(missing).fill('0'), ...tailParts];
  if (parts.length !== 8) return undefined;
  return parts.reduce((acc, part) => (acc << 16n) + BigInt(Number.parseInt(part || '0', 16)), 0n);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
