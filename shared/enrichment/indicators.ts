import { domainToASCII } from 'node:url';
import { BadRequestError } from '../platform/errors';
import { type AddressRange, classifyIp } from '../platform/net/ip-address';
import tldData from './data/tlds.json';

/**
 * The indicator model of the enrichment engine: which kinds of indicator Vigil knows, how a value an
 * analyst pasted (defanged, mixed case, STIX-typed) becomes one canonical value, and whether that
 * value may leave the tenant. Private, reserved and internal-only indicators are never sent to
 * third-party providers; `shareable` is the flag the fan-out checks.
 */
export const INDICATOR_TYPES = [
  'ipv4',
  'ipv6',
  'domain',
  'url',
  'email',
  'md5',
  'sha1',
  'sha256',
  'cve',
] as const;
export type IndicatorType = (typeof INDICATOR_TYPES)[number];

/**
 * STIX 2.1 cyber-observable names accepted in place of ours. `file` resolves to a hash type by the
 * value's length and `ip-addr` to IPv4 or IPv6 by its form, so both map to a resolver, not a type.
 */
export const INDICATOR_TYPE_ALIASES = {
  'ipv4-addr': 'ipv4',
  'ipv6-addr': 'ipv6',
  'domain-name': 'domain',
  url: 'url',
  'email-addr': 'email',
  file: 'hash',
  'ip-addr': 'ip',
} as const satisfies Record<string, IndicatorType | 'hash' | 'ip'>;
export type IndicatorTypeAlias = keyof typeof INDICATOR_TYPE_ALIASES;

/**
 * Where an indicator lives. IPs use the ranges of `classifyIp`; domains reuse that vocabulary
 * (`loopback` for localhost, `documentation` for RFC 2606 example names, `reserved` for `.test` and
 * `.invalid`) plus `internal` for names that only resolve inside a network; URLs and emails inherit
 * from their host. Hashes and CVEs are `non-network`.
 */
export type IndicatorClassification = AddressRange | 'internal' | 'non-network';

export interface NormalizedIndicator {
  type: IndicatorType;
  /** Canonical value: what is cached, compared and sent to providers. */
  value: string;
  /** The input as given (trimmed). */
  original: string;
  /** False when the indicator must never be sent to a third party. */
  shareable: boolean;
  classification: IndicatorClassification;
}

/** The value is not a valid indicator of the requested (or any) type. */
export class InvalidIndicatorError extends BadRequestError {
  constructor(message: string, details: { type?: string } = {}) {
    super(message, 'invalid_indicator');
    if (details.type !== undefined) this.extensions.indicatorType = details.type;
  }
}

/** Longest indicator accepted, in characters (URLs are the long ones). */
export const MAX_INDICATOR_LENGTH = 8192;

/** Known top-level domains (lower case, IDN TLDs in punycode): see data/tlds.json for provenance. */
export const KNOWN_TLDS: ReadonlySet<string> = new Set(tldData.tlds);

/**
 * TLDs that are also file extensions or code property names common in prose (`setup.py`,
 * `readme.md`, `invoice.zip`, `user.name`). A bare two-label name ending in one is taken for a file
 * name by the extractor unless its context makes it a host.
 */
export const FILE_LIKE_TLDS: ReadonlySet<string> = new Set([
  'md',
  'py',
  'sh',
  'pl',
  'rs',
  'pm',
  'so',
  'ps',
  'tf',
  'mk',
  'ml',
  'zip',
  'mov',
  'one',
  'run',
  'name',
]);

