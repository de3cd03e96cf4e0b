import { randomUUID } from 'node:crypto';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import * as z from 'zod';
import type { AuditLog } from '../../audit/chain';
import type { Permission } from '../../identity/permissions';
import type { SecurityEvents } from '../../identity/ports';
import type { Principal } from '../../identity/principal';
import { intEnv, listEnv } from '../config';
import {
  type FieldIssue,
  ForbiddenError,
  MalformedJsonError,
  PayloadTooLargeError,
  RateLimitedError,
  RouteNotFoundError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  ValidationError,
  VigilError,
} from '../errors';
import { logger, metrics } from '../observability';
import type { RateLimiter } from '../rate-limit';
import { apiSecurityHeaders, type CorsConfig, corsHeaders } from './headers';
import { injectionProbes } from './injection';
import { problemResponse } from './problem';
import { isAuditedChange, type RouteDef, routeKey } from './route';

/** Default request body limit (bytes); routes may set their own `maxBodyBytes`. */
export const defaultMaxBodyBytes = 1_048_576;

/** Validated input a route implementation receives. */
export interface HttpRequest<TBody, TQuery, TParams> {
  method: string;
  /** Raw request path as received. */
  path: string;
  body: TBody;
  query: TQuery;
  params: TParams;
  headers: Readonly<Record<string, string | undefined>>;
  requestId: string;
  sourceIp: string;
  userAgent: string;
  /** Present on `principal` routes; the tenant id always comes from here. */
  principal: Principal | undefined;
}

/** An explicit response; route implementations may also return a plain value (200 JSON). */
export class HttpResponse {
  constructor(
    readonly statusCode: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
    /** `json` serializes `body`; `raw` sends a string or Buffer as is. */
    readonly encoding: 'json' | 'raw' = 'json',
  ) {}
}

export function reply(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return new HttpResponse(statusCode, body, headers);
}

type Infer<T> = T extends z.ZodType ? z.output<T> : undefined;

export interface RouteImpl {
  /** API Gateway route key this implementation answers (`GET /health`, `$default`). */
  key: string;
  route: RouteDef;
  run: (request: HttpRequest<unknown, unknown, unknown>) => Promise<unknown>;
}

/** Binds an implementation to a route row with the row's schema types. */
export function implement<R extends RouteDef>(
  route: R,
  run: (
    request: HttpRequest<
      Infer<NonNullable<NonNullable<R['request']>['body']>>,
      Infer<NonNullable<NonNullable<R['request']>['query']>>,
      Infer<NonNullable<NonNullable<R['request']>['params']>>
    >,
  ) => Promise<unknown>,
): RouteImpl {
  return { key: routeKey(route), route, run: run as RouteImpl['run'] };
}

/** Implementation of API Gateway's `$default` route (requests no other route matched). */
export function implementDefault(
  run: (request: HttpRequest<unknown, unknown, unknown>) => Promise<unknown>,
): RouteImpl {
  const route: RouteDef = {
    operationId: 'default',
    method: 'GET',
    path: '$default',
    fn: 'platform-fallback',
    auth: 'public',
    permission: null,
    summary: 'Requests no route matched',
    tags: [],
    responses: {},
  };
  return { key: '$default', route, run };
}

export interface HttpOptions {
  cors?: CorsConfig;
  /** Powertools Tracer for handler subsegments; omitted where Lambda's active tracing suffices. */
  tracer?: Tracer;
  /** Per-principal request limit on `principal` routes (`API_RATE_LIMIT_PER_SECOND`, default 10). */
  limiter?: RateLimiter;
  /**
   * Where refused requests (403) are recorded as `permission.denied`, and state-changing requests as
   * `api.<operationId>` (unless their route audits itself). Required when any route changes state.
   */
  audit?: AuditLog;
  /** Where refusals and rate-limit violations count towards the tenant's security metrics. */
  securityEvents?: SecurityEvents;
}

type Event = APIGatewayProxyEventV2 & {
  requestContext: APIGatewayProxyEventV2['requestContext'] & {
    authorizer?: { lambda?: Record<string, unknown> };
  };
};

interface State {
  requestId: string;
  route: RouteImpl | undefined;
}

const requestIdPattern = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * Builds the Lambda handler for one or more routes with the fixed middy stack: request id and
 * correlation, Powertools logging and metrics, JSON body parsing with a size limit, zod validation,
 * permission check, and errors mapped to problem+json in one place. Handlers never assemble their own.
 */
