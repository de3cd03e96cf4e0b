import {
  type ClientRequest,
  request as httpRequest,
  type IncomingHttpHeaders,
  type RequestOptions,
} from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { logger as platformLogger } from '../../platform/observability';
import {
  type FailedResponse,
  OutboundAuthError,
  OutboundBadRequestError,
  OutboundError,
  type OutboundErrorDetails,
  OutboundNotFoundError,
  OutboundRateLimitedError,
  OutboundRedirectError,
  OutboundTimeoutError,
  SsrfBlockedError,
  UpstreamError,
} from './errors';
import {
  assertConnectedToPinned,
  createPinnedLookup,
  type PinnedTarget,
  pinUserUrl,
  type SsrfPolicy,
} from './ssrf';

/**
 * The one outbound HTTP client every integration adapter uses (ARCHITECTURE.md, Integrations):
 * a deadline per attempt covering connect, headers and body; a bounded response size; retries with
 * full-jitter exponential back-off that honour `Retry-After` and provider reset headers; logs that
 * carry method, host, redacted path, status, latency and attempt and nothing secret; and, for URLs a
 * user typed in, the SSRF policy of `./ssrf.ts` with the resolved address pinned for the connect.
 * Redirects are never followed: a 3xx ends in `OutboundRedirectError`.
 */

export interface RetryPolicy {
  /** Total attempts including the first; 1 disables retries. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** The subset of the Powertools logger the client uses; tests inject a recorder. */
export interface OutboundLogger {
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
}

export interface OutboundClientOptions {
  logger?: OutboundLogger;
  /** Sent unless the request sets its own; some APIs (GitHub) refuse requests without one. */
  userAgent?: string;
  /** Default deadline of one attempt, from connect to the last body byte. */
  timeoutMs?: number;
  /** Default cap on the response body; larger bodies abort the attempt. */
  maxResponseBytes?: number;
  retry?: Partial<RetryPolicy>;
  /**
   * Longest server-requested wait (`Retry-After`, reset headers) the client sleeps through. Longer
   * requests end in `OutboundRateLimitedError` with `retryAfterSeconds` so a queue worker can delay
   * the message instead of holding a Lambda.
   */
  maxRetryWaitMs?: number;
  /** Policy for requests with `userSuppliedUrl: true`. */
  ssrf?: SsrfPolicy;
  sleep?: (ms: number) => Promise<void>;
  /** Uniform in [0, 1); drives the back-off jitter. */
  random?: () => number;
  /** Epoch milliseconds; used for latency and for HTTP-date and epoch reset headers. */
  now?: () => number;
}

export type QueryValue = string | number | boolean | undefined | readonly (string | number | boolean)[];

export interface OutboundRequest {
  method: string;
  url: string | URL;
  headers?: Record<string, string | undefined>;
  /** Appended to the URL's query string; `undefined` values are skipped. */
  query?: Record<string, QueryValue>;
  /** A string or bytes are sent as they are; anything else is sent as JSON. */
  body?: string | Uint8Array | object;
  timeoutMs?: number;
  maxResponseBytes?: number;
  retry?: Partial<RetryPolicy>;
  maxRetryWaitMs?: number;
  /** The URL came from a user (webhook, self-hosted server): apply the SSRF policy and pin the address. */
  userSuppliedUrl?: boolean;
  /** Secret values (API keys, tokens in paths) to scrub from log lines and error messages. */
  redact?: readonly (string | undefined)[];
  /**
   * Lets an adapter turn a response into an error before the status-code mapping, e.g. a 200 with
   * `{"success":false}` or a 429 that means "daily quota used" (`QuotaExhaustedError`). Return
   * undefined to fall through. A returned `OutboundRateLimitedError` is retried like a 429.
   */
  classify?: (response: OutboundResponse) => OutboundError | undefined;
}

export interface OutboundResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Parses the body as JSON; a body that is not JSON is an `UpstreamError`. Validate the result. */
  json<T = unknown>(): T;
  text(): string;
  /** Duration of the attempt that produced this response. */
  latencyMs: number;
  attempts: number;
}

export interface OutboundClient {
  request(req: OutboundRequest): Promise<OutboundResponse>;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_RESPONSE_BYTES = 2 * 1024 * 1024;
const DEFAULT_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 250, maxDelayMs: 4_000 };
const DEFAULT_MAX_RETRY_WAIT_MS = 5_000;
const DEFAULT_USER_AGENT = 'Vigil/0.1 (threat-intel platform)';

