import { PayloadTooLargeError } from '../platform/errors';
import { classifyIp } from '../platform/net/ip-address';
import {
  canonicalDomain,
  canonicalHost,
  classifyDomain,
  FILE_LIKE_TLDS,
  formatUrl,
  type IndicatorType,
  MAX_INDICATOR_LENGTH,
  normalizeCve,
  normalizeEmail,
  splitUrl,
} from './indicators';

/**
 * Indicator extraction from free text: reports, logs, markdown, HTML, JSON — defanged or not.
 *
 * Two linear passes, no backtracking regex over the text:
 * 1. `decode` rewrites HTML entities (`&#46;`, `&amp;`), JSON-escaped slashes and defang notation
 *    (`[.]`, `(dot)`, `[:]`, `[at]`, `hxxp`, `\.`) into a clean copy, keeping for every clean
 *    character the offsets of the source text it came from;
 * 2. a scanner cuts the clean copy into tokens and URLs and validates each with the indicator model.
 *
 * Policy, kept deliberately conservative (a false positive costs a provider call and analyst time):
 * - unique indicators by (type, canonical value), with the offsets of the first occurrence, sorted
 *   by position; `original` is the source text exactly as written (defanged, entity-encoded);
 * - a URL also yields its host (domain or IP); an email also yields its domain; inside a URL the
 *   host, and hashes and CVE ids standing as their own path or query segment, are reported — other
 *   names in a path (`/files/a.exe`, `/1.2.3.4/`) are not;
 * - a bare name is a domain only if its TLD is in the shipped list; a two-label name whose TLD is
 *   also a file extension (`setup.py`, `readme.md`) counts only when defanged, as an email domain
 *   or as a URL host; internal names (`dc01.corp.local`) need three labels; a Title-case last label
 *   glued to a lower-case word (`done.It`) is a missing space, not a TLD;
 * - an IPv4 address is a dotted quad standing alone: glued digits or letters (`11.2.3.4.5`,
 *   `a1.2.3.4`) and quads that follow `version`, `build`, `v` and the like are not addresses;
 * - URLs need a scheme (`http`, `https`, `ftp`, `ftps`, `sftp`, `ws`, `wss`); `www.x.com/path`
 *   yields the domain only. Trailing punctuation and unbalanced closing brackets are not part of a URL.
 */
export interface ExtractedIndicator {
  type: IndicatorType;
  /** Canonical value, as normalizeIndicator would give it. */
  value: string;
  /** The source text as written, `text.slice(start, end)`. */
  original: string;
  /** UTF-16 offsets into the text given to extractIndicators. */
  start: number;
  end: number;
}

export interface ExtractionResult {
  indicators: ExtractedIndicator[];
}

/** Largest text accepted, in UTF-8 bytes. */
export const MAX_EXTRACTION_BYTES = 1024 * 1024;

/**
 * The clean copy and its map back to the source. Only rewritten spans are recorded (sorted by
 * clean offset); between them the clean text is a verbatim copy, shifted by a constant.
 */
class Decoded {
  readonly cleanStart: number[] = [];
  readonly cleanLength: number[] = [];
  readonly sourceStart: number[] = [];
  readonly sourceLength: number[] = [];
  text = '';

  /** The last rewritten span starting at or before clean offset k, or -1. */
  private spanAt(k: number): number {
    let lo = 0;
    let hi = this.cleanStart.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((this.cleanStart[mid] ?? 0) <= k) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** Source range [from, to) that clean character k came from. */
  source(k: number): [number, number] {
    const r = this.spanAt(k);
    if (r < 0) return [k, k + 1];
    const cleanStart = this.cleanStart[r] ?? 0;
    const sourceStart = this.sourceStart[r] ?? 0;
    const sourceEnd = sourceStart + (this.sourceLength[r] ?? 0);
    const cleanEnd = cleanStart + (this.cleanLength[r] ?? 0);
    if (k < cleanEnd) return [sourceStart, sourceEnd];
    const from = k - cleanEnd + sourceEnd;
    return [from, from + 1];
  }
}

interface Replacement {
  value: string;
  length: number;
  /** Defang of a separator written with spaces around it (`evil [.] com`): the spaces go too. */
  spaced: boolean;
}

const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  period: '.',
  colon: ':',
  sol: '/',
  commat: '@',
  lsqb: '[',
  rsqb: ']',
  lpar: '(',
  rpar: ')',
};

