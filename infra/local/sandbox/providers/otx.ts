import { isIPv4, isIPv6 } from 'node:net';
import type { FakeHandler, FakeReply } from '../fake-http';
import { demoDate, demoVerdict, INTEL_FIXTURES } from './intel-fixtures';

/**
 * AlienVault OTX DirectConnect v1 fake (providers-intel.md §3):
 * `GET /api/v1/indicators/{IPv4|IPv6|domain|hostname|url|file|cve}/{value}/general` with the
 * `X-OTX-API-KEY` header. `invalid-key` gets the 403 the SDK reads as an invalid key; a request
 * without a key is answered, as OTX's indicator endpoints have been seen to do. A value that is not
 * of its type gets a 400 `{"detail":…}`; sections other than `general` are not modelled (400).
 *
 * Fixtures: 185.220.101.34 (three honeypot pulses, Mirai), 8.8.8.8 and 1.1.1.1 (whitelisted),
 * update-flash-player.top and its URL, the EICAR hashes, CVE-2021-44228 (pulses naming an
 * adversary). Other values get pulses derived from a hash of the value (`demoVerdict`): "no data"
 * is OTX's usual answer for an unknown indicator, a `general` body with `pulse_info.count: 0`.
 */

const SECTIONS: Record<string, string[]> = {
  IPv4: ['general', 'geo', 'reputation', 'url_list', 'passive_dns', 'malware', 'nids_list', 'http_scans'],
  IPv6: ['general', 'geo', 'reputation', 'url_list', 'passive_dns', 'malware', 'nids_list', 'http_scans'],
  domain: ['general', 'geo', 'url_list', 'passive_dns', 'malware', 'whois', 'http_scans'],
  hostname: ['general', 'geo', 'url_list', 'passive_dns', 'malware', 'http_scans'],
  url: ['general', 'url_list'],
  file: ['general', 'analysis'],
  cve: ['general'],
};