export function httpHandler(impls: readonly RouteImpl[], options: HttpOptions = {}) {
  const byKey = new Map(impls.map((impl) => [impl.key, impl]));
  const unaudited = impls.filter((impl) => isAuditedChange(impl.route) && !options.audit);
  if (unaudited.length > 0) {
    throw new Error(`State-changing routes need an audit log: ${unaudited.map((i) => i.key).join(', ')}`);
  }
  const cors: CorsConfig = options.cors ?? { allowedOrigins: listEnv('CORS_ALLOWED_ORIGINS') };
  const platformMaxBody = intEnv('MAX_BODY_BYTES', defaultMaxBodyBytes);
  const perPrincipalPerSecond = intEnv('API_RATE_LIMIT_PER_SECOND', 10);
  const states = new WeakMap<object, State>();

  const core = async (event: Event): Promise<APIGatewayProxyStructuredResultV2> => {
    const state = states.get(event);
    const impl = state?.route;
    if (!impl || !state) throw new RouteNotFoundError(event.requestContext.http.method, event.rawPath);
    const { route } = impl;
    const principal = route.auth === 'public' ? undefined : authenticate(event);
    if (principal && route.permission && !principal.permissions.has(route.permission)) {
      await options.audit?.append({
        tenantId: principal.tenantId,
        actor: { type: principal.type, id: principal.id },
        action: 'permission.denied',
        resourceType: 'route',
        resourceId: routeKey(route),
        outcome: 'denied',
        ip: event.requestContext.http.sourceIp,
        userAgent: event.requestContext.http.userAgent,
        details: { permission: route.permission },
      });
      await options.securityEvents?.record({
        type: 'permission.denied',
        severity: 'low',
        tenantId: principal.tenantId,
        details: { principalId: principal.id, route: routeKey(route), permission: route.permission },
      });
      throw new ForbiddenError(
        `This action needs the '${route.permission}' permission.`,
        'permission_denied',
      );
    }
    if (principal && options.limiter) {
      const decision = await options.limiter.hit(
        `api:${principal.tenantId}:${principal.id}`,
        perPrincipalPerSecond,
        1,
      );
      if (!decision.allowed) {
        // Counted once per window, not once per refused request, so a flood is one violation per second.
        if (decision.count === perPrincipalPerSecond + 1) {
          await options.securityEvents?.record({
            type: 'api.rate_limited',
            severity: 'low',
            tenantId: principal.tenantId,
            details: { principalId: principal.id, route: routeKey(route) },
          });
        }
        throw new RateLimitedError(decision.retryAfterSeconds);
      }
    }
    const body = parseBody(event, route, route.maxBodyBytes ?? platformMaxBody);
    if (principal && options.securityEvents) {
      const found = injectionProbes([body, event.queryStringParameters, event.pathParameters]);
      if (found.length > 0) {
        await options.securityEvents.record({
          type: 'security.injection_attempt',
          severity: 'medium',
          tenantId: principal.tenantId,
          details: { principalId: principal.id, route: routeKey(route), probes: found },
        });
      }
    }
    const issues: FieldIssue[] = [];
    const input = {
      body: validatePart('body', route.request?.body, body, issues),
      query: validatePart('query', route.request?.query, event.queryStringParameters ?? {}, issues),
      params: validatePart('params', route.request?.params, event.pathParameters ?? {}, issues),
    };
    if (issues.length > 0) throw new ValidationError(issues);
    const autoAudit =
      principal && options.audit && isAuditedChange(route) && route.audit !== 'self'
        ? (outcome: 'success' | 'failure', details?: Record<string, unknown>) =>
            options.audit?.append({
              tenantId: principal.tenantId,
              actor: { type: principal.type, id: principal.id },
              action: `api.${route.operationId}`,
              resourceType: route.tags[0] ?? 'api',
              resourceId: typeof event.pathParameters?.id === 'string' ? event.pathParameters.id : undefined,
              outcome,
              ip: event.requestContext.http.sourceIp,
              userAgent: event.requestContext.http.userAgent,
              details: { route: routeKey(route), ...details },
            })
        : undefined;
    let result: unknown;
    try {
      result = await impl.run({
        ...input,
        method: event.requestContext.http.method,
        path: event.rawPath,
        headers: event.headers ?? {},
        requestId: state.requestId,
        sourceIp: event.requestContext.http.sourceIp,
        userAgent: event.requestContext.http.userAgent,
        principal,
      });
    } catch (error) {
      await autoAudit?.('failure', { status: error instanceof VigilError ? error.status : 500 });
      throw error;
    }
    const response = result instanceof HttpResponse ? result : new HttpResponse(200, result);
    await autoAudit?.(response.statusCode < 400 ? 'success' : 'failure', { status: response.statusCode });
    return toResult(response);
  };

  const requestContext: MiddlewareObj<Event, APIGatewayProxyStructuredResultV2> = {
    before: (request) => {
      const event = request.event;
      const supplied = event.headers?.['x-request-id'];
      const requestId =
        supplied && requestIdPattern.test(supplied)
          ? supplied
          : (event.requestContext?.requestId ?? randomUUID());
      states.set(event, { requestId, route: byKey.get(event.routeKey) });
      logger.setCorrelationId(requestId);
      logger.appendKeys({ routeKey: event.routeKey });
      metrics.addMetric('Requests', 'Count', 1);
    },
    after: (request) => decorate(request.event, request.response),
    onError: (request) => {
      const event = request.event;
      const requestId = states.get(event)?.requestId ?? randomUUID();
      const error = request.error;
      const problem = problemResponse(error, { requestId, instance: event.rawPath });
      if (problem.statusCode >= 500) {
        logger.error('request failed', { err: error });
        metrics.addMetric('ServerErrors', 'Count', 1);
      } else {
        metrics.addMetric('ClientErrors', 'Count', 1);
        logger.info('request rejected', { status: problem.statusCode, code: JSON.parse(problem.body).code });
      }
      request.response = { ...problem };
      decorate(event, request.response);
    },
  };

  const decorate = (event: Event, response: APIGatewayProxyStructuredResultV2 | null | undefined): void => {
    if (!response) return;
    const requestId = states.get(event)?.requestId;
    response.headers = {
      ...apiSecurityHeaders,
      ...corsHeaders(cors, event.headers?.origin),
      ...(response.headers ?? {}),
      ...(requestId ? { 'x-request-id': requestId } : {}),
    };
  };

  const stack = middy<Event, APIGatewayProxyStructuredResultV2, Error, Context>();
  if (options.tracer) stack.use(captureLambdaHandler(options.tracer, { captureResponse: false }));
  return stack
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .use(requestContext)
    .handler(core);
}