/** File extensions that are not TLDs: a name ending in one is a file, never a domain. */
const FILE_EXTENSIONS: ReadonlySet<string> = new Set(
  (
    'exe dll sys bat cmd ps1 vbs vbe js jse wsf hta lnk scr msi jar apk dmg pkg deb rpm iso img bin dat tmp bak ' +
    'log txt csv tsv json xml yml yaml toml ini cfg conf html htm xhtml php asp aspx jsp css scss less ts tsx jsx ' +
    'mjs cjs rb go java class c h cpp hpp cs swift kt lua doc docx docm xls xlsx xlsm ppt pptx pdf rtf odt rar 7z ' +
    'gz tgz tar bz2 xz png jpg jpeg gif bmp svg ico webp mp3 mp4 wav avi mkv o a lock sql db sqlite env pem key crt'
  ).split(' '),
);

const INTERNAL_SUFFIXES = [
  'local',
  'internal',
  'lan',
  'home.arpa',
  'corp',
  'intranet',
  'home',
  'localdomain',
];
const RESERVED_SUFFIXES = ['test', 'invalid'];
const DOCUMENTATION_SUFFIXES = ['example', 'example.com', 'example.net', 'example.org'];

const hasSuffix = (name: string, suffix: string) => name === suffix || name.endsWith(`.${suffix}`);

/** Classifies a canonical (lower-case, ASCII) domain name by where it can resolve. */
export function classifyDomain(name: string): IndicatorClassification {
  if (hasSuffix(name, 'localhost')) return 'loopback';
  if (!name.includes('.')) return 'internal';
  if (INTERNAL_SUFFIXES.some((s) => hasSuffix(name, s))) return 'internal';
  if (RESERVED_SUFFIXES.some((s) => hasSuffix(name, s))) return 'reserved';
  if (DOCUMENTATION_SUFFIXES.some((s) => hasSuffix(name, s))) return 'documentation';
  if (hasSuffix(name, 'arpa')) return 'reserved';
  return 'public';
}

/** True for names under a suffix that is not in the public root but is a deliberate internal or reserved name. */
export function isNonPublicSuffix(name: string): boolean {
  return classifyDomain(name) !== 'public';
}

export interface CanonicalDomain {
  /** Lower case, punycode, no trailing dot. */
  value: string;
  tld: string;
  labelCount: number;
  knownTld: boolean;
}

const ALPHA_TLD = /^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

/**
 * Syntax check and canonical form of a host name: IDN to punycode, lower case, every label 1–63 LDH
 * characters, at most 253 in all, an alphabetic (or punycode) TLD. Says nothing about whether the
 * TLD is delegated: callers apply their own TLD policy to `knownTld`.
 */
export function canonicalDomain(raw: string): CanonicalDomain | undefined {
  let name = raw.endsWith('.') ? raw.slice(0, -1) : raw;
  if (name.length === 0 || name.length > 253) return undefined;
  let ascii = true;
  let upper = false;
  for (let i = 0; i < name.length; i += 1) {
    const c = name.charCodeAt(i);
    if (c > 127) {
      ascii = false;
      break;
    }
    if (c >= 65 && c <= 90) upper = true;
  }
  if (!ascii) {
    name = domainToASCII(name);
    if (name.length === 0 || name.length > 253) return undefined;
  } else if (upper) {
    name = name.toLowerCase();
  }
  // One pass over LDH labels: 1–63 characters, no hyphen at either end.
  let labelStart = 0;
  let labelCount = 0;
  for (let i = 0; i <= name.length; i += 1) {
    const c = i === name.length ? 46 : name.charCodeAt(i);
    if (c === 46) {
      const length = i - labelStart;
      if (length < 1 || length > 63) return undefined;
      if (name.charCodeAt(labelStart) === 45 || name.charCodeAt(i - 1) === 45) return undefined;
      labelCount += 1;
      labelStart = i + 1;
    } else if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45)) {
      return undefined;
    }
  }
  const tld = name.slice(name.lastIndexOf('.') + 1);
  if (labelCount > 1 && !ALPHA_TLD.test(tld)) return undefined;
  return { value: name, tld, labelCount, knownTld: KNOWN_TLDS.has(tld) };
}

