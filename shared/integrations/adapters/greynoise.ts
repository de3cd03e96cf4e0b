import * as z from 'zod';
import { type OutboundError, OutboundNotFoundError, QuotaExhaustedError } from '../http/errors';
import { type OutboundResponse, retryAfterMs } from '../http/outbound';
import type { AdapterContext, CatalogEntry, IntelAdapter, IntelResult } from '../ports';
import {
  assertSupported,
  baseUrl,
  finalizeResult,
  nextUtcMidnight,
  nonPublicIpResult,
  optionalSecret,
  parseBody,
  testFailure,
  unknownResult,
} from './intel-normalize';

/**
 * GreyNoise Community API (`GET /v3/community/{ip}`): whether an IPv4 address mass-scans the
 * internet (`noise`) or belongs to a known business service (`riot`), and GreyNoise's
 * classification of it (providers-intel.md §4). "Not observed" is unknown, not benign: an address
 * that is not mass-scanning may be targeting you specifically.
 */

const ORIGIN = 'https://api.greynoise.io';
const PROVIDER = 'GreyNoise';

const communitySchema = z.object({
  ip: z.string(),
  noise: z.boolean().nullish(),
  riot: z.boolean().nullish(),
  classification: z.string().nullish(),
  name: z.string().nullish(),
  link: z.string().nullish(),
  last_seen: z.string().nullish(),
  message: z.string().nullish(),
});
type Community = z.output<typeof communitySchema>;

/** A 429 from the community API is its daily quota (the body names the plan), never a short throttle. */
const classifyAt =
  (now: () => number) =>
  (response: OutboundResponse): OutboundError | undefined => {
    if (response.status !== 429) return undefined;
    const waitMs = retryAfterMs(response.headers, now());
    return new QuotaExhaustedError(`${PROVIDER} community quota is used up.`, {
      status: 429,
      resetsAt: waitMs === undefined ? nextUtcMidnight(now()) : new Date(now() + waitMs),
    });
  };

async function community(ctx: AdapterContext, ip: string): Promise<Community | undefined> {
  const key = optionalSecret(ctx, 'apiKey');
  try {
    const response = await ctx.http.request({
      method: 'GET',
      url: `${baseUrl(ctx, ORIGIN)}/v3/community/${encodeURIComponent(ip)}`,
      headers: { key, accept: 'application/json' },
      redact: [key],
      classify: classifyAt(ctx.now),
    });
    return parseBody(response, communitySchema, PROVIDER);
  } catch (error) {
    // 404 is GreyNoise's "IP not observed scanning the internet or contained in RIOT".
    if (error instanceof OutboundNotFoundError) return undefined;
    throw error;
  }
}

/** Maps a community answer (undefined: not observed) per the reference. */
export function mapGreyNoise(answer: Community | undefined): IntelResult {
  const classification = answer?.classification ?? undefined;
  const details = {
    // Seen mass-scanning or in the RIOT (business services) dataset; anything else was not observed.
    observed: Boolean(answer?.noise || answer?.riot),
    noise: answer?.noise ?? false,
    riot: answer?.riot ?? false,
    classification,
    name: answer?.name ?? undefined,
    lastSeen: answer?.last_seen ?? undefined,
    link: answer?.link ?? undefined,
  };
  if (!answer || !details.observed) return unknownResult(details, 30);
  const name = answer.name && answer.name !== 'unknown' ? answer.name : undefined;
  if (answer.riot)
    return finalizeResult({ verdict: 'benign', score: 0, confidence: 85, tags: ['riot', name], details });
  switch (classification) {
    case 'malicious':
      return finalizeResult({
        verdict: 'malicious',
        score: 85,
        confidence: 80,
        tags: ['mass-scanner', name],
        details,
      });
    case 'suspicious':
      return finalizeResult({
        verdict: 'suspicious',
        score: 55,
        confidence: 60,
        tags: ['mass-scanner', name],
        details,
      });
    case 'benign':
      // A known research scanner (Shodan, Censys…): noisy but not hostile.
      return finalizeResult({
        verdict: 'benign',
        score: 10,
        confidence: 75,
        tags: ['benign-scanner', name],
        details,
      });
    default:
      // Mass-scanning (observed, not RIOT) without a classification.
      return finalizeResult({
        verdict: 'suspicious',
        score: 30,
        confidence: 50,
        tags: ['mass-scanner', name],
        details,
      });
  }
}

const catalog: CatalogEntry = {
  name: 'greynoise',
  displayName: `${PROVIDER} Community`,
  category: 'threat-intel',
  description:
    'Tells internet background noise (mass scanners, research crawlers) and known business services apart from targeted activity, for IPv4 addresses.',
  fields: [
    {
      name: 'apiKey',
      label: 'API key',
      type: 'secret',
      required: false,
      help: 'Optional: the community API also answers without a key, with a smaller daily quota.',
    },
  ],
  freeTier: {
    perDay: 100,
    summary:
      'Community API: about 100 lookups/day (the figure GreyNoise reports when it is spent; free quotas change)',
  },
  priority: 'medium',
  setupGuide: [
    'Create a free GreyNoise account at https://viz.greynoise.io/signup (optional: the community API works without a key at a lower quota).',
    'Open Account → API Key (https://viz.greynoise.io/account/api-key).',
    'Copy the API key.',
    'Paste it into the API key field here, save, and press Test.',
  ],
  docsUrl: 'https://docs.greynoise.io/reference/get_v3-community-ip',
  supports: ['ipv4'],
};

/** GreyNoise Community as an intel adapter (IPv4 only). */
export const greyNoiseAdapter: IntelAdapter = {
  kind: 'intel',
  catalog,
  async lookup(ctx, indicator) {
    assertSupported(catalog, indicator);
    const skipped = nonPublicIpResult(indicator);
    if (skipped) return skipped;
    return mapGreyNoise(await community(ctx, indicator.value));
  },
  async test(ctx) {
    try {
      const answer = await community(ctx, '8.8.8.8');
      const keyed = optionalSecret(ctx, 'apiKey') !== undefined;
      const how = keyed ? 'accepted the key' : 'answered without a key (community quota applies)';
      return {
        ok: true,
        message: `${PROVIDER} ${how}; 8.8.8.8 is ${answer?.riot ? `a known business service (${answer.name ?? 'RIOT'})` : 'not in its datasets'}.`,
      };
    } catch (error) {
      return testFailure(PROVIDER, error, {
        auth: 'Copy the key from https://viz.greynoise.io/account/api-key and save it again, or clear it to use the keyless community quota.',
      });
    }
  },
};
