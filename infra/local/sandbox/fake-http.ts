import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The harness behind every provider fake: a real HTTP server on loopback that answers like one
 * service, used by the adapter tests and by the provider sandbox of the local target
 * (`VIGIL_PROVIDER_SANDBOX=1`). A fake is a handler from request to reply; tests can queue replies
 * that pre-empt it (a 429, a 5xx, a slow answer) and read every request it saw.
 */
export interface FakeRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The body parsed as JSON (undefined when it is not JSON). */
  json(): unknown;
  /** The body parsed as application/x-www-form-urlencoded. */
  form(): URLSearchParams;
}

export interface FakeReply {
  status: number;
  headers?: Record<string, string>;
  /** Objects and arrays are sent as JSON; strings and Buffers as they are. */
  body?: unknown;
  /** Waits this long before answering (timeouts). */
  delayMs?: number;
  /** Destroys the connection instead of answering (connection resets). */
  reset?: boolean;
}

export type FakeHandler = (request: FakeRequest) => FakeReply | Promise<FakeReply>;

export interface FakeServer {
  url: string;
  /** Every request, in order. */
  requests: FakeRequest[];
  /** Replies answered, in order, before the handler is asked again. */
  enqueue(...replies: FakeReply[]): void;
  close(): Promise<void>;
}

export async function startFakeServer(
  handler: FakeHandler,
  options: { host?: string; port?: number } = {},
): Promise<FakeServer> {
  const queued: FakeReply[] = [];
  const requests: FakeRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const body = Buffer.concat(chunks);
      const request: FakeRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body,
        json: () => {
          try {
            return JSON.parse(body.toString('utf8'));
          } catch {
            return undefined;
          }
        },
        form: () => new URLSearchParams(body.toString('utf8')),
      };
      requests.push(request);
      void (async () => {
        let reply: FakeReply;
        try {
          reply = queued.shift() ?? (await handler(request));
        } catch (error) {
          reply = { status: 500, body: { error: `fake failed: ${String(error)}` } };
        }
        if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
        if (reply.reset) {
          req.socket.destroy();
          return;
        }
        const isRaw = typeof reply.body === 'string' || Buffer.isBuffer(reply.body);
        const payload =
          reply.body === undefined
            ? ''
            : isRaw
              ? (reply.body as string | Buffer)
              : JSON.stringify(reply.body);
        const headers: Record<string, string> = {
          ...(reply.body !== undefined && !isRaw
            ? { 'content-type': 'application/json; charset=utf-8' }
            : {}),
          ...reply.headers,
        };
        if (!res.headersSent) res.writeHead(reply.status, headers);
        res.end(payload);
      })();
    });
  });
  await new Promise<void>((resolve) =>
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve),
  );
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    requests,
    enqueue: (...replies) => void queued.push(...replies),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