const isDigit = (c: number) => c >= 48 && c <= 57;
const isAsciiLetter = (c: number) => (c | 0x20) >= 97 && (c | 0x20) <= 122;
const isAsciiAlnum = (c: number) => isDigit(c) || isAsciiLetter(c);
const isHexDigit = (c: number) => isDigit(c) || ((c | 0x20) >= 97 && (c | 0x20) <= 102);

function decodeEntity(text: string, i: number): Replacement | undefined {
  let semi = -1;
  for (let j = i + 2; j < text.length && j <= i + 10; j += 1) {
    if (text.charCodeAt(j) === 59) {
      semi = j;
      break;
    }
  }
  if (semi < 0) return undefined;
  const body = text.slice(i + 1, semi);
  let value: string | undefined;
  if (body.startsWith('#x') || body.startsWith('#X')) {
    const hex = body.slice(2);
    if (/^[0-9a-fA-F]{1,6}$/.test(hex)) value = safeCodePoint(Number.parseInt(hex, 16));
  } else if (body.startsWith('#')) {
    const dec = body.slice(1);
    if (/^\d{1,7}$/.test(dec)) value = safeCodePoint(Number(dec));
  } else {
    value = NAMED_ENTITIES[body.toLowerCase()];
  }
  return value === undefined ? undefined : { value, length: semi - i + 1, spaced: false };
}

function safeCodePoint(code: number): string | undefined {
  return code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff)
    ? String.fromCodePoint(code)
    : undefined;
}

const isBracketOpen = (c: number) => c === 91 || c === 40 || c === 123; // [ ( {
const isBracketClose = (c: number) => c === 93 || c === 41 || c === 125; // ] ) }
const BRACKETED: ReadonlyArray<readonly [string, string, boolean]> = [
  ['://', '://', false],
  ['.', '.', true],
  ['dot', '.', true],
  [':', ':', false],
  ['/', '/', false],
  ['@', '@', true],
  ['at', '@', true],
];

/** `[.]`, `( dot )`, `{:}`, `[://]`, `[at]`… with any of the three bracket kinds on either side. */
function decodeBracketed(text: string, i: number): Replacement | undefined {
  let j = i + 1;
  if (text.charCodeAt(j) === 32) j += 1;
  // Most brackets in text open a word or a number: rule them out on the first character.
  const first = text.charCodeAt(j) | 0x20;
  if (first !== 46 && first !== 58 && first !== 47 && first !== 96 && first !== 100 && first !== 97) {
    return undefined;
  }
  for (const [inner, value, separator] of BRACKETED) {
    if (text.slice(j, j + inner.length).toLowerCase() !== inner) continue;
    let k = j + inner.length;
    if (text.charCodeAt(k) === 32) k += 1;
    if (!isBracketClose(text.charCodeAt(k))) continue;
    const length = k + 1 - i;
    const spaced =
      separator &&
      text.charCodeAt(i - 1) === 32 &&
      isAsciiAlnum(text.charCodeAt(i - 2)) &&
      text.charCodeAt(i + length) === 32 &&
      isAsciiAlnum(text.charCodeAt(i + length + 1));
    return { value, length, spaced };
  }
  return undefined;
}

