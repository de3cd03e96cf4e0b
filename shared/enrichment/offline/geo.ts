import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { geoResult, nonPublicIpResult } from '../../integrations/adapters/geo-normalize';
import { assertSupported } from '../../integrations/adapters/intel-normalize';
import type { CatalogEntry, Indicator, IntelAdapter, IntelResult } from '../../integrations/ports';
import { VigilError } from '../../platform/errors';
import { classifyIp } from '../../platform/net/ip-address';

/**
 * The `geoip` provider: the autonomous system (number and organisation) that announces a public IP,
 * from a database shipped inside an npm package, so it needs no network, no key and no quota.
 *
 * Data: `@ip-location-db/asn` (sapics/ip-location-db), the `asn-ipv4-num.csv` and
 * `asn-ipv6-num.csv` files: inclusive numeric ranges → ASN, organisation. IPv4 merges RouteViews
 * BGP tables, the five RIRs' delegation files and DB-IP's IP-to-ASN Lite; IPv6 the RIRs and DB-IP.
 * Licence: the data is CC BY 4.0 (RouteViews, NRO, DB-IP): anything that shows these results must
 * credit them; DB-IP asks web pages that display them for a link to https://db-ip.com. Freshness:
 * the package version is the build date (`2.3.2026061719` = 2026-06-17); it is pinned, so the data
 * only moves when the dependency is bumped, and upstream has announced that npm releases stop, so
 * expect it to age. The package has no country column: `details.countryCode` is never set here
 * (the online geolocation providers supply it).
 *
 * Loading: each address family's file (21 MB for IPv4, 11 MB for IPv6) is parsed into typed arrays
 * on the first lookup of that family and kept for the life of the container (about 40 MB of heap and
 * under a second for IPv4). The files are read at run time, so a Lambda bundle must ship them next
 * to the code and pass their directory as `dataDir`; by default they are resolved from
 * `node_modules`.
 */

const PROVIDER = 'geoip';
const PACKAGE = '@ip-location-db/asn';
const FILES = { 4: 'asn-ipv4-num.csv', 6: 'asn-ipv6-num.csv' } as const;

/** The shipped database could not be read or parsed: a deployment problem, not a lookup failure. */
export class GeoDatabaseError extends VigilError {
  override readonly name = 'GeoDatabaseError';
  override readonly code = 'geo_database_unavailable';
}

/** One address family's ranges, sorted by start (a few overlap: see `findRange`). */
interface AsnTable<N extends number | bigint> {
  starts: ArrayLike<N>;
  ends: ArrayLike<N>;
  asns: Uint32Array;
  orgIds: Uint32Array;
  orgs: string[];
}

export interface AsnRecord {
  asn: number;
  org?: string;
  /** The database range that contains the address, canonical text. */
  range: { start: string; end: string };
}

interface CsvRow {
  start: string;
  end: string;
  asn: string;
  org: string;
}

/**
 * Calls `onRow` for each `start,end,asn,org` line; `org` may be quoted with `""` escapes. Written
 * against the 400k-line file with indexOf scans rather than a general CSV parser to keep the cold
 * load short.
 */
export function parseAsnCsv(text: string, onRow: (row: CsvRow) => void): void {
  let pos = 0;
  let line = 1;
  while (pos < text.length) {
    let lineEnd = text.indexOf('\n', pos);
    if (lineEnd < 0) lineEnd = text.length;
    const c1 = text.indexOf(',', pos);
    const c2 = c1 < 0 ? -1 : text.indexOf(',', c1 + 1);
    const c3 = c2 < 0 ? -1 : text.indexOf(',', c2 + 1);
    if (lineEnd === pos || (lineEnd === pos + 1 && text.charCodeAt(pos) === 13)) {
      pos = lineEnd + 1;
      line += 1;
      continue;
    }
    if (c3 < 0 || c3 > lineEnd) throw new GeoDatabaseError(`Malformed ASN database line ${line}.`);
    let org: string;
    if (text.charCodeAt(c3 + 1) === 34) {
      org = '';
      let i = c3 + 2;
      for (;;) {
        const quote = text.indexOf('"', i);
        if (quote < 0) throw new GeoDatabaseError(`Unterminated quote on ASN database line ${line}.`);
        if (text.charCodeAt(quote + 1) === 34) {
          org += text.slice(i, quote + 1);
          i = quote + 2;
          continue;
        }
        org += text.slice(i, quote);
        lineEnd = text.indexOf('\n', quote);
        if (lineEnd < 0) lineEnd = text.length;
        break;
      }
    } else {
      org = text.slice(c3 + 1, text.charCodeAt(lineEnd - 1) === 13 ? lineEnd - 1 : lineEnd);
    }
    onRow({ start: text.slice(pos, c1), end: text.slice(c1 + 1, c2), asn: text.slice(c2 + 1, c3), org });
    pos = lineEnd + 1;
    line += 1;
  }
}

