import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as z from 'zod';

/**
 * The harness behind every provider fake: a real HTTP server on loopback that answers like one
 * service, used by the adapter tests and by the provider sandbox of the local target
 * (`VIGIL_PROVIDER_SANDBOX=1`). A fake is a handler from request to reply; tests can queue replies
 * that pre-empt it (a 429, a 5xx, a slow answer) and read every request it saw. With `control`, the
 * fake also serves `/__sandbox/*`, so a test in another process (the e2e suite against the local
 * target) can inject faults for chosen indicators and count the calls they caused.
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
  /** Every request, in order (the most recent `maxRequests` when that option is set). */
  requests: FakeRequest[];
  /** Replies answered, in order, before the handler is asked again. */
  enqueue(...replies: FakeReply[]): void;
  close(): Promise<void>;
}

export interface FakeServerOptions {
  host?: string;
  port?: number;
  /**
   * Serve the control endpoint `/__sandbox/faults` (fault rules) and `/__sandbox/requests` (what the
   * fake saw). Off for adapter tests, which drive the fake in-process; on in the provider sandbox.
   */
  control?: boolean;
  /** Keep only the most recent requests in `requests` (a long-running sandbox); unbounded when unset. */
  maxRequests?: number;
}

/** Path prefix of the control endpoint; never recorded, never faulted. */
export const sandboxControlPrefix = '/__sandbox/';

/** Fault rules one fake holds at most; `DELETE /__sandbox/faults` makes room. */
export const maxFaultRules = 1000;

const faultRuleInput = z.object({
  match: z.string().min(1).max(2048),
  status: z.number().int().min(100).max(599),
  // Checked here because Node throws on an invalid header while answering, past any error handling.
  headers: z
    .record(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/), z.string().regex(/^[^\r\n\0]*$/))
    .optional(),
  body: z.unknown().optional(),
  times: z.number().int().min(1).optional(),
});

interface FaultRule extends z.infer<typeof faultRuleInput> {
  id: string;
  fired: number;
}

export async function startFakeServer(
  handler: FakeHandler,
  options: FakeServerOptions = {},
): Promise<FakeServer> {
  const queued: FakeReply[] = [];
  const requests: FakeRequest[] = [];
  const receivedAt = new WeakMap<FakeRequest, number>();
  const control = options.control ? sandboxControl(requests, receivedAt) : undefined;
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
      receivedAt.set(request, Date.now());
      const controlReply = control?.handle(request);
      if (!controlReply) {
        requests.push(request);
        if (options.maxRequests !== undefined && requests.length > options.maxRequests) {
          requests.splice(0, requests.length - options.maxRequests);
        }
      }
      void (async () => {
        let reply: FakeReply;
        try {
          reply = controlReply ?? control?.faultFor(request) ?? queued.shift() ?? (await handler(request));
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

/**
 * The control endpoint of a sandbox fake. `POST /__sandbox/faults` adds a rule: later requests
 * whose path and query, or body, contain `match` get the rule's reply instead of the fake's, `times`
 * times (always when unset). `GET` lists the rules with how often each fired, `DELETE` clears them.
 * `GET /__sandbox/requests?match=` lists the requests seen whose path, query or body contain it.
 */
function sandboxControl(requests: readonly FakeRequest[], receivedAt: WeakMap<FakeRequest, number>) {
  const rules: FaultRule[] = [];
  const matches = (request: FakeRequest, needle: string) => {
    const search = request.query.size > 0 ? `?${request.query}` : '';
    return (
      `${request.path}${search}`.includes(needle) ||
      safeDecode(`${request.path}${search}`).includes(needle) ||
      request.body.toString('utf8').includes(needle)
    );
  };
  const listed = (rule: FaultRule) => ({
    id: rule.id,
    match: rule.match,
    status: rule.status,
    ...(rule.times === undefined ? {} : { times: rule.times }),
    fired: rule.fired,
  });

  return {
    /** The control endpoint's answer, or undefined when the request is for the fake itself. */
    handle(request: FakeRequest): FakeReply | undefined {
      if (!request.path.startsWith(sandboxControlPrefix)) return undefined;
      const route = `${request.method} ${request.path}`;
      if (route === 'POST /__sandbox/faults') {
        const parsed = faultRuleInput.safeParse(request.json());
        if (!parsed.success) {
          return { status: 400, body: { error: 'invalid fault rule', issues: parsed.error.issues } };
        }
        if (rules.length >= maxFaultRules) {
          return {
            status: 409,
            body: { error: `at most ${maxFaultRules} fault rules; DELETE /__sandbox/faults first` },
          };
        }
        const rule: FaultRule = { ...parsed.data, id: randomUUID(), fired: 0 };
        rules.push(rule);
        return { status: 201, body: { id: rule.id } };
      }
      if (route === 'GET /__sandbox/faults') return { status: 200, body: { rules: rules.map(listed) } };
      if (route === 'DELETE /__sandbox/faults') {
        rules.length = 0;
        return { status: 204 };
      }
      if (route === 'GET /__sandbox/requests') {
        const needle = request.query.get('match') ?? '';
        const seen = requests.filter((r) => needle === '' || matches(r, needle));
        return {
          status: 200,
          body: {
            count: seen.length,
            requests: seen.map((r) => ({
              method: r.method,
              path: r.path,
              ...(r.query.size > 0 ? { query: `?${r.query}` } : {}),
              at: receivedAt.get(r),
            })),
          },
        };
      }
      return { status: 404, body: { error: `no sandbox control route ${route}` } };
    },

    /** The reply of the oldest rule that matches and has fires left, counting the fire. */
    faultFor(request: FakeRequest): FakeReply | undefined {
      const rule = rules.find(
        (r) => (r.times === undefined || r.fired < r.times) && matches(request, r.match),
      );
      if (!rule) return undefined;
      rule.fired += 1;
      return {
        status: rule.status,
        ...(rule.headers ? { headers: rule.headers } : {}),
        ...(rule.body === undefined ? {} : { body: rule.body }),
      };
    },
  };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
