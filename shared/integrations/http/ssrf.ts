import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { type AddressRange, classifyIp } from '../../platform/net/ip-address';
import { SsrfBlockedError, UpstreamError } from './errors';

/**
 * SSRF policy for URLs a user typed in (webhooks, self-hosted Velociraptor/Picus, ticketing base
 * URLs). The outbound client calls `pinUserUrl` before opening any connection and then connects to
 * the one address it returned, so a name cannot resolve to something else between the check and the
 * connect (DNS rebinding). Address classification is `shared/platform/net/ip-address.ts`; this file
 * only decides what to do with it.
 */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to every address it has, like `dns.lookup(name, { all: true })`. */
export type Resolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export interface SsrfPolicy {
  /** Allow `http:` as well as `https:`. Off by default: user endpoints must use TLS. */
  allowHttp?: boolean;
  /**
   * Test-only escape hatch for local fakes: host names (`localhost`, `fake.test`), addresses
   * (`127.0.0.1`, `::1`) or CIDR blocks (`127.0.0.0/8`). A listed name is trusted together with
   * whatever it resolves to. Never set in deployed configuration.
   */
  allowList?: readonly string[];
  /** Ports refused even on public hosts (internal services). Defaults to `DEFAULT_BLOCKED_PORTS`. */
  blockedPorts?: readonly number[];
  /** Name resolution; defaults to `dns.lookup` with `all: true`. Injected by tests. */
  resolve?: Resolver;
}

/** The validated destination a request must connect to, and nothing else. */
export interface PinnedTarget {
  /** Host name as in the URL, without brackets; kept for the Host header and TLS SNI. */
  hostname: string;
  address: string;
  family: 4 | 6;
}

/** Well-known ports of services that should never be reachable from a webhook URL. */
export const DEFAULT_BLOCKED_PORTS: readonly number[] = [
  0, 22, 23, 25, 110, 135, 139, 143, 445, 2375, 2376, 2379, 3306, 3389, 5432, 5984, 6379, 9200, 9300, 11211,
  27017,
];

const INTERNAL_NAME_SUFFIXES = ['.localhost', '.local', '.internal', '.home.arpa', '.localdomain'];

const rangeWords: Record<AddressRange, string> = {
  public: 'a public',
  private: 'a private',
  loopback: 'a loopback',
  'link-local': 'a link-local (cloud metadata)',
  cgnat: 'a carrier-grade NAT',
  multicast: 'a multicast',
  unspecified: 'an unspecified',
  broadcast: 'a broadcast',
  documentation: 'a documentation-only',
  benchmarking: 'a benchmarking',
  reserved: 'a reserved',
};

const defaultResolver: Resolver = async (hostname) => {
  const results = await dnsLookup(hostname, { all: true, verbatim: true });
  return results.map((r) => ({ address: r.address, family: r.family === 6 ? 6 : 4 }));
};

interface CompiledAllowList {
  names: ReadonlySet<string>;
  addresses: BlockList;
}

function normalizeHost(hostname: string): string {
  let host = hostname.toLowerCase();
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return host.endsWith('.') ? host.slice(0, -1) : host;
}

function compileAllowList(entries: readonly string[]): CompiledAllowList {
  const names = new Set<string>();
  const addresses = new BlockList();
  for (const entry of entries) {
    const [rawAddress = '', bits] = entry.trim().split('/');
    const address = normalizeHost(rawAddress);
    const family = isIP(address);
    if (family === 0) {
      names.add(address);
    } else if (bits === undefined) {
      addresses.addAddress(address, family === 6 ? 'ipv6' : 'ipv4');
    } else {
      addresses.addSubnet(address, Number(bits), family === 6 ? 'ipv6' : 'ipv4');
    }
  }
  return { names, addresses };
}

