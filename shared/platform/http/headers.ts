/**
 * Response headers every API response carries: transport and content security, no caching of API
 * data (auth responses included), and CORS for configured origins only.
 */
export const apiSecurityHeaders: Readonly<Record<string, string>> = {
  'strict-transport-security': 'max-age=63072000; includeSubDomains; preload',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/** The API reference page loads its own script and stylesheet from `/docs/`; nothing else. */
export const docsPageSecurityHeaders: Readonly<Record<string, string>> = {
  ...apiSecurityHeaders,
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
  'cache-control': 'public, max-age=300',
};

export interface CorsConfig {
  /** Allowed origins; `*` allows any origin (never with credentials). Empty: CORS off. */
  allowedOrigins: readonly string[];
}

export const corsAllowedHeaders = 'authorization, content-type, x-api-key, x-request-id';
export const corsAllowedMethods = 'GET, POST, PUT, PATCH, DELETE, OPTIONS';
export const corsExposedHeaders = 'x-request-id, retry-after, allow';

/** CORS headers for a response to `origin`, or none when the origin is not allowed. */
export function corsHeaders(config: CorsConfig, origin: string | undefined): Record<string, string> {
  if (!origin || config.allowedOrigins.length === 0) return {};
  const allowed = config.allowedOrigins.includes('*') || config.allowedOrigins.includes(origin);
  if (!allowed) return {};
  return {
    'access-control-allow-origin': config.allowedOrigins.includes('*') ? '*' : origin,
    'access-control-expose-headers': corsExposedHeaders,
    vary: 'Origin',
  };
}

/** Headers answering a CORS preflight for an allowed origin. */
export function corsPreflightHeaders(config: CorsConfig, origin: string | undefined): Record<string, string> {
  const base = corsHeaders(config, origin);
  if (!base['access-control-allow-origin']) return {};
  return {
    ...base,
    'access-control-allow-methods': corsAllowedMethods,
    'access-control-allow-headers': corsAllowedHeaders,
    'access-control-max-age': '600',
  };
}
