import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { lambdaById, lambdas } from '../../../infra/lambdas';
import { fallbackFunctionId, httpRoutes, wsRoutes } from '../../../shared/api/route-table';
import { permissions } from '../../../shared/identity/permissions';
import { isAuditedChange, type RouteDef } from '../../../shared/platform/http/route';
import { buildOpenApi } from '../../../shared/platform/openapi';
import { RouteMatcher } from '../../../shared/platform/route-match';

/** Checks the invariants every route must satisfy; exported shape so a broken row can be shown failing. */
function routeProblems(routes: readonly RouteDef[]): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  const keys = new Set<string>();
  for (const route of routes) {
    const key = `${route.method} ${route.path}`;
    if (ids.has(route.operationId)) problems.push(`duplicate operationId ${route.operationId}`);
    if (keys.has(key)) problems.push(`duplicate route ${key}`);
    ids.add(route.operationId);
    keys.add(key);
    if (route.auth === 'public' && route.permission !== null)
      problems.push(`${key}: public route with a permission`);
    if (route.auth !== 'public' && (route.permission === null || !permissions.includes(route.permission))) {
      problems.push(`${key}: authenticated route without a declared permission`);
    }
    try {
      lambdaById(route.fn);
    } catch {
      problems.push(`${key}: unknown Lambda ${route.fn}`);
    }
  }
  return problems;
}

describe('route table', () => {
  it('declares a permission (or public) and an existing Lambda for every route', () => {
    expect(routeProblems(httpRoutes)).toEqual([]);
  });

  it('flags a route that declares no permission', () => {
    const [first] = httpRoutes;
    if (!first) throw new Error('route table is empty');
    const broken: RouteDef = {
      ...first,
      operationId: 'broken',
      path: '/v1/broken',
      auth: 'principal',
      permission: null,
    };

    expect(routeProblems([broken])).toEqual([
      'GET /v1/broken: authenticated route without a declared permission',
    ]);
  });

  it('binds the audit writer to every Lambda that serves a state-changing principal route', () => {
    const unaudited = httpRoutes
      .filter((route) => isAuditedChange(route) && !lambdaById(route.fn).binds.includes('auditTableWrite'))
      .map((route) => `${route.method} ${route.path} (${route.fn})`);

    expect(unaudited).toEqual([]);
  });

  it('points every WebSocket route and the fallback at a cataloged Lambda', () => {
    const ids = new Set<string>(lambdas.map((l) => l.id));

    expect(wsRoutes.every((route) => ids.has(route.fn))).toBe(true);
    expect(ids.has(fallbackFunctionId)).toBe(true);
  });
});

describe('route matching', () => {
  const matcher = new RouteMatcher(httpRoutes);

  it('finds a literal route, binds path parameters and reports allowed methods', () => {
    expect(matcher.match('GET', '/health')).toMatchObject({ found: { route: { operationId: 'getHealth' } } });
    expect(matcher.match('GET', '/docs/swagger-ui.css')).toMatchObject({
      found: { params: { asset: 'swagger-ui.css' } },
    });
    expect(matcher.match('POST', '/health')).toEqual({ allow: ['GET'] });
    expect(matcher.match('GET', '/nope')).toBeUndefined();
  });
});

describe('OpenAPI document', () => {
  const document = buildOpenApi(httpRoutes, { title: 'Vigil API', version: '1.2.3', description: 'test' });

  it('validates against the OpenAPI 3.1 schema', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document));

    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('documents every route of the table with its operation id', () => {
    const paths = document.paths as Record<string, Record<string, { operationId: string }>>;
    const documented = Object.values(paths).flatMap((item) =>
      Object.values(item).map((op) => op.operationId),
    );

    expect(documented.sort()).toEqual(httpRoutes.map((r) => r.operationId).sort());
  });

  it('references shared components and documents problem+json errors', () => {
    const health = (document.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>)[
      '/health'
    ]?.get;

    expect(health?.responses['200']).toEqual({
      description: 'Healthy',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Health' } } },
    });
    expect(health?.responses['500']).toMatchObject({
      content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
    });
    expect(JSON.stringify(document)).not.toContain('#/$defs/');
    const schemas = (
      document.components as { schemas: Record<string, { type?: string; properties?: object }> }
    ).schemas;
    expect(schemas.Health?.type).toBe('object');
    expect(Object.keys(schemas.Problem?.properties ?? {})).toEqual(
      expect.arrayContaining(['type', 'title', 'status', 'code', 'detail']),
    );
  });

  it('is rejected by the validator when broken, so the check can fail', async () => {
    const broken = structuredClone(document) as Record<string, unknown>;
    broken.openapi = '3.1.0';
    broken.paths = { 'no-leading-slash': { get: { responses: 'nope' } } };

    const result = await new Validator().validate(broken);

    expect(result.valid).toBe(false);
  });
});
