import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { PayloadTooLargeError } from '../../shared/platform/errors';
import { type CorsConfig, corsPreflightHeaders } from '../../shared/platform/http/headers';
import { problemResponse } from '../../shared/platform/http/problem';
import type { RouteDef } from '../../shared/platform/http/route';
import { RouteMatcher } from '../../shared/platform/route-match';
import { type LocalHandler, localLambdaContext } from './lambda-context';
import { closeServer, listen } from './listen';

/**
 * The local HTTP API: matches requests against the route table the way API Gateway does, builds the
 * same payload format 2.0 event, invokes the real handler and writes its result back. Unmatched
 * requests go to the `$default` (fallback) handler, as in AWS.
 */
export interface HttpGatewayOptions {
  host: string;
  port: number;
  routes: readonly RouteDef[];
  /** Handler for a Lambda id (loaded lazily and cached by the caller). */
  handlerFor: (fnId: string) => Promise<LocalHandler>;
  fallbackFn: string;
  /** Lambda authorizer for `principal` routes (simple responses), as API Gateway runs it. */
  authorizerFn?: string;
  cors: CorsConfig;
  /** API Gateway's own payload limit. */
  maxPayloadBytes?: number;
  onInvokeError?: (fnId: string, error: unknown) => void;
  /** Called once per request with its outcome (the local access log). */
  onRequest?: (line: { method: string; path: string; status: number; ms: number }) => void;
}

export interface RunningHttpGateway {
  url: string;
  port: number;
  close(): Promise<void>;
}

const textTypes = /^(application\/(json|.*\+json|x-www-form-urlencoded|xml)|text\/)/i;

export async function startHttpGateway(options: HttpGatewayOptions): Promise<RunningHttpGateway> {
  const matcher = new RouteMatcher(options.routes);
  const maxPayload = options.maxPayloadBytes ?? 10 * 1024 * 1024;

  const server: Server = createServer((req, res) => {
    const started = performance.now();
    res.on('finish', () =>
      options.onRequest?.({
        method: req.method ?? 'GET',
        path: (req.url ?? '/').split('?')[0] ?? '/',
        status: res.statusCode,
        ms: performance.now() - started,
      }),
    );
    handle(req, res).catch((error) => {
      options.onInvokeError?.('gateway', error);
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: 'Internal Server Error' }));
      } else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://local');
    const method = (req.method ?? 'GET').toUpperCase();
    const origin = header(req, 'origin');
    if (method === 'OPTIONS' && origin && header(req, 'access-control-request-method')) {
      const headers = corsPreflightHeaders(options.cors, origin);
      if (Object.keys(headers).length > 0) {
        res.writeHead(204, headers);
        res.end();
        return;
      }
    }
    let body: Buffer;
    try {
      body = await readBody(req, maxPayload);
    } catch (error) {
      if (!(error instanceof PayloadTooLargeError)) throw error;
      const problem = problemResponse(error, { requestId: requestId(), instance: url.pathname });
      res.writeHead(problem.statusCode, { ...problem.headers, connection: 'close' });
      res.end(problem.body);
      return;
    }
    const match = matcher.match(method, url.pathname);
    const found = match && 'found' in match ? match.found : undefined;
    const fnId = found ? found.route.fn : options.fallbackFn;
    const event = toEvent(
      req,
      url,
      method,
      body,
      found ? `${method} ${found.route.path}` : '$default',
      found?.params,
    );
    if (found?.route.auth === 'principal' && options.authorizerFn) {
      const denied = await authorize(event, options.authorizerFn);
      if (denied) {
        res.writeHead(denied.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: denied.message }));
        return;
      }
    }
    const handler = await options.handlerFor(fnId);
    let result: unknown;
    try {
      result = await handler(event, localLambdaContext(fnId));
    } catch (error) {
      options.onInvokeError?.(fnId, error);
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: 'Internal Server Error' }));
      return;
    }
    writeResult(res, result);
  }

  /**
   * Runs the authorizer like API Gateway (no identity source, so it runs for every request):
   * `isAuthorized: false` is 403, and the context lands in `requestContext.authorizer.lambda`.
   */
  async function authorize(
    event: APIGatewayProxyEventV2,
    fnId: string,
  ): Promise<{ status: number; message: string } | undefined> {
    const handler = await options.handlerFor(fnId);
    const result = (await handler(
      {
        version: '2.0',
        type: 'REQUEST',
        routeArn: `arn:aws:execute-api:us-east-1:000000000000:local/$default/${event.routeKey.replace(' ', '')}`,
        identitySource: [],
        routeKey: event.routeKey,
        rawPath: event.rawPath,
        rawQueryString: event.rawQueryString,
        headers: event.headers,
        queryStringParameters: event.queryStringParameters,
        pathParameters: event.pathParameters,
        requestContext: event.requestContext,
      },
      localLambdaContext(fnId),
    )) as { isAuthorized?: boolean; context?: Record<string, unknown> } | undefined;
    if (!result?.isAuthorized) return { status: 403, message: 'Forbidden' };
    (event.requestContext as { authorizer?: unknown }).authorizer = { lambda: result.context ?? {} };
    return undefined;
  }

  const port = await listen(server, options.host, options.port);
  return {
    url: `http://${options.host}:${port}`,
    port,
    close: () => closeServer(server),
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function requestId(): string {
  // API Gateway request ids look like `Jx1a2b3cIAMEbcQ=`.
  return randomBytes(10).toString('base64');
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.byteLength;
    if (size > limit) throw new PayloadTooLargeError(limit);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

function toEvent(
  req: IncomingMessage,
  url: URL,
  method: string,
  body: Buffer,
  routeKey: string,
  pathParameters: Record<string, string> | undefined,
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (name === 'cookie') {
      cookies.push(...String(value).split(/;\s*/).filter(Boolean));
      continue;
    }
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams)
    query[key] = query[key] === undefined ? value : `${query[key]},${value}`;
  const contentType = headers['content-type'] ?? '';
  const isText = body.byteLength === 0 || textTypes.test(contentType);
  const now = new Date();
  const host = headers.host ?? 'localhost';
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    ...(cookies.length ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    ...(pathParameters && Object.keys(pathParameters).length ? { pathParameters } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: host,
      domainPrefix: host.split('.')[0] ?? host,
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: requestId(),
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body.byteLength ? { body: isText ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: !isText,
  };
}

/** Writes a handler result as API Gateway does for payload format 2.0 (including its inference rule). */
function writeResult(res: ServerResponse, result: unknown): void {
  const structured =
    result && typeof result === 'object' && 'statusCode' in result
      ? (result as APIGatewayProxyStructuredResultV2)
      : {
          statusCode: 200,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(result ?? null),
        };
  const headers: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(structured.headers ?? {}))
    headers[key.toLowerCase()] = String(value);
  if (structured.cookies?.length) headers['set-cookie'] = structured.cookies;
  const raw = structured.body ?? '';
  const payload = structured.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  headers['content-length'] = String(payload.byteLength);
  res.writeHead(structured.statusCode ?? 200, headers);
  res.end(payload);
}
