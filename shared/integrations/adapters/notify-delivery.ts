import { BadRequestError } from '../../platform/errors';
import {
  OutboundAuthError,
  OutboundBadRequestError,
  OutboundError,
  OutboundNotFoundError,
  OutboundRateLimitedError,
  OutboundRedirectError,
  OutboundTimeoutError,
  QuotaExhaustedError,
  SsrfBlockedError,
  UpstreamError,
} from '../http/errors';
import type { OutboundResponse } from '../http/outbound';
import type { AdapterContext, TestOutcome } from '../ports';

/**
 * Plumbing shared by the notification and webhook adapters: reading required configuration,
 * validating webhook URLs that are themselves the credential (Slack, Discord, Teams, Zapier), and
 * turning a failed test delivery into a message the user can act on.
 */

/** A configuration problem the user must fix in the integration settings (maps to a 400). */
export class IntegrationConfigError extends BadRequestError {
  constructor(message: string) {
    super(message, 'integration_misconfigured');
    Object.defineProperty(this, 'name', { value: 'IntegrationConfigError', configurable: true });
  }
}

/** A required credential, or a configuration error naming the field (never its value). */
export function requireCredential(ctx: AdapterContext, name: string, label: string): string {
  const value = ctx.credentials[name]?.trim();
  if (!value) throw new IntegrationConfigError(`${label} is not set. Add it in the integration settings.`);
  return value;
}

/** A required non-secret setting as a string. */
export function requireSetting(ctx: AdapterContext, name: string, label: string): string {
  const value = ctx.settings[name];
  const text = value === undefined ? '' : String(value).trim();
  if (text === '')
    throw new IntegrationConfigError(`${label} is not set. Add it in the integration settings.`);
  return text;
}

/** An optional setting as a trimmed string, undefined when empty. */
export function optionalSetting(ctx: AdapterContext, name: string): string | undefined {
  const value = ctx.settings[name];
  const text = value === undefined ? '' : String(value).trim();
  return text === '' ? undefined : text;
}

export interface ServiceUrlSpec {
  /** Service name used in messages, e.g. `Slack`. */
  service: string;
  /** Accepted host names; an entry starting with `.` accepts any subdomain. */
  hosts: readonly string[];
  /** The path the service's webhook URLs have. */
  path: RegExp;
  /** What a valid URL looks like, for the error message (no secret parts). */
  example: string;
}

function hostMatches(host: string, accepted: readonly string[]): boolean {
  return accepted.some((entry) => (entry.startsWith('.') ? host.endsWith(entry) : host === entry));
}

/**
 * Validates a secret webhook URL of a public service (HTTPS, the service's host and path shape) so
 * the integration cannot be pointed at arbitrary hosts, and rebases it onto `ctx.baseUrl` when the
 * sandbox or a test sets one (path and query kept). Error messages never repeat the URL.
 */
export function serviceWebhookUrl(ctx: AdapterContext, raw: string, spec: ServiceUrlSpec): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new IntegrationConfigError(
      `The ${spec.service} webhook URL is not a valid URL. It looks like ${spec.example}.`,
    );
  }
  if (
    url.protocol !== 'https:' ||
    url.username !== '' ||
    url.password !== '' ||
    !hostMatches(url.hostname.toLowerCase(), spec.hosts) ||
    !spec.path.test(url.pathname)
  ) {
    throw new IntegrationConfigError(
      `The ${spec.service} webhook URL does not look like one ${spec.service} issues. It looks like ${spec.example}.`,
    );
  }
  if (ctx.baseUrl === undefined) return url;
  const base = new URL(ctx.baseUrl);
  const basePath = base.pathname.endsWith('/') ? base.pathname.slice(0, -1) : base.pathname;
  return new URL(`${base.origin}${basePath}${url.pathname}${url.search}`);
}

/** The service's public base URL, or `ctx.baseUrl` (sandbox, tests), without a trailing slash. */
export function baseUrl(ctx: AdapterContext, publicBase: string): string {
  const base = ctx.baseUrl ?? publicBase;
  return base.endsWith('/') ? base.slice(0, -1) : base;
}

