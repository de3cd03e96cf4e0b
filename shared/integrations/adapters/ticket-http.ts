import { BadRequestError } from '../../platform/errors';
import {
  OutboundError,
  type OutboundErrorDetails,
  OutboundRateLimitedError,
  OutboundTimeoutError,
  SsrfBlockedError,
  UpstreamError,
} from '../http/errors';
import type { OutboundResponse } from '../http/outbound';
import type { AdapterContext, TestOutcome } from '../ports';

/**
 * HTTP plumbing shared by the ticketing adapters: where to send requests (public API, sandbox or a
 * self-hosted URL), reading settings and credentials, error details for `classify` hooks, response
 * validation, the no-duplicate retry rule for issue creation, and turning failures into test outcomes.
 */

/** Thrown when an integration lacks a required setting or credential; the message names the field. */
export class TicketConfigError extends BadRequestError {
  constructor(message: string) {
    super(message, 'integration_misconfigured');
  }
}

/** A non-empty string setting, trimmed; undefined when unset. */
export function optionalSetting(ctx: AdapterContext, name: string): string | undefined {
  const value = ctx.settings[name];
  if (value === undefined) return undefined;
  const text = String(value).trim();
  return text === '' ? undefined : text;
}

export function requiredSetting(ctx: AdapterContext, name: string, label: string): string {
  const value = optionalSetting(ctx, name);
  if (value === undefined) throw new TicketConfigError(`${label} is not configured.`);
  return value;
}

export function requiredCredential(ctx: AdapterContext, name: string, label: string): string {
  const value = ctx.credentials[name]?.trim();
  if (value === undefined || value === '') throw new TicketConfigError(`${label} is not configured.`);
  return value;
}

export interface ServiceBase {
  /** Base URL without a trailing slash. */
  url: string;
  /** True when the URL came from the tenant's settings: the SSRF policy applies to every call. */
  userSuppliedUrl: boolean;
  host: string;
}

/**
 * The base URL of a call: the tenant's self-hosted `url` setting when present (user-supplied, so the
 * SSRF policy applies), else the sandbox/test override, else the service's public URL.
 * `suffix` is appended to a user URL that has no path (GitHub Enterprise `/api/v3`); `originOnly`
 * drops a path pasted from the browser (a Jira site is always its origin).
 */
export function resolveBase(
  ctx: AdapterContext,
  publicUrl: string | undefined,
  options: { setting?: string; suffix?: string; originOnly?: boolean } = {},
): ServiceBase {
  const user = options.setting === undefined ? undefined : optionalSetting(ctx, options.setting);
  if (user !== undefined) {
    let parsed: URL;
    try {
      parsed = new URL(user);
    } catch {
      throw new SsrfBlockedError('invalid_url', 'The service URL is not a valid absolute URL.');
    }
    const path = options.originOnly ? '' : parsed.pathname.replace(/\/+$/, '');
    const url = `${parsed.origin}${path === '' && options.suffix ? options.suffix : path}`;
    return { url, userSuppliedUrl: true, host: parsed.host };
  }
  const fixed = ctx.baseUrl ?? publicUrl;
  if (fixed === undefined) throw new TicketConfigError('The service URL is not configured.');
  const trimmed = fixed.replace(/\/+$/, '');
  return { url: trimmed, userSuppliedUrl: false, host: new URL(trimmed).host };
}

/** The error details of a response, for errors an adapter's `classify` hook builds. */
export function detailsOf(response: OutboundResponse, host: string): OutboundErrorDetails {
  return {
    status: response.status,
    host,
    attempts: response.attempts,
    response: { status: response.status, headers: response.headers, body: response.body },
  };
}

/** One response header as a string. */
export function header(response: OutboundResponse, name: string): string | undefined {
  const value = response.headers[name.toLowerCase()];
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text.trim() === '' ? undefined : text.trim();
}

/** The body as JSON, or undefined when it is not JSON (error bodies are often plain text). */
export function tryJson(response: OutboundResponse): unknown {
  try {
    return JSON.parse(response.text());
  } catch {
    return undefined;
  }
}

/** A provider's own short error text, safe to show: one line, bounded. */
export function shortText(text: unknown, max = 200): string | undefined {
  if (typeof text !== 'string') return undefined;
  const line = text.replace(/\s+/g, ' ').trim();
  if (line === '') return undefined;
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/**
 * Issue creation is not idempotent: a 500, 502 or 504 may come after the issue was created, so it is
 * not retried (a duplicate ticket is worse than a failed step the playbook can retry). 503 means the
 * request was not served and stays retryable, like 429.
 */
export function noDuplicateRetry(
  service: string,
  response: OutboundResponse,
  host: string,
): OutboundError | undefined {
  if (response.status === 500 || response.status === 502 || response.status === 504) {
    return new UpstreamError(
      `${service} answered ${response.status} while creating the ticket; not retried because it may have been created`,
      { ...detailsOf(response, host), retryable: false },
    );
  }
  return undefined;
}

/** A 2xx body checked against what the adapter needs; anything else is an `UpstreamError`. */
export function parseSuccess<T>(
  response: OutboundResponse,
  host: string,
  service: string,
  pick: (body: unknown) => T | undefined,
): T {
  const value = pick(response.json());
  if (value === undefined) {
    throw new UpstreamError(`${service} answered ${response.status} with an unexpected body`, {
      ...detailsOf(response, host),
      retryable: false,
    });
  }
  return value;
}

/** Narrowing helpers for provider bodies (validated field by field, never trusted whole). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function stringField(value: Record<string, unknown>, key: string): string | undefined {
  const field = value[key];
  return typeof field === 'string' && field !== '' ? field : undefined;
}

export function numberField(value: Record<string, unknown>, key: string): number | undefined {
  const field = value[key];
  return typeof field === 'number' && Number.isFinite(field) ? field : undefined;
}

/**
 * Turns the failure of a `test()` call into words a user can act on. Messages the adapters build in
 * their `classify` hooks (bad token, missing scope, unknown project) are kept; transport failures get
 * a generic sentence. Anything that is not an outbound or configuration error is a bug and rethrown.
 */
export function failureOutcome(service: string, error: unknown): TestOutcome {
  if (error instanceof SsrfBlockedError) {
    return {
      ok: false,
      message: `The ${service} URL was refused: ${error.message}`,
      details: { reason: error.reason },
    };
  }
  if (error instanceof TicketConfigError) return { ok: false, message: error.message };
  if (!(error instanceof OutboundError)) throw error;
  const details = { kind: error.kind, ...(error.status === undefined ? {} : { status: error.status }) };
  if (error instanceof OutboundRateLimitedError) {
    return {
      ok: false,
      message: `${service} is rate limiting this credential; try again in ${error.retryAfterSeconds} s.`,
      details: { ...details, retryAfterSeconds: error.retryAfterSeconds },
    };
  }
  if (error instanceof OutboundTimeoutError) {
    return {
      ok: false,
      message: `${service} did not answer within ${error.timeoutMs} ms; try again later.`,
      details,
    };
  }
  if (error instanceof UpstreamError) {
    return {
      ok: false,
      message: `${service} could not be reached or answered with an error (${error.status ?? 'no response'}); try again later.`,
      details,
    };
  }
  return { ok: false, message: error.message, details };
}