const SECRET_NAME_HINTS = [
  'key',
  'token',
  'secret',
  'password',
  'passwd',
  'auth',
  'signature',
  'sig',
  'credential',
];
const SECRET_HEADER_NAMES = new Set(['cookie', 'session', 'x-session']);
const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);
const NON_RETRYABLE_NETWORK_CODES = new Set(['ENOTFOUND', 'ERR_INVALID_URL', 'ERR_INVALID_PROTOCOL']);
const REDACTED = '[redacted]';

/** True for a query parameter or header name that usually carries a credential. */
export function looksSecret(name: string): boolean {
  const lower = name.toLowerCase();
  return SECRET_HEADER_NAMES.has(lower) || SECRET_NAME_HINTS.some((hint) => lower.includes(hint));
}

/**
 * Milliseconds a throttled response asks the caller to wait, or undefined when it says nothing.
 * `Retry-After` wins (delta seconds, fractional allowed, or an HTTP date). Then the reset headers,
 * whose unit differs by provider: a number above 1e12 is epoch milliseconds (Linear), above 1e9
 * epoch seconds (GitHub, GitLab, AbuseIPDB, Picus), anything smaller seconds from now (IETF
 * `RateLimit-Reset`); a non-number is parsed as a date (Jira's ISO-8601). Discord's
 * `X-RateLimit-Reset-After` and ip-api's `X-Ttl` are always seconds from now.
 */
export function retryAfterMs(headers: IncomingHttpHeaders, nowMs: number): number | undefined {
  const header = (name: string): string | undefined => {
    const value = headers[name];
    const text = Array.isArray(value) ? value[0] : value;
    return text === undefined || text.trim() === '' ? undefined : text.trim();
  };
  const delta = (text: string | undefined): number | undefined => {
    if (text === undefined || !/^\d+(\.\d+)?$/.test(text)) return undefined;
    return Number(text) * 1000;
  };
  const date = (text: string): number | undefined => {
    const at = Date.parse(text);
    return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
  };

  const retryAfter = header('retry-after');
  if (retryAfter !== undefined) {
    const value = delta(retryAfter) ?? date(retryAfter);
    if (value !== undefined) return value;
  }
  const after = delta(header('x-ratelimit-reset-after')) ?? delta(header('x-ttl'));
  if (after !== undefined) return after;

  for (const name of ['x-ratelimit-reset', 'ratelimit-reset', 'x-rate-limit-reset', 'x-limit-app-reset']) {
    const text = header(name);
    if (text === undefined) continue;
    if (/^\d+(\.\d+)?$/.test(text)) {
      const value = Number(text);
      if (value > 1e12) return Math.max(0, value - nowMs);
      if (value > 1e9) return Math.max(0, value * 1000 - nowMs);
      return value * 1000;
    }
    const value = date(text);
    if (value !== undefined) return value;
  }
  return undefined;
}

/** Scrubs known secrets (and their URL-encoded forms) from text that may be logged or thrown. */
class Redactor {
  private readonly secrets: string[];

  constructor(values: Iterable<string | undefined>) {
    const unique = new Set<string>();
    for (const value of values) {
      if (value === undefined || value.length < 3) continue;
      unique.add(value);
      unique.add(encodeURIComponent(value));
    }
    // Longest first, so a secret that contains another is removed whole.
    this.secrets = [...unique].sort((a, b) => b.length - a.length);
  }

  scrub(text: string): string {
    let result = text;
    for (const secret of this.secrets) result = result.split(secret).join(REDACTED);
    return result;
  }
}

/** A path segment that looks like a token (webhook URLs carry their secret in the path). */
function looksLikeToken(segment: string): boolean {
  return segment.length >= 16 && /\d/.test(segment) && /[a-z]/i.test(segment);
}

interface Target {
  method: string;
  host: string;
  /** Path and query with secret-looking query values and, for user URLs, token-like segments hidden. */
  path: string;
}

function describeTarget(method: string, url: URL, userSupplied: boolean, redactor: Redactor): Target {
  const pathname = userSupplied
    ? url.pathname
        .split('/')
        .map((segment) => (looksLikeToken(segment) ? REDACTED : segment))
        .join('/')
    : url.pathname;
  const query = [...url.searchParams]
    .map(
      ([key, value]) =>
        `${encodeURIComponent(key)}=${looksSecret(key) ? REDACTED : encodeURIComponent(value)}`,
    )
    .join('&');
  return {
    method,
    host: url.host,
    path: redactor.scrub(query === '' ? pathname : `${pathname}?${query}`),
  };
}

