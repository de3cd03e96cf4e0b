import type * as z from 'zod';
import type { Permission } from '../../identity/permissions';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * How a route authenticates. `public` routes skip the authorizer; `principal` routes accept a JWT
 * access token or an API key (the authorizer arrives with the identity context).
 */
export type AuthKind = 'public' | 'principal';

export interface ResponseDef {
  description: string;
  /** Body schema; omitted for bodiless responses. */
  schema?: z.ZodType;
  /** Defaults to `application/json`. */
  contentType?: string;
}

/**
 * One row of the route table: the single source for the CDK routes, the local gateway, request
 * validation and the OpenAPI document.
 */
export interface RouteDef<
  TBody extends z.ZodType = z.ZodType,
  TQuery extends z.ZodType = z.ZodType,
  TParams extends z.ZodType = z.ZodType,
> {
  operationId: string;
  method: HttpMethod;
  /** API Gateway style path with `{param}` placeholders, e.g. `/v1/users/{id}`. */
  path: string;
  /** Id of the Lambda (in `infra/lambdas.ts`) that serves the route. */
  fn: string;
  auth: AuthKind;
  /** Required permission; `null` only on public routes. */
  permission: Permission | null;
  summary: string;
  description?: string;
  tags: string[];
  request?: { body?: TBody; query?: TQuery; params?: TParams };
  responses: Record<number, ResponseDef>;
  /** `local` routes exist only on the local target (never routed in AWS). Default `all`. */
  target?: 'all' | 'local';
  /** Maximum accepted request body in bytes; defaults to the platform limit. */
  maxBodyBytes?: number;
  /**
   * How a state-changing `principal` route is audited. `auto` (default): the handler stack records
   * `api.<operationId>` with its outcome. `self`: the use case writes its own, richer events.
   */
  audit?: 'auto' | 'self';
}

/** Routes that change state on behalf of a principal: every one of them leaves an audit event. */
export function isAuditedChange(route: Pick<RouteDef, 'method' | 'auth'>): boolean {
  return route.auth === 'principal' && route.method !== 'GET';
}

/** Identity helper that keeps the literal types of a route's schemas. */
export function defineRoute<TBody extends z.ZodType, TQuery extends z.ZodType, TParams extends z.ZodType>(
  route: RouteDef<TBody, TQuery, TParams>,
): RouteDef<TBody, TQuery, TParams> {
  return route;
}

/** API Gateway v2 route key, e.g. `GET /v1/users/{id}`. */
export function routeKey(route: Pick<RouteDef, 'method' | 'path'>): string {
  return `${route.method} ${route.path}`;
}

/** WebSocket route handled by one Lambda. */
export interface WsRouteDef {
  routeKey: '$connect' | '$disconnect' | '$default';
  fn: string;
  description: string;
}