const VALIDATORS: Record<string, (value: string) => boolean> = {
  IPv4: isIPv4,
  IPv6: isIPv6,
  domain: (value) => /^[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(value),
  hostname: (value) => /^[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(value),
  url: (value) => /^[a-z][a-z0-9+.-]*:\/\//i.test(value),
  file: (value) => /^([0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64})$/i.test(value),
  cve: (value) => /^CVE-\d{4}-\d{4,}$/i.test(value),
};

interface PulseSpec {
  name: string;
  modified: string;
  tags: string[];
  families?: string[];
  attackIds?: [string, string][];
  adversary?: string;
  seed: number;
}

function pulse(spec: PulseSpec) {
  const id = (spec.seed * 2_654_435_761).toString(16).padStart(24, '0').slice(-24);
  return {
    id,
    name: spec.name,
    description: `${spec.name}: indicators shared by the OTX community.`,
    created: spec.modified,
    modified: spec.modified,
    tags: spec.tags,
    references: [],
    author: { username: 'otx-demo-analyst', id: String(100_000 + spec.seed), is_subscribed: false },
    TLP: 'white',
    adversary: spec.adversary ?? '',
    targeted_countries: [],
    malware_families: (spec.families ?? []).map((family) => ({
      id: family,
      display_name: family,
      target: null,
    })),
    attack_ids: (spec.attackIds ?? []).map(([attackId, name]) => ({
      id: attackId,
      name,
      display_name: `${attackId} - ${name}`,
    })),
    industries: [],
    indicator_count: 100 + (spec.seed % 900),
    public: 1,
    subscriber_count: 1000 + spec.seed,
    locked: false,
    cloned_from: null,
    export_count: spec.seed % 50,
  };
}

type Pulse = ReturnType<typeof pulse>;

interface Extra {
  validation?: { source: string; message: string; name: string }[];
  references?: string[];
  geo?: Record<string, unknown>;
  families?: string[];
}

function general(type: string, value: string, pulses: Pulse[], extra: Extra = {}) {
  return {
    indicator: value,
    type,
    type_title: type,
    base_indicator:
      pulses.length > 0
        ? {
            id: 3_000_000_000 + (demoVerdict(value).seed % 1_000_000),
            indicator: value,
            type,
            title: '',
            description: '',
            content: '',
            access_type: 'public',
            access_reason: '',
          }
        : {},
    pulse_info: {
      count: pulses.length,
      pulses,
      references: extra.references ?? [],
      related: {
        alienvault: { adversary: [], malware_families: extra.families ?? [], industries: [] },
        other: { adversary: [], malware_families: [], industries: [] },
      },
    },
    false_positive: [],
    validation: extra.validation ?? [],
    sections: SECTIONS[type] ?? ['general'],
    reputation: 0,
    ...(type === 'IPv4' || type === 'IPv6' ? (extra.geo ?? {}) : {}),
  };
}

const HONEYPOT = (seed: number, modified: string) =>
  pulse({
    name: 'Honeypot Data - T-Pot - November',
    modified,
    tags: ['honeypot', 'cowrie', 'ssh'],
    families: ['Mirai'],
    attackIds: [['T1110', 'Brute Force']],
    seed,
  });

const WHITELIST = [
  { source: 'whitelist', message: 'contained in whitelisted prefix', name: 'Whitelisted IP' },
];

function fixture(type: string, value: string): ReturnType<typeof general> | undefined {
  switch (value.toLowerCase()) {
    case INTEL_FIXTURES.maliciousIp:
      return general(
        type,
        value,
        [
          HONEYPOT(11, '2026-11-28T10:12:00.000000'),
          pulse({
            name: 'Tor exit nodes - daily',
            modified: '2026-11-30T00:30:06.733000',
            tags: ['tor', 'exit node'],
            seed: 12,
          }),
          pulse({
            name: 'SSH brute force sources',
            modified: '2026-11-20T09:00:00.000000',
            tags: ['bruteforce', 'ssh'],
            seed: 13,
          }),
        ],
        {
          geo: {
            asn: 'AS60729 Stiftung Erneuerbare Freiheit',
            country_code: 'DE',
            country_name: 'Germany',
            city: 'Berlin',
          },
        },
      );
    case INTEL_FIXTURES.benignIp:
    case INTEL_FIXTURES.benignIp2:
      return general(
        type,
        value,
        [
          pulse({
            name: 'Public DNS resolvers',
            modified: '2026-10-01T00:00:00.000000',
            tags: ['dns'],
            seed: 20,
          }),
        ],
        {
          validation: WHITELIST,
          geo: {
            asn: value === INTEL_FIXTURES.benignIp ? 'AS15169 Google LLC' : 'AS13335 Cloudflare, Inc.',
            country_code: value === INTEL_FIXTURES.benignIp ? 'US' : 'AU',
          },
        },
      );
    case INTEL_FIXTURES.maliciousDomain:
    case INTEL_FIXTURES.maliciousUrl:
      return general(
        type,
        value,
        [
          pulse({
            name: 'Fake Flash Player update campaign',
            modified: '2026-11-26T15:00:00.000000',
            tags: ['fake update', 'phishing'],
            families: ['SocGholish'],
            attackIds: [['T1189', 'Drive-by Compromise']],
            seed: 31,
          }),
        ],
        { references: ['https://otx.alienvault.com/pulse/demo-socgholish'] },
      );
    case INTEL_FIXTURES.eicarMd5:
    case INTEL_FIXTURES.eicarSha1:
    case INTEL_FIXTURES.eicarSha256:
      return general(type, value, [
        pulse({
          name: 'EICAR test file',
          modified: '2026-09-01T00:00:00.000000',
          tags: ['eicar', 'test'],
          seed: 41,
        }),
      ]);
    case INTEL_FIXTURES.kevCve.toLowerCase():
      return general(
        type,
        value.toUpperCase(),
        [
          pulse({
            name: 'Log4Shell exploitation',
            modified: '2026-06-01T00:00:00.000000',
            tags: ['log4j', 'log4shell', 'rce'],
            adversary: 'APT41',
            attackIds: [['T1190', 'Exploit Public-Facing Application']],
            seed: 51,
          }),
          pulse({
            name: 'Log4j scanning activity',
            modified: '2026-05-15T00:00:00.000000',
            tags: ['log4j', 'scanning'],
            seed: 52,
          }),
        ],
        { references: ['https://logging.apache.org/log4j/2.x/security.html'] },
      );
    default:
      return undefined;
  }
}

function derived(type: string, value: string) {
  const { outcome, seed } = demoVerdict(value);
  const modified = demoDate(seed, 120).replace('Z', '000');
  switch (outcome) {
    case 'none':
      return general(type, value, []);
    case 'benign':
      return type === 'IPv4' || type === 'domain' || type === 'hostname'
        ? general(type, value, [], { validation: WHITELIST })
        : general(type, value, []);
    case 'suspicious':
      return general(type, value, [pulse({ name: 'Scanning hosts', modified, tags: ['scanner'], seed })]);
    case 'malicious':
      return general(type, value, [
        HONEYPOT(seed, modified),
        pulse({
          name: 'Botnet infrastructure',
          modified,
          tags: ['botnet'],
          families: ['AsyncRAT'],
          seed: seed + 1,
        }),
        pulse({ name: 'Malware distribution', modified, tags: ['malware'], seed: seed + 2 }),
      ]);
  }
}

const detail = (status: number, text: string): FakeReply => ({ status, body: { detail: text } });

/** The AlienVault OTX fake handler. */
export function fakeOtx(): FakeHandler {
  return (request) => {
    if (request.headers['x-otx-api-key'] === 'invalid-key') return detail(403, 'Invalid API key.');
    if (request.method !== 'GET') return detail(405, `Method "${request.method}" not allowed.`);
    const match = /^\/api\/v1\/indicators\/([^/]+)\/(.+)\/([a-z_]+)$/.exec(request.path);
    if (!match) return detail(404, 'Not found.');
    const [, type = '', rawValue = '', section = ''] = match;
    const sections = SECTIONS[type];
    if (!sections) return detail(404, 'Not found.');
    let value: string;
    try {
      value = decodeURIComponent(rawValue);
    } catch {
      return detail(400, 'Invalid indicator.');
    }
    if (!VALIDATORS[type]?.(value)) return detail(400, `Invalid ${type} indicator.`);
    if (!sections.includes(section)) return detail(400, `Invalid section for ${type}: ${section}.`);
    if (section !== 'general') return detail(400, `Section ${section} is not available in the sandbox.`);
    return { status: 200, body: fixture(type, value) ?? derived(type, value) };
  };
}
