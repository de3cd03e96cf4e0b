import * as z from 'zod';
import { problemSchema } from '../api/schemas';
import type { RouteDef } from './http/route';

/**
 * Builds the OpenAPI 3.1 document from the route table: paths, parameters, request bodies and
 * responses all come from the routes' zod schemas (JSON Schema 2020-12, which OpenAPI 3.1 uses), so
 * the document cannot drift from what the handlers validate.
 */
export interface OpenApiInfo {
  title: string;
  version: string;
  description: string;
  serverUrl?: string;
}

type Json = Record<string, unknown>;

const standardErrors: Record<number, string> = {
  400: 'Malformed or invalid request',
  404: 'Not found',
  413: 'Request body too large',
  429: 'Rate limited; see Retry-After',
  500: 'Unexpected error',
};

export function buildOpenApi(routes: readonly RouteDef[], info: OpenApiInfo): Json {
  const components: Record<string, unknown> = {};
  const convert = (schema: z.ZodType, io: 'input' | 'output'): unknown => {
    const json = z.toJSONSchema(schema, { target: 'draft-2020-12', unrepresentable: 'any', io }) as Json;
    const defs = (json.$defs ?? {}) as Record<string, unknown>;
    for (const [name, def] of Object.entries(defs)) components[name] = rewriteRefs(def);
    const { $defs: _defs, $schema: _schema, ...rest } = json;
    const id = z.globalRegistry.get(schema)?.id;
    if (typeof id === 'string') {
      // zod puts a schema with an id into `$defs` and refers to it; otherwise the body is the schema.
      if (!(id in defs)) components[id] = rewriteRefs(rest);
      return { $ref: `#/components/schemas/${id}` };
    }
    return rewriteRefs(rest);
  };
  const problemRef = convert(problemSchema, 'output');

  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const operation: Json = {
      operationId: route.operationId,
      summary: route.summary,
      tags: route.tags,
    };
    if (route.description) operation.description = route.description;
    const parameters = [
      ...objectParameters(route.request?.params, 'path', convert),
      ...objectParameters(route.request?.query, 'query', convert),
    ];
    if (parameters.length) operation.parameters = parameters;
    if (route.request?.body) {
      operation.requestBody = {
        required: true,
        content: { 'application/json': { schema: convert(route.request.body, 'input') } },
      };
    }
    const responses: Json = {};
    for (const [status, def] of Object.entries(route.responses)) {
      const contentType = def.contentType ?? 'application/json';
      responses[status] = {
        description: def.description,
        ...(def.schema || def.contentType
          ? { content: { [contentType]: def.schema ? { schema: convert(def.schema, 'output') } : {} } }
          : {}),
      };
    }
    const errorStatuses = {
      ...standardErrors,
      ...(route.auth === 'principal' ? { 401: 'Unauthenticated', 403: 'Missing permission' } : {}),
    };
    for (const [status, description] of Object.entries(errorStatuses)) {
      if (responses[status]) continue;
      if (status === '413' && !route.request?.body) continue;
      responses[status] = { description, content: { 'application/problem+json': { schema: problemRef } } };
    }
    operation.responses = responses;
    if (route.auth === 'principal') {
      operation.security = [{ bearerAuth: [] }, { apiKey: [] }];
      operation['x-vigil-permission'] = route.permission;
    } else {
      operation.security = [];
    }
    paths[route.path] ??= {};
    const pathItem = paths[route.path];
    if (pathItem) pathItem[route.method.toLowerCase()] = operation;
  }

  return {
    openapi: '3.1.0',
    info: { title: info.title, version: info.version, description: info.description },
    ...(info.serverUrl ? { servers: [{ url: info.serverUrl }] } : {}),
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT or vgl_ API key' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      },
    },
  };
}

function objectParameters(
  schema: z.ZodType | undefined,
  location: 'path' | 'query',
  convert: (schema: z.ZodType, io: 'input' | 'output') => unknown,
): Json[] {
  if (!schema) return [];
  const json = convert(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: location,
    required: location === 'path' || (json.required ?? []).includes(name),
    schema: property,
  }));
}

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value && typeof value === 'object') {
    const out: Json = {};
    for (const [key, inner] of Object.entries(value)) {
      if (key === '$schema' || key === '$id') continue;
      out[key] =
        key === '$ref' && typeof inner === 'string'
          ? inner.replace('#/$defs/', '#/components/schemas/')
          : rewriteRefs(inner);
    }
    return out;
  }
  return value;
}