function buildUrl(raw: string | URL, query: OutboundRequest['query']): URL {
  const url = new URL(raw.toString());
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined) continue;
    const values: readonly (string | number | boolean)[] = Array.isArray(value) ? value : [value];
    for (const item of values) url.searchParams.append(key, String(item));
  }
  return url;
}

function encodeBody(body: OutboundRequest['body']): { bytes?: Buffer; contentType?: string } {
  if (body === undefined) return {};
  if (typeof body === 'string')
    return { bytes: Buffer.from(body, 'utf8'), contentType: 'text/plain; charset=utf-8' };
  if (body instanceof Uint8Array)
    return { bytes: Buffer.from(body), contentType: 'application/octet-stream' };
  return { bytes: Buffer.from(JSON.stringify(body), 'utf8'), contentType: 'application/json' };
}

interface AttemptInput {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
  timeoutMs: number;
  maxResponseBytes: number;
  pinned: PinnedTarget | undefined;
}

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Failures of one attempt before a complete response arrived. */
type AttemptFailure =
  | { type: 'timeout' }
  | { type: 'too_large'; limit: number }
  | { type: 'network'; error: unknown }
  | { type: 'blocked'; error: SsrfBlockedError };

class AttemptError extends Error {
  constructor(readonly failure: AttemptFailure) {
    super(failure.type);
  }
}

/** One HTTP exchange: connect (to the pinned address, if any), send, read a bounded body. */
function sendOnce(input: AttemptInput): Promise<RawResponse> {
  return new Promise<RawResponse>((resolve, reject) => {
    let settled = false;
    const finish = (outcome: { response: RawResponse } | { failure: AttemptFailure }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if ('response' in outcome) resolve(outcome.response);
      else {
        reject(new AttemptError(outcome.failure));
        req.destroy();
      }
    };
    const { url, pinned } = input;
    const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const options: RequestOptions & { servername?: string } = {
      protocol: url.protocol,
      hostname,
      port: url.port === '' ? undefined : Number(url.port),
      path: `${url.pathname}${url.search}`,
      method: input.method,
      headers: input.headers,
    };
    if (pinned) {
      // A fresh connection per request: a pooled socket could predate the pin.
      options.agent = false;
      options.lookup = createPinnedLookup(pinned);
      if (url.protocol === 'https:' && isIP(hostname) === 0) options.servername = hostname;
    }
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    let req: ClientRequest;
    try {
      req = send(options);
    } catch (error) {
      // A connection refused synchronously (invalid options, an interposed socket guard).
      reject(new AttemptError({ type: 'network', error }));
      return;
    }
    const timer = setTimeout(() => finish({ failure: { type: 'timeout' } }), input.timeoutMs);

    if (pinned) {
      req.on('socket', (socket) => {
        // Runs before the request's own queued writes, so nothing is sent to a wrong peer.
        socket.prependListener('connect', () => {
          try {
            assertConnectedToPinned(socket.remoteAddress, pinned);
          } catch (error) {
            finish({ failure: { type: 'blocked', error: error as SsrfBlockedError } });
          }
        });
      });
    }
    req.on('error', (error) => {
      if (error instanceof SsrfBlockedError) finish({ failure: { type: 'blocked', error } });
      else finish({ failure: { type: 'network', error } });
    });
    req.on('response', (res) => {
      const limit = input.maxResponseBytes;
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > limit) {
        finish({ failure: { type: 'too_large', limit } });
        return;
      }
      const chunks: Buffer[] = [];
      let received = 0;
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > limit) finish({ failure: { type: 'too_large', limit } });
        else chunks.push(chunk);
      });
      res.on('end', () =>
        finish({
          response: { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) },
        }),
      );
      res.on('error', (error) => finish({ failure: { type: 'network', error } }));
      res.on('close', () => {
        if (!res.complete)
          finish({ failure: { type: 'network', error: new Error('response closed early') } });
      });
    });
    req.end(input.body);
  });
}

function makeResponse(
  raw: RawResponse,
  latencyMs: number,
  attempts: number,
  target: Target,
): OutboundResponse {
  return {
    ...raw,
    latencyMs,
    attempts,
    text: () => raw.body.toString('utf8'),
    json: <T>() => {
      try {
        return JSON.parse(raw.body.toString('utf8')) as T;
      } catch {
        // The SyntaxError quotes the body, which may echo secrets; it is deliberately not the cause.
        throw new UpstreamError(
          `${target.method} ${target.host}${target.path} answered with malformed JSON`,
          {
            status: raw.status,
            host: target.host,
            attempts,
            response: raw,
          },
        );
      }
    },
  };
}

