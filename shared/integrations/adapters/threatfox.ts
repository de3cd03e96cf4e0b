import * as z from 'zod';
import {
  OutboundAuthError,
  OutboundBadRequestError,
  type OutboundError,
  UpstreamError,
} from '../http/errors';
import type { OutboundResponse } from '../http/outbound';
import type { AdapterContext, CatalogEntry, Indicator, IntelAdapter, IntelResult } from '../ports';
import {
  ageInDays,
  assertSupported,
  baseUrl,
  finalizeResult,
  nonPublicIpResult,
  parseBody,
  parseTimestamp,
  requireSecret,
  testFailure,
  tryJson,
  unknownResult,
} from './intel-normalize';

/**
 * ThreatFox (abuse.ch): a curated feed of IOCs tied to malware families (C2 servers, payload URLs,
 * samples). Any match is malicious, scored by the reporter's confidence; a match that stopped being
 * seen long ago is downgraded (providers-intel.md §6). One JSON `POST /api/v1/` endpoint; errors
 * mostly arrive as HTTP 200 with a `query_status`.
 */

const ORIGIN = 'https://threatfox-api.abuse.ch';
const PROVIDER = 'ThreatFox';
const MAX_IDS = 10;

const iocSchema = z.object({
  id: z.union([z.string(), z.number()]).transform(String),
  ioc: z.string(),
  threat_type: z.string().nullish(),
  ioc_type: z.string().nullish(),
  malware: z.string().nullish(),
  malware_printable: z.string().nullish(),
  malware_alias: z.string().nullish(),
  confidence_level: z.number().nullish(),
  first_seen: z.string().nullish(),
  last_seen: z.string().nullish(),
  reference: z.string().nullish(),
  tags: z.array(z.string()).nullish(),
});
type Ioc = z.output<typeof iocSchema>;

const answerSchema = z.object({
  query_status: z.string(),
  // A list on `ok`; a sentence ("Your search did not yield any results") otherwise.
  data: z.union([z.array(iocSchema), z.string(), z.null()]).optional(),
});

const statusSchema = z.object({ query_status: z.string() });

/** Body-level outcomes: `ok`/`no_result` are answers, auth and `illegal_*` statuses are errors. */
function classify(response: OutboundResponse): OutboundError | undefined {
  const parsed = statusSchema.safeParse(tryJson(response.body));
  if (!parsed.success) return undefined;
  const status = parsed.data.query_status;
  if (status === 'ok' || status === 'no_result') return undefined;
  const details = { status: response.status };
  if (/auth/i.test(status))
    return new OutboundAuthError(`${PROVIDER} refused the Auth-Key (${status}).`, details);
  if (/^illegal_|^unknown_query$/.test(status)) {
    return new OutboundBadRequestError(`${PROVIDER} refused the query (${status}).`, details);
  }
  return new UpstreamError(`${PROVIDER} answered with query_status ${status}.`, details);
}

type Query =
  | { query: 'search_ioc'; search_term: string; exact_match?: boolean }
  | { query: 'search_hash'; hash: string };

async function ask(ctx: AdapterContext, body: Query): Promise<Ioc[]> {
  const key = requireSecret(ctx, 'apiKey', PROVIDER);
  const response = await ctx.http.request({
    method: 'POST',
    url: `${baseUrl(ctx, ORIGIN)}/api/v1/`,
    headers: { 'auth-key': key, accept: 'application/json' },
    body,
    redact: [key],
    classify,
  });
  const answer = parseBody(response, answerSchema, PROVIDER);
  return answer.query_status === 'ok' && Array.isArray(answer.data) ? answer.data : [];
}

/** The records that really are this indicator: a bare-IP search also matches longer addresses. */
function matching(indicator: Indicator, records: Ioc[]): Ioc[] {
  if (indicator.type !== 'ipv4') return records;
  return records.filter(
    (record) => record.ioc === indicator.value || record.ioc.startsWith(`${indicator.value}:`),
  );
}

/**
 * Maps ThreatFox records per the reference. `matchedBy` says whether the indicator is itself an IOC
 * or (for a hash) a sample ThreatFox links to IOCs.
 */
