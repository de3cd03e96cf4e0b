import { isIPv4, isIPv6 } from 'node:net';

/**
 * IP address parsing and classification, shared by the outbound client's SSRF guard (which must
 * refuse anything that is not a public unicast address) and the enrichment engine (which must never
 * send private, reserved or documentation addresses to third parties).
 *
 * Ranges follow the IANA special-purpose registries (RFC 6890 and updates). IPv6 forms that embed an
 * IPv4 address — IPv4-mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::/96` and 6to4 `2002::/16` — are
 * classified by the address they embed, so `[::ffff:169.254.169.254]` is as link-local as the
 * address it wraps.
 */
export type AddressRange =
  | 'public'
  | 'private'
  | 'loopback'
  | 'link-local'
  | 'cgnat'
  | 'multicast'
  | 'unspecified'
  | 'broadcast'
  | 'documentation'
  | 'benchmarking'
  | 'reserved';

export interface ClassifiedIp {
  version: 4 | 6;
  /** Canonical text: dotted quad for IPv4, RFC 5952 compressed lower-case for IPv6. */
  canonical: string;
  range: AddressRange;
  /** The IPv4 address an IPv6 address embeds (mapped, NAT64, 6to4), canonical. */
  embeddedIpv4?: string;
}

interface RangeRow {
  base: bigint;
  bits: number;
  range: AddressRange;
}

const v4 = (cidr: string, range: AddressRange): RangeRow => {
  const [address = '', bits = '32'] = cidr.split('/');
  return { base: ipv4ToBigInt(address), bits: Number(bits), range };
};
const v6 = (cidr: string, range: AddressRange): RangeRow => {
  const [address = '', bits = '128'] = cidr.split('/');
  return { base: ipv6ToBigInt(address), bits: Number(bits), range };
};

// Most specific first: the first row that contains the address decides.
const ipv4Ranges: readonly RangeRow[] = [
  v4('255.255.255.255/32', 'broadcast'),
  v4('0.0.0.0/8', 'unspecified'),
  v4('10.0.0.0/8', 'private'),
  v4('100.64.0.0/10', 'cgnat'),
  v4('127.0.0.0/8', 'loopback'),
  v4('169.254.0.0/16', 'link-local'),
  v4('172.16.0.0/12', 'private'),
  v4('192.0.0.0/24', 'reserved'),
  v4('192.0.2.0/24', 'documentation'),
  v4('192.88.99.0/24', 'reserved'),
  v4('192.168.0.0/16', 'private'),
  v4('198.18.0.0/15', 'benchmarking'),
  v4('198.51.100.0/24', 'documentation'),
  v4('203.0.113.0/24', 'documentation'),
  v4('224.0.0.0/4', 'multicast'),
  v4('240.0.0.0/4', 'reserved'),
];

const ipv6Ranges: readonly RangeRow[] = [
  v6('::/128', 'unspecified'),
  v6('::1/128', 'loopback'),
  v6('::/96', 'reserved'), // deprecated IPv4-compatible addresses
  v6('64:ff9b:1::/48', 'reserved'), // local-use NAT64
  v6('100::/64', 'reserved'), // discard-only
  v6('2001::/23', 'reserved'), // IETF protocol assignments, Teredo included
  v6('2001:db8::/32', 'documentation'),
  v6('3fff::/20', 'documentation'),
  v6('fc00::/7', 'private'), // unique local (fd00:ec2::254, the EC2 metadata service, is here)
  v6('fe80::/10', 'link-local'),
  v6('fec0::/10', 'private'), // deprecated site-local
  v6('ff00::/8', 'multicast'),
];

const globalUnicast = v6('2000::/3', 'public');
const mappedPrefix = v6('::ffff:0:0/96', 'reserved');
const nat64Prefix = v6('64:ff9b::/96', 'reserved');
const sixToFourPrefix = v6('2002::/16', 'reserved');

