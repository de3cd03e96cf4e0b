import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { FakeHandler, FakeReply } from '../fake-http';
import { demoVerdict, INTEL_FIXTURES } from './intel-fixtures';

/**
 * VirusTotal API v3 fake (providers-intel.md §2): `GET /api/v3/ip_addresses/{ip}`,
 * `/domains/{domain}`, `/urls/{base64url id or sha256}` and `/files/{md5|sha1|sha256}` with the
 * `x-apikey` header, answering `{"data":{"type","id","links","attributes"}}` objects and
 * `{"error":{"code","message"}}` envelopes (401 `AuthenticationRequiredError` without a key, 401
 * `WrongCredentialsError` for `invalid-key`, 404 `NotFoundError`).
 *
 * Fixtures: 185.220.101.34 (flagged by 14 engines), 8.8.8.8 and 1.1.1.1 (clean), google.com (clean,
 * popular), update-flash-player.top and its setup.exe URL (phishing/malware), the EICAR file by
 * MD5, SHA-1 or SHA-256. Other values get engine counts derived from a hash of the value
 * (`demoVerdict`); "no data" is a 404 for domains, URLs and files and, as the real service does for
 * an IP it has never analysed, an object with all-zero stats and no `last_analysis_date`.
 */

const ENGINES = [
  'Fortinet',
  'Kaspersky',
  'BitDefender',
  'ESET',
  'Sophos',
  'G-Data',
  'CRDF',
  'Webroot',
  'Emsisoft',
  'CyRadar',
  'SOCRadar',
  'alphaMountain.ai',
  'Lionic',
  'Cyble',
  'Certego',
  'Seclookup',
  'ArcSight Threat Intelligence',
  'Gridinsoft',
  'Criminal IP',
  'MalwareURL',
];

interface Stats {
  harmless: number;
  malicious: number;
  suspicious: number;
  undetected: number;
  timeout: number;
}

const stats = (malicious: number, suspicious: number, harmless: number, undetected: number): Stats => ({
  harmless,
  malicious,
  suspicious,
  undetected,
  timeout: 0,
});

/** Per-engine results matching the stats: the flagging engines first, then clean ones. */
function results(counts: Stats, verdictLabel: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const categories = [
    ...Array<string>(counts.malicious).fill('malicious'),
    ...Array<string>(counts.suspicious).fill('suspicious'),
    ...Array<string>(counts.harmless).fill('harmless'),
    ...Array<string>(counts.undetected).fill('undetected'),
  ];
  categories.slice(0, ENGINES.length).forEach((category, index) => {
    const engine = ENGINES[index] ?? `Engine${index}`;
    out[engine] = {
      category,
      engine_name: engine,
      method: 'blacklist',
      result: category === 'malicious' || category === 'suspicious' ? verdictLabel : 'clean',
    };
  });
  return out;
}

const COLLECTIONS = {
  ip_address: 'ip_addresses',
  domain: 'domains',
  url: 'urls',
  file: 'files',
} as const;

function object(type: keyof typeof COLLECTIONS, id: string, attributes: Record<string, unknown>) {
  return {
    data: {
      type,
      id,
      links: { self: `https://www.virustotal.com/api/v3/${COLLECTIONS[type]}/${id}` },
      attributes,
    },
  };
}

const ANALYSED = 1_795_500_000; // 2026-11-24, epoch seconds
const ok = (body: unknown): FakeReply => ({ status: 200, body });
const vtError = (status: number, code: string, message: string): FakeReply => ({
  status,
  body: { error: { code, message } },
});

function common(counts: Stats, label: string, extra: Record<string, unknown> = {}) {
  return {
    last_analysis_date: ANALYSED,
    last_analysis_stats: counts,
    last_analysis_results: results(counts, label),
    reputation: counts.malicious > 0 ? -counts.malicious * 3 : 0,
    total_votes: { harmless: counts.malicious > 0 ? 0 : 4, malicious: counts.malicious > 0 ? 7 : 0 },
    tags: [],
    ...extra,
  };
}

