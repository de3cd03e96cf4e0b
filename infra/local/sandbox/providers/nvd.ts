import type { FakeHandler, FakeReply } from '../fake-http';
import { demoDate, demoVerdict, INTEL_FIXTURES } from './intel-fixtures';

/**
 * NVD CVE API 2.0 fake (providers-intel.md §8): `GET /rest/json/cves/2.0?cveId=…` with the optional
 * `apiKey` header. Answers the `{resultsPerPage, startIndex, totalResults, format, version,
 * timestamp, vulnerabilities:[{cve}]}` page and the `apikey: Yes|No` response header. Errors have
 * an empty body and the reason in a `message` header: 404 "Invalid apiKey." for `invalid-key`, 404
 * for a malformed `cveId`, and 403 once a caller exceeds 5 requests (50 with a key) in a rolling
 * 30 s window. Only `cveId` lookups are modelled; other queries get a 404 with a `message`.
 *
 * Fixture: CVE-2021-44228 (Log4Shell: CVSS 3.1 10.0, CWE-502/400/20, in CISA KEV). Other well-formed
 * ids get a record derived from a hash of the id (`demoVerdict`): "no data" is `totalResults: 0`,
 * benign a low-severity CVE, suspicious a high one, malicious a critical KEV entry.
 */

const WINDOW_MS = 30_000;

interface CveSpec {
  id: string;
  published: string;
  lastModified: string;
  vulnStatus: string;
  description: string;
  score: number;
  severity: string;
  vector: string;
  cwes: string[];
  kev?: { added: string; due: string; name: string };
  references?: string[];
}

function cve(spec: CveSpec) {
  return {
    id: spec.id,
    sourceIdentifier: 'security@example-cna.org',
    published: spec.published,
    lastModified: spec.lastModified,
    vulnStatus: spec.vulnStatus,
    cveTags: [],
    descriptions: [{ lang: 'en', value: spec.description }],
    metrics: {
      cvssMetricV31: [
        {
          source: 'nvd@nist.gov',
          type: 'Primary',
          cvssData: {
            version: '3.1',
            vectorString: spec.vector,
            baseScore: spec.score,
            baseSeverity: spec.severity,
            attackVector: 'NETWORK',
            attackComplexity: 'LOW',
          },
          exploitabilityScore: 3.9,
          impactScore: Math.min(6, spec.score),
        },
      ],
    },
    weaknesses: [
      {
        source: 'nvd@nist.gov',
        type: 'Primary',
        description: spec.cwes.map((value) => ({ lang: 'en', value })),
      },
    ],
    configurations: [],
    references: (spec.references ?? []).map((url) => ({ url, source: 'security@example-cna.org', tags: [] })),
    ...(spec.kev
      ? {
          cisaExploitAdd: spec.kev.added,
          cisaActionDue: spec.kev.due,
          cisaRequiredAction: 'Apply updates per vendor instructions.',
          cisaVulnerabilityName: spec.kev.name,
        }
      : {}),
  };
}

const FIXTURES: Record<string, ReturnType<typeof cve>> = {
  [INTEL_FIXTURES.kevCve]: cve({
    id: INTEL_FIXTURES.kevCve,
    published: '2021-12-10T10:15:09.143',
    lastModified: '2025-10-27T17:40:33.990',
    vulnStatus: 'Analyzed',
    description:
      'Remote code execution in Apache Log4j2: a logged string containing a JNDI lookup makes the library fetch and run code from an attacker-chosen LDAP server (sandbox summary).',
    score: 10,
    severity: 'CRITICAL',
    vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H',
    cwes: ['CWE-502', 'CWE-400', 'CWE-20'],
    kev: {
      added: '2021-12-10',
      due: '2021-12-24',
      name: 'Apache Log4j2 Remote Code Execution Vulnerability',
    },
    references: ['https://logging.apache.org/log4j/2.x/security.html'],
  }),
};

function derived(id: string): ReturnType<typeof cve> | undefined {
  const { outcome, level, seed } = demoVerdict(id);
  if (outcome === 'none') return undefined;
  const published = demoDate(seed, 400).slice(0, 23);
  const base = {
    id,
    published,
    lastModified: published,
    vulnStatus: 'Analyzed',
    description: `Demo vulnerability ${id} in a sample product (sandbox data).`,
    cwes: ['CWE-79'],
  };
  switch (outcome) {
    case 'benign':
      return cve({
        ...base,
        score: 3 + (level % 4),
        severity: level % 4 < 1 ? 'LOW' : 'MEDIUM',
        vector: 'CVSS:3.1/AV:N/AC:H/PR:L/UI:R/S:U/C:L/I:N/A:N',
      });
    case 'suspicious':
      return cve({
        ...base,
        score: 7.5,
        severity: 'HIGH',
        vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N',
        cwes: ['CWE-22'],
      });
    default:
      return cve({
        ...base,
        score: 9.8,
        severity: 'CRITICAL',
        vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
        cwes: ['CWE-78'],
        kev: {
          added: published.slice(0, 10),
          due: published.slice(0, 10),
          name: `Demo product ${id} command injection`,
        },
      });
  }
}

const refused = (status: number, message: string, keyApplied: boolean): FakeReply => ({
  status,
  headers: { message, apikey: keyApplied ? 'Yes' : 'No' },
});

/** The NVD fake handler; one instance keeps its own rolling rate-limit window. */
export function fakeNvd(now: () => number = Date.now): FakeHandler {
  const recent: number[] = [];
  return (request) => {
    if (request.path !== '/rest/json/cves/2.0' && request.path !== '/rest/json/cves/2.0/') {
      return { status: 404, headers: { message: 'Not Found' } };
    }
    const key = request.headers.apikey;
    const keyed = typeof key === 'string' && key !== '';
    if (key === 'invalid-key') return refused(404, 'Invalid apiKey.', false);
    const at = now();
    while (recent.length > 0 && (recent[0] ?? 0) <= at - WINDOW_MS) recent.shift();
    if (recent.length >= (keyed ? 50 : 5)) return { status: 403, headers: { apikey: keyed ? 'Yes' : 'No' } };
    recent.push(at);
    const cveId = request.query.get('cveId');
    if (cveId === null) return refused(404, 'The sandbox models cveId lookups only.', keyed);
    if (!/^CVE-\d{4}-\d{4,}$/.test(cveId)) return refused(404, 'Invalid cveId parameter value.', keyed);
    const record = FIXTURES[cveId] ?? derived(cveId);
    return {
      status: 200,
      headers: { apikey: keyed ? 'Yes' : 'No' },
      body: {
        resultsPerPage: record ? 1 : 0,
        startIndex: 0,
        totalResults: record ? 1 : 0,
        format: 'NVD_CVE',
        version: '2.0',
        timestamp: new Date(at).toISOString().slice(0, 23),
        vulnerabilities: record ? [{ cve: record }] : [],
      },
    };
  };
}
