import { randomBytes } from 'node:crypto';
import { sandboxFakes } from '../../infra/local/sandbox';
import { type FakeHandler, type FakeServer, startFakeServer } from '../../infra/local/sandbox/fake-http';
import { dynamoAuditLog } from '../../shared/adapters/aws/audit-store';
import { dynamoEnrichmentStore } from '../../shared/adapters/aws/enrichment-store';
import { rawAesEnvelopeEncryption } from '../../shared/adapters/aws/envelope-encryption';
import { dynamoIntegrationStore } from '../../shared/adapters/aws/integration-store';
import { dynamoIocRepository } from '../../shared/adapters/aws/ioc-repository';
import { dynamoQuotaStore } from '../../shared/adapters/aws/quota-store';
import { integrationAdapters } from '../../shared/adapters/integration-registry';
import {
  type EnrichmentEngine,
  enrichmentEngine,
  type LookupMessage,
  type QueueMessage,
} from '../../shared/enrichment/engine';
import { networkProvider } from '../../shared/enrichment/offline/network';
import { circuitBreaker, quotaGovernor } from '../../shared/enrichment/quota';
import type { EnrichmentStore } from '../../shared/enrichment/store';
import type { PlatformEvent } from '../../shared/events/ports';
import type { Permission } from '../../shared/identity/permissions';
import type { Principal } from '../../shared/identity/principal';
import { createOutboundClient } from '../../shared/integrations/http/outbound';
import { type IntegrationService, integrationService } from '../../shared/integrations/service';
import { iocStoreProvider } from '../../shared/intel/iocs';
import type { TestTables } from './dynamodb';

/**
 * The enrichment engine wired to DynamoDB Local, the real adapters and their fakes on loopback, and
 * a virtual clock. The lookup queue stands in for SQS behind the engine's port: messages become due
 * at `clock + delay`, and `drain()` delivers them in due order, advancing the clock — so quota and
 * Retry-After waits of minutes take milliseconds, and every delay the engine asks for is observable.
 */
export interface EnrichmentHarness {
  engine: EnrichmentEngine;
  integrations: IntegrationService;
  principal: Principal;
  clock: { now: number };
  fakes: Record<string, FakeServer>;
  /** Virtual time of every request each fake received. */
  callTimes: Record<string, number[]>;
  deadLetters: { message: LookupMessage; reason: string }[];
  pushes: { topic: string; message: { type: string } & Record<string, unknown> }[];
  events: PlatformEvent[];
  /** Messages queued and not yet delivered, in queue order. */
  queued(): QueueMessage[];
  /**
   * Delivers due messages (advancing the clock to each) until the queue is empty: `concurrency`
   * workers at a time, each taking up to `batchSize` due messages as one SQS batch.
   */
  drain(options?: {
    concurrency?: number;
    batchSize?: number;
    maxMessages?: number;
    /** Put rejected messages back (after 1 s), as SQS does, instead of failing the drain. */
    redeliver?: boolean;
  }): Promise<number>;
  close(): Promise<void>;
}

