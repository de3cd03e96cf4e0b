import type { FakeHandler, FakeReply } from '../fake-http';
import { demoDate, demoVerdict, INTEL_FIXTURES } from './intel-fixtures';

/**
 * ThreatFox (abuse.ch) fake (providers-intel.md §6): `POST /api/v1/` with a JSON body and the
 * `Auth-Key` header. Answers `{"query_status":"ok","data":[…]}`, `no_result` with `data` as a
 * sentence, and the HTTP-200 error statuses `illegal_search_term`, `illegal_hash` and
 * `unknown_query`. A missing Auth-Key gets 401 `no_auth`; `invalid-key` gets 401 `unknown_auth_key`.
 * Queries: `search_ioc` (substring match unless `exact_match`) and `search_hash` (IOCs whose
 * samples include the hash).
 *
 * Fixtures: 185.220.101.34:443 (Cobalt Strike C2, sample = the EICAR file), update-flash-player.top
 * and its setup.exe URL (SocGholish payload delivery). Other search terms get a record derived from
 * a hash of the term (`demoVerdict`): malicious → a recent IOC, suspicious → one not seen for a
 * year, benign and "no data" → ThreatFox's `no_result` (it lists only bad indicators).
 */

interface Sample {
  time_stamp: string;
  md5_hash: string;
  sha256_hash: string;
  malware_bazaar: string;
}

interface IocRecord {
  id: string;
  ioc: string;
  threat_type: string;
  threat_type_desc: string;
  ioc_type: string;
  ioc_type_desc: string;
  malware: string;
  malware_printable: string;
  malware_alias: string | null;
  malware_malpedia: string;
  confidence_level: number;
  first_seen: string;
  last_seen: string | null;
  reporter: string;
  reference: string | null;
  tags: string[] | null;
  malware_samples: Sample[];
}

const THREAT_TYPES: Record<string, string> = {
  botnet_cc: 'Indicator that identifies a botnet command&control server (C&C)',
  payload_delivery: 'Indicator that identifies a malware distribution server (payload delivery)',
  payload: 'Indicator that identifies a malware sample (payload)',
};

const IOC_TYPES: Record<string, string> = {
  'ip:port': 'ip:port combination that is used for botnet Command&control (C&C)',
  domain: 'Domain that is used for botnet Command&control (C&C)',
  url: 'URL that is used for botnet Command&control (C&C)',
  md5_hash: 'MD5 hash of a malware sample',
  sha256_hash: 'SHA256 hash of a malware sample',
};

const EICAR_SAMPLE: Sample = {
  time_stamp: '2026-11-02 08:20:41 UTC',
  md5_hash: INTEL_FIXTURES.eicarMd5,
  sha256_hash: INTEL_FIXTURES.eicarSha256,
  malware_bazaar: `https://bazaar.abuse.ch/sample/${INTEL_FIXTURES.eicarSha256}/`,
};

function record(fields: {
  id: string;
  ioc: string;
  threatType: string;
  iocType: string;
  malware: string;
  printable: string;
  confidence: number;
  firstSeen: string;
  lastSeen: string | null;
  tags: string[] | null;
  samples?: Sample[];
  reference?: string | null;
}): IocRecord {
  return {
    id: fields.id,
    ioc: fields.ioc,
    threat_type: fields.threatType,
    threat_type_desc: THREAT_TYPES[fields.threatType] ?? '',
    ioc_type: fields.iocType,
    ioc_type_desc: IOC_TYPES[fields.iocType] ?? '',
    malware: fields.malware,
    malware_printable: fields.printable,
    malware_alias: null,
    malware_malpedia: `https://malpedia.caad.fkie.fraunhofer.de/details/${fields.malware}`,
    confidence_level: fields.confidence,
    first_seen: fields.firstSeen,
    last_seen: fields.lastSeen,
    reporter: 'abuse_ch',
    reference: fields.reference ?? null,
    tags: fields.tags,
    malware_samples: fields.samples ?? [],
  };
}

