import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type WebSocket, WebSocketServer } from 'ws';
import type { WsRouteDef } from '../../shared/platform/http/route';
import { type LocalHandler, localLambdaContext } from './lambda-context';
import { closeServer, listen } from './listen';

/**
 * The local WebSocket API. Each connection runs through the real `$connect` / `$default` /
 * `$disconnect` handlers with API Gateway-shaped events. The same server answers the management
 * API (`POST|GET|DELETE /{stage}/@connections/{id}`), so handlers push with the real
 * `PostToConnection` SDK call; unknown connections get 410 GoneException as in AWS.
 */
export interface WsGatewayOptions {
  host: string;
  port: number;
  stage: string;
  routes: readonly WsRouteDef[];
  handlerFor: (fnId: string) => Promise<LocalHandler>;
  onInvokeError?: (fnId: string, error: unknown) => void;
}

export interface RunningWsGateway {
  /** `ws://host:port` for clients. */
  url: string;
  /** Management API endpoint for `WS_MANAGEMENT_ENDPOINT`. */
  managementEndpoint: string;
  port: number;
  connectionCount(): number;
  close(): Promise<void>;
}

interface LocalConnection {
  socket: WebSocket;
  connectedAt: number;
  lastActiveAt: number;
  sourceIp: string;
  userAgent: string;
}

export async function startWsGateway(options: WsGatewayOptions): Promise<RunningWsGateway> {
  const connections = new Map<string, LocalConnection>();
  const wss = new WebSocketServer({ noServer: true });
  const route = (key: WsRouteDef['routeKey']) => options.routes.find((r) => r.routeKey === key);

  const pending = new Set<Promise<unknown>>();
  const invoke = (key: WsRouteDef['routeKey'], event: Record<string, unknown>) => {
    const call = invokeRoute(key, event);
    pending.add(call);
    void call.finally(() => pending.delete(call));
    return call;
  };

  const invokeRoute = async (key: WsRouteDef['routeKey'], event: Record<string, unknown>) => {
    const def = route(key);
    if (!def) return { statusCode: 200 };
    try {
      const handler = await options.handlerFor(def.fn);
      return (await handler(event, localLambdaContext(def.fn))) as { statusCode?: number } | undefined;
    } catch (error) {
      options.onInvokeError?.(def.fn, error);
      return { statusCode: 500 };
    }
  };

  const baseContext = (connectionId: string, key: string, eventType: string, req?: IncomingMessage) => {
    const conn = connections.get(connectionId);
    return {
      routeKey: key,
      eventType,
      connectionId,
      requestId: randomBytes(10).toString('base64'),
      extendedRequestId: randomBytes(10).toString('base64'),
      messageDirection: 'IN',
      stage: options.stage,
      domainName: `${options.host}:${port}`,
      apiId: 'local',
      connectedAt: conn?.connectedAt ?? Date.now(),
      requestTimeEpoch: Date.now(),
      requestTime: new Date().toUTCString(),
      identity: {
        sourceIp: conn?.sourceIp ?? req?.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
        userAgent: conn?.userAgent ?? req?.headers['user-agent'] ?? '',
      },
    };
  };

  const server: Server = createServer((req, res) => {
    management(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });

  async function management(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const match = /\/@connections\/([^/?]+)$/.exec(new URL(req.url ?? '/', 'http://local').pathname);
    if (!match?.[1]) {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ message: 'Not Found' }));
      return;
    }
    const id = decodeURIComponent(match[1]);
    const conn = connections.get(id);
    if (!conn || conn.socket.readyState !== conn.socket.OPEN) {
      res
        .writeHead(410, { 'content-type': 'application/json', 'x-amzn-errortype': 'GoneException' })
        .end(JSON.stringify({ message: null }));
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    switch (req.method) {
      case 'POST': {
        const data = Buffer.concat(chunks);
        if (data.byteLength > 128 * 1024) {
          res
            .writeHead(413, {
              'content-type': 'application/json',
              'x-amzn-errortype': 'PayloadTooLargeException',
            })
            .end(JSON.stringify({ message: 'Message too long' }));
          return;
        }
        conn.socket.send(data.toString('utf8'));
        res.writeHead(200).end();
        return;
      }
      case 'GET':
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            ConnectedAt: new Date(conn.connectedAt).toISOString(),
            LastActiveAt: new Date(conn.lastActiveAt).toISOString(),
            Identity: { SourceIp: conn.sourceIp, UserAgent: conn.userAgent },
          }),
        );
        return;
      case 'DELETE':
        conn.socket.close(1000, 'closed by server');
        res.writeHead(204).end();
        return;
      default:
        res.writeHead(405).end();
    }
  }

  server.on('upgrade', (req, socket, head) => {
    const connectionId = randomBytes(10).toString('base64').replace(/[+/]/g, 'A');
    const url = new URL(req.url ?? '/', 'http://local');
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
    }
    const query = Object.fromEntries(url.searchParams);
    invoke('$connect', {
      headers,
      multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
      ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
      requestContext: baseContext(connectionId, '$connect', 'CONNECT', req),
      isBase64Encoded: false,
    })
      .then((result) => {
        const status = result?.statusCode ?? 200;
        if (status < 200 || status >= 300) {
          socket.end(
            `HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : 'Forbidden'}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`,
          );
          return;
        }
        wss.handleUpgrade(req, socket, head, (ws) => {
          const now = Date.now();
          connections.set(connectionId, {
            socket: ws,
            connectedAt: now,
            lastActiveAt: now,
            sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
            userAgent: headers['user-agent'] ?? '',
          });
          ws.on('message', (data, isBinary) => {
            const conn = connections.get(connectionId);
            if (conn) conn.lastActiveAt = Date.now();
            void invoke('$default', {
              body: isBinary ? Buffer.from(data as Buffer).toString('base64') : data.toString(),
              isBase64Encoded: isBinary,
              requestContext: {
                ...baseContext(connectionId, '$default', 'MESSAGE'),
                messageId: randomBytes(8).toString('base64'),
              },
            });
          });
          ws.on('close', (code, reason) => {
            void invoke('$disconnect', {
              headers,
              requestContext: {
                ...baseContext(connectionId, '$disconnect', 'DISCONNECT'),
                disconnectStatusCode: code,
                disconnectReason: reason.toString(),
              },
              isBase64Encoded: false,
            }).finally(() => connections.delete(connectionId));
          });
        });
      })
      .catch(() => socket.destroy());
  });

  const port = await listen(server, options.host, options.port);

  return {
    url: `ws://${options.host}:${port}`,
    managementEndpoint: `http://${options.host}:${port}/${options.stage}`,
    port,
    connectionCount: () => connections.size,
    close: async () => {
      for (const conn of connections.values()) conn.socket.terminate();
      // Let the sockets' close events run their $disconnect handlers before the process moves on.
      await new Promise((resolve) => setImmediate(resolve));
      await Promise.allSettled([...pending]);
      wss.close();
      await closeServer(server);
    },
  };
}
