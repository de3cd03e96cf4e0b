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
import type { AdapterContext, OutboundMessage } from '../../../../shared/integrations/ports';

/**
 * Test kit for the notification and webhook adapter tests: a fake on a real loopback server (closed
 * after each test), an outbound client that may reach 127.0.0.1, never really sleeps and records
 * its log lines, and helpers to build contexts and assert that no secret leaked.
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

export function testClient(overrides: OutboundClientOptions = {}) {
  const lines: LogLine[] = [];
  const sleeps: number[] = [];
  const http = createOutboundClient({
    logger: {
      info: (message, attributes) => lines.push({ level: 'info', message, attributes }),
      warn: (message, attributes) => lines.push({ level: 'warn', message, attributes }),
    },
    ssrf: { allowHttp: true, allowList: ['127.0.0.1'] },
    retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 5 },
    maxRetryWaitMs: 2_000,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...overrides,
  });
  return { http, lines, sleeps };
}

export const FIXED_NOW = Date.UTC(2025, 4, 1, 12, 0, 0);

export function context(
  http: AdapterContext['http'],
  parts: Partial<Omit<AdapterContext, 'http'>> = {},
): AdapterContext {
  return { http, credentials: {}, settings: {}, now: () => FIXED_NOW, ...parts };
}

/** The promise's rejection; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

/** Asserts that none of `secrets` appears in any of `values` (results, errors, log lines). */
export function expectNoSecrets(secrets: readonly string[], ...values: unknown[]): void {
  const text = values
    .map((value) =>
      value instanceof Error
        ? `${value.name} ${value.message} ${JSON.stringify(value)}`
        : JSON.stringify(value ?? null),
    )
    .join('\n');
  for (const secret of secrets) {
    expect(text).not.toContain(secret);
    expect(text).not.toContain(encodeURIComponent(secret));
  }
}

export const alert: OutboundMessage = {
  title: 'Suspicious login on prod-db-1',
  text: '3 failed logins for admin@acme.io from 185.220.101.34 <tor exit> & then success',
  severity: 'high',
  fields: { Rule: 'brute-force-ssh', 'Source IP': '185.220.101.34' },
  url: 'https://vigil.example.com/cases/123',
};

/**
 * Adapters set their own per-request deadline; this wrapper forces a short one (and a single
 * attempt) so a slow fake reply turns into a timeout quickly.
 */
export function withDeadline(http: AdapterContext['http'], timeoutMs: number): AdapterContext['http'] {
  return { request: (req) => http.request({ ...req, timeoutMs, retry: { attempts: 1 } }) };
}

/** The JSON body of the `index`th request a fake received; fails the test when there is none. */
export function sentJson<T>(fake: FakeServer, index = 0): T {
  const request = fake.requests[index];
  if (!request) throw new Error(`the fake received no request #${index}`);
  return request.json() as T;
}
