import * as z from 'zod';
import {
  OutboundAuthError,
  OutboundBadRequestError,
  type OutboundError,
  OutboundRateLimitedError,
} from '../http/errors';
import type { OutboundResponse } from '../http/outbound';
import type { AdapterContext, CatalogEntry, IntelAdapter, IntelResult } from '../ports';
import {
  assertSupported,
  baseUrl,
  finalizeResult,
  header,
  optionalSecret,
  parseBody,
  testFailure,
  unknownResult,
} from './intel-normalize';

/**
 * NVD CVE API 2.0: severity (CVSS), weakness and CISA known-exploited (KEV) status of a CVE. A
 * known-exploited CVE is malicious, a high-severity one suspicious; a CVE is never "benign" unless
 * NVD rejected it (providers-intel.md §8). The API key is optional and raises the limit from 5 to
 * 50 requests per rolling 30 s; errors carry no body, only a `message` header.
 */

const ORIGIN = 'https://services.nvd.nist.gov';
const PATH = '/rest/json/cves/2.0';
const PROVIDER = 'NVD';
/** NVD throttles over a rolling 30-second window. */
const WINDOW_SECONDS = 30;
const MAX_DESCRIPTION = 500;

const cvssDataSchema = z.object({
  version: z.string().nullish(),
  vectorString: z.string().nullish(),
  baseScore: z.number(),
  baseSeverity: z.string().nullish(),
});
const metricSchema = z.object({
  source: z.string().nullish(),
  type: z.string().nullish(),
  cvssData: cvssDataSchema,
  // CVSS v2 keeps the severity on the metric, not in cvssData.
  baseSeverity: z.string().nullish(),
});
type Metric = z.output<typeof metricSchema>;

const cveSchema = z.object({
  id: z.string(),
  published: z.string().nullish(),
  lastModified: z.string().nullish(),
  vulnStatus: z.string().nullish(),
  descriptions: z.array(z.object({ lang: z.string(), value: z.string() })).default([]),
  metrics: z
    .object({
      cvssMetricV40: z.array(metricSchema).nullish(),
      cvssMetricV31: z.array(metricSchema).nullish(),
      cvssMetricV30: z.array(metricSchema).nullish(),
      cvssMetricV2: z.array(metricSchema).nullish(),
    })
    .nullish(),
  weaknesses: z
    .array(z.object({ description: z.array(z.object({ lang: z.string(), value: z.string() })).default([]) }))
    .nullish(),
  cisaExploitAdd: z.string().nullish(),
  cisaActionDue: z.string().nullish(),
  cisaVulnerabilityName: z.string().nullish(),
});
type Cve = z.output<typeof cveSchema>;

const pageSchema = z.object({
  totalResults: z.number(),
  vulnerabilities: z.array(z.object({ cve: cveSchema })),
});

/**
 * 403 is NVD's rate limit (rolling 30 s); a 404 whose `message` header names the apiKey is a bad key;
 * other 400/404s with a `message` are parameter errors.
 */
function classify(response: OutboundResponse): OutboundError | undefined {
  const message = header(response, 'message')?.slice(0, 200);
  const details = { status: response.status };
  if (response.status === 403) {
    return new OutboundRateLimitedError(`${PROVIDER} rate limit reached.`, WINDOW_SECONDS, details);
  }
  if ((response.status === 404 || response.status === 400) && message) {
    if (/api ?key/i.test(message)) return new OutboundAuthError(`${PROVIDER} refused the API key.`, details);
    return new OutboundBadRequestError(`${PROVIDER} refused the request: ${message}`, details);
  }
  return undefined;
}

async function fetchCve(ctx: AdapterContext, cveId: string) {
  const key = optionalSecret(ctx, 'apiKey');
  const response = await ctx.http.request({
    method: 'GET',
    url: `${baseUrl(ctx, ORIGIN)}${PATH}`,
    query: { cveId },
    headers: { apikey: key, accept: 'application/json' },
    redact: [key],
    classify,
  });
  return { page: parseBody(response, pageSchema, PROVIDER), keyApplied: header(response, 'apikey') };
}

/** The metric NVD itself would show: newest CVSS version first, the Primary (NVD) score preferred. */
function primaryMetric(cve: Cve): Metric | undefined {
  const metrics = cve.metrics;
  for (const list of [
    metrics?.cvssMetricV40,
    metrics?.cvssMetricV31,
    metrics?.cvssMetricV30,
    metrics?.cvssMetricV2,
  ]) {
    if (list && list.length > 0) return list.find((metric) => metric.type === 'Primary') ?? list[0];
  }
  return undefined;
}

