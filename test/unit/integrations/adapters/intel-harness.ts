import { expect } from 'vitest';
import {
  type FakeHandler,
  type FakeServer,
  startFakeServer,
} from '../../../../infra/local/sandbox/fake-http';
import { createOutboundClient } from '../../../../shared/integrations/http/outbound';
import type { AdapterContext } from '../../../../shared/integrations/ports';
import { recordingLogger } from '../http/fake-server';

/**
 * What the threat-intel adapter tests share: a fake provider on a real loopback server, an outbound
 * client allowed to reach it that records its logs and never really sleeps, and the checks that a
 * credential never leaks.
 */

/** Fixed "now" for every adapter test: 2026-12-01T00:00:00Z. */
export const TEST_NOW = Date.UTC(2026, 11, 1);

export interface IntelHarness {
  fake: FakeServer;
  ctx: AdapterContext;
  logs: ReturnType<typeof recordingLogger>;
  /** Every wait the client asked for, in ms. */
  sleeps: number[];
  /** The same adapter context with other credentials (bad key, no key). */
  withCredentials(credentials: Record<string, string>): AdapterContext;
}

export interface HarnessOptions {
  credentials?: Record<string, string>;
  settings?: Record<string, string | number | undefined>;
  timeoutMs?: number;
  maxRetryWaitMs?: number;
}

export async function startIntelHarness(handler: FakeHandler, options: HarnessOptions = {}) {
  const fake = await startFakeServer(handler);
  const logs = recordingLogger();
  const sleeps: number[] = [];
  const http = createOutboundClient({
    logger: logs,
    ssrf: { allowHttp: true, allowList: ['127.0.0.1'] },
    retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 5 },
    maxRetryWaitMs: options.maxRetryWaitMs ?? 2_000,
    timeoutMs: options.timeoutMs ?? 2_000,
    random: () => 0.5,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
  const ctx: AdapterContext = {
    http,
    credentials: options.credentials ?? {},
    settings: options.settings ?? {},
    baseUrl: fake.url,
    now: () => TEST_NOW,
  };
  const harness: IntelHarness = {
    fake,
    ctx,
    logs,
    sleeps,
    withCredentials: (credentials) => ({ ...ctx, credentials }),
  };
  return harness;
}

/** The error a promise rejects with; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

/** Asserts that no captured log line, and none of the given values, contains the secret. */
export function expectNoSecret(harness: IntelHarness, secret: string, ...values: unknown[]): void {
  const texts = [
    JSON.stringify(harness.logs.lines),
    ...values.map((value) =>
      value instanceof Error ? `${value.message} ${JSON.stringify(value)}` : JSON.stringify(value),
    ),
  ];
  for (const text of texts) {
    expect(text).not.toContain(secret);
    expect(text).not.toContain(encodeURIComponent(secret));
  }
  expect(harness.logs.lines.length).toBeGreaterThan(0);
}