function buildTable<N extends number | bigint>(text: string, parse: (value: string) => N): AsnTable<N> {
  const starts: N[] = [];
  const ends: N[] = [];
  const asns: number[] = [];
  const orgIds: number[] = [];
  const orgs: string[] = [];
  const orgIndex = new Map<string, number>();
  parseAsnCsv(text, (row) => {
    const start = parse(row.start);
    const end = parse(row.end);
    const asn = Number(row.asn);
    if (!(end >= start) || !Number.isInteger(asn) || asn < 0) {
      throw new GeoDatabaseError(`Invalid ASN database row ${starts.length + 1}.`);
    }
    if (starts.length > 0 && start < (starts[starts.length - 1] as N)) {
      throw new GeoDatabaseError(`ASN database rows are not sorted (row ${starts.length + 1}).`);
    }
    let orgId = orgIndex.get(row.org);
    if (orgId === undefined) {
      orgId = orgs.length;
      orgs.push(row.org);
      orgIndex.set(row.org, orgId);
    }
    starts.push(start);
    ends.push(end);
    asns.push(asn);
    orgIds.push(orgId);
  });
  // IPv4 bounds fit 32 bits; IPv6 bounds need 128, which no typed array holds.
  const compact = (values: N[]): ArrayLike<N> =>
    typeof values[0] === 'number'
      ? (Uint32Array.from(values as number[]) as unknown as ArrayLike<N>)
      : values;
  return {
    starts: compact(starts),
    ends: compact(ends),
    asns: Uint32Array.from(asns),
    orgIds: Uint32Array.from(orgIds),
    orgs,
  };
}

/**
 * How far back a lookup looks for an enclosing range when the nearest one ends too early. The data
 * is mostly disjoint, but a handful of ranges overlap or nest (a wide allocation with a more
 * specific announcement inside it); the nearest enclosing range, the most specific, wins.
 */
const OVERLAP_LOOKBACK = 16;

/** Index of the most specific range containing `value`, or -1. */
function findRange<N extends number | bigint>(table: AsnTable<N>, value: N): number {
  let low = 0;
  let high = table.starts.length - 1;
  let last = -1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    if ((table.starts[mid] as N) <= value) {
      last = mid;
      low = mid + 1;
    } else {
      high = mid - 1;
    }
  }
  for (let i = last; i >= 0 && i > last - OVERLAP_LOOKBACK; i -= 1) {
    if (value <= (table.ends[i] as N)) return i;
  }
  return -1;
}