const ANALYSED = new Set(['Analyzed', 'Modified']);
const PENDING = new Set(['Awaiting Analysis', 'Received', 'Undergoing Analysis']);

/** Maps a CVE API page per the reference's recommended mapping. */
export function mapNvd(page: z.output<typeof pageSchema>): IntelResult {
  const cve = page.vulnerabilities[0]?.cve;
  if (page.totalResults === 0 || !cve) return unknownResult({ found: false }, 20);

  const metric = primaryMetric(cve);
  const baseScore = metric?.cvssData.baseScore;
  const severity = metric?.cvssData.baseSeverity ?? metric?.baseSeverity ?? undefined;
  const cwes = (cve.weaknesses ?? [])
    .flatMap((weakness) => weakness.description.map((entry) => entry.value))
    .filter((value) => /^CWE-\d+$/.test(value));
  const kev = Boolean(cve.cisaExploitAdd);
  const status = cve.vulnStatus ?? '';
  const details = {
    cveId: cve.id,
    baseScore,
    severity,
    cvssVersion: metric?.cvssData.version ?? undefined,
    vector: metric?.cvssData.vectorString ?? undefined,
    published: cve.published ?? undefined,
    lastModified: cve.lastModified ?? undefined,
    vulnStatus: status || undefined,
    description: cve.descriptions.find((entry) => entry.lang === 'en')?.value.slice(0, MAX_DESCRIPTION),
    knownExploited: kev,
    kevAdded: cve.cisaExploitAdd ?? undefined,
    kevDueDate: cve.cisaActionDue ?? undefined,
    kevName: cve.cisaVulnerabilityName ?? undefined,
  };
  const tags = [severity, ...cwes, kev && 'kev'];

  if (status === 'Rejected') {
    return finalizeResult({ verdict: 'benign', score: 0, confidence: 90, tags: ['rejected'], details });
  }
  const score = baseScore === undefined ? 0 : Math.round(baseScore * 10);
  const confidence = ANALYSED.has(status) ? 90 : PENDING.has(status) ? 40 : 60;
  const verdict = kev ? 'malicious' : baseScore !== undefined && baseScore >= 7 ? 'suspicious' : 'unknown';
  return finalizeResult({ verdict, score, confidence, tags, details });
}

const catalog: CatalogEntry = {
  name: 'nvd',
  displayName: 'NVD (NIST National Vulnerability Database)',
  category: 'threat-intel',
  description:
    'CVE severity (CVSS), weaknesses (CWE) and CISA known-exploited status from the NVD CVE API 2.0. This product uses the NVD API but is not endorsed or certified by the NVD.',
  fields: [
    {
      name: 'apiKey',
      label: 'API key',
      type: 'secret',
      required: false,
      help: 'Optional: without a key NVD allows 5 requests per 30 seconds, with one 50.',
    },
  ],
  freeTier: {
    perMinute: 10,
    summary: '5 requests per rolling 30 s without a key (50 with a free key)',
  },
  priority: 'medium',
  setupGuide: [
    'NVD works without a key; to raise the limit, request a free key at https://nvd.nist.gov/developers/request-an-api-key.',
    'Enter your organization name and email address, accept the terms of use, and submit.',
    'Open the activation link NVD emails you to reveal the key (a UUID), and copy it.',
    'Paste it into the API key field here, save, and press Test.',
  ],
  docsUrl: 'https://nvd.nist.gov/developers/vulnerabilities',
  supports: ['cve'],
};

/** The NVD CVE API as an intel adapter for CVE indicators. */
export const nvdAdapter: IntelAdapter = {
  kind: 'intel',
  catalog,
  async lookup(ctx, indicator) {
    assertSupported(catalog, indicator);
    const { page } = await fetchCve(ctx, indicator.value.toUpperCase());
    return mapNvd(page);
  },
  async test(ctx) {
    const keyed = optionalSecret(ctx, 'apiKey') !== undefined;
    try {
      const { page, keyApplied } = await fetchCve(ctx, 'CVE-2021-44228');
      if (keyed && keyApplied?.toLowerCase() === 'no') {
        return {
          ok: false,
          message: `${PROVIDER} answered but did not apply the API key. Check that the key was activated from NVD's email.`,
        };
      }
      const how = keyed
        ? 'accepted the key (50 requests per 30 s)'
        : 'answered without a key (5 requests per 30 s)';
      return {
        ok: true,
        message: `${PROVIDER} ${how}; CVE-2021-44228 returned ${page.totalResults} record.`,
      };
    } catch (error) {
      return testFailure(PROVIDER, error, {
        auth: 'Copy the key from the activation email NVD sent you (or request a new one at https://nvd.nist.gov/developers/request-an-api-key), or clear it to use NVD without a key.',
      });
    }
  },
};
