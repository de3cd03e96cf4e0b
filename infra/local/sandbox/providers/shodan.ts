import { isIP } from 'node:net';
import type { FakeHandler, FakeReply } from '../fake-http';
import { demoDate, demoVerdict, INTEL_FIXTURES } from './intel-fixtures';

/**
 * Shodan REST API fake (providers-intel.md §7): `GET /shodan/host/{ip}?key=…[&minify=true]` and
 * `GET /api-info?key=…`. Errors use Shodan's `{"error": …}` envelope: 404 "No information available
 * for that IP.", 400 "Invalid IP", 401 for a missing key; `invalid-key` gets the HTML 401 page
 * Shodan's nginx front serves, which clients must recognise without a JSON body. Without `minify`
 * host records carry per-port banners in `data`.
 *
 * Fixtures: 185.220.101.34 (Tor relay, tag `tor`), 8.8.8.8 and 1.1.1.1 (DNS resolvers, tag
 * `cloud`). Other public addresses get a host derived from a hash of the address (`demoVerdict`):
 * "no data" is the 404, benign an exposed web server, suspicious a `scanner`, malicious a `c2`
 * host with known CVEs.
 */

interface Service {
  port: number;
  product?: string;
  version?: string;
  module: string;
  vulns?: Record<string, { cvss: number; verified: boolean; summary: string }>;
}

interface Host {
  hostnames: string[];
  org: string;
  isp: string;
  asn: string;
  os: string | null;
  country_code: string;
  country_name: string;
  city: string;
  tags: string[];
  vulns?: string[];
  services: Service[];
}

const LAST_UPDATE = '2026-11-29T04:12:55.811327';

const FIXTURES: Record<string, Host> = {
  [INTEL_FIXTURES.maliciousIp]: {
    hostnames: ['tor-exit-34.for-privacy.net'],
    org: 'Stiftung Erneuerbare Freiheit',
    isp: 'Stiftung Erneuerbare Freiheit',
    asn: 'AS60729',
    os: 'Linux',
    country_code: 'DE',
    country_name: 'Germany',
    city: 'Berlin',
    tags: ['tor'],
    services: [
      { port: 80, product: 'nginx', module: 'http' },
      { port: 443, product: 'nginx', module: 'https' },
      { port: 9001, product: 'Tor', module: 'tor' },
    ],
  },
  [INTEL_FIXTURES.benignIp]: {
    hostnames: ['dns.google'],
    org: 'Google LLC',
    isp: 'Google LLC',
    asn: 'AS15169',
    os: null,
    country_code: 'US',
    country_name: 'United States',
    city: 'Mountain View',
    tags: ['cloud'],
    services: [
      { port: 53, module: 'dns-udp' },
      { port: 443, product: 'Google Frontend', module: 'https' },
    ],
  },
  [INTEL_FIXTURES.benignIp2]: {
    hostnames: ['one.one.one.one'],
    org: 'APNIC and Cloudflare DNS Resolver project',
    isp: 'Cloudflare, Inc.',
    asn: 'AS13335',
    os: null,
    country_code: 'AU',
    country_name: 'Australia',
    city: 'Brisbane',
    tags: ['cloud'],
    services: [
      { port: 53, module: 'dns-udp' },
      { port: 80, product: 'cloudflare', module: 'http' },
      { port: 443, product: 'cloudflare', module: 'https' },
    ],
  },
};

