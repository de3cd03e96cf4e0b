import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { type DynamoQuotaStore, dynamoQuotaStore } from '../../../shared/adapters/aws/quota-store';
import { circuitBreaker, quotaGovernor } from '../../../shared/enrichment/quota';
import type { QuotaPlan } from '../../../shared/integrations/ports';
import { createTestTables, type TestTables } from '../../support/dynamodb';

const T0 = Date.UTC(2026, 2, 10, 12, 0, 0);

/** The largest number of grants inside any half-open interval [a, a + period). */
function densestWindow(grants: number[], period: number): number {
  const sorted = [...grants].sort((a, b) => a - b);
  let best = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end += 1) {
    while ((sorted[end] ?? 0) - (sorted[start] ?? 0) >= period) start += 1;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

describe('DynamoDB quota store', () => {
  let tables: TestTables;
  let store: DynamoQuotaStore;

  beforeAll(async () => {
    tables = await createTestTables();
    store = dynamoQuotaStore(tables.doc, tables.names.state);
  });

  /** Several Lambdas: independent adapters and governors on the same table. */
  const workers = (n: number, maxAttempts?: number) =>
    Array.from({ length: n }, () =>
      quotaGovernor({
        store: dynamoQuotaStore(tables.doc, tables.names.state),
        ...(maxAttempts ? { maxAttempts } : {}),
      }),
    );

  it('writes only over the version it read', async () => {
    const state = { clock: T0, minute: [[T0, 1]] as [number, number][] };
    const options = { expiresAt: T0 + 60_000 };

    expect(await store.saveBucket('cas', 'p', state, { ...options, expectedVersion: undefined })).toBe(true);
    expect(await store.saveBucket('cas', 'p', state, { ...options, expectedVersion: undefined })).toBe(false);
    expect(await store.saveBucket('cas', 'p', state, { ...options, expectedVersion: 1 })).toBe(true);
    expect(await store.saveBucket('cas', 'p', state, { ...options, expectedVersion: 1 })).toBe(false);
    expect(await store.loadBucket('cas', 'p')).toEqual({ value: state, version: 2 });
  });

  it('keeps the bucket as its own item with a version and a TTL after its last window', async () => {
    const governor = quotaGovernor({ store });
    const plan: QuotaPlan = { perMinute: 4, perDay: 500, summary: '' };
    await governor.acquire('layout', 'virustotal', plan, T0);

    const { Item } = await tables.doc.send(
      new GetCommand({ TableName: tables.names.state, Key: { pk: 'Q#layout#virustotal', sk: 'BUCKET' } }),
    );

    expect(Item).toMatchObject({
      type: 'quota-bucket',
      tenantId: 'layout',
      provider: 'virustotal',
      version: 1,
      clock: T0,
      minuteLog: [[T0, 1]],
      dayStart: Date.UTC(2026, 2, 10),
      dayUsed: 1,
      // Next UTC midnight, when the day count stops mattering, plus an hour of grace.
      ttl: Date.UTC(2026, 2, 11) / 1000 + 3600,
    });
    expect(await store.remainingToday('layout', 'virustotal', plan, T0 + 1000)).toBe(499);
  });

  it('feeds a 20-indicator job through a 4/minute plan without 5 calls in any 60 s', async () => {
    // Prepare: 4 workers share the bucket; a simulated clock only ever moves forward.
    const plan: QuotaPlan = { perMinute: 4, summary: '4 requests/minute' };
    const governors = workers(4);
    let clock = T0;
    const grants: number[] = [];

    const indicator = async (i: number) => {
      const governor = governors[i % governors.length];
      if (!governor) throw new Error('no worker');
      for (let attempt = 0; attempt < 100; attempt += 1) {
        const now = clock;
        const decision = await governor.acquire('job', 'virustotal', plan, now);
        if (decision.granted) {
          grants.push(now);
          return;
        }
        // The message is delayed by retryAfter; the clock ticks in whole milliseconds.
        clock = Math.max(clock, Math.round(now + decision.retryAfterSeconds * 1000));
      }
      throw new Error(`indicator ${i} was never granted`);
    };

    // Act
    await Promise.all(Array.from({ length: 20 }, (_, i) => indicator(i)));

    // Assess
    expect(grants).toHaveLength(20);
    expect(densestWindow(grants, 60_000)).toBe(4);
    // Five batches of four, a minute apart: the governor does not hold calls back longer than needed.
    expect(Math.max(...grants) - T0).toBeLessThanOrEqual(4 * 60_000 + 5_000);
  });

  it('grants exactly the limit to 30 parallel acquirers at the same instant', async () => {
    // DynamoDB Local answers in ~300 ms under this load, so the racers retry in lock-step; enough
    // attempts that none gives up as contended keeps the count exact rather than merely bounded.
    const plan: QuotaPlan = { perMinute: 10, summary: '' };
    const governors = workers(5, 30);

    const decisions = await Promise.all(
      Array.from({ length: 30 }, (_, i) => governors[i % governors.length]?.acquire('burst', 'p', plan, T0)),
    );

    expect(decisions.filter((d) => d?.granted)).toHaveLength(10);
    expect(
      decisions.filter((d) => d && !d.granted && d.reason === 'quota' && d.retryAt === T0 + 60_000),
    ).toHaveLength(20);
    expect(await store.loadBucket('burst', 'p')).toMatchObject({
      value: { minute: [[T0, 10]] },
      version: 10,
    });
  });

  it('lets exactly one probe through a half-open breaker shared by parallel workers', async () => {
    // Prepare: 20 parallel failures open the breaker once; its cool-down of 60 s then ends.
    const breakers = Array.from({ length: 4 }, () =>
      circuitBreaker({ store: dynamoQuotaStore(tables.doc, tables.names.state), maxAttempts: 30 }),
    );
    const any = breakers[0];
    if (!any) throw new Error('no breaker');
    await Promise.all(Array.from({ length: 20 }, (_, i) => breakers[i % 4]?.failure('brk', 'p', T0)));
    expect(await any.state('brk', 'p', T0)).toMatchObject({
      state: 'open',
      failures: 5,
      retryAt: T0 + 60_000,
    });

    // Act
    const permits = await Promise.all(
      Array.from({ length: 20 }, (_, i) => breakers[i % 4]?.permit('brk', 'p', T0 + 60_000)),
    );

    // Assess
    expect(permits.filter((p) => p?.allowed)).toEqual([{ allowed: true, probe: true, clean: false }]);
    expect(permits.filter((p) => p && !p.allowed)).toEqual(
      Array.from({ length: 19 }, () => ({ allowed: false, retryAfterSeconds: 30 })),
    );
    await any.success('brk', 'p', T0 + 61_000);
    expect(await any.state('brk', 'p', T0 + 61_000)).toEqual({
      state: 'closed',
      failures: 0,
      degraded: false,
    });
    const { Item } = await tables.doc.send(
      new GetCommand({ TableName: tables.names.state, Key: { pk: 'Q#brk#p', sk: 'BREAKER' } }),
    );
    expect(Item).toMatchObject({ type: 'quota-breaker', phase: 'closed', opens: 0 });
  });
});