function errorForStatus(
  response: FailedResponse,
  target: Target,
  details: OutboundErrorDetails,
  hintMs: number | undefined,
  fallbackWaitMs: number,
): OutboundError | undefined {
  const { status } = response;
  const what = `${target.method} ${target.host}${target.path} answered ${status}`;
  if (status >= 200 && status < 300) return undefined;
  if (status === 304) return undefined;
  if (status >= 300 && status < 400) {
    const location = response.headers.location;
    return new OutboundRedirectError(
      `${what}; redirects are not followed, configure the final URL instead`,
      Array.isArray(location) ? location[0] : location,
      details,
    );
  }
  if (status === 401 || status === 403)
    return new OutboundAuthError(`${what}: credentials rejected`, details);
  if (status === 404) return new OutboundNotFoundError(`${what}: not found`, details);
  if (status === 429) {
    return new OutboundRateLimitedError(`${what}: rate limited`, (hintMs ?? fallbackWaitMs) / 1000, details);
  }
  if (status < 500) return new OutboundBadRequestError(`${what}: request refused`, details);
  return new UpstreamError(`${what}: server error`, {
    ...details,
    retryable: RETRYABLE_STATUSES.has(status),
  });
}

function errorForFailure(
  failure: AttemptFailure,
  target: Target,
  timeoutMs: number,
  details: OutboundErrorDetails,
): OutboundError | SsrfBlockedError {
  const what = `${target.method} ${target.host}${target.path}`;
  switch (failure.type) {
    case 'blocked':
      return failure.error;
    case 'timeout':
      return new OutboundTimeoutError(`${what} timed out after ${timeoutMs} ms`, timeoutMs, details);
    case 'too_large':
      return new UpstreamError(
        `${what} answered with a body larger than the ${failure.limit}-byte limit`,
        details,
      );
    case 'network': {
      const code = (failure.error as NodeJS.ErrnoException | undefined)?.code;
      const tls = code !== undefined && /CERT|TLS|SIGNATURE|SSL/.test(code);
      return new UpstreamError(`${what} failed: ${code ?? 'connection error'}`, {
        ...details,
        cause: failure.error,
        retryable: !tls && !(code !== undefined && NON_RETRYABLE_NETWORK_CODES.has(code)),
      });
    }
  }
}

/** Rebuilds a retryable error as "come back later" when the server asks for a wait the client won't sleep. */
function deferral(error: OutboundError, waitMs: number, details: OutboundErrorDetails): OutboundError {
  const seconds = waitMs / 1000;
  const message = `${error.message}; asked to wait ${Math.ceil(seconds)} s, longer than this client waits`;
  if (error instanceof UpstreamError) {
    return new UpstreamError(message, {
      ...details,
      retryable: true,
      retryAfterSeconds: seconds,
      cause: error,
    });
  }
  return new OutboundRateLimitedError(message, seconds, { ...details, cause: error });
}

/**
 * Creates the outbound client. Build it once at module scope and inject it into adapters; every
 * option has a production default, and tests override the clock, randomness, sleep and SSRF policy.
 */