const FIXTURES: IocRecord[] = [
  record({
    id: '1398201',
    ioc: `${INTEL_FIXTURES.maliciousIp}:443`,
    threatType: 'botnet_cc',
    iocType: 'ip:port',
    malware: 'win.cobalt_strike',
    printable: 'Cobalt Strike',
    confidence: 75,
    firstSeen: '2026-11-02 08:14:03 UTC',
    lastSeen: '2026-11-29 17:40:11 UTC',
    tags: ['CobaltStrike', 'c2'],
    samples: [EICAR_SAMPLE],
  }),
  record({
    id: '1401877',
    ioc: INTEL_FIXTURES.maliciousDomain,
    threatType: 'payload_delivery',
    iocType: 'domain',
    malware: 'js.socgholish',
    printable: 'SocGholish',
    confidence: 100,
    firstSeen: '2026-11-25 12:01:55 UTC',
    lastSeen: null,
    tags: ['FakeUpdates', 'SocGholish'],
    reference: 'https://infosec.exchange/@demo/socgholish',
  }),
  record({
    id: '1401878',
    ioc: INTEL_FIXTURES.maliciousUrl,
    threatType: 'payload_delivery',
    iocType: 'url',
    malware: 'js.socgholish',
    printable: 'SocGholish',
    confidence: 100,
    firstSeen: '2026-11-25 12:02:10 UTC',
    lastSeen: null,
    tags: ['FakeUpdates', 'exe'],
  }),
];

const utc = (iso: string) => `${iso.slice(0, 19).replace('T', ' ')} UTC`;

/** The record a demo term gets when no fixture covers it, or undefined for `no_result`. */
function derived(term: string): IocRecord | undefined {
  const { outcome, level, seed } = demoVerdict(term);
  // The EICAR file is modelled as a sample linked to an IOC (search_hash), never as an IOC itself.
  if (term.toLowerCase() === EICAR_SAMPLE.md5_hash || term.toLowerCase() === EICAR_SAMPLE.sha256_hash)
    return undefined;
  if (outcome !== 'malicious' && outcome !== 'suspicious') return undefined;
  const hash = /^[0-9a-f]{32}$|^[0-9a-f]{64}$/i.test(term);
  const ip = /^\d{1,3}(\.\d{1,3}){3}$/.test(term);
  const url = /^[a-z]+:\/\//i.test(term);
  const iocType = hash
    ? term.length === 32
      ? 'md5_hash'
      : 'sha256_hash'
    : ip
      ? 'ip:port'
      : url
        ? 'url'
        : 'domain';
  const recent = outcome === 'malicious';
  return record({
    id: String(1_300_000 + seed),
    ioc: ip ? `${term}:${[443, 8080, 4444, 2222][seed % 4]}` : term.toLowerCase(),
    threatType: hash ? 'payload' : ip ? 'botnet_cc' : 'payload_delivery',
    iocType,
    malware: recent ? 'win.asyncrat' : 'elf.mirai',
    printable: recent ? 'AsyncRAT' : 'Mirai',
    confidence: recent ? 50 + (level % 51) : 75,
    firstSeen: utc(recent ? demoDate(seed, 30) : demoDate(seed, 30).replace(/^2026/, '2025')),
    lastSeen: recent ? utc(demoDate(seed, 5)) : null,
    tags: recent ? ['RAT'] : null,
  });
}

const status = (queryStatus: string, data?: string, httpStatus = 200): FakeReply => ({
  status: httpStatus,
  body: data === undefined ? { query_status: queryStatus } : { query_status: queryStatus, data },
});
const results = (records: IocRecord[]): FakeReply =>
  records.length > 0
    ? { status: 200, body: { query_status: 'ok', data: records } }
    : status('no_result', 'Your search did not yield any results');

/** The ThreatFox fake handler. */
export function fakeThreatFox(): FakeHandler {
  return (request) => {
    if (request.path !== '/api/v1/' && request.path !== '/api/v1') return { status: 404, body: 'Not Found' };
    const key = request.headers['auth-key'];
    if (typeof key !== 'string' || key === '') return status('no_auth', undefined, 401);
    if (key === 'invalid-key') return status('unknown_auth_key', undefined, 401);
    if (request.method !== 'POST') return { status: 405, body: 'Method Not Allowed' };
    const body = request.json() as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object') return status('unknown_query');
    switch (body.query) {
      case 'search_ioc': {
        const term = typeof body.search_term === 'string' ? body.search_term.trim() : '';
        if (term.length < 3) return status('illegal_search_term');
        const exact = body.exact_match === true;
        const lower = term.toLowerCase();
        const hits = FIXTURES.filter((entry) =>
          exact ? entry.ioc.toLowerCase() === lower : entry.ioc.toLowerCase().includes(lower),
        );
        const extra = hits.length === 0 ? derived(term) : undefined;
        return results(extra ? [extra] : hits);
      }
      case 'search_hash': {
        const hash = typeof body.hash === 'string' ? body.hash.trim().toLowerCase() : '';
        if (!/^([0-9a-f]{32}|[0-9a-f]{64})$/.test(hash)) return status('illegal_hash');
        return results(
          FIXTURES.filter((entry) =>
            entry.malware_samples.some((sample) => sample.md5_hash === hash || sample.sha256_hash === hash),
          ),
        );
      }
      default:
        return status('unknown_query');
    }
  };
}
