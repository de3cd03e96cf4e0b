import { randomBytes } from 'node:crypto';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { dynamoEnrichmentStore } from '../../../shared/adapters/aws/enrichment-store';
import type { IndicatorState, JobRecord } from '../../../shared/enrichment/store';
import type { IntelResult } from '../../../shared/integrations/ports';
import { createTestTables, type TestTables } from '../../support/dynamodb';

const at = '2026-12-01T10:00:00.000Z';
const result = (details: Record<string, unknown> = {}): IntelResult => ({
  verdict: 'benign',
  score: 0,
  confidence: 50,
  tags: [],
  details,
});

const jobOf = (tenantId: string, indicators: IndicatorState[]): JobRecord => ({
  id: `enr_${randomBytes(6).toString('hex')}`,
  tenantId,
  status: indicators.every((i) => i.pending === 0) ? 'completed' : 'running',
  priority: 'medium',
  force: false,
  createdAt: at,
  createdBy: 'u_1',
  indicatorCount: indicators.length,
  pairCount: indicators.length,
  counts: { pending: 0, done: indicators.length, cached: 0, skipped: 0, failed: 0 },
  openIndicators: indicators.filter((i) => i.pending > 0).length,
});

const closed = (index: number, details?: Record<string, unknown>): IndicatorState => ({
  index,
  type: 'ipv4',
  value: `45.10.${Math.floor(index / 250)}.${(index % 250) + 1}`,
  original: `45.10.${Math.floor(index / 250)}.${(index % 250) + 1}`,
  pairs: { otx: { status: 'done', result: result(details), updatedAt: at } },
  pending: 0,
  aggregate: { verdict: 'benign', score: 0, confidence: 50, summary: 'benign', explanation: [] },
});

describe('DynamoDB enrichment store', () => {
  let tables: TestTables;
  const tenantId = `t_store_${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    tables = await createTestTables();
  });

  it('reads back a 1,000-indicator job settled at creation from its compressed chunks, in order', async () => {
    const store = dynamoEnrichmentStore(tables.doc, tables.names.state);
    const indicators = Array.from({ length: 1000 }, (_, i) => closed(i));
    const job = jobOf(tenantId, indicators);

    await store.createJob(job, indicators);
    const read = await store.readJob(tenantId, job.id);

    expect(read?.job).toMatchObject({ id: job.id, status: 'completed', indicatorCount: 1000 });
    expect(read?.indicators.map((i) => i.index)).toEqual(indicators.map((i) => i.index));
    expect(read?.indicators[999]).toEqual(indicators[999]);
  });

  it('splits chunks that would not fit in an item (incompressible results)', async () => {
    const store = dynamoEnrichmentStore(tables.doc, tables.names.state);
    // ~6 KB of random text per indicator: 100 of them do not fit in one 400 KB item compressed.
    const indicators = Array.from({ length: 100 }, (_, i) =>
      closed(i, { noise: randomBytes(4500).toString('base64') }),
    );
    const job = jobOf(tenantId, indicators);

    await store.createJob(job, indicators);
    const read = await store.readJob(tenantId, job.id);

    expect(read?.indicators).toHaveLength(100);
    expect(read?.indicators[42]).toEqual(indicators[42]);
  });

  it('pages the job list with a cursor and refuses a cursor that is not its own', async () => {
    const store = dynamoEnrichmentStore(tables.doc, tables.names.state);
    const owner = `t_cursor_${randomBytes(4).toString('hex')}`;
    for (let i = 0; i < 3; i += 1) {
      const indicators = [closed(0)];
      await store.createJob(
        { ...jobOf(owner, indicators), createdAt: `2026-12-01T10:00:0${i}.000Z` },
        indicators,
      );
    }

    const first = await store.listJobs(owner, { limit: 2 });
    const second = await store.listJobs(owner, { limit: 2, cursor: first.nextCursor });

    expect(first.items).toHaveLength(2);
    expect(second.items).toHaveLength(1);
    await expect(store.listJobs(owner, { limit: 2, cursor: 'not-a-cursor' })).rejects.toMatchObject({
      status: 400,
      code: 'invalid_cursor',
    });
    await expect(store.listJobs('t_other', { limit: 2, cursor: first.nextCursor })).rejects.toMatchObject({
      status: 400,
      code: 'invalid_cursor',
    });
  });

  it('does not show a job whose parts are not all written yet', async () => {
    const store = dynamoEnrichmentStore(tables.doc, tables.names.state);
    const indicators = [closed(0)];
    const job = jobOf(tenantId, indicators);
    await store.createJob(job, indicators);

    await tables.doc.send(
      new DeleteCommand({
        TableName: tables.names.state,
        Key: { pk: `T#${tenantId}`, sk: `JOB#${job.id}#C#0000` },
      }),
    );

    expect(await store.readJob(tenantId, job.id)).toBeUndefined();
    expect(await store.readJob(tenantId, 'enr_missing')).toBeUndefined();
  });

  it('settles the pairs of an open indicator together, refuses a settled one, and closes it once', async () => {
    const store = dynamoEnrichmentStore(tables.doc, tables.names.state);
    const open: IndicatorState = {
      index: 0,
      type: 'ipv4',
      value: '185.220.101.34',
      original: '185.220.101.34',
      pairs: {
        otx: { status: 'pending', queued: true, updatedAt: at },
        virustotal: { status: 'pending', queued: true, updatedAt: at },
        network: { status: 'done', result: result(), updatedAt: at },
      },
      pending: 2,
    };
    const job: JobRecord = {
      ...jobOf(tenantId, [open]),
      counts: { pending: 2, done: 1, cached: 0, skipped: 0, failed: 0 },
      pairCount: 3,
    };
    await store.createJob(job, [open]);

    const first = await store.settle(tenantId, job.id, 0, {
      otx: { status: 'done', result: result(), updatedAt: at },
      virustotal: { status: 'failed', reason: 'upstream after 4 attempts: 503', updatedAt: at },
    });
    const again = await store.settle(tenantId, job.id, 0, {
      otx: { status: 'done', result: result(), updatedAt: at },
    });
    const aggregate = { verdict: 'benign' as const, score: 0, confidence: 50, summary: 's', explanation: [] };
    const closedOnce = await store.closeIndicator(tenantId, job.id, first as IndicatorState, aggregate);
    const closedTwice = await store.closeIndicator(tenantId, job.id, first as IndicatorState, aggregate);
    const completed = await store.completeJob(tenantId, job.id, at);
    const read = await store.readJob(tenantId, job.id);

    expect(first?.pending).toBe(0);
    expect(first?.pairs.virustotal).toMatchObject({ status: 'failed', queued: true });
    expect(again).toBeUndefined();
    expect([closedOnce, closedTwice, completed]).toEqual([true, false, true]);
    expect(read?.job).toMatchObject({
      status: 'completed',
      openIndicators: 0,
      counts: { pending: 0, done: 2, failed: 1, cached: 0, skipped: 0 },
    });
    expect(read?.indicators[0]?.aggregate).toEqual(aggregate);
  });
});