function toResult(response: HttpResponse): APIGatewayProxyStructuredResultV2 {
  if (response.encoding === 'raw') {
    const raw = response.body;
    if (Buffer.isBuffer(raw)) {
      return {
        statusCode: response.statusCode,
        headers: response.headers,
        body: raw.toString('base64'),
        isBase64Encoded: true,
      };
    }
    return { statusCode: response.statusCode, headers: response.headers, body: String(raw ?? '') };
  }
  if (response.body === undefined) return { statusCode: response.statusCode, headers: response.headers };
  return {
    statusCode: response.statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', ...response.headers },
    body: JSON.stringify(response.body),
  };
}

function parseBody(event: Event, route: RouteDef, limit: number): unknown {
  const raw = event.body;
  if (raw === undefined || raw === null || raw === '') return undefined;
  const buffer = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (buffer.byteLength > limit) throw new PayloadTooLargeError(limit);
  if (!route.request?.body) return undefined;
  const contentType = (event.headers?.['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (contentType !== 'application/json' && !contentType.endsWith('+json')) {
    throw new UnsupportedMediaTypeError('Send the request body as application/json.');
  }
  try {
    return JSON.parse(buffer.toString('utf8'));
  } catch {
    throw new MalformedJsonError('The request body is not valid JSON.');
  }
}

function validatePart(
  part: string,
  schema: z.ZodType | undefined,
  value: unknown,
  issues: FieldIssue[],
): unknown {
  if (!schema) return value;
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    issues.push({
      path: [part, ...issue.path.map(String)].join('.'),
      message: issue.message,
      code: issue.code,
    });
  }
  return undefined;
}

const authorizerContext = z.object({
  authenticated: z.literal('true'),
  tenantId: z.string().min(1),
  principalId: z.string().min(1),
  principalType: z.enum(['user', 'apiKey']),
  permissions: z.string(),
  jti: z.string().optional(),
  exp: z.coerce.number().optional(),
  sid: z.string().optional(),
});

const rejectedContext = z.object({
  authenticated: z.literal('false'),
  reason: z.string().regex(/^[a-z_]{1,40}$/),
});

/**
 * Reads the principal the authorizer attached (the route's permission is checked by the caller). The authorizer
 * admits every request and says `authenticated: 'false'` with a reason for a bad token, so the caller
 * gets a 401 problem document here rather than API Gateway's bare 403.
 */
function authenticate(event: Event): Principal {
  const context = event.requestContext.authorizer?.lambda;
  const parsed = authorizerContext.safeParse(context);
  if (!parsed.success) {
    const rejected = rejectedContext.safeParse(context);
    throw rejected.success
      ? new UnauthorizedError(
          'The access token is missing, invalid, expired or revoked.',
          rejected.data.reason,
        )
      : new UnauthorizedError();
  }
  const { jti, exp, sid } = parsed.data;
  const principal: Principal = {
    tenantId: parsed.data.tenantId,
    id: parsed.data.principalId,
    type: parsed.data.principalType,
    permissions: new Set(parsed.data.permissions.split(',').filter(Boolean) as Permission[]),
    ...(jti && exp ? { token: { jti, exp } } : {}),
    ...(sid ? { sessionId: sid } : {}),
  };
  return principal;
}