function contains(row: RangeRow, value: bigint, width: number): boolean {
  const shift = BigInt(width - row.bits);
  return value >> shift === row.base >> shift;
}

function ipv4ToBigInt(address: string): bigint {
  return address.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function bigIntToIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => Number((value >> shift) & 0xffn)).join('.');
}

function ipv6ToBigInt(address: string): bigint {
  let text = address;
  // A trailing dotted quad becomes two hextets.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    const value = ipv4ToBigInt(dotted[1]);
    text = `${text.slice(0, -dotted[1].length)}${(value >> 16n).toString(16)}:${(value & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headParts = head ? head.split(':') : [];
  const tailParts = tail ? tail.split(':') : [];
  const missing = 8 - headParts.length - tailParts.length;
  const parts = tail === undefined ? headParts : [...headParts, ...Array(missing).fill('0'), ...tailParts];
  return parts.reduce((acc, part) => (acc << 16n) | BigInt(Number.parseInt(part || '0', 16)), 0n);
}

/** RFC 5952 text: lower case, leading zeros dropped, the longest run (≥ 2) of zero hextets as `::`. */
function bigIntToIpv6(value: bigint): string {
  const hextets = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (hextets[i] !== 0) {
      i += 1;
      continue;
    }
    let j = i;
    while (j < 8 && hextets[j] === 0) j += 1;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = hextets.map((h) => h.toString(16));
  if (bestLength < 2) return hex.join(':');
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLength).join(':');
  return `${head}::${tail}`;
}

function classifyV4(value: bigint): AddressRange {
  return ipv4Ranges.find((row) => contains(row, value, 32))?.range ?? 'public';
}

/**
 * Parses and classifies an IP address given as text. Accepts dotted-quad IPv4 (no leading zeros,
 * no shorthand forms such as `127.1`), IPv6 in any RFC 4291 form, with or without brackets, and a
 * zone id (`fe80::1%eth0`, dropped). Returns undefined for anything else.
 */
export function classifyIp(text: string): ClassifiedIp | undefined {
  let candidate = text.trim();
  if (candidate.startsWith('[') && candidate.endsWith(']')) candidate = candidate.slice(1, -1);
  const zone = candidate.indexOf('%');
  if (zone > 0 && candidate.includes(':')) candidate = candidate.slice(0, zone);
  if (isIPv4(candidate)) {
    const value = ipv4ToBigInt(candidate);
    return { version: 4, canonical: bigIntToIpv4(value), range: classifyV4(value) };
  }
  if (!isIPv6(candidate)) return undefined;
  const value = ipv6ToBigInt(candidate.toLowerCase());
  const canonical = bigIntToIpv6(value);
  const embedded = (prefix: RangeRow, extract: (v: bigint) => bigint): ClassifiedIp | undefined => {
    if (!contains(prefix, value, 128)) return undefined;
    const inner = extract(value);
    return { version: 6, canonical, range: classifyV4(inner), embeddedIpv4: bigIntToIpv4(inner) };
  };
  const low32 = (v: bigint) => v & 0xffffffffn;
  const mapped =
    embedded(mappedPrefix, low32) ??
    embedded(nat64Prefix, low32) ??
    embedded(sixToFourPrefix, (v) => (v >> 80n) & 0xffffffffn);
  if (mapped) {
    // An IPv4-mapped address is written with its dotted quad, as RFC 5952 recommends.
    if (contains(mappedPrefix, value, 128)) mapped.canonical = `::ffff:${mapped.embeddedIpv4}`;
    return mapped;
  }
  const special = ipv6Ranges.find((row) => contains(row, value, 128));
  if (special) return { version: 6, canonical, range: special.range };
  return { version: 6, canonical, range: contains(globalUnicast, value, 128) ? 'public' : 'reserved' };
}

/** True only for a public unicast address: the only kind Vigil connects to or sends to third parties. */
export function isPublicIp(text: string): boolean {
  return classifyIp(text)?.range === 'public';
}