/** `hxxp`, `hXXps`, `fxp` as a whole word → `http`, `https`, `ftp`. */
function decodeScheme(text: string, i: number): Replacement | undefined {
  if (i > 0 && isAsciiAlnum(text.charCodeAt(i - 1))) return undefined;
  const c = text.charCodeAt(i) | 0x20;
  const at = (k: number) => text.charCodeAt(i + k) | 0x20;
  let value: string;
  let length: number;
  if (c === 104 && at(1) === 120 && at(2) === 120 && at(3) === 112) {
    value = at(4) === 115 ? 'https' : 'http';
    length = value.length;
  } else if (c === 102 && at(1) === 120 && at(2) === 112) {
    value = 'ftp';
    length = 3;
  } else {
    return undefined;
  }
  return isAsciiAlnum(text.charCodeAt(i + length)) ? undefined : { value, length, spaced: false };
}

// Where a rewrite may start: an entity, a bracket, a backslash, or a defanged scheme at a word start.
const TRIGGER = /[&[({\\]|\b(?:h[xX]{2}p|f[xX]p)/gi;

function decode(text: string): Decoded {
  const decoded = new Decoded();
  const parts: string[] = [];
  let copiedTo = 0; // source offset up to which the text is copied or rewritten
  let shift = 0; // clean offset minus source offset, at copiedTo
  TRIGGER.lastIndex = 0;
  for (let match = TRIGGER.exec(text); match !== null; match = TRIGGER.exec(text)) {
    const i = match.index;
    if (i < copiedTo) {
      TRIGGER.lastIndex = copiedTo;
      continue;
    }
    const c = text.charCodeAt(i);
    let r: Replacement | undefined;
    if (c === 38) r = decodeEntity(text, i);
    else if (isBracketOpen(c)) r = decodeBracketed(text, i);
    else if (c === 92) {
      const next = text.charCodeAt(i + 1);
      if (next === 46 || next === 47) r = { value: next === 46 ? '.' : '/', length: 2, spaced: false };
    } else r = decodeScheme(text, i);
    if (!r) {
      TRIGGER.lastIndex = i + 1;
      continue;
    }
    let sourceStart = i;
    let sourceEnd = i + r.length;
    // A spaced defang (`evil [.] com`) takes the spaces around it, if the one before is not yet rewritten.
    if (r.spaced && i - 1 >= copiedTo) {
      sourceStart -= 1;
      sourceEnd += 1;
    }
    parts.push(text.slice(copiedTo, sourceStart), r.value);
    decoded.cleanStart.push(sourceStart + shift);
    decoded.cleanLength.push(r.value.length);
    decoded.sourceStart.push(sourceStart);
    decoded.sourceLength.push(sourceEnd - sourceStart);
    shift += r.value.length - (sourceEnd - sourceStart);
    copiedTo = sourceEnd;
    TRIGGER.lastIndex = sourceEnd;
  }
  parts.push(text.slice(copiedTo));
  decoded.text = parts.length === 1 ? text : parts.join('');
  return decoded;
}

// Characters that can belong to a non-URL indicator: letters, digits and . - _ @ : +
const TOKEN = new Uint8Array(128);
for (let c = 0; c < 128; c += 1) {
  if (isAsciiAlnum(c) || c === 46 || c === 45 || c === 95 || c === 64 || c === 58 || c === 43) TOKEN[c] = 1;
}
const WORDLIKE = /[\p{L}\p{N}\p{M}]/u;

// Characters that end a URL: whitespace, quotes, angle and curly brackets, backslash, caret, pipe.
const URL_STOP = new Uint8Array(128);
for (let c = 0; c <= 32; c += 1) URL_STOP[c] = 1;
for (const ch of '<>"\'`{}|\\^') URL_STOP[ch.charCodeAt(0)] = 1;
URL_STOP[127] = 1;
const isUrlChar = (s: string, i: number, c: number) =>
  c < 128 ? URL_STOP[c] === 0 : WORDLIKE.test(s[i] ?? '');

const SEPARATOR = /[.:@]/g;
const CVE_START = /cve-/gi;
const URL_SCHEMES = new Set(['http', 'https', 'ftp', 'ftps', 'sftp', 'ws', 'wss']);
const VERSION_WORDS = new Set([
  'version',
  'ver',
  'v',
  'build',
  'release',
  'rev',
  'revision',
  'firmware',
  'fw',
]);
const STRIP_LEADING = new Set([46, 45, 95, 43, 64]); // . - _ + @
const STRIP_TRAILING = new Set([46, 45, 95, 43, 64, 58]); // . - _ + @ :
const URL_TRAILING = new Set([46, 44, 59, 58, 33, 63, 42]); // . , ; : ! ? *
// Shape only (classifyIp decides): spares it version strings such as `10.0.19041.1`.
const DOTTED_QUAD = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
const HASH_TYPES: Readonly<Record<number, IndicatorType>> = { 32: 'md5', 40: 'sha1', 64: 'sha256' };

class Collector {
  private readonly seen = new Map<IndicatorType, Map<string, ExtractedIndicator>>();

  constructor(
    private readonly source: string,
    private readonly decoded: Decoded,
  ) {}

  /** Records an indicator found at clean offsets [a, b), unless already seen. */
  add(type: IndicatorType, value: string, a: number, b: number): void {
    let byValue = this.seen.get(type);
    if (!byValue) {
      byValue = new Map();
      this.seen.set(type, byValue);
    }
    const known = byValue.get(value);
    const start = this.decoded.source(a)[0];
    // The passes do not run in text order: keep whichever occurrence comes first.
    if (known && known.start <= start) return;
    const end = this.decoded.source(b - 1)[1];
    byValue.set(value, { type, value, original: this.source.slice(start, end), start, end });
  }

  has(type: IndicatorType, value: string): boolean {
    return this.seen.get(type)?.has(value) ?? false;
  }

  /** True when the clean range [a, b) was rewritten from defang notation or entities. */
  rewritten(a: number, b: number): boolean {
    return this.decoded.source(b - 1)[1] - this.decoded.source(a)[0] !== b - a;
  }

  result(): ExtractedIndicator[] {
    return [...this.seen.values()]
      .flatMap((m) => [...m.values()])
      .sort((x, y) => x.start - y.start || y.end - x.end);
  }
}

class Scanner {
  private readonly s: string;
  /**
   * Clean texts of tokens and URLs already classified whose outcome did not depend on what
   * surrounds them: a later identical one can only repeat indicators already recorded, so repetitive
   * input (logs) costs little more than scanning. `contextUsed` marks the exceptions.
   */
  private readonly done = new Set<string>();
  private contextUsed = false;

  constructor(
    decoded: Decoded,
    private readonly out: Collector,
  ) {
    this.s = decoded.text;
  }

  run(): void {
    this.tokensWithSeparators();
    this.plainTokens();
  }

  private isToken(i: number): boolean {
    const c = this.s.charCodeAt(i);
    return c < 128 ? TOKEN[c] === 1 : WORDLIKE.test(this.s.charAt(i));
  }

  /**
   * Every IP, domain, email and URL contains `.`, `:` or `@`: the native regex search jumps from one
   * to the next and the token around it is cut out. Each character is looked at a bounded number of
   * times, as the search resumes after the token (or URL) just classified.
   */
  private tokensWithSeparators(): void {
    const { s } = this;
    const n = s.length;
    let from = 0;
    for (;;) {
      SEPARATOR.lastIndex = from;
      const match = SEPARATOR.exec(s);
      if (!match) return;
      let start = match.index;
      while (start > from && this.isToken(start - 1)) start -= 1;
      let end = match.index + 1;
      while (end < n && this.isToken(end)) end += 1;
      from = end;
      // `scheme:` followed by `//` starts a URL.
      if (s.charCodeAt(end - 1) === 58 && s.charCodeAt(end) === 47 && s.charCodeAt(end + 1) === 47) {
        let schemeStart = end - 1;
        while (
          schemeStart > start &&
          end - schemeStart <= 6 &&
          isAsciiLetter(s.charCodeAt(schemeStart - 1))
        ) {
          schemeStart -= 1;
        }
        const scheme = s.slice(schemeStart, end - 1).toLowerCase();
        const schemeAlone = schemeStart === start || !isAsciiAlnum(s.charCodeAt(schemeStart - 1));
        if (schemeAlone && URL_SCHEMES.has(scheme)) {
          const urlEnd = this.url(schemeStart, end + 2);
          if (urlEnd > 0) {
            if (schemeStart > start) this.once(start, schemeStart);
            from = urlEnd;
            continue;
          }
        }
      }
      this.once(start, end);
    }
  }

  /**
   * Tokens without separators can only be a hash or a CVE id. Hash candidates are runs of at least
   * 32 hex digits, found with a skip search: if the character 31 places ahead is not hex, no run
   * can cover the window and the search jumps past it, so prose is crossed in big strides and no
   * character is looked at more than twice. CVE ids are found by a literal search for `cve-`.
   */
  private plainTokens(): void {
    const { s } = this;
    const n = s.length;
    let i = 0;
    while (i + 32 <= n) {
      let probe = i + 31;
      if (!isHexDigit(s.charCodeAt(probe))) {
        i = probe + 1;
        continue;
      }
      while (probe > i && isHexDigit(s.charCodeAt(probe - 1))) probe -= 1;
      if (probe > i) {
        i = probe;
        continue;
      }
      i = this.plainToken(i);
    }
    CVE_START.lastIndex = 0;
    for (let match = CVE_START.exec(s); match !== null; match = CVE_START.exec(s)) {
      CVE_START.lastIndex = this.plainToken(match.index);
    }
  }

  /** Cuts out the token at `start` and classifies it if it is a plain one; returns its end. */
  private plainToken(start: number): number {
    const { s } = this;
    let end = start;
    let separators = false;
    while (end < s.length && this.isToken(end)) {
      const c = s.charCodeAt(end);
      if (c === 46 || c === 58 || c === 64) separators = true;
      end += 1;
    }
    // Part of a longer token (`abc_<hex>`, `x.<hex>`): that token is the separator pass's business.
    if (start > 0 && this.isToken(start - 1)) return Math.max(end, start + 1);
    if (!separators) this.once(start, end);
    return Math.max(end, start + 1);
  }

  /** Classifies the token at [a, b) unless an identical, context-free one was classified before. */
  private once(a: number, b: number): void {
    const text = this.s.slice(a, b);
    if (this.done.has(text)) return;
    this.contextUsed = false;
    this.token(a, b);
    if (!this.contextUsed) this.done.add(text);
  }

  /** Scans a URL starting at `a`; returns its end, or 0 when it is not a valid URL. */
  private url(a: number, afterSlashes: number): number {
    const { s } = this;
    let b = afterSlashes;
    let parens = 0;
    let squares = 0;
    while (b < s.length) {
      const c = s.charCodeAt(b);
      if (!isUrlChar(s, b, c)) break;
      if (c === 40) parens += 1;
      else if (c === 41) parens -= 1;
      else if (c === 91) squares += 1;
      else if (c === 93) squares -= 1;
      b += 1;
    }
    while (b > afterSlashes) {
      const c = s.charCodeAt(b - 1);
      if (URL_TRAILING.has(c)) b -= 1;
      else if (c === 41 && parens < 0) {
        parens += 1;
        b -= 1;
      } else if (c === 93 && squares < 0) {
        squares += 1;
        b -= 1;
      } else break;
    }
    if (b <= afterSlashes) return 0;
    const text = s.slice(a, b);
    if (this.done.has(text)) return b;
    const parts = splitUrl(text);
    const host = parts ? canonicalHost(parts.host, { strictTld: true }) : undefined;
    if (!parts || !host) return 0;
    this.done.add(text);
    // Like normalizeIndicator, no URL longer than MAX_INDICATOR_LENGTH; its host still counts.
    if (b - a <= MAX_INDICATOR_LENGTH) this.out.add('url', formatUrl(parts, host), a, b);
    const bracketed = parts.host.startsWith('[') ? 1 : 0;
    this.out.add(host.type, host.value, a + parts.hostStart + bracketed, a + parts.hostEnd - bracketed);
    return b;
  }

  /** Classifies the token at clean offsets [a, b). */
  private token(a0: number, b0: number): void {
    const { s } = this;
    let a = a0;
    let b = b0;
    while (a < b && STRIP_LEADING.has(s.charCodeAt(a))) a += 1;
    // A trailing `::` belongs to an IPv6 address (`fe80::`); a single trailing colon is punctuation.
    while (
      b > a &&
      STRIP_TRAILING.has(s.charCodeAt(b - 1)) &&
      !(s.charCodeAt(b - 1) === 58 && s.charCodeAt(b - 2) === 58)
    )
      b -= 1;
    if (a >= b) return;
    let dots = 0;
    let colons = 0;
    let ats = 0;
    let nonDigit = false;
    for (let i = a; i < b; i += 1) {
      const c = s.charCodeAt(i);
      if (c === 46) dots += 1;
      else if (c === 58) colons += 1;
      else if (c === 64) ats += 1;
      else if (!isDigit(c)) nonDigit = true;
    }
    if (colons > 0) {
      if (colons >= 2 && this.ipv6(a, b)) return;
      this.split(a, b, 58);
      return;
    }
    if (ats > 0) {
      if (ats === 1 && this.email(a, b)) return;
      this.split(a, b, 64);
      return;
    }
    if (dots === 0) {
      if (!this.hash(a, b)) this.cve(a, b);
      return;
    }
    if (!nonDigit) {
      if (dots === 3) this.ipv4(a, b);
      return;
    }
    if (!this.domain(a, b)) this.hashLabels(a, b);
  }

  /** Processes each piece of [a, b) between separators as a token of its own. */
  private split(a: number, b: number, separator: number): void {
    let pieceStart = a;
    for (let i = a; i <= b; i += 1) {
      if (i === b || this.s.charCodeAt(i) === separator) {
        if (i > pieceStart) this.token(pieceStart, i);
        pieceStart = i + 1;
      }
    }
  }

  private ipv6(a: number, b: number): boolean {
    const text = this.s.slice(a, b);
    // Eight groups, or a `::` — times (`10:30:45`) and MAC addresses never reach the parser.
    if (!text.includes('::') && text.split(':').length < 7) return false;
    if (!/^[0-9a-fA-F:.]+$/.test(text)) return false;
    const ip = classifyIp(text);
    if (ip?.version !== 6) return false;
    this.out.add('ipv6', ip.canonical, a, b);
    return true;
  }

  private ipv4(a: number, b: number): void {
    const text = this.s.slice(a, b);
    if (!DOTTED_QUAD.test(text)) return;
    // A dotted quad classifyIp accepts is its own canonical form: one already recorded is done with.
    if (this.out.has('ipv4', text) || this.followsVersionWord(a)) return;
    const ip = classifyIp(text);
    if (ip?.version === 4) this.out.add('ipv4', ip.canonical, a, b);
  }

  /** `version 1.2.3.4`, `build: 10.0.1.2`, `"fw":"2.1.0.7"`: a dotted quad that names a release. */
  private followsVersionWord(a: number): boolean {
    this.contextUsed = true;
    const { s } = this;
    let i = a;
    for (let skipped = 0; skipped < 3 && i > 0; skipped += 1) {
      const c = s.charCodeAt(i - 1);
      if (c !== 32 && c !== 9 && c !== 58 && c !== 61 && c !== 34 && c !== 39) break;
      i -= 1;
    }
    if (i === a && a > 0) return false;
    let wordStart = i;
    while (wordStart > 0 && i - wordStart < 12 && isAsciiLetter(s.charCodeAt(wordStart - 1))) wordStart -= 1;
    if (wordStart > 0 && isAsciiLetter(s.charCodeAt(wordStart - 1))) return false;
    return VERSION_WORDS.has(s.slice(wordStart, i).toLowerCase());
  }

  private email(a: number, b: number): boolean {
    const text = this.s.slice(a, b);
    const at = text.indexOf('@');
    if (!text.includes('.', at)) return false;
    const email = normalizeEmail(text, { strictTld: true });
    if (!email) return false;
    this.out.add('email', email.value, a, b);
    this.out.add('domain', email.domain.value, a + at + 1, b);
    return true;
  }

  /** A bare name: known TLD, not a file name, not a missing space after a full stop. */
  private domain(a: number, b: number): boolean {
    const raw = this.s.slice(a, b);
    const domain = canonicalDomain(raw);
    if (!domain || domain.labelCount < 2) return false;
    if (!domain.knownTld && !(classifyDomain(domain.value) === 'internal' && domain.labelCount >= 3)) {
      return false;
    }
    if (domain.labelCount === 2 && FILE_LIKE_TLDS.has(domain.tld)) {
      this.contextUsed = true;
      if (!this.out.rewritten(a, b)) return false;
    }
    const lastDot = raw.lastIndexOf('.');
    const before = raw.charCodeAt(lastDot - 1);
    if (/^[A-Z][a-z]+$/.test(raw.slice(lastDot + 1)) && before >= 97 && before <= 122) return false;
    this.out.add('domain', domain.value, a, b);
    return true;
  }

  /** `<md5>.exe`, `<sha256>.bin`: a file named after its hash. */
  private hashLabels(a: number, b: number): void {
    let labelStart = a;
    for (let i = a; i <= b; i += 1) {
      if (i === b || this.s.charCodeAt(i) === 46) {
        this.hash(labelStart, i);
        labelStart = i + 1;
      }
    }
  }

  private hash(a: number, b: number): boolean {
    const type = HASH_TYPES[b - a];
    if (!type) return false;
    const { s } = this;
    let digits = 0;
    for (let i = a; i < b; i += 1) {
      const c = s.charCodeAt(i);
      if (!isHexDigit(c)) return false;
      if (isDigit(c)) digits += 1;
    }
    // All digits (a long number) or all letters is not a digest.
    if (digits === 0 || digits === b - a) return false;
    if (a > 0 && isAsciiAlnum(s.charCodeAt(a - 1))) return false;
    if (b < s.length && isAsciiAlnum(s.charCodeAt(b))) return false;
    this.out.add(type, s.slice(a, b).toLowerCase(), a, b);
    return true;
  }

  private cve(a: number, b: number): void {
    if (b - a < 13 || (this.s.charCodeAt(a) | 0x20) !== 99) return;
    const cve = normalizeCve(this.s.slice(a, b));
    if (cve) this.out.add('cve', cve, a, b);
  }
}

function utf8Length(text: string): number {
  return text.length * 3 <= MAX_EXTRACTION_BYTES ? text.length : Buffer.byteLength(text, 'utf8');
}

/**
 * Finds the indicators in a text of up to 1 MiB (UTF-8): unique by (type, value), first occurrence,
 * in order of position. Linear in the length of the text. Throws PayloadTooLargeError above the limit.
 */
export function extractIndicators(text: string): ExtractionResult {
  if (text.length > MAX_EXTRACTION_BYTES || utf8Length(text) > MAX_EXTRACTION_BYTES) {
    throw new PayloadTooLargeError(MAX_EXTRACTION_BYTES);
  }
  const decoded = decode(text);
  const out = new Collector(text, decoded);
  new Scanner(decoded, out).run();
  return { indicators: out.result() };
}
