import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { localLambdaContext } from '../../../infra/local/lambda-context';
import type { AuditEventInput, AuditLog } from '../../../shared/audit/chain';
import { ConflictError } from '../../../shared/platform/errors';
import { unknownRoute } from '../../../shared/platform/fallback';
import { httpHandler, implement, implementDefault, reply } from '../../../shared/platform/http/handler';
import { defineRoute } from '../../../shared/platform/http/route';
import { RouteMatcher } from '../../../shared/platform/route-match';
import { loadEvent } from '../../support/events';

const echoRoute = defineRoute({
  operationId: 'echo',
  method: 'POST',
  path: '/v1/test',
  fn: 'test',
  auth: 'public',
  permission: null,
  summary: 'echo',
  tags: [],
  maxBodyBytes: 1024,
  request: {
    body: z.object({ name: z.string().min(1).max(20), count: z.number().int().optional() }),
    query: z.object({ verbose: z.enum(['true', 'false']).optional() }),
  },
  responses: { 201: { description: 'ok' } },
});

const guardedRoute = defineRoute({
  operationId: 'guarded',
  method: 'GET',
  path: '/v1/guarded',
  fn: 'test',
  auth: 'principal',
  permission: 'intel:read',
  summary: 'guarded',
  tags: [],
  responses: { 200: { description: 'ok' } },
});

const adminRoute = defineRoute({ ...guardedRoute, path: '/v1/admin', permission: 'user:manage' });

const crashRoute = defineRoute({ ...guardedRoute, auth: 'public', permission: null, path: '/v1/crash' });

const handler = httpHandler(
  [
    implement(echoRoute, async ({ body, query }) =>
      reply(201, { hello: body.name, verbose: query.verbose ?? null }),
    ),
    implement(guardedRoute, async ({ principal }) => ({ tenant: principal?.tenantId })),
    implement(adminRoute, async () => ({ ok: true })),
    implement(crashRoute, async () => {
      throw new Error('connection to db-internal.vpc failed with password hunter2');
    }),
    implementDefault(async ({ method, path }) =>
      unknownRoute(new RouteMatcher([echoRoute, guardedRoute, adminRoute, crashRoute]))(method, path),
    ),
  ],
  { cors: { allowedOrigins: ['https://console.example.com'] } },
);

function postEvent(
  mutate: (event: APIGatewayProxyEventV2) => void = () => undefined,
): APIGatewayProxyEventV2 {
  const event = loadEvent<APIGatewayProxyEventV2>('apigw-http/post-json');
  mutate(event);
  return event;
}

function getEvent(path: string, method = 'GET', routeKey = `${method} ${path}`): APIGatewayProxyEventV2 {
  return postEvent((event) => {
    event.routeKey = routeKey;
    event.rawPath = path;
    event.requestContext.http.method = method;
    event.requestContext.http.path = path;
    event.body = undefined;
  });
}

async function invoke(event: APIGatewayProxyEventV2) {
  const result = (await handler(
    event as never,
    localLambdaContext('test'),
  )) as APIGatewayProxyStructuredResultV2;
  const headers = (result.headers ?? {}) as Record<string, string>;
  return {
    status: result.statusCode,
    headers,
    json: result.body ? JSON.parse(result.body) : undefined,
    raw: result.body,
  };
}