/** Engine counts for a value without a fixture, from its demo bucket. */
function derivedStats(value: string): Stats | undefined {
  const { outcome, level } = demoVerdict(value);
  switch (outcome) {
    case 'none':
      return undefined;
    case 'benign':
      return stats(0, 0, 55 + (level % 10), 30);
    case 'suspicious':
      return stats(1 + (level % 2), 1, 50, 30);
    case 'malicious':
      return stats(6 + (level % 12), 2, 45, 25);
  }
}

function ipObject(ip: string): FakeReply {
  const base = {
    network: `${ip.split('.').slice(0, 3).join('.')}.0/24`,
    regional_internet_registry: 'RIPE NCC',
  };
  if (ip === INTEL_FIXTURES.maliciousIp) {
    return ok(
      object(
        'ip_address',
        ip,
        common(stats(14, 2, 52, 26), 'malicious', {
          ...base,
          as_owner: 'Stiftung Erneuerbare Freiheit',
          asn: 60729,
          country: 'DE',
          continent: 'EU',
          tags: ['tor'],
        }),
      ),
    );
  }
  if (ip === INTEL_FIXTURES.benignIp || ip === INTEL_FIXTURES.benignIp2) {
    const google = ip === INTEL_FIXTURES.benignIp;
    return ok(
      object(
        'ip_address',
        ip,
        common(stats(0, 0, 62, 32), 'clean', {
          network: google ? '8.8.8.0/24' : '1.1.1.0/24',
          regional_internet_registry: google ? 'ARIN' : 'APNIC',
          as_owner: google ? 'GOOGLE' : 'CLOUDFLARENET',
          asn: google ? 15169 : 13335,
          country: google ? 'US' : 'AU',
          continent: google ? 'NA' : 'OC',
          reputation: 530,
        }),
      ),
    );
  }
  const counts = derivedStats(ip);
  if (!counts) {
    // Never analysed: VirusTotal still has an object for the address, with nothing in it.
    return ok(
      object('ip_address', ip, {
        ...base,
        as_owner: 'Demo Hosting',
        asn: 64500,
        country: 'NL',
        last_analysis_stats: stats(0, 0, 0, 0),
        last_analysis_results: {},
        reputation: 0,
        total_votes: { harmless: 0, malicious: 0 },
        tags: [],
      }),
    );
  }
  return ok(
    object(
      'ip_address',
      ip,
      common(counts, 'malicious', { ...base, as_owner: 'Demo Hosting', asn: 64500, country: 'NL' }),
    ),
  );
}

function domainObject(domain: string): FakeReply {
  if (domain === INTEL_FIXTURES.maliciousDomain) {
    return ok(
      object(
        'domain',
        domain,
        common(stats(11, 3, 48, 30), 'phishing', {
          categories: { 'Forcepoint ThreatSeeker': 'phishing and other frauds', Webroot: 'Malware Sites' },
          creation_date: 1_793_000_000,
          registrar: 'NameSilo, LLC',
          last_dns_records: [{ type: 'A', value: '91.92.240.17', ttl: 300 }],
        }),
      ),
    );
  }
  if (domain === INTEL_FIXTURES.benignDomain) {
    return ok(
      object(
        'domain',
        domain,
        common(stats(0, 0, 66, 28), 'clean', {
          categories: {
            'Forcepoint ThreatSeeker': 'search engines and portals',
            BitDefender: 'searchengines',
          },
          registrar: 'MarkMonitor Inc.',
          popularity_ranks: { Cisco_Umbrella: { rank: 1, timestamp: ANALYSED } },
          reputation: 2100,
        }),
      ),
    );
  }
  const counts = derivedStats(domain);
  if (!counts) return notFound('Domain', domain);
  return ok(
    object('domain', domain, common(counts, 'malicious', { registrar: 'Demo Registrar', categories: {} })),
  );
}

function decodeUrlId(id: string): string | undefined {
  if (/^[0-9a-f]{64}$/i.test(id)) return undefined;
  const text = Buffer.from(id, 'base64url').toString('utf8');
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : undefined;
}