/** Hints the test outcome gives for the failures where the fix is service-specific. */
export interface FailureHints {
  service: string;
  auth?: string;
  notFound?: string;
  badRequest?: string;
}

/** A user-actionable sentence for an error raised while delivering to a service. */
export function describeFailure(error: unknown, hints: FailureHints): string {
  const { service } = hints;
  if (error instanceof IntegrationConfigError || error instanceof SsrfBlockedError) return error.message;
  if (error instanceof QuotaExhaustedError) {
    const when = error.resetsAt ? ` It resets at ${error.resetsAt.toISOString()}.` : '';
    return `${service} says the message quota is used up.${when}`;
  }
  if (error instanceof OutboundRateLimitedError) {
    return `${service} is rate limiting this integration; try again in ${error.retryAfterSeconds} s.`;
  }
  if (error instanceof OutboundAuthError) {
    return hints.auth ?? `${service} rejected the credentials. Check them in the integration settings.`;
  }
  if (error instanceof OutboundNotFoundError) {
    return hints.notFound ?? `${service} does not know this destination. Check the integration settings.`;
  }
  if (error instanceof OutboundRedirectError) {
    return `${service} answered with a redirect, which Vigil does not follow. Configure the final URL.`;
  }
  if (error instanceof OutboundTimeoutError) {
    return `${service} did not answer within ${Math.round(error.timeoutMs / 1000)} s. Try again later.`;
  }
  if (error instanceof UpstreamError) {
    return error.status !== undefined && error.status >= 500
      ? `${service} had a server error (HTTP ${error.status}). Try again later.`
      : `${service} could not be reached or answered unexpectedly. Try again later.`;
  }
  if (error instanceof OutboundError) {
    return hints.badRequest ?? `${service} refused the message (HTTP ${error.status ?? 'error'}).`;
  }
  return `Sending to ${service} failed unexpectedly.`;
}

/** Runs a test delivery and reports it as a `TestOutcome` instead of throwing. */
export async function testDelivery(
  hints: FailureHints,
  run: () => Promise<{ message: string; details?: Record<string, unknown> }>,
): Promise<TestOutcome> {
  try {
    const { message, details } = await run();
    return details === undefined ? { ok: true, message } : { ok: true, message, details };
  } catch (error) {
    const kind =
      error instanceof OutboundError
        ? error.kind
        : error instanceof SsrfBlockedError
          ? 'ssrf_blocked'
          : undefined;
    return {
      ok: false,
      message: describeFailure(error, hints),
      ...(kind === undefined ? {} : { details: { kind } }),
    };
  }
}

/** The body of a failed response as text, capped; undefined when the error carries none. */
export function failedBodyText(error: OutboundError, max = 2000): string | undefined {
  const body = error.response?.body;
  return body === undefined ? undefined : body.subarray(0, max).toString('utf8');
}

/** A provider's error reason, made safe to put in a message: one line, printable, at most 200 chars. */
export function safeReason(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const line = text
    .replace(/[^\x20-\x7e]+/g, ' ')
    .trim()
    .slice(0, 200);
  return line === '' ? undefined : line;
}

/**
 * Maps a failed response to the outbound error class its status calls for, with the provider's
 * reason in the message (Slack's bare strings, Discord's `message`, Telegram's `description`).
 * 2xx, 3xx and 429 fall through to the client, which owns redirects and `Retry-After` handling;
 * 5xx are retryable, since these services recover.
 */
export function reasonedError(
  service: string,
  res: OutboundResponse,
  reason: string | undefined,
): OutboundError | undefined {
  const { status } = res;
  if (status < 400 || status === 429) return undefined;
  const what = `${service} answered ${status}${reason ? ` (${safeReason(reason)})` : ''}`;
  const details = { status, attempts: res.attempts, response: res };
  if (status === 401 || status === 403)
    return new OutboundAuthError(`${what}: credentials rejected`, details);
  if (status === 404 || status === 410)
    return new OutboundNotFoundError(`${what}: destination not found`, details);
  if (status >= 500) return new UpstreamError(`${what}: server error`, { ...details, retryable: true });
  return new OutboundBadRequestError(`${what}: message refused`, details);
}
