import { afterEach, expect } from 'vitest';
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
 * Shared set-up of the ticketing adapter tests: the service fake on a real loopback server, an
 * outbound client that may reach it (allow-list), records its logs and never really sleeps, and
 * checks that no credential leaks into results, errors or logs.
 */

export interface LogLine {
  level: 'info' | 'warn';
  message: string;
  attributes: Record<string, unknown>;
}

const servers: FakeServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

export const NOW = Date.parse('2024-05-01T12:00:00Z');

export async function ticketHarness(handler: FakeHandler, overrides: OutboundClientOptions = {}) {
  const server = await startFakeServer(handler);
  servers.push(server);
  const logs: LogLine[] = [];
  const sleeps: number[] = [];
  const client = createOutboundClient({
    logger: {
      info: (message, attributes) => logs.push({ level: 'info', message, attributes }),
      warn: (message, attributes) => logs.push({ level: 'warn', message, attributes }),
    },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    now: () => NOW,
    retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 5 },
    maxRetryWaitMs: 2_000,
    timeoutMs: 2_000,
    ssrf: { allowHttp: true, allowList: ['127.0.0.1'] },
    ...overrides,
  });
  const context = (
    credentials: Record<string, string>,
    settings: Record<string, string | number | undefined>,
    options: { baseUrl?: string | null } = {},
  ): AdapterContext => ({
    http: client,
    credentials,
    settings,
    ...(options.baseUrl === null ? {} : { baseUrl: options.baseUrl ?? server.url }),
    now: () => NOW,
  });
  return { server, client, logs, sleeps, context };
}

/** The error a promise rejects with; fails the test when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

/** Asserts that none of the secrets (nor their URL-encoded or base64 forms) appears in anything given. */
export function expectNoSecrets(secrets: readonly string[], ...things: unknown[]): void {
  const text = things
    .map((thing) => {
      if (thing instanceof Error) return `${thing.name} ${thing.message} ${JSON.stringify(thing)}`;
      return JSON.stringify(thing);
    })
    .join('\n');
  for (const secret of secrets) {
    expect(text).not.toContain(secret);
    expect(text).not.toContain(encodeURIComponent(secret));
  }
}

/** The JSON body of the fake's `index`-th request; fails the test when there is no such request. */
export function bodyOf<T>(server: FakeServer, index: number): T {
  const request = server.requests[index];
  if (request === undefined) throw new Error(`the fake received no request #${index}`);
  return request.json() as T;
}
