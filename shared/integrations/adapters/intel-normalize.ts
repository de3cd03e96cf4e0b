import type * as z from 'zod';
import { BadRequestError } from '../../platform/errors';
import { classifyIp } from '../../platform/net/ip-address';
import {
  OutboundAuthError,
  OutboundBadRequestError,
  OutboundError,
  OutboundNotFoundError,
  OutboundRateLimitedError,
  OutboundTimeoutError,
  QuotaExhaustedError,
  UpstreamError,
} from '../http/errors';
import type { OutboundResponse } from '../http/outbound';
import type {
  AdapterContext,
  CatalogEntry,
  Indicator,
  IndicatorType,
  IntelResult,
  TestOutcome,
  Verdict,
} from '../ports';

/**
 * Normalization shared by the threat-intel adapters, so every provider's answer lands on the same
 * scale (providers-intel.md §0.1): verdict clamps, tag clean-up, tolerant body parsing, timestamps
 * in the formats providers use, and `test()` outcomes in words a user can act on.
 */

/** Most tags kept per result: enough to explain a verdict, few enough to index and display. */
export const MAX_TAGS = 25;
const MAX_TAG_LENGTH = 64;

/** Clamps to [min, max]; a value that is not a finite number becomes `min`. */
export function clamp(value: number, min: number, max: number): number {
  if (!Number.isFinite(value)) return min;
  return Math.min(max, Math.max(min, value));
}

/**
 * A provider label as a tag: lower case, whitespace and slashes turned into `-`, only
 * `[a-z0-9._:-]` kept (so `botnet_cc`, `port:443`, `cve-2021-44228` survive), no leading or
 * trailing separators. Returns '' for a label with nothing usable.
 */
export function slugTag(label: string): string {
  return label
    .normalize('NFKD')
    .toLowerCase()
    .trim()
    .replace(/[\s/\\&+,]+/g, '-')
    .replace(/[^a-z0-9._:-]/g, '')
    .replace(/-{2,}/g, '-')
    .replace(/^[-._:]+|[-._:]+$/g, '')
    .slice(0, MAX_TAG_LENGTH);
}

/** Slugs, de-duplicates (first occurrence wins) and caps a list of labels; falsy entries are skipped. */
export function cleanTags(labels: Iterable<string | null | undefined | false>): string[] {
  const seen = new Set<string>();
  for (const label of labels) {
    if (!label) continue;
    const tag = slugTag(label);
    if (tag !== '') seen.add(tag);
    if (seen.size >= MAX_TAGS) break;
  }
  return [...seen];
}

export interface ResultDraft {
  verdict: Verdict;
  score: number;
  confidence: number;
  tags?: Iterable<string | null | undefined | false>;
  details?: Record<string, unknown>;
}

/**
 * Applies the platform's clamps to a provider mapping: malicious ⇒ score ≥ 70, suspicious ⇒ 30–69,
 * benign ⇒ ≤ 20, unknown ⇒ score 0 and confidence ≤ 30; scores and confidences are integers 0–100.
 * Details with `undefined` values are dropped so results stay small and comparable.
 */
export function finalizeResult(draft: ResultDraft): IntelResult {
  let score = Math.round(clamp(draft.score, 0, 100));
  let confidence = Math.round(clamp(draft.confidence, 0, 100));
  switch (draft.verdict) {
    case 'malicious':
      score = Math.max(70, score);
      break;
    case 'suspicious':
      score = clamp(score, 30, 69);
      break;
    case 'benign':
      score = Math.min(20, score);
      break;
    case 'unknown':
      score = 0;
      confidence = Math.min(30, confidence);
      break;
  }
  const details: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(draft.details ?? {})) {
    if (value !== undefined) details[key] = value;
  }
  return { verdict: draft.verdict, score, confidence, tags: cleanTags(draft.tags ?? []), details };
}

/** "The provider has nothing on this indicator": unknown, score 0, low confidence. */
export function unknownResult(
  details: Record<string, unknown> = {},
  confidence = 20,
  tags: Iterable<string | null | undefined | false> = [],
): IntelResult {
  return finalizeResult({ verdict: 'unknown', score: 0, confidence, tags, details });
}

/** An adapter was asked about an indicator type it does not declare in `catalog.supports`. */
export class UnsupportedIndicatorError extends BadRequestError {
  constructor(provider: string, type: IndicatorType) {
    super(`${provider} cannot look up ${type} indicators.`, 'indicator_not_supported');
    this.extensions.indicatorType = type;
  }
}

/** Throws before any request is made when the indicator type is not one the catalog lists. */
export function assertSupported(catalog: CatalogEntry, indicator: Indicator): void {
  if (!catalog.supports?.includes(indicator.type)) {
    throw new UnsupportedIndicatorError(catalog.displayName, indicator.type);
  }
}

/**
 * For IP indicators that are not public unicast (private, loopback, documentation…): an `unknown`
 * result to return without calling the provider, since such addresses must never leave the tenant
 * and no provider knows anything useful about them. Undefined for public IPs and other types.
 */
export function nonPublicIpResult(indicator: Indicator): IntelResult | undefined {
  if (indicator.type !== 'ipv4' && indicator.type !== 'ipv6') return undefined;
  const classified = classifyIp(indicator.value);
  if (classified?.range === 'public') return undefined;
  const range = classified?.range ?? 'invalid';
  return finalizeResult({
    verdict: 'unknown',
    score: 0,
    confidence: 0,
    tags: ['private'],
    details: { notSent: true, addressRange: range },
  });
}

