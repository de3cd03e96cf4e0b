import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a fake server saw: every request (with its body) and every TCP connection. */
export interface FakeServer {
  url: string;
  port: number;
  requests: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[];
  connections: number;
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1 and a random port, answering with `handler`. */
export async function startFakeServer(
  handler: (req: IncomingMessage, res: ServerResponse, index: number) => void,
): Promise<FakeServer> {
  const fake: FakeServer = {
    url: '',
    port: 0,
    requests: [],
    connections: 0,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const index = fake.requests.length;
      fake.requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      handler(req, res, index);
    });
  });
  server.on('connection', () => {
    fake.connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  fake.port = (server.address() as AddressInfo).port;
  fake.url = `http://127.0.0.1:${fake.port}`;
  return fake;
}

/** A logger that keeps every line, so tests can assert what was (and was not) logged. */
export function recordingLogger() {
  const lines: { level: 'info' | 'warn'; message: string; attributes: Record<string, unknown> }[] = [];
  return {
    lines,
    info: (message: string, attributes: Record<string, unknown>) =>
      lines.push({ level: 'info', message, attributes }),
    warn: (message: string, attributes: Record<string, unknown>) =>
      lines.push({ level: 'warn', message, attributes }),
  };
}