export function createOutboundClient(options: OutboundClientOptions = {}): OutboundClient {
  const log = options.logger ?? platformLogger;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const userAgent = options.userAgent ?? DEFAULT_USER_AGENT;

  async function request(req: OutboundRequest): Promise<OutboundResponse> {
    const retry: RetryPolicy = { ...DEFAULT_RETRY, ...options.retry, ...req.retry };
    const attempts = Math.max(1, Math.floor(retry.attempts));
    const timeoutMs = req.timeoutMs ?? options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const maxResponseBytes = req.maxResponseBytes ?? options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    const maxRetryWaitMs = req.maxRetryWaitMs ?? options.maxRetryWaitMs ?? DEFAULT_MAX_RETRY_WAIT_MS;
    const method = req.method.toUpperCase();
    const userSupplied = req.userSuppliedUrl ?? false;

    let url: URL;
    try {
      url = buildUrl(req.url, req.query);
    } catch (error) {
      if (userSupplied) throw new SsrfBlockedError('invalid_url', 'The URL is not a valid absolute URL.');
      throw error;
    }

    const headers: Record<string, string> = { 'user-agent': userAgent };
    for (const [name, value] of Object.entries(req.headers ?? {})) {
      if (value !== undefined) headers[name.toLowerCase()] = value;
    }
    const secrets: (string | undefined)[] = [...(req.redact ?? [])];
    for (const [name, value] of Object.entries(headers)) {
      if (!looksSecret(name)) continue;
      secrets.push(value);
      // `Bearer abc` / `Basic abc`: the credential alone can surface in messages too.
      const space = value.indexOf(' ');
      if (space > 0) secrets.push(value.slice(space + 1));
    }
    for (const [key, value] of url.searchParams) if (looksSecret(key)) secrets.push(value);
    if (url.password !== '') secrets.push(decodeURIComponent(url.password));
    const redactor = new Redactor(secrets);
    const target = describeTarget(method, url, userSupplied, redactor);
    const logFields = { method, host: target.host, path: target.path };

    const { bytes, contentType } = encodeBody(req.body);
    if (bytes !== undefined) {
      headers['content-type'] ??= contentType ?? 'application/octet-stream';
      headers['content-length'] = String(bytes.length);
    }

    let pinned: PinnedTarget | undefined;
    if (userSupplied) {
      try {
        pinned = await pinUserUrl(url, options.ssrf);
      } catch (error) {
        if (error instanceof SsrfBlockedError) {
          log.warn('outbound request blocked', { ...logFields, reason: error.reason });
        }
        throw error;
      }
    }

    for (let attempt = 1; ; attempt += 1) {
      const started = now();
      const details: OutboundErrorDetails = { host: target.host, attempts: attempt };
      const backoffMs = random() * Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));
      let error: OutboundError | SsrfBlockedError;
      let hintMs: number | undefined;
      try {
        const raw = await sendOnce({
          url,
          method,
          headers,
          body: bytes,
          timeoutMs,
          maxResponseBytes,
          pinned,
        });
        const latencyMs = now() - started;
        const response = makeResponse(raw, latencyMs, attempt, target);
        hintMs = RETRYABLE_STATUSES.has(raw.status) ? retryAfterMs(raw.headers, now()) : undefined;
        const responseDetails = { ...details, status: raw.status, response: raw };
        const classified = req.classify?.(response);
        if (classified instanceof OutboundRateLimitedError && hintMs === undefined) {
          hintMs = retryAfterMs(raw.headers, now()) ?? classified.retryAfterSeconds * 1000;
        }
        const failure =
          classified ??
          errorForStatus(raw, target, responseDetails, hintMs, Math.max(backoffMs, retry.maxDelayMs));
        if (failure === undefined) {
          log.info('outbound request', { ...logFields, status: raw.status, latencyMs, attempt });
          return response;
        }
        if (userSupplied && failure instanceof OutboundRedirectError) {
          // A redirect from a user-supplied URL is how an allowed host hands a request to an internal
          // one: refuse it as the SSRF policy would refuse the target itself.
          log.warn('outbound request', {
            ...logFields,
            status: raw.status,
            latencyMs,
            attempt,
            error: 'ssrf_blocked',
          });
          throw new SsrfBlockedError(
            'redirect',
            'The URL answered with a redirect. Vigil never follows redirects from user-supplied URLs; configure the final URL.',
          );
        }
        error = failure;
      } catch (thrown) {
        if (!(thrown instanceof AttemptError)) throw thrown;
        error = errorForFailure(thrown.failure, target, timeoutMs, details);
      }

      const latencyMs = now() - started;
      const status = error instanceof OutboundError ? error.status : undefined;
      const kind = error instanceof OutboundError ? error.kind : 'ssrf_blocked';
      if (error instanceof OutboundError && error.retryable && attempt < attempts) {
        if (hintMs !== undefined && hintMs > maxRetryWaitMs) {
          const deferred = deferral(error, hintMs, { ...details, status });
          log.warn('outbound request deferred', {
            ...logFields,
            status,
            kind,
            latencyMs,
            attempt,
            waitMs: hintMs,
          });
          throw scrubbed(deferred, redactor);
        }
        const delayMs = Math.round(hintMs ?? backoffMs);
        log.warn('outbound request retrying', { ...logFields, status, kind, latencyMs, attempt, delayMs });
        await sleep(delayMs);
        continue;
      }
      const final = scrubbed(error, redactor);
      log.warn('outbound request failed', {
        ...logFields,
        status,
        kind,
        latencyMs,
        attempt,
        error: final.message,
      });
      throw final;
    }
  }

  return { request };
}

/** Makes sure no configured secret survives in a thrown message (e.g. one an adapter's classify built). */
function scrubbed<E extends Error>(error: E, redactor: Redactor): E {
  const clean = redactor.scrub(error.message);
  if (clean !== error.message) Object.defineProperty(error, 'message', { value: clean, configurable: true });
  return error;
}