/**
 * Turns defanged notation back into the real indicator: `hxxp`/`hXXps`/`fxp` schemes, `[.]`, `(.)`,
 * `{.}`, `[dot]`, ` dot `, `\.`, `[:]`, `[://]`, `[/]`, `[at]`, `(at)`, `[@]`, ` at ` and the partial
 * bracket forms `[.` / `.]`. Meant for one indicator, not prose: the spaced word forms (` dot `,
 * ` at `) would rewrite ordinary sentences. Every pattern is a fixed-width alternation, so the cost
 * is linear in the input.
 */
export function refang(value: string): string {
  return value
    .replace(/\bhxxp(s?)\b/gi, (_, s: string) => `http${s.toLowerCase()}`)
    .replace(/\bfxp(s?)\b/gi, (_, s: string) => `ftp${s.toLowerCase()}`)
    .replace(/[[({] ?:\/\/ ?[\])}]/g, '://')
    .replace(/[[({] ?: ?[\])}]/g, ':')
    .replace(/[[({] ?\/ ?[\])}]/g, '/')
    .replace(/ ?[[({] ?(?:@|at) ?[\])}] ?/gi, '@')
    .replace(/ ?[[({] ?(?:\.|dot) ?[\])}] ?/gi, '.')
    .replace(/\\\./g, '.')
    .replace(/\[\.|\.\]/g, '.')
    .replace(/ {1,3}(?:dot|DOT) {1,3}/g, '.')
    .replace(/ {1,3}(?:at|AT) {1,3}/g, '@');
}

const HEX = /^[0-9a-fA-F]+$/;
const HASH_BY_LENGTH: Readonly<Record<number, IndicatorType>> = { 32: 'md5', 40: 'sha1', 64: 'sha256' };
const CVE = /^CVE-(\d{4})-(\d{4,7})$/i;
const EMAIL_LOCAL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]{0,15}):\/\//;

/** Guesses the type of an already refanged value; undefined when it looks like none. */
export function detectType(value: string): IndicatorType | undefined {
  const text = value.trim();
  if (CVE.test(text)) return 'cve';
  if (HEX.test(text)) return HASH_BY_LENGTH[text.length];
  const ip = classifyIp(text);
  if (ip) return ip.version === 4 ? 'ipv4' : 'ipv6';
  if (SCHEME.test(text)) return 'url';
  const slash = text.indexOf('/');
  if (slash > 0) {
    const head = text.slice(0, slash);
    // `10.0.0.0/8` is a CIDR block, which is not an indicator type of ours.
    if (classifyIp(head) && /^\/\d{1,3}$/.test(text.slice(slash))) return undefined;
    return canonicalHost(head) ? 'url' : undefined;
  }
  if (text.includes('@')) return 'email';
  if (text.includes('.') || text.toLowerCase() === 'localhost') return 'domain';
  return undefined;
}

function resolveTypeName(name: string, value: string): IndicatorType {
  const key = name.trim().toLowerCase();
  if ((INDICATOR_TYPES as readonly string[]).includes(key)) return key as IndicatorType;
  const alias = INDICATOR_TYPE_ALIASES[key as IndicatorTypeAlias];
  if (alias === undefined)
    throw new InvalidIndicatorError(`Unknown indicator type '${name}'.`, { type: name });
  if (alias === 'hash') {
    const type = HEX.test(value) ? HASH_BY_LENGTH[value.length] : undefined;
    if (!type)
      throw new InvalidIndicatorError('A file indicator must be an MD5, SHA-1 or SHA-256 hash.', {
        type: name,
      });
    return type;
  }
  if (alias === 'ip') {
    const ip = classifyIp(value);
    if (!ip) throw new InvalidIndicatorError('Not a valid IP address.', { type: name });
    return ip.version === 4 ? 'ipv4' : 'ipv6';
  }
  return alias;
}

const shareable = (c: IndicatorClassification) => c === 'public' || c === 'non-network';

