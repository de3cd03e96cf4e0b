import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sandboxFakes } from '../../../infra/local/sandbox';
import { isPlan, type QueueMessage } from '../../../shared/enrichment/engine';
import { createTestTables, type TestTables } from '../../support/dynamodb';
import { type EnrichmentHarness, enrichmentHarness } from '../../support/enrichment';

type Json = Record<string, unknown> & { results: { provider: string; status: string; reason?: string }[] };

describe('enrichment engine', () => {
  let tables: TestTables;
  let h: EnrichmentHarness | undefined;

  beforeAll(async () => {
    tables = await createTestTables();
  });

  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it.each([{ batchSize: 1 }, { batchSize: 10 }])(
    'settles a mixed batch: fresh and cached results, skips with reasons, a 5xx provider into the DLQ, a 429 honoured (worker batches of $batchSize)',
    async ({ batchSize }) => {
      const otx = sandboxFakes.otx?.();
      if (!otx) throw new Error('no otx fake');
      const torExitCalls: number[] = [];
      h = await enrichmentHarness(tables, {
        providers: {
          abuseipdb: 'sandbox',
          threatfox: () => ({ status: 503, body: 'Service Unavailable' }),
          otx: (request) => {
            const torExit = request.path.includes('185.220.101.34');
            if (torExit) torExitCalls.push(h?.clock.now ?? 0);
            return torExit && torExitCalls.length === 1
              ? { status: 429, headers: { 'retry-after': '7' }, body: { detail: 'slow down' } }
              : otx(request);
          },
        },
      });
      const start = h.clock.now;
      // A first job fills the cache for one indicator.
      await h.engine.create(h.principal, { indicators: [{ value: '8.8.8.8' }], providers: ['abuseipdb'] });
      await h.drain();

      const job = await h.engine.create(h.principal, {
        indicators: [
          { value: '185.220.101.34' },
          { value: '8.8.8.8' },
          { value: '10.1.2.3' },
          { value: 'CVE-2021-44228' },
        ],
        providers: ['abuseipdb', 'threatfox', 'otx', 'network'],
      });
      await h.drain({ batchSize });
      const done = await h.engine.get(h.principal.tenantId, job.id);
      const byValue = Object.fromEntries(
        done.indicators.map((i) => [
          i.value,
          Object.fromEntries((i as unknown as Json).results.map((r) => [r.provider, r])),
        ]),
      );

      expect(done.status).toBe('completed');
      expect(done.counts.pending).toBe(0);
      expect(
        done.indicators
          .flatMap((i) => i.results)
          .every((r) => ['done', 'cached', 'skipped', 'failed'].includes(r.status)),
      ).toBe(true);
      expect(byValue['8.8.8.8']?.abuseipdb).toMatchObject({ status: 'cached' });
      expect(byValue['185.220.101.34']?.abuseipdb).toMatchObject({ status: 'done' });
      expect(byValue['10.1.2.3']?.abuseipdb).toMatchObject({ status: 'skipped', reason: 'private_address' });
      expect(byValue['10.1.2.3']?.network).toMatchObject({ status: 'done' });
      expect(byValue['CVE-2021-44228']?.abuseipdb).toMatchObject({
        status: 'skipped',
        reason: 'unsupported_type',
      });
      expect(byValue['185.220.101.34']?.threatfox).toMatchObject({
        status: 'failed',
        reason: expect.stringMatching(/^upstream after 4 attempts/),
      });
      expect(byValue['185.220.101.34']?.otx).toMatchObject({ status: 'done' });
      expect(h.deadLetters.map((d) => d.message.provider)).toEqual(expect.arrayContaining(['threatfox']));
      expect(h.deadLetters.every((d) => d.reason.length > 0)).toBe(true);
      // The 429's Retry-After (7 s) was waited before OTX was asked about the same indicator again.
      expect(torExitCalls).toHaveLength(2);
      expect((torExitCalls[1] ?? 0) - (torExitCalls[0] ?? 0)).toBeGreaterThanOrEqual(7000);
      expect(h.clock.now).toBeGreaterThan(start);
      expect(done.indicators.find((i) => i.value === '185.220.101.34')?.aggregate?.verdict).toBe('malicious');
      expect(h.pushes.filter((p) => p.message.type === 'enrichment.result').length).toBeGreaterThan(0);
      expect(
        h.pushes.some((p) => p.message.type === 'enrichment.completed' && p.topic === `enrichment:${job.id}`),
      ).toBe(true);
      expect(
        h.events.some((e) => e.source === 'vigil.enrichment' && e.detailType === 'Indicator Verdict'),
      ).toBe(true);
    },
  );

  it.each([{ batchSize: 1 }, { batchSize: 10 }])(
    'keeps a 4-per-minute provider under 4 calls in any 60 s window, and completes all 20 lookups (worker batches of $batchSize)',
    async ({ batchSize }) => {
      h = await enrichmentHarness(tables, { providers: { virustotal: 'sandbox' } });
      const indicators = Array.from({ length: 20 }, (_, i) => ({ value: `185.220.${100 + i}.${10 + i}` }));

      const job = await h.engine.create(h.principal, { indicators, providers: ['virustotal'] });
      await h.drain({ concurrency: 5, batchSize });
      const done = await h.engine.get(h.principal.tenantId, job.id);
      const times = (h.callTimes.virustotal ?? []).sort((a, b) => a - b);
      const worstWindow = Math.max(...times.map((t) => times.filter((u) => u >= t && u < t + 60_000).length));

      expect(done.status).toBe('completed');
      expect(done.counts.done).toBe(20);
      expect(times).toHaveLength(20);
      expect(worstWindow).toBeLessThanOrEqual(4);
    },
    60_000,
  );

  it('makes one provider call for 50 concurrent jobs on the same indicator', async () => {
    h = await enrichmentHarness(tables, { providers: { abuseipdb: 'sandbox' } });
    const harness = h;

    const jobs = await Promise.all(
      Array.from({ length: 50 }, () =>
        harness.engine.create(harness.principal, {
          indicators: [{ value: '185.220.101.34' }],
          providers: ['abuseipdb'],
        }),
      ),
    );
    await h.drain({ concurrency: 10 });
    const settled = await Promise.all(
      jobs.map((job) => harness.engine.get(harness.principal.tenantId, job.id)),
    );

    expect(h.callTimes.abuseipdb).toHaveLength(1);
    expect(settled.every((job) => job.status === 'completed')).toBe(true);
    expect(
      settled.every((job) => ['done', 'cached'].includes(job.indicators[0]?.results[0]?.status ?? '')),
    ).toBe(true);
  }, 60_000);

  it('settles nothing twice when a batch is redelivered, and answers a repeated job from the cache', async () => {
    h = await enrichmentHarness(tables, {
      providers: { abuseipdb: 'sandbox', otx: 'sandbox', virustotal: 'sandbox' },
    });
    const harness = h;
    const providers = ['abuseipdb', 'otx', 'virustotal'];
    const indicators = [{ value: '185.220.101.34' }, { value: '45.155.205.233' }];
    const job = await h.engine.create(h.principal, { indicators, providers });
    const queued: Parameters<typeof harness.engine.processBatch>[0][number][] = [];
    for (const indicator of (await h.engine.get(h.principal.tenantId, job.id)).indicators.entries()) {
      for (const provider of providers) {
        queued.push({
          tenantId: h.principal.tenantId,
          jobId: job.id,
          index: indicator[0],
          provider,
          indicator: { type: 'ipv4', value: indicator[1].value },
          attempt: 0,
        });
      }
    }
    await h.drain({ batchSize: 10 });
    const first = await h.engine.get(h.principal.tenantId, job.id);
    const pushedBefore = h.pushes.length;

    // SQS delivers the same six messages again (at-least-once).
    const again = await h.engine.processBatch(queued);
    const after = await h.engine.get(h.principal.tenantId, job.id);
    const listed = (await h.engine.list(h.principal.tenantId, { limit: 10 })).items.find(
      (j) => j.id === job.id,
    );

    expect(again.every((o) => o.status === 'fulfilled')).toBe(true);
    expect(after.counts).toEqual(first.counts);
    expect(after.counts).toMatchObject({ done: 6, pending: 0 });
    expect(listed?.counts).toMatchObject({ done: 6, pending: 0 });
    expect(listed?.status).toBe('completed');
    expect(h.pushes.filter((p) => p.message.type === 'enrichment.completed')).toHaveLength(1);
    expect(h.pushes.slice(pushedBefore).filter((p) => p.message.type === 'enrichment.result')).toHaveLength(
      0,
    );
    expect(after.indicators.map((i) => i.aggregate?.verdict)).toEqual(
      first.indicators.map((i) => i.aggregate?.verdict),
    );

    const callsBefore = Object.values(h.callTimes).reduce((n, t) => n + t.length, 0);
    const cached = await h.engine.create(h.principal, { indicators, providers });
    expect(cached.status).toBe('completed');
    expect(cached.counts).toMatchObject({ cached: 6, pending: 0 });
    expect(Object.values(h.callTimes).reduce((n, t) => n + t.length, 0)).toBe(callsBefore);
    const latest = await h.engine.latest(h.principal.tenantId, 'ipv4', '185.220.101.34');
    expect(latest).toMatchObject({ jobId: job.id, verdict: first.indicators[0]?.aggregate?.verdict });
  }, 60_000);

  it('loses no waiter when settling fails after the provider answered: the redelivered call settles them', async () => {
    let failures = 1;
    h = await enrichmentHarness(tables, {
      providers: { abuseipdb: 'sandbox' },
      wrapStore: (store) => ({
        ...store,
        settle: async (...args) => {
          if (failures > 0) {
            failures -= 1;
            throw new Error('DynamoDB throttled the write');
          }
          return store.settle(...args);
        },
      }),
    });
    const harness = h;
    const request = { indicators: [{ value: '185.220.101.34' }], providers: ['abuseipdb'] };
    const [leader, waiter] = [
      await harness.engine.create(harness.principal, request),
      await harness.engine.create(harness.principal, request),
    ];
    const message = {
      tenantId: harness.principal.tenantId,
      jobId: leader.id,
      index: 0,
      provider: 'abuseipdb',
      indicator: { type: 'ipv4' as const, value: '185.220.101.34' },
      attempt: 0,
    };

    const first = await harness.engine.processBatch([message]);
    const between = await harness.engine.get(harness.principal.tenantId, waiter.id);
    // SQS redelivers the failed message.
    const second = await harness.engine.processBatch([message]);
    const jobs = await Promise.all(
      [leader, waiter].map((job) => harness.engine.get(harness.principal.tenantId, job.id)),
    );

    expect(first[0]?.status).toBe('rejected');
    expect(between.status).toBe('running');
    expect(second[0]?.status).toBe('fulfilled');
    expect(jobs.map((job) => job.status)).toEqual(['completed', 'completed']);
    // The answer was cached by the first delivery: the redelivered one settles from it, no second call.
    expect(jobs.map((job) => job.indicators[0]?.results[0]?.status).sort()).toEqual(['cached', 'done']);
    expect(h.callTimes.abuseipdb).toHaveLength(1);
  }, 60_000);

  it('hands the fan-out of a large job to workers in plan messages; a redelivered plan calls nobody twice', async () => {
    h = await enrichmentHarness(tables, { providers: { abuseipdb: 'sandbox' } });
    const harness = h;
    const indicators = Array.from({ length: 250 }, (_, i) => ({
      value: `45.20.${Math.floor(i / 200)}.${(i % 200) + 1}`,
    }));
    let plans: QueueMessage[] = [];
    const job = await h.engine.create(h.principal, { indicators, providers: ['abuseipdb'] });
    const created = await h.engine.get(h.principal.tenantId, job.id);

    plans = h.queued().filter(isPlan);
    // One plan is delivered twice (at-least-once), before and after the others.
    const [first] = plans;
    if (first) await harness.engine.processBatch([first]);
    await h.drain({ batchSize: 10 });
    if (first) await harness.engine.processBatch([first]);
    await h.drain({ batchSize: 10 });
    const done = await h.engine.get(h.principal.tenantId, job.id);
    const calledFor = (h.fakes.abuseipdb?.requests ?? []).map((r) => r.query.get('ipAddress'));

    expect(created.counts).toMatchObject({ pending: 250 });
    expect(plans.map((p) => (isPlan(p) ? p.lookups.length : 0))).toEqual([100, 100, 50]);
    expect(done.status).toBe('completed');
    expect(done.counts).toMatchObject({ done: 250, pending: 0 });
    expect(calledFor).toHaveLength(250);
    expect(new Set(calledFor).size).toBe(250);
  }, 60_000);

  it('recovers from failures between writes: a plan that failed partway, a close without completion, a provider named twice', async () => {
    let joinFailures = 1;
    let joins = 0;
    let completeFailures = 1;
    h = await enrichmentHarness(tables, {
      providers: { abuseipdb: 'sandbox' },
      wrapStore: (store) => ({
        ...store,
        joinInflight: async (...args) => {
          joins += 1;
          if (joins === 150 && joinFailures-- > 0) throw new Error('DynamoDB throttled the join');
          return store.joinInflight(...args);
        },
        completeJob: async (...args) => {
          if (completeFailures-- > 0) throw new Error('Lambda timed out');
          return store.completeJob(...args);
        },
      }),
    });
    const indicators = Array.from({ length: 200 }, (_, i) => ({
      value: `45.30.${Math.floor(i / 200)}.${(i % 200) + 1}`,
    }));

    const job = await h.engine.create(h.principal, { indicators, providers: ['abuseipdb', 'abuseipdb'] });
    await h.drain({ batchSize: 10, redeliver: true });
    const done = await h.engine.get(h.principal.tenantId, job.id);
    const calledFor = (h.fakes.abuseipdb?.requests ?? []).map((r) => r.query.get('ipAddress'));

    expect(joinFailures).toBe(0);
    expect(completeFailures).toBeLessThan(1);
    expect(done.pairCount).toBe(200);
    expect(done.status).toBe('completed');
    expect(done.counts).toMatchObject({ pending: 0 });
    expect(new Set(calledFor).size).toBe(200);
  }, 60_000);

  it('settles a lookup as failed on its last delivery when it keeps failing for a reason that is not the provider', async () => {
    let failures = 1;
    h = await enrichmentHarness(tables, {
      providers: { abuseipdb: 'sandbox' },
      wrapStore: (store) => ({
        ...store,
        endInflight: async (...args) => {
          if (failures-- > 0) throw new Error('DynamoDB is unavailable');
          return store.endInflight(...args);
        },
      }),
    });
    const job = await h.engine.create(h.principal, {
      indicators: [{ value: '185.220.101.34' }],
      providers: ['abuseipdb'],
    });
    const [message] = h.queued();
    if (!message) throw new Error('nothing queued');

    const [outcome] = await h.engine.processBatch([message], { lastDelivery: new Set([message]) });
    const done = await h.engine.get(h.principal.tenantId, job.id);

    expect(outcome?.status).toBe('rejected');
    expect(done.status).toBe('completed');
    expect(done.indicators[0]?.results[0]).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(/^internal_error: DynamoDB is unavailable/),
    });
  }, 60_000);

  it('honours a Retry-After longer than the 15 minutes an SQS delay can last, without calling early', async () => {
    let calls = 0;
    const otx = sandboxFakes.otx?.();
    if (!otx) throw new Error('no otx fake');
    h = await enrichmentHarness(tables, {
      providers: {
        otx: (request) => {
          calls += 1;
          return calls === 1
            ? { status: 429, headers: { 'retry-after': '3600' }, body: { detail: 'come back in an hour' } }
            : otx(request);
        },
      },
    });
    const job = await h.engine.create(h.principal, {
      indicators: [{ value: '185.220.101.34' }],
      providers: ['otx'],
    });

    const delivered = await h.drain();
    const done = await h.engine.get(h.principal.tenantId, job.id);
    const times = h.callTimes.otx ?? [];

    expect(done.status).toBe('completed');
    expect(done.indicators[0]?.results[0]?.status).toBe('done');
    expect(times).toHaveLength(2);
    expect((times[1] ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(3600_000);
    expect(delivered).toBeGreaterThanOrEqual(5); // the first try, four 15-minute hops without a call
  }, 60_000);

  it('refuses more than 1,000 indicators with 413 and guidance, and bad indicators with 400', async () => {
    h = await enrichmentHarness(tables, { providers: {} });
    const many = Array.from({ length: 1001 }, (_, i) => ({
      value: `185.${Math.floor(i / 250)}.${i % 250}.1`,
    }));

    await expect(h.engine.create(h.principal, { indicators: many })).rejects.toMatchObject({
      status: 413,
      code: 'too_many_indicators',
    });
    await expect(
      h.engine.create(h.principal, { indicators: [{ value: 'not an indicator at all' }] }),
    ).rejects.toMatchObject({
      status: 400,
      code: 'invalid_indicator',
    });
  });
});
