import { afterEach } from 'vitest';
import {
  type FakeHandler,
  type FakeServer,
  startFakeServer,
} from '../../../../infra/local/sandbox/fake-http';
import {
  createOutboundClient,
  type OutboundClientOptions,
} from '../../../../shared/integrations/http/outbound';
import type { AdapterContext } from '../../../../shared/integrations/ports';

/**
 * Test wiring shared by the geolocation and Picus adapter tests: a real loopback fake per test
 * (closed afterwards), an outbound client that may reach 127.0.0.1, retries twice without really
 * sleeping, and records every log line so tests can prove no credential is logged.
 */
const servers: FakeServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

export async function startFake(handler: FakeHandler): Promise<FakeServer> {
  const server = await startFakeServer(handler);
  servers.push(server);
  return server;
}

export interface LogLine {
  level: 'info' | 'warn';
  message: string;
  attributes: Record<string, unknown>;
}

export interface Harness {
  ctx: AdapterContext;
  logs: LogLine[];
  sleeps: number[];
}

export interface HarnessOptions {
  baseUrl: string;
  credentials?: Record<string, string>;
  settings?: Record<string, string | number | undefined>;
  now?: () => number;
  client?: OutboundClientOptions;
}

export function harness(options: HarnessOptions): Harness {
  const logs: LogLine[] = [];
  const sleeps: number[] = [];
  const now = options.now ?? Date.now;
  const http = createOutboundClient({
    logger: {
      info: (message, attributes) => logs.push({ level: 'info', message, attributes }),
      warn: (message, attributes) => logs.push({ level: 'warn', message, attributes }),
    },
    ssrf: { allowHttp: true, allowList: ['127.0.0.1'] },
    retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 5 },
    maxRetryWaitMs: 2_000,
    timeoutMs: 2_000,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    now,
    ...options.client,
  });
  return {
    ctx: {
      http,
      credentials: options.credentials ?? {},
      settings: options.settings ?? {},
      baseUrl: options.baseUrl,
      now,
    },
    logs,
    sleeps,
  };
}

/** Resolves to what the promise rejected with; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the promise to reject');
}

/** Everything a secret could leak through: results, error messages and properties, log lines. */
export function serialized(...values: unknown[]): string {
  return values
    .map((value) =>
      value instanceof Error
        ? `${value.name} ${value.message} ${JSON.stringify({ ...value })}`
        : JSON.stringify(value),
    )
    .join('\n');
}
