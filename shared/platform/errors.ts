/**
 * Typed errors of the platform. Every error a request can end in is one of these classes; the HTTP
 * edge maps them to `application/problem+json` in exactly one place (`shared/platform/http/problem.ts`).
 * `code` is the stable machine-readable identifier clients may switch on; `status` the HTTP status.
 */
export interface FieldIssue {
  /** Dotted path of the offending field, e.g. `body.indicators.0.value`. */
  path: string;
  message: string;
  code: string;
}

export class VigilError extends Error {
  override readonly name: string = 'VigilError';
  readonly status: number = 500;
  readonly code: string = 'internal_error';
  /** Extra members of the problem document; must never contain secrets or internals. */
  readonly extensions: Record<string, unknown> = {};

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }

  /** Only client errors expose their message; 5xx responses say nothing about internals. */
  get expose(): boolean {
    return this.status < 500;
  }
}

export class BadRequestError extends VigilError {
  override readonly name = 'BadRequestError';
  override readonly status = 400;
  override readonly code: string;
  constructor(message: string, code = 'bad_request', options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export class MalformedJsonError extends VigilError {
  override readonly name = 'MalformedJsonError';
  override readonly status = 400;
  override readonly code = 'malformed_json';
}

export class ValidationError extends VigilError {
  override readonly name = 'ValidationError';
  override readonly status = 400;
  override readonly code = 'validation_failed';
  override readonly extensions: { errors: FieldIssue[] };
  constructor(issues: FieldIssue[]) {
    super('The request is not valid. See `errors` for each field.');
    this.extensions = { errors: issues };
  }
}

export class UnauthorizedError extends VigilError {
  override readonly name = 'UnauthorizedError';
  override readonly status = 401;
  override readonly code: string;
  constructor(message = 'Authentication is required.', code = 'unauthorized') {
    super(message);
    this.code = code;
  }
}

export class ForbiddenError extends VigilError {
  override readonly name = 'ForbiddenError';
  override readonly status = 403;
  override readonly code: string;
  constructor(message = 'You do not have permission to do this.', code = 'forbidden') {
    super(message);
    this.code = code;
  }
}

export class NotFoundError extends VigilError {
  override readonly name = 'NotFoundError';
  override readonly status = 404;
  override readonly code: string;
  constructor(message = 'Not found.', code = 'not_found') {
    super(message);
    this.code = code;
  }
}

export class RouteNotFoundError extends VigilError {
  override readonly name = 'RouteNotFoundError';
  override readonly status = 404;
  override readonly code = 'route_not_found';
  constructor(method: string, path: string) {
    super(`No route matches ${method} ${path}.`);
  }
}

export class MethodNotAllowedError extends VigilError {
  override readonly name = 'MethodNotAllowedError';
  override readonly status = 405;
  override readonly code = 'method_not_allowed';
  readonly allow: string[];
  constructor(method: string, path: string, allow: string[]) {
    super(`${method} is not allowed on ${path}. Allowed: ${allow.join(', ')}.`);
    this.allow = allow;
  }
}

export class ConflictError extends VigilError {
  override readonly name = 'ConflictError';
  override readonly status = 409;
  override readonly code: string;
  constructor(message: string, code = 'conflict') {
    super(message);
    this.code = code;
  }
}

export class PayloadTooLargeError extends VigilError {
  override readonly name = 'PayloadTooLargeError';
  override readonly status = 413;
  override readonly code = 'payload_too_large';
  constructor(limitBytes: number) {
    super(`The request body is larger than the limit of ${limitBytes} bytes.`);
    this.extensions.limitBytes = limitBytes;
  }
}

export class UnsupportedMediaTypeError extends VigilError {
  override readonly name = 'UnsupportedMediaTypeError';
  override readonly status = 415;
  override readonly code = 'unsupported_media_type';
}

export class RateLimitedError extends VigilError {
  override readonly name = 'RateLimitedError';
  override readonly status = 429;
  override readonly code = 'rate_limited';
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number, message = 'Too many requests. Try again later.') {
    super(message);
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterSeconds));
  }
}

export class ServiceUnavailableError extends VigilError {
  override readonly name = 'ServiceUnavailableError';
  override readonly status = 503;
  override readonly code = 'service_unavailable';
}