describe('shared HTTP stack', () => {
  it('parses and validates the body and query, and returns the route result as JSON', async () => {
    const res = await invoke(postEvent());

    expect(res.status).toBe(201);
    expect(res.json).toEqual({ hello: 'example', verbose: 'true' });
    expect(res.headers['content-type']).toMatch(/^application\/json/);
  });

  it('adds security headers, no-store and the request id to every response', async () => {
    const res = await invoke(postEvent());

    expect(res.headers).toMatchObject({
      'strict-transport-security': expect.stringContaining('max-age='),
      'x-content-type-options': 'nosniff',
      'content-security-policy': expect.stringContaining("frame-ancestors 'none'"),
      'cache-control': 'no-store',
      'x-request-id': 'Hk3cEiR2joEEMsB=',
    });
  });

  it('echoes a well-formed client x-request-id and ignores a malicious one', async () => {
    const good = await invoke(postEvent((e) => (e.headers['x-request-id'] = 'client-req-12345678')));
    const bad = await invoke(postEvent((e) => (e.headers['x-request-id'] = 'x\r\nset-cookie: a=b')));

    expect(good.headers['x-request-id']).toBe('client-req-12345678');
    expect(bad.headers['x-request-id']).toBe('Hk3cEiR2joEEMsB=');
  });

  it('answers malformed JSON with 400 malformed_json problem+json', async () => {
    const res = await invoke(postEvent((e) => (e.body = '{"name": ')));

    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.json).toMatchObject({ status: 400, code: 'malformed_json', requestId: 'Hk3cEiR2joEEMsB=' });
  });

  it('answers schema violations with 400 and one entry per field', async () => {
    const res = await invoke(
      postEvent((e) => {
        e.body = JSON.stringify({ name: '', count: 1.5 });
        e.queryStringParameters = { verbose: 'maybe' };
      }),
    );

    expect(res.status).toBe(400);
    expect(res.json.code).toBe('validation_failed');
    expect(res.json.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'body.count',
      'body.name',
      'query.verbose',
    ]);
  });

  it('answers a body over the route limit with 413', async () => {
    const res = await invoke(postEvent((e) => (e.body = JSON.stringify({ name: 'x'.repeat(2000) }))));

    expect(res.status).toBe(413);
    expect(res.json).toMatchObject({ code: 'payload_too_large', limitBytes: 1024 });
  });

  it('answers a non-JSON content type with 415', async () => {
    const res = await invoke(postEvent((e) => (e.headers['content-type'] = 'text/plain')));

    expect(res.status).toBe(415);
    expect(res.json.code).toBe('unsupported_media_type');
  });

  it('turns an unexpected error into a 500 that reveals nothing', async () => {
    const res = await invoke(getEvent('/v1/crash'));

    expect(res.status).toBe(500);
    expect(res.json.code).toBe('internal_error');
    expect(res.raw).not.toMatch(/hunter2|db-internal|at .*\.ts/);
  });

  it('refuses principal routes without an authorizer context (401) or without the permission (403)', async () => {
    const anonymousEvent = getEvent('/v1/guarded');
    delete (anonymousEvent.requestContext as { authorizer?: unknown }).authorizer;

    const allowed = await invoke(getEvent('/v1/guarded'));
    const anonymous = await invoke(anonymousEvent);
    const forbidden = await invoke(getEvent('/v1/admin'));

    expect(allowed.status).toBe(200);
    expect(allowed.json).toEqual({ tenant: 't_01HZX3Q7K9' });
    expect(anonymous.status).toBe(401);
    expect(forbidden.status).toBe(403);
    expect(forbidden.json.code).toBe('permission_denied');
  });

  it('sets CORS headers only for configured origins', async () => {
    const allowed = await invoke(postEvent());
    const other = await invoke(postEvent((e) => (e.headers.origin = 'https://evil.example')));

    expect(allowed.headers['access-control-allow-origin']).toBe('https://console.example.com');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers unknown paths with 404 and known paths with the wrong method with 405 and Allow', async () => {
    const missing = await invoke(getEvent('/v1/nope', 'GET', '$default'));
    const wrongMethod = await invoke(getEvent('/v1/test', 'DELETE', '$default'));

    expect(missing.status).toBe(404);
    expect(missing.json.code).toBe('route_not_found');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.allow).toBe('POST');
    expect(wrongMethod.headers['content-type']).toBe('application/problem+json');
  });
});

describe('audit of state-changing requests', () => {
  const changeRoute = defineRoute({
    ...guardedRoute,
    operationId: 'changeThing',
    method: 'PUT',
    path: '/v1/things/{id}',
    tags: ['things'],
    request: { params: z.object({ id: z.string() }) },
  });
  const selfAuditedRoute = defineRoute({
    ...changeRoute,
    operationId: 'selfAudited',
    path: '/v1/self/{id}',
    audit: 'self',
  });
  const failingRoute = defineRoute({ ...changeRoute, operationId: 'failing', path: '/v1/failing/{id}' });

  const recorded: AuditEventInput[] = [];
  const audit: AuditLog = {
    append: async (event) => {
      recorded.push(event);
      return { ...event, id: 'e', time: '', seq: recorded.length, prevHash: '', hash: '' };
    },
  };
  const audited = httpHandler(
    [
      implement(changeRoute, async () => reply(204, undefined)),
      implement(selfAuditedRoute, async () => reply(204, undefined)),
      implement(failingRoute, async () => {
        throw new ConflictError('busy', 'busy');
      }),
    ],
    { audit },
  );
  const call = (path: string, routeKey: string) => {
    const event = getEvent(path, 'PUT', routeKey);
    event.pathParameters = { id: 'thing-1' };
    return audited(event as never, localLambdaContext('test'));
  };

  it('records the actor, route, resource and outcome of every change unless the route audits itself', async () => {
    recorded.length = 0;

    await call('/v1/things/thing-1', 'PUT /v1/things/{id}');
    await call('/v1/self/thing-1', 'PUT /v1/self/{id}');
    await call('/v1/failing/thing-1', 'PUT /v1/failing/{id}');

    expect(recorded).toEqual([
      expect.objectContaining({
        tenantId: 't_01HZX3Q7K9',
        action: 'api.changeThing',
        resourceType: 'things',
        resourceId: 'thing-1',
        outcome: 'success',
        details: { route: 'PUT /v1/things/{id}', status: 204 },
      }),
      expect.objectContaining({
        action: 'api.failing',
        outcome: 'failure',
        details: expect.objectContaining({ status: 409 }),
      }),
    ]);
  });

  it('refuses to build a handler with state-changing routes and no audit log', () => {
    expect(() => httpHandler([implement(changeRoute, async () => reply(204, undefined))])).toThrow(
      /need an audit log: PUT \/v1\/things\/\{id\}/,
    );
  });
});