/** The credential of a `secret` field, or an auth error before anything is sent when it is missing. */
export function requireSecret(ctx: AdapterContext, field: string, provider: string): string {
  const value = ctx.credentials[field]?.trim();
  if (!value) throw new OutboundAuthError(`No ${provider} API key is configured.`);
  return value;
}

/** An optional credential: the trimmed value, or undefined when it is empty or absent. */
export function optionalSecret(ctx: AdapterContext, field: string): string | undefined {
  const value = ctx.credentials[field]?.trim();
  return value ? value : undefined;
}

/** A numeric setting, or `fallback` when it is absent or not a number. */
export function numberSetting(ctx: AdapterContext, name: string, fallback: number): number {
  const raw = ctx.settings[name];
  const value = typeof raw === 'number' ? raw : raw === undefined || raw === '' ? Number.NaN : Number(raw);
  return Number.isFinite(value) ? value : fallback;
}

/**
 * The origin requests go to, without a trailing slash: the sandbox/test override when set, else the
 * provider's public origin. Adapters append the real API path, so fakes answer on the same paths.
 */
export function baseUrl(ctx: AdapterContext, publicOrigin: string): string {
  return (ctx.baseUrl ?? publicOrigin).replace(/\/+$/, '');
}

/**
 * Parses a response body as JSON and validates it. A body that is not JSON, or JSON of the wrong
 * shape, is an `UpstreamError`: the provider answered something the mapping cannot trust.
 */
export function parseBody<S extends z.ZodType>(
  response: OutboundResponse,
  schema: S,
  provider: string,
): z.output<S> {
  const parsed = schema.safeParse(response.json());
  if (!parsed.success) {
    const where = parsed.error.issues[0]?.path.join('.') || 'body';
    throw new UpstreamError(`${provider} answered with an unexpected body (at ${where}).`, {
      status: response.status,
      attempts: response.attempts,
    });
  }
  return parsed.data;
}

/** Parses a body that may not be JSON (error bodies); undefined when it is not. */
export function tryJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Epoch milliseconds of a provider timestamp: epoch seconds (VirusTotal), ISO-8601 with or without
 * a zone (zone-less values are UTC, as NVD, OTX and Shodan mean them), `YYYY-MM-DD HH:MM:SS UTC`
 * (abuse.ch) or a bare date (GreyNoise). Undefined when absent or unparseable.
 */
export function parseTimestamp(value: string | number | null | undefined): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? value * 1000 : undefined;
  let text = value.trim().replace(/ UTC$/, 'Z');
  if (/^\d{4}-\d{2}-\d{2} \d/.test(text)) text = text.replace(' ', 'T');
  if (/^\d{4}-\d{2}-\d{2}T[\d:.]+$/.test(text)) text = `${text}Z`;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : at;
}

/** Whole days between a timestamp and now; undefined when the timestamp is unknown. */
export function ageInDays(at: number | undefined, nowMs: number): number | undefined {
  return at === undefined ? undefined : Math.floor((nowMs - at) / 86_400_000);
}

/** ISO-8601 text of a timestamp, for details; undefined when unknown. */
export function isoOrUndefined(at: number | undefined): string | undefined {
  return at === undefined ? undefined : new Date(at).toISOString();
}

/** The next 00:00 UTC after `nowMs`: when daily provider quotas reset. */
export function nextUtcMidnight(nowMs: number): Date {
  const date = new Date(nowMs);
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + 1));
}

/** Reads a response header as one string. */
export function header(response: { headers: Record<string, string | string[] | undefined> }, name: string) {
  const value = response.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

export interface TestHints {
  /** Where the user finds a valid credential, appended to the auth failure message. */
  auth: string;
}

/**
 * Turns a failed `test()` call into a message a user can act on. Only the platform's typed errors
 * are translated; anything else is a bug and is rethrown.
 */
export function testFailure(provider: string, error: unknown, hints: TestHints): TestOutcome {
  if (!(error instanceof OutboundError)) throw error;
  const details: Record<string, unknown> = { kind: error.kind };
  if (error.status !== undefined) details.status = error.status;
  if (error instanceof QuotaExhaustedError) {
    const resets = error.resetsAt ? ` It resets at ${error.resetsAt.toISOString()}.` : '';
    if (error.resetsAt) details.resetsAt = error.resetsAt.toISOString();
    return {
      ok: false,
      message: `${provider} accepted the key but its quota is used up.${resets} Wait for the reset or upgrade the plan.`,
      details,
    };
  }
  if (error instanceof OutboundAuthError) {
    // No status: the adapter refused to call because no key is configured.
    const what = error.status === undefined ? 'has no API key configured' : 'rejected the API key';
    return { ok: false, message: `${provider} ${what}. ${hints.auth}`, details };
  }
  if (error instanceof OutboundRateLimitedError) {
    details.retryAfterSeconds = error.retryAfterSeconds;
    return {
      ok: false,
      message: `${provider} is rate limiting this key. Try the test again in ${error.retryAfterSeconds} s.`,
      details,
    };
  }
  if (error instanceof OutboundTimeoutError) {
    return {
      ok: false,
      message: `${provider} did not answer within ${error.timeoutMs} ms. Check the provider's status page and try again.`,
      details,
    };
  }
  if (error instanceof OutboundNotFoundError || error instanceof OutboundBadRequestError) {
    return {
      ok: false,
      message: `${provider} refused the test request (HTTP ${error.status ?? '?'}). Check the configured settings.`,
      details,
    };
  }
  return {
    ok: false,
    message: `${provider} is not answering normally (${error.status ? `HTTP ${error.status}` : 'no valid answer'}). Try again later.`,
    details,
  };
}