function derived(ip: string): Host | undefined {
  const { outcome, seed } = demoVerdict(ip);
  if (outcome === 'none') return undefined;
  const base = {
    hostnames: [],
    org: 'Demo Hosting',
    isp: 'Demo Hosting',
    asn: 'AS64500',
    os: null,
    country_code: 'NL',
    country_name: 'Netherlands',
    city: 'Amsterdam',
  };
  if (outcome === 'benign') {
    return {
      ...base,
      tags: [],
      services: [{ port: 443, product: 'nginx', version: '1.24.0', module: 'https' }],
    };
  }
  if (outcome === 'suspicious') {
    return {
      ...base,
      tags: ['scanner'],
      services: [{ port: 22, product: 'OpenSSH', version: '8.9p1', module: 'ssh' }],
    };
  }
  return {
    ...base,
    os: 'Windows Server 2019',
    tags: ['c2', 'self-signed'],
    vulns: ['CVE-2021-44228', 'CVE-2023-44487'],
    services: [
      {
        port: [443, 8443, 50050][seed % 3] ?? 443,
        product: 'Cobalt Strike Beacon',
        module: 'https',
        vulns: {
          'CVE-2021-44228': {
            cvss: 10,
            verified: false,
            summary: 'Apache Log4j2 JNDI remote code execution.',
          },
        },
      },
    ],
  };
}

function ipToNumber(ip: string): number | undefined {
  if (isIP(ip) !== 4) return undefined;
  return ip.split('.').reduce((total, octet) => total * 256 + Number(octet), 0);
}

function hostBody(ip: string, host: Host, minify: boolean) {
  const { services, ...summary } = host;
  const body: Record<string, unknown> = {
    ip_str: ip,
    ...(ipToNumber(ip) === undefined ? {} : { ip: ipToNumber(ip) }),
    ports: services.map((service) => service.port),
    domains: host.hostnames.map((name) => name.split('.').slice(-2).join('.')),
    latitude: 52.52,
    longitude: 13.405,
    region_code: null,
    area_code: null,
    last_update: FIXTURES[ip] ? LAST_UPDATE : `${demoDate(demoVerdict(ip).seed, 14).slice(0, 23)}000`,
    ...summary,
  };
  if (!host.vulns) delete body.vulns;
  if (!minify) {
    body.data = services.map((service) => ({
      port: service.port,
      transport: service.module === 'dns-udp' ? 'udp' : 'tcp',
      product: service.product,
      version: service.version,
      timestamp: body.last_update,
      hash: -123_456_789 + service.port,
      data: service.module.startsWith('http') ? 'HTTP/1.1 200 OK\r\nServer: nginx\r\n\r\n' : '',
      _shodan: { module: service.module, crawler: 'demo-crawler' },
      ...(service.vulns ? { vulns: service.vulns } : {}),
    }));
  }
  return body;
}

const error = (status: number, message: string): FakeReply => ({ status, body: { error: message } });

const INVALID_KEY_PAGE =
  '<html>\r\n<head><title>401 Authorization Required</title></head>\r\n<body>\r\n<center><h1>401 Authorization Required</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

/** The Shodan fake handler. */
export function fakeShodan(): FakeHandler {
  return (request) => {
    if (request.method !== 'GET') return error(405, 'Method not allowed');
    const key = request.query.get('key');
    if (!key) return error(401, 'Please provide a valid API key.');
    if (key === 'invalid-key') {
      return { status: 401, headers: { 'content-type': 'text/html' }, body: INVALID_KEY_PAGE };
    }
    if (request.path === '/api-info') {
      return {
        status: 200,
        body: {
          scan_credits: 0,
          usage_limits: { scan_credits: 0, query_credits: 0, monitored_ips: 0 },
          plan: 'oss',
          https: false,
          unlocked: false,
          query_credits: 0,
          monitored_ips: null,
          unlocked_left: 0,
          telnet: false,
        },
      };
    }
    const match = /^\/shodan\/host\/([^/]+)$/.exec(request.path);
    if (!match) return error(404, 'Not Found');
    const ip = decodeURIComponent(match[1] ?? '');
    if (isIP(ip) === 0) return error(400, 'Invalid IP');
    const host = FIXTURES[ip] ?? derived(ip);
    if (!host) return error(404, 'No information available for that IP.');
    return { status: 200, body: hostBody(ip, host, request.query.get('minify') === 'true') };
  };
}