function urlObject(id: string): FakeReply {
  const url = decodeUrlId(id);
  if (url === undefined) return notFound('URL', id);
  const sha = createHash('sha256').update(url).digest('hex');
  if (url === INTEL_FIXTURES.maliciousUrl) {
    return ok(
      object(
        'url',
        sha,
        common(stats(9, 2, 50, 30), 'malware', {
          url,
          last_final_url: url,
          title: 'Flash Player Update',
          last_http_response_code: 200,
          categories: { Webroot: 'Malware Sites' },
          threat_names: ['Mal/HTMLGen-A'],
          first_submission_date: 1_794_000_000,
          times_submitted: 14,
        }),
      ),
    );
  }
  const counts = derivedStats(url);
  if (!counts) return notFound('URL', id);
  return ok(object('url', sha, common(counts, 'malicious', { url, last_final_url: url, categories: {} })));
}

function fileObject(hash: string): FakeReply {
  const lower = hash.toLowerCase();
  const eicar = [INTEL_FIXTURES.eicarMd5, INTEL_FIXTURES.eicarSha1, INTEL_FIXTURES.eicarSha256] as string[];
  if (eicar.includes(lower)) {
    return ok(
      object(
        'file',
        INTEL_FIXTURES.eicarSha256,
        common(stats(62, 0, 0, 8), 'EICAR-Test-File', {
          md5: INTEL_FIXTURES.eicarMd5,
          sha1: INTEL_FIXTURES.eicarSha1,
          sha256: INTEL_FIXTURES.eicarSha256,
          size: 68,
          type_description: 'Text',
          meaningful_name: 'eicar.com',
          names: ['eicar.com', 'eicar.txt'],
          first_submission_date: 1_148_301_722,
          times_submitted: 480_000,
          tags: ['text', 'eicar', 'attachment'],
          popular_threat_classification: {
            suggested_threat_label: 'virus.eicar/test',
            popular_threat_category: [{ value: 'virus', count: 31 }],
            popular_threat_name: [
              { value: 'eicar', count: 52 },
              { value: 'test', count: 18 },
            ],
          },
        }),
      ),
    );
  }
  const counts = derivedStats(lower);
  if (!counts) return notFound('File', hash);
  const sha256 = lower.length === 64 ? lower : createHash('sha256').update(lower).digest('hex');
  const typed = { ...counts, 'type-unsupported': 3, failure: 0, 'confirmed-timeout': 0 };
  return ok(
    object('file', sha256, {
      ...common(counts, 'Trojan.Generic'),
      last_analysis_stats: typed,
      sha256,
      size: 1024 + (demoVerdict(lower).seed % 90_000),
      type_description: 'Win32 EXE',
      meaningful_name: 'invoice.exe',
      ...(counts.malicious > 5
        ? {
            popular_threat_classification: {
              suggested_threat_label: 'trojan.agenttesla/stealer',
              popular_threat_name: [{ value: 'agenttesla', count: 9 }],
            },
          }
        : {}),
    }),
  );
}

const notFound = (what: string, id: string) => vtError(404, 'NotFoundError', `${what} "${id}" not found`);

/** The VirusTotal fake handler. */
export function fakeVirusTotal(): FakeHandler {
  return (request) => {
    const key = request.headers['x-apikey'];
    if (typeof key !== 'string' || key === '') {
      return vtError(401, 'AuthenticationRequiredError', 'X-Apikey header is missing');
    }
    if (key === 'invalid-key') return vtError(401, 'WrongCredentialsError', 'Wrong API key');
    if (request.method !== 'GET') return vtError(405, 'MethodNotAllowedError', 'Method not allowed');
    const match = /^\/api\/v3\/(ip_addresses|domains|urls|files)\/([^/]+)$/.exec(request.path);
    if (!match) return vtError(404, 'NotFoundError', `Resource not found`);
    const [, collection = '', rawId = ''] = match;
    const id = decodeURIComponent(rawId);
    switch (collection) {
      case 'ip_addresses':
        return isIP(id) ? ipObject(id) : vtError(400, 'InvalidArgumentError', `Invalid IP address: ${id}`);
      case 'domains':
        return domainObject(id.toLowerCase());
      case 'urls':
        return urlObject(id);
      default:
        return /^([0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64})$/i.test(id)
          ? fileObject(id)
          : vtError(400, 'InvalidArgumentError', `Invalid file hash: ${id}`);
    }
  };
}

/** VirusTotal's answer when the per-minute (or daily) allowance of a public key is spent. */
export function virusTotalQuotaReply(message = 'Quota exceeded'): FakeReply {
  return vtError(429, 'QuotaExceededError', message);
}
