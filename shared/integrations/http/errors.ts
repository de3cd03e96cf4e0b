import { BadRequestError } from '../../platform/errors';

/**
 * Errors of the outbound HTTP client. Every failed call to a provider or a user's endpoint ends in
 * exactly one of these, so adapters and queue workers switch on the class (`instanceof`) or on
 * `kind`, never on status codes or message text. Messages name the method, host and a redacted path;
 * they never carry credentials, query secrets or response bodies.
 */
export type OutboundErrorKind =
  | 'auth'
  | 'rate_limited'
  | 'quota_exhausted'
  | 'not_found'
  | 'bad_request'
  | 'upstream'
  | 'timeout';

/** What the client knew about the call when it failed. */
export interface OutboundErrorDetails {
  /** HTTP status of the response, when one arrived. */
  status?: number;
  /** Host of the called URL (never the path or query, which may hold secrets). */
  host?: string;
  /** Attempts made, including the one that failed. */
  attempts?: number;
  /** The response, for adapters that read a provider's error body; not enumerable, so never logged. */
  response?: FailedResponse;
  cause?: unknown;
}

/** The parts of a failed response an adapter may inspect to refine the error. */
export interface FailedResponse {
  status: number;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: Buffer;
}

export abstract class OutboundError extends Error {
  override readonly name: string = 'OutboundError';
  abstract readonly kind: OutboundErrorKind;
  readonly status: number | undefined;
  readonly host: string | undefined;
  readonly attempts: number;
  /** Whether trying again soon may succeed (network trouble, 502/503/504, throttling). */
  readonly retryable: boolean = false;
  declare readonly response: FailedResponse | undefined;

  constructor(message: string, details: OutboundErrorDetails = {}) {
    super(message, { cause: details.cause });
    this.status = details.status;
    this.host = details.host;
    this.attempts = details.attempts ?? 1;
    Object.defineProperty(this, 'response', { value: details.response, enumerable: false });
  }
}

/** 401/403: the credential is missing, wrong, revoked or lacks the permission. Not retried. */
export class OutboundAuthError extends OutboundError {
  override readonly name = 'OutboundAuthError';
  readonly kind = 'auth';
}

/**
 * 429, or a provider's "slow down" body: the caller should try again after `retryAfterSeconds`.
 * Thrown when retries are used up or the server asks for a longer wait than the client may sleep,
 * so a queue worker can delay the message instead of holding a Lambda.
 */
export class OutboundRateLimitedError extends OutboundError {
  override readonly name = 'OutboundRateLimitedError';
  readonly kind = 'rate_limited';
  override readonly retryable = true;
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number, details: OutboundErrorDetails = {}) {
    super(message, details);
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterSeconds));
  }
}

/**
 * The provider's daily or monthly quota is used up. Status codes do not tell this apart from a
 * short throttle (AbuseIPDB and GreyNoise answer 429, IPQS answers 200 with `success:false`), so
 * adapters raise it from their `classify` hook after reading the body. Never retried.
 */
export class QuotaExhaustedError extends OutboundError {
  override readonly name = 'QuotaExhaustedError';
  readonly kind = 'quota_exhausted';
  /** When the quota resets, if the provider said. */
  readonly resetsAt: Date | undefined;
  constructor(message: string, details: OutboundErrorDetails & { resetsAt?: Date } = {}) {
    super(message, details);
    this.resetsAt = details.resetsAt;
  }
}

/** 404: the resource (or, for some providers, the indicator) does not exist. */
export class OutboundNotFoundError extends OutboundError {
  override readonly name = 'OutboundNotFoundError';
  readonly kind = 'not_found';
}

/** Any other 4xx: the request is wrong and sending it again will not help. */
export class OutboundBadRequestError extends OutboundError {
  override readonly name: string = 'OutboundBadRequestError';
  readonly kind = 'bad_request';
}

/**
 * A 3xx answer. The client never follows redirects (a redirect is how an allowed public URL
 * reaches a blocked internal one), so the caller must be given the final URL instead.
 */
export class OutboundRedirectError extends OutboundBadRequestError {
  override readonly name = 'OutboundRedirectError';
  declare readonly location: string | undefined;
  constructor(message: string, location: string | undefined, details: OutboundErrorDetails = {}) {
    super(message, details);
    // The target may carry a token in its query; keep it off enumerable (logged) properties.
    Object.defineProperty(this, 'location', { value: location, enumerable: false });
  }
}

/** 5xx, a reset or refused connection, an oversized or malformed body. */
export class UpstreamError extends OutboundError {
  override readonly name = 'UpstreamError';
  readonly kind = 'upstream';
  override readonly retryable: boolean;
  /** Set when a 503 carried a `Retry-After` longer than the client may sleep. */
  readonly retryAfterSeconds: number | undefined;
  constructor(
    message: string,
    details: OutboundErrorDetails & { retryable?: boolean; retryAfterSeconds?: number } = {},
  ) {
    super(message, details);
    this.retryable = details.retryable ?? false;
    this.retryAfterSeconds =
      details.retryAfterSeconds === undefined ? undefined : Math.max(1, Math.ceil(details.retryAfterSeconds));
  }
}

/** The whole attempt (connect, send, headers and body) took longer than its deadline. */
export class OutboundTimeoutError extends OutboundError {
  override readonly name = 'OutboundTimeoutError';
  readonly kind = 'timeout';
  readonly timeoutMs: number;
  constructor(message: string, timeoutMs: number, details: OutboundErrorDetails = {}) {
    super(message, details);
    this.timeoutMs = timeoutMs;
  }
}

/** Why a user-supplied URL was refused; also the problem document's `reason` extension. */
export type SsrfBlockReason =
  | 'invalid_url'
  | 'scheme'
  | 'userinfo'
  | 'hostname'
  | 'address'
  | 'port'
  | 'dns'
  | 'rebinding'
  | 'redirect';

/**
 * A user-supplied URL points somewhere Vigil must not call: a loopback, private, link-local (cloud
 * metadata), CGNAT, multicast or otherwise non-public address, a non-HTTPS scheme, embedded
 * credentials or an internal port. It is the user's input that is wrong, so it maps to a 400 with
 * code `ssrf_blocked`; the message says what to change and never repeats the URL.
 */
export class SsrfBlockedError extends BadRequestError {
  readonly reason: SsrfBlockReason;
  constructor(reason: SsrfBlockReason, message: string, options?: { cause?: unknown }) {
    super(message, 'ssrf_blocked', options);
    // BadRequestError declares `name` as the literal 'BadRequestError'; set ours at run time.
    Object.defineProperty(this, 'name', { value: 'SsrfBlockedError', configurable: true, writable: true });
    this.reason = reason;
    this.extensions.reason = reason;
  }
}