export interface CanonicalHost {
  type: 'ipv4' | 'ipv6' | 'domain';
  value: string;
  classification: IndicatorClassification;
}

/**
 * Canonical form of a URL host or email domain: an IP (IPv6 possibly in brackets) or a domain whose
 * TLD is known or deliberately internal/reserved. Undefined when it is neither.
 */
export function canonicalHost(raw: string, options: { strictTld?: boolean } = {}): CanonicalHost | undefined {
  // A domain ends in a letter and has no colon: only other text can be an address.
  const last = raw.charCodeAt(raw.length - 1);
  const ip = raw.includes(':') || (last >= 48 && last <= 57) ? classifyIp(raw) : undefined;
  if (ip && (ip.version === 6 || !raw.startsWith('['))) {
    return { type: ip.version === 4 ? 'ipv4' : 'ipv6', value: ip.canonical, classification: ip.range };
  }
  const domain = canonicalDomain(raw);
  if (!domain) return undefined;
  if (!acceptTld(domain, options.strictTld ?? false)) return undefined;
  return { type: 'domain', value: domain.value, classification: classifyDomain(domain.value) };
}

/**
 * TLD policy. Strict (extracted text): the TLD is known, or the name is deliberately internal or
 * reserved. Lenient (an analyst typed it as a domain): any alphabetic TLD that is not a file
 * extension, because the shipped TLD list is compact and new gTLDs keep appearing.
 */
function acceptTld(domain: CanonicalDomain, strict: boolean): boolean {
  if (domain.knownTld || isNonPublicSuffix(domain.value)) return true;
  if (strict) return false;
  return !FILE_EXTENSIONS.has(domain.tld);
}

export interface UrlParts {
  scheme: string;
  /** `user:pass@`, kept as written. */
  userinfo: string;
  /** Host as written (brackets included for IPv6) and its offsets in the input. */
  host: string;
  hostStart: number;
  hostEnd: number;
  port: string;
  /** Path, query and fragment as written. */
  rest: string;
}

/** Splits `scheme://authority/rest`; undefined when there is no `scheme://` prefix or no host. */
export function splitUrl(text: string): UrlParts | undefined {
  const scheme = SCHEME.exec(text);
  if (!scheme?.[1]) return undefined;
  const authorityStart = scheme[0].length;
  let authorityEnd = text.length;
  for (let i = authorityStart; i < text.length; i += 1) {
    const c = text[i];
    if (c === '/' || c === '?' || c === '#') {
      authorityEnd = i;
      break;
    }
  }
  const authority = text.slice(authorityStart, authorityEnd);
  const at = authority.lastIndexOf('@');
  const hostStart = authorityStart + at + 1;
  const hostPort = authority.slice(at + 1);
  let host = hostPort;
  let port = '';
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    if (close < 0) return undefined;
    host = hostPort.slice(0, close + 1);
    port = hostPort.slice(close + 1);
  } else {
    const colon = hostPort.indexOf(':');
    if (colon >= 0) {
      host = hostPort.slice(0, colon);
      port = hostPort.slice(colon);
    }
  }
  if (port !== '' && (!/^:\d{0,5}$/.test(port) || Number(port.slice(1)) > 65535)) return undefined;
  if (host === '') return undefined;
  return {
    scheme: scheme[1].toLowerCase(),
    userinfo: authority.slice(0, at + 1),
    host,
    hostStart,
    hostEnd: hostStart + host.length,
    port: port.slice(1),
    rest: text.slice(authorityEnd),
  };
}

const DEFAULT_PORTS: Readonly<Record<string, string>> = {
  http: '80',
  https: '443',
  ftp: '21',
  ws: '80',
  wss: '443',
};