const ipv4ToNumber = (ip: string) => ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
const numberToIpv4 = (value: number) =>
  [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');

/** A canonical (RFC 5952, no dotted quad) IPv6 address as a 128-bit integer. */
function ipv6ToBigInt(ip: string): bigint {
  const [head = '', tail] = ip.split('::');
  const headParts = head ? head.split(':') : [];
  const tailParts = tail ? tail.split(':') : [];
  const parts =
    tail === undefined
      ? headParts
      : [...headParts, ...Array<string>(8 - headParts.length - tailParts.length).fill('0'), ...tailParts];
  return parts.reduce((acc, part) => (acc << 16n) | BigInt(Number.parseInt(part, 16)), 0n);
}

function bigIntToIpv6(value: bigint): string {
  const hextets = Array.from({ length: 8 }, (_, i) =>
    ((value >> BigInt(112 - 16 * i)) & 0xffffn).toString(16),
  );
  return classifyIp(hextets.join(':'))?.canonical ?? hextets.join(':');
}

/** Per-container cache of parsed tables, keyed by file path: loaded once, on first use. */
const tables = new Map<string, Promise<AsnTable<number> | AsnTable<bigint>>>();

function loadTable(path: string, version: 4 | 6): Promise<AsnTable<number> | AsnTable<bigint>> {
  let table = tables.get(path);
  if (!table) {
    table = readFile(path, 'utf8').then(
      (text) => (version === 4 ? buildTable(text, Number) : buildTable(text, BigInt)),
      (error: unknown) => {
        throw new GeoDatabaseError(`The ASN database ${path} cannot be read.`, { cause: error });
      },
    );
    // A failed load is not cached: the next lookup tries again.
    table.catch(() => tables.delete(path));
    tables.set(path, table);
  }
  return table;
}

export interface GeoIpOptions {
  /**
   * Directory holding `asn-ipv4-num.csv` and `asn-ipv6-num.csv`. Default: the installed
   * `@ip-location-db/asn` package, resolved on first use.
   */
  dataDir?: string;
}

/** The ASN lookup behind the provider, exposed for tests and for callers that want the raw record. */
export interface AsnDatabase {
  lookup(ip: string): Promise<AsnRecord | undefined>;
  /** Rows loaded per family (loads the family if needed). */
  size(version: 4 | 6): Promise<number>;
  /** The data package's version (its build date), when the directory has its package.json. */
  dataVersion(): Promise<string | undefined>;
}

/** An ASN database reading from `dataDir` (or the installed package), loading lazily. */
export function createAsnDatabase(options: GeoIpOptions = {}): AsnDatabase {
  let dir = options.dataDir;
  const dataDir = () => {
    dir ??= dirname(createRequire(import.meta.url).resolve(`${PACKAGE}/package.json`));
    return dir;
  };
  const table = (version: 4 | 6) => loadTable(join(dataDir(), FILES[version]), version);

  return {
    async lookup(text) {
      const ip = classifyIp(text);
      if (!ip) return undefined;
      if (ip.version === 4 || ip.embeddedIpv4) {
        const address = ip.embeddedIpv4 ?? ip.canonical;
        const v4 = (await table(4)) as AsnTable<number>;
        const index = findRange(v4, ipv4ToNumber(address));
        return index < 0 ? undefined : record(v4, index, numberToIpv4);
      }
      const v6 = (await table(6)) as AsnTable<bigint>;
      const index = findRange(v6, ipv6ToBigInt(ip.canonical));
      return index < 0 ? undefined : record(v6, index, bigIntToIpv6);
    },
    async size(version) {
      return (await table(version)).starts.length;
    },
    async dataVersion() {
      try {
        const manifest = JSON.parse(await readFile(join(dataDir(), 'package.json'), 'utf8')) as {
          version?: unknown;
        };
        return typeof manifest.version === 'string' ? manifest.version : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

function record<N extends number | bigint>(
  table: AsnTable<N>,
  index: number,
  format: (value: N) => string,
): AsnRecord {
  const org = table.orgs[table.orgIds[index] ?? -1];
  return {
    asn: table.asns[index] ?? 0,
    ...(org ? { org } : {}),
    range: { start: format(table.starts[index] as N), end: format(table.ends[index] as N) },
  };
}

const catalog: CatalogEntry = {
  name: PROVIDER,
  displayName: 'Offline IP-to-ASN',
  category: 'geolocation',
  description:
    'The autonomous system (number and organisation) announcing a public IPv4 or IPv6 address, from a ' +
    'database shipped with Vigil. Data: RouteViews, NRO and DB-IP (https://db-ip.com), CC BY 4.0.',
  fields: [],
  freeTier: { summary: 'unlimited, offline' },
  priority: 'medium',
  setupGuide: ['Built in, nothing to configure: every public IP indicator gets its ASN and organisation.'],
  docsUrl: 'https://github.com/sapics/ip-location-db',
  supports: ['ipv4', 'ipv6'],
};

/** The result of one lookup: context (`unknown`) with the ASN details and `asn:<n>` tag. */
function asnResult(ip: string, found: AsnRecord | undefined): IntelResult {
  if (!found || found.asn === 0) {
    return geoResult({ provider: PROVIDER, ip, privacy: {} }, { tags: ['unannounced'] });
  }
  return geoResult(
    { provider: PROVIDER, ip, asn: found.asn, ...(found.org ? { org: found.org } : {}), privacy: {} },
    { tags: [`asn:${found.asn}`], extra: { network: `${found.range.start}-${found.range.end}` } },
  );
}

/** The `geoip` provider over a given database directory; see the module comment. */
export function createGeoIpProvider(options: GeoIpOptions = {}): IntelAdapter {
  const db = createAsnDatabase(options);
  return {
    kind: 'intel',
    catalog,
    async lookup(_ctx, indicator: Indicator) {
      assertSupported(catalog, indicator);
      const skipped = nonPublicIpResult(PROVIDER, indicator);
      if (skipped) return skipped;
      const ip = classifyIp(indicator.value)?.canonical ?? indicator.value;
      return asnResult(ip, await db.lookup(ip));
    },
    async test() {
      try {
        const [rows, version] = await Promise.all([db.size(4), db.dataVersion()]);
        return {
          ok: rows > 0,
          message: `The offline ASN database is built in (${rows} IPv4 ranges${version ? `, data ${version}` : ''}); nothing to configure.`,
          details: { ipv4Ranges: rows, ...(version ? { dataVersion: version } : {}) },
        };
      } catch (error) {
        if (!(error instanceof GeoDatabaseError)) throw error;
        return { ok: false, message: `The offline ASN database is not available: ${error.message}` };
      }
    },
  };
}

/** The `geoip` provider reading the installed package (one database per container). */
export const geoIpProvider: IntelAdapter = createGeoIpProvider();