export function mapThreatFox(records: Ioc[], matchedBy: 'ioc' | 'sample', nowMs: number): IntelResult {
  if (records.length === 0) return unknownResult({ matches: 0 }, 20);
  const best = records.reduce((top, record) =>
    (record.confidence_level ?? 0) > (top.confidence_level ?? 0) ? record : top,
  );
  const bestConfidence = best.confidence_level ?? 50;
  const firstSeenAge = ageInDays(parseTimestamp(best.first_seen), nowMs);
  const stale = !best.last_seen && firstSeenAge !== undefined && firstSeenAge > 180;
  const details = {
    matches: records.length,
    matchedBy,
    malware: best.malware_printable ?? undefined,
    threatType: best.threat_type ?? undefined,
    firstSeen: best.first_seen ?? undefined,
    lastSeen: best.last_seen ?? undefined,
    reference: best.reference ?? undefined,
    ids: records.slice(0, MAX_IDS).map((record) => record.id),
  };
  return finalizeResult({
    verdict: stale ? 'suspicious' : 'malicious',
    score: Math.max(70, bestConfidence),
    confidence: bestConfidence - (stale ? 20 : 0),
    tags: [
      ...records.map((record) => record.malware_printable),
      ...records.map((record) => record.threat_type),
      ...(matchedBy === 'ioc' ? records.map((record) => record.ioc_type) : ['malware-sample']),
      ...records.flatMap((record) => record.tags ?? []),
    ],
    details,
  });
}

const catalog: CatalogEntry = {
  name: 'threatfox',
  displayName: PROVIDER,
  category: 'threat-intel',
  description:
    'abuse.ch ThreatFox: malware IOCs (botnet C2 servers, payload URLs and domains, sample hashes) with malware family and confidence.',
  fields: [{ name: 'apiKey', label: 'abuse.ch Auth-Key', type: 'secret', required: true }],
  freeTier: { perSecond: 1, summary: 'Free, fair use with no published limit; keep to about 1 request/s' },
  priority: 'high',
  setupGuide: [
    'Sign in at https://auth.abuse.ch (free; it uses an existing GitHub, Google or similar account).',
    'On your abuse.ch account page, generate an Auth-Key; the same key works for all abuse.ch APIs.',
    'Copy the Auth-Key.',
    'Paste it into the Auth-Key field here, save, and press Test.',
  ],
  docsUrl: 'https://threatfox.abuse.ch/api/',
  supports: ['ipv4', 'domain', 'url', 'md5', 'sha256'],
};

/** ThreatFox as an intel adapter; no match is `unknown`. */
export const threatFoxAdapter: IntelAdapter = {
  kind: 'intel',
  catalog,
  async lookup(ctx, indicator) {
    assertSupported(catalog, indicator);
    const skipped = nonPublicIpResult(indicator);
    if (skipped) return skipped;
    const now = ctx.now();
    if (indicator.type === 'ipv4') {
      // IPs are stored as ip:port, so only a non-exact search finds them.
      const records = await ask(ctx, { query: 'search_ioc', search_term: indicator.value });
      return mapThreatFox(matching(indicator, records), 'ioc', now);
    }
    const asIoc = await ask(ctx, { query: 'search_ioc', search_term: indicator.value, exact_match: true });
    if (asIoc.length > 0 || (indicator.type !== 'md5' && indicator.type !== 'sha256')) {
      return mapThreatFox(asIoc, 'ioc', now);
    }
    // Not an IOC itself: the hash may still be a sample ThreatFox links IOCs to.
    return mapThreatFox(await ask(ctx, { query: 'search_hash', hash: indicator.value }), 'sample', now);
  },
  async test(ctx) {
    try {
      const records = await ask(ctx, { query: 'search_ioc', search_term: '8.8.8.8', exact_match: true });
      return {
        ok: true,
        message: `${PROVIDER} accepted the Auth-Key (a search for 8.8.8.8 returned ${records.length} IOCs).`,
      };
    } catch (error) {
      return testFailure(PROVIDER, error, {
        auth: 'Copy the Auth-Key from your account at https://auth.abuse.ch and save it again.',
      });
    }
  },
};
