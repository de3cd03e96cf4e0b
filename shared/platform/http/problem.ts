import { MethodNotAllowedError, RateLimitedError, VigilError } from '../errors';

/**
 * The one place where errors become HTTP responses: an RFC 9457 problem document with a stable
 * `code`. Client errors (4xx) expose their message; anything else becomes a generic 500 that says
 * nothing about internals (no message, no stack, no cause).
 */
export interface ProblemResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

const problemTypeBase = 'https://vigil.dev/problems/';

const titles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

export function problemResponse(
  error: unknown,
  context: { requestId: string; instance?: string },
): ProblemResponse {
  const known = error instanceof VigilError ? error : undefined;
  const status = known?.status ?? 500;
  const code = known?.code ?? 'internal_error';
  const expose = known?.expose ?? false;
  const body: Record<string, unknown> = {
    type: `${problemTypeBase}${code}`,
    title: titles[status] ?? 'Error',
    status,
    code,
    detail: expose ? known?.message : 'An unexpected error occurred. Quote the request id when reporting it.',
    instance: context.instance,
    requestId: context.requestId,
  };
  if (known && expose) Object.assign(body, known.extensions);
  const headers: Record<string, string> = { 'content-type': 'application/problem+json' };
  if (error instanceof MethodNotAllowedError) headers.allow = error.allow.join(', ');
  if (error instanceof RateLimitedError) headers['retry-after'] = String(error.retryAfterSeconds);
  return { statusCode: status, headers, body: JSON.stringify(body) };
}