function allowListed(list: CompiledAllowList, address: string): boolean {
  const family = isIP(address);
  return family !== 0 && list.addresses.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/** Problem text for an address that is not public; says what the user should change. */
function addressMessage(range: AddressRange | undefined, viaDns: boolean): string {
  const what = range ? `${rangeWords[range]} address` : 'an address that is not a public IP address';
  const subject = viaDns ? "The URL's host name resolves to" : 'The URL points to';
  return `${subject} ${what}, which Vigil does not call. Use a public HTTPS endpoint.`;
}

/**
 * Validates a user-supplied URL and resolves its host once, refusing it unless every address is
 * public (or allow-listed). Returns the address to connect to; throws `SsrfBlockedError` before any
 * connection is made. Legacy IPv4 spellings (`2130706433`, `0x7f.1`, `0177.0.0.1`, `127.1`) are
 * normalised by WHATWG URL parsing, so they arrive here as dotted quads and are classified as such.
 */
export async function pinUserUrl(url: URL, policy: SsrfPolicy = {}): Promise<PinnedTarget> {
  const allowHttp = policy.allowHttp ?? false;
  if (url.protocol !== 'https:' && !(allowHttp && url.protocol === 'http:')) {
    throw new SsrfBlockedError(
      'scheme',
      allowHttp ? 'The URL must start with https:// or http://.' : 'The URL must start with https://.',
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw new SsrfBlockedError(
      'userinfo',
      'The URL must not contain a user name or password; store credentials in the integration settings instead.',
    );
  }
  const hostname = normalizeHost(url.hostname);
  if (hostname === '') throw new SsrfBlockedError('invalid_url', 'The URL has no host name.');

  const allow = compileAllowList(policy.allowList ?? []);
  const trustedName = allow.names.has(hostname);
  const literalFamily = isIP(hostname);
  const trusted = trustedName || (literalFamily !== 0 && allowListed(allow, hostname));

  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  if (!trusted && (policy.blockedPorts ?? DEFAULT_BLOCKED_PORTS).includes(port)) {
    throw new SsrfBlockedError(
      'port',
      `Port ${port} is reserved for internal services and cannot be used; use the endpoint's HTTPS port.`,
    );
  }

  if (literalFamily !== 0) {
    const classified = classifyIp(hostname);
    if (!trusted && classified?.range !== 'public') {
      throw new SsrfBlockedError('address', addressMessage(classified?.range, false));
    }
    return { hostname, address: classified?.canonical ?? hostname, family: literalFamily === 6 ? 6 : 4 };
  }

  // WHATWG parsing turns any host whose last label is numeric into an IPv4 address or fails; a
  // numeric-looking name that still is not an IP is refused rather than handed to getaddrinfo.
  const lastLabel = hostname.slice(hostname.lastIndexOf('.') + 1);
  if (/^(0x[0-9a-f]*|[0-9]+)$/.test(lastLabel)) {
    throw new SsrfBlockedError('hostname', 'The URL host looks like an IP address but is not a valid one.');
  }
  if (
    !trustedName &&
    (hostname === 'localhost' || INTERNAL_NAME_SUFFIXES.some((suffix) => hostname.endsWith(suffix)))
  ) {
    throw new SsrfBlockedError(
      'hostname',
      'The URL points to a local or internal host name, which Vigil does not call. Use a public HTTPS endpoint.',
    );
  }

  let addresses: readonly ResolvedAddress[];
  try {
    addresses = await (policy.resolve ?? defaultResolver)(hostname);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UpstreamError(`could not resolve ${hostname}: ${code ?? 'lookup failed'}`, {
      host: hostname,
      retryable: code === 'EAI_AGAIN',
      cause: error,
    });
  }
  const first = addresses[0];
  if (first === undefined) {
    throw new UpstreamError(`could not resolve ${hostname}: no addresses`, { host: hostname });
  }
  // Every address must pass: the connector could pick any of them, and attackers mix records.
  for (const { address } of addresses) {
    const classified = classifyIp(address);
    if (!trustedName && !allowListed(allow, address) && classified?.range !== 'public') {
      throw new SsrfBlockedError('address', addressMessage(classified?.range, true));
    }
  }
  return { hostname, address: first.address, family: first.family };
}

/**
 * A `lookup` for `http.request`/`https.request` that answers with the pinned address only, in both
 * callback shapes Node uses (`all: true` with happy eyeballs, single address otherwise). The request
 * keeps the host name for the Host header and TLS SNI/certificate checks.
 */
export function createPinnedLookup(pinned: PinnedTarget): LookupFunction {
  return (hostname, options, callback) => {
    if (normalizeHost(hostname) !== pinned.hostname) {
      const error: NodeJS.ErrnoException = new Error(`lookup of an unpinned host refused: ${hostname}`);
      error.code = 'ENOTFOUND';
      callback(error, '', 0);
      return;
    }
    if (options.all) callback(null, [{ address: pinned.address, family: pinned.family }]);
    else callback(null, pinned.address, pinned.family);
  };
}

function addressKey(address: string): string | undefined {
  const classified = classifyIp(address);
  if (!classified) return undefined;
  return classified.canonical.startsWith('::ffff:') ? classified.embeddedIpv4 : classified.canonical;
}

/**
 * Checks, once the socket is connected, that its peer is the pinned address. The pinned lookup
 * already guarantees it; this catches anything that bypasses the lookup (a pooled socket, a proxy).
 */
export function assertConnectedToPinned(remoteAddress: string | undefined, pinned: PinnedTarget): void {
  const actual = remoteAddress === undefined ? undefined : addressKey(remoteAddress);
  if (actual === undefined || actual !== addressKey(pinned.address)) {
    throw new SsrfBlockedError(
      'rebinding',
      'The URL host changed address while connecting, which Vigil does not allow. Use a stable public endpoint.',
    );
  }
}