export async function enrichmentHarness(
  tables: TestTables,
  options: {
    providers: Record<string, FakeHandler | 'sandbox'>;
    tenantId?: string;
    /** Wraps the DynamoDB store, e.g. to make one of its calls fail. */
    wrapStore?: (store: EnrichmentStore) => EnrichmentStore;
  },
): Promise<EnrichmentHarness> {
  const clock = { now: Date.parse('2026-11-30T10:00:00Z') };
  const now = () => clock.now;
  const fakes: Record<string, FakeServer> = {};
  const callTimes: Record<string, number[]> = {};
  for (const [name, handler] of Object.entries(options.providers)) {
    const fake = handler === 'sandbox' ? sandboxFakes[name] : () => handler;
    if (!fake) throw new Error(`no sandbox fake for ${name}`);
    const inner = fake();
    callTimes[name] = [];
    fakes[name] = await startFakeServer((request) => {
      callTimes[name]?.push(clock.now);
      return inner(request);
    });
  }
  const audit = dynamoAuditLog(tables.doc, {
    stateTable: tables.names.state,
    auditTable: tables.names.audit,
    retentionDays: 90,
  });
  const ssrf = { allowHttp: true, allowList: ['127.0.0.1'] };
  const integrations = integrationService({
    store: dynamoIntegrationStore(tables.doc, tables.names.state),
    encryption: rawAesEnvelopeEncryption({ keyName: 'enrichment-test', key: randomBytes(32) }),
    adapters: integrationAdapters({ ssrf }),
    http: createOutboundClient({
      ssrf,
      retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
      maxRetryWaitMs: 0,
      timeoutMs: 2000,
    }),
    baseUrls: Object.fromEntries(Object.entries(fakes).map(([name, fake]) => [name, fake.url])),
    audit,
    now,
  });
  const principal: Principal = {
    tenantId: options.tenantId ?? `t_enr_${randomBytes(4).toString('hex')}`,
    id: 'u_analyst',
    type: 'user',
    permissions: new Set<Permission>(['integration:manage', 'enrich:run', 'intel:read']),
  };
  for (const name of Object.keys(options.providers)) {
    await integrations.configure(principal, name, { credentials: { apiKey: `test-key-${name}-0123456789` } });
  }
  const queue: { message: QueueMessage; due: number; seq: number }[] = [];
  let seq = 0;
  const deadLetters: EnrichmentHarness['deadLetters'] = [];
  const pushes: EnrichmentHarness['pushes'] = [];
  const events: PlatformEvent[] = [];
  const quotaStore = dynamoQuotaStore(tables.doc, tables.names.state);
  const iocRepo = dynamoIocRepository(tables.doc, tables.names.state);
  const engine = enrichmentEngine({
    store: (options.wrapStore ?? ((store) => store))(dynamoEnrichmentStore(tables.doc, tables.names.state)),
    integrations,
    offline: [networkProvider, iocStoreProvider(iocRepo)],
    lookupCategories: ['threat-intel', 'geolocation'],
    queue: {
      send: async (entries) => {
        for (const { message, delaySeconds } of entries) {
          queue.push({ message, due: clock.now + Math.min(900, Math.ceil(delaySeconds)) * 1000, seq: seq++ });
        }
      },
      deadLetter: async (message, reason) => {
        deadLetters.push({ message, reason });
      },
    },
    quota: quotaGovernor({ store: quotaStore }),
    breaker: circuitBreaker({ store: quotaStore, failureThreshold: 1000 }),
    publish: async (_tenantId, topic, messages) => {
      for (const message of messages) {
        pushes.push({ topic, message: message as EnrichmentHarness['pushes'][number]['message'] });
      }
    },
    bus: {
      put: async (batch) => {
        events.push(...batch);
        return { eventIds: batch.map(() => 'evt') };
      },
    },
    now,
    sleep: async (ms) => {
      clock.now += ms;
    },
  });
  return {
    engine,
    integrations,
    principal,
    clock,
    fakes,
    callTimes,
    deadLetters,
    pushes,
    events,
    queued: () => [...queue].sort((a, b) => a.due - b.due || a.seq - b.seq).map((q) => q.message),
    async drain({ concurrency = 1, batchSize = 1, maxMessages = 10_000, redeliver = false } = {}) {
      let delivered = 0;
      while (queue.length > 0) {
        if (delivered >= maxMessages) throw new Error(`still ${queue.length} messages after ${delivered}`);
        queue.sort((a, b) => a.due - b.due || a.seq - b.seq);
        const due = queue[0]?.due ?? clock.now;
        if (due > clock.now) clock.now = due;
        const ready = queue.filter((q) => q.due <= clock.now).length || 1;
        const taken = queue.splice(0, Math.min(concurrency * batchSize, ready));
        const batches: QueueMessage[][] = [];
        for (let i = 0; i < taken.length; i += batchSize) {
          batches.push(taken.slice(i, i + batchSize).map((item) => item.message));
        }
        const outcomes = await Promise.all(batches.map((batch) => engine.processBatch(batch)));
        for (const [b, batch] of batches.entries()) {
          for (const [i, outcome] of (outcomes[b] ?? []).entries()) {
            if (outcome.status !== 'rejected') continue;
            if (!redeliver) throw outcome.reason;
            queue.push({ message: batch[i] as QueueMessage, due: clock.now + 1000, seq: seq++ });
          }
        }
        delivered += taken.length;
      }
      return delivered;
    },
    close: async () => {
      await Promise.all(Object.values(fakes).map((f) => f.close()));
    },
  };
}