/** Canonical URL text from its parts and canonical host: `scheme://[userinfo]host[:port]/rest`. */
export function formatUrl(parts: UrlParts, host: CanonicalHost): string {
  const hostText = host.type === 'ipv6' ? `[${host.value}]` : host.value;
  const port =
    parts.port === '' || parts.port === DEFAULT_PORTS[parts.scheme] ? '' : `:${Number(parts.port)}`;
  const rest = parts.rest === '' || parts.rest.startsWith('/') ? parts.rest || '/' : `/${parts.rest}`;
  return `${parts.scheme}://${parts.userinfo}${hostText}${port}${rest}`;
}

/** Canonical hash: lower-case hex of exactly the type's length. */
function normalizeHash(value: string, type: IndicatorType): string | undefined {
  return HEX.test(value) && HASH_BY_LENGTH[value.length] === type ? value.toLowerCase() : undefined;
}

/** Canonical CVE id, `CVE-YYYY-NNNN…` upper case; undefined when malformed or before 1999. */
export function normalizeCve(value: string): string | undefined {
  const match = CVE.exec(value);
  if (!match || Number(match[1]) < 1999) return undefined;
  return value.toUpperCase();
}

/** Canonical email: local part kept as written, domain part canonical. */
export function normalizeEmail(
  value: string,
  options: { strictTld?: boolean } = {},
): { value: string; domain: CanonicalHost } | undefined {
  const at = value.lastIndexOf('@');
  if (at <= 0) return undefined;
  const local = value.slice(0, at);
  if (local.length > 64 || !EMAIL_LOCAL.test(local)) return undefined;
  const domain = canonicalHost(value.slice(at + 1), options);
  if (domain?.type !== 'domain') return undefined;
  return { value: `${local}@${domain.value}`, domain };
}

/**
 * Validates and canonicalizes one indicator. `type` is one of ours or a STIX alias; when omitted it
 * is detected from the refanged value. Throws InvalidIndicatorError when the value is not a valid
 * indicator of that type.
 */
export function normalizeIndicator(value: string, type?: string): NormalizedIndicator {
  const original = value.trim();
  if (original.length === 0) throw new InvalidIndicatorError('The indicator is empty.', { type });
  if (original.length > MAX_INDICATOR_LENGTH) {
    throw new InvalidIndicatorError(`The indicator is longer than ${MAX_INDICATOR_LENGTH} characters.`, {
      type,
    });
  }
  const text = refang(original).trim();
  const resolved = type === undefined ? detectType(text) : resolveTypeName(type, text);
  if (!resolved) throw new InvalidIndicatorError('The value is not a recognisable indicator.');
  const invalid = () => new InvalidIndicatorError(`Not a valid ${resolved} indicator.`, { type: resolved });
  const result = (canonical: string, classification: IndicatorClassification): NormalizedIndicator => ({
    type: resolved,
    value: canonical,
    original,
    shareable: shareable(classification),
    classification,
  });

  switch (resolved) {
    case 'ipv4':
    case 'ipv6': {
      const ip = classifyIp(text);
      if (!ip || (ip.version === 4) !== (resolved === 'ipv4')) throw invalid();
      return result(ip.canonical, ip.range);
    }
    case 'domain': {
      const host = canonicalHost(text);
      if (host?.type !== 'domain') throw invalid();
      return result(host.value, host.classification);
    }
    case 'url': {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: whitespace and controls never occur in a URL
      if (/[\s\x00-\x1f\x7f]/.test(text)) throw invalid();
      const parts = splitUrl(SCHEME.test(text) ? text : `http://${text}`);
      const host = parts ? canonicalHost(parts.host) : undefined;
      if (!parts || !host) throw invalid();
      return result(formatUrl(parts, host), host.classification);
    }
    case 'email': {
      const email = normalizeEmail(text);
      if (!email) throw invalid();
      return result(email.value, email.domain.classification);
    }
    case 'cve': {
      const cve = normalizeCve(text);
      if (!cve) throw invalid();
      return result(cve, 'non-network');
    }
    default: {
      const hash = normalizeHash(text, resolved);
      if (!hash) throw invalid();
      return result(hash, 'non-network');
    }
  }
}
