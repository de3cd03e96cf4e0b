import { describe, expect, it } from 'vitest';
import {
  type BreakerState,
  type BucketState,
  circuitBreaker,
  countsAsBreakerFailure,
  evaluateQuota,
  honorRetryAfter,
  QuotaContentionError,
  type QuotaStore,
  quotaGovernor,
  type SaveOptions,
  type Versioned,
} from '../../../shared/enrichment/quota';
import {
  OutboundAuthError,
  OutboundNotFoundError,
  OutboundRateLimitedError,
  OutboundTimeoutError,
  QuotaExhaustedError,
  UpstreamError,
} from '../../../shared/integrations/http/errors';
import type { QuotaPlan } from '../../../shared/integrations/ports';

/** Noon UTC on a plain Tuesday; calls pass explicit times derived from it. */
const T0 = Date.UTC(2026, 2, 10, 12, 0, 0);
const s = (seconds: number) => T0 + seconds * 1000;
const noSleep = async () => {};

interface Row<T> {
  value: T;
  version: number;
  expiresAt: number;
}

/**
 * The QuotaStore port in memory, with the same compare-and-set contract as the DynamoDB adapter.
 * Reads yield to the event loop first, so parallel calls interleave and really race.
 */
function memoryStore() {
  const buckets = new Map<string, Row<BucketState>>();
  const breakers = new Map<string, Row<BreakerState>>();
  let beforeSave: (() => Promise<void>) | undefined;
  let conflictsForced = 0;
  let saves = 0;

  const load = async <T>(rows: Map<string, Row<T>>, key: string): Promise<Versioned<T> | undefined> => {
    await new Promise((resolve) => setImmediate(resolve));
    const row = rows.get(key);
    return row ? { value: structuredClone(row.value), version: row.version } : undefined;
  };
  const save = async <T>(rows: Map<string, Row<T>>, key: string, value: T, options: SaveOptions) => {
    saves += 1;
    const hook = beforeSave;
    beforeSave = undefined;
    if (hook) await hook();
    if (conflictsForced > 0) {
      conflictsForced -= 1;
      return false;
    }
    if (rows.get(key)?.version !== options.expectedVersion) return false;
    rows.set(key, {
      value: structuredClone(value),
      version: (options.expectedVersion ?? 0) + 1,
      expiresAt: options.expiresAt,
    });
    return true;
  };

  const store: QuotaStore = {
    loadBucket: (tenantId, provider) => load(buckets, `${tenantId}#${provider}`),
    saveBucket: (tenantId, provider, state, options) =>
      save(buckets, `${tenantId}#${provider}`, state, options),
    loadBreaker: (tenantId, provider) => load(breakers, `${tenantId}#${provider}`),
    saveBreaker: (tenantId, provider, state, options) =>
      save(breakers, `${tenantId}#${provider}`, state, options),
  };
  return {
    store,
    buckets,
    breakers,
    get saves() {
      return saves;
    },
    /** Runs `hook` (another worker's write) between the next save's read and its write. */
    interleave(hook: () => Promise<void>) {
      beforeSave = hook;
    },
    /** Makes the next `n` saves lose their race. */
    forceConflicts(n: number) {
      conflictsForced = n;
    },
  };
}

/** A small deterministic PRNG (mulberry32), so property checks are reproducible. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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

const refusal = (decision: Awaited<ReturnType<ReturnType<typeof quotaGovernor>['acquire']>>) => {
  if (decision.granted) throw new Error('expected a refusal');
  return decision;
};

describe('quota governor', () => {
  const perMinute4: QuotaPlan = { perMinute: 4, summary: '4/min' };

  it('grants up to the per-minute limit, then refuses until the oldest grant leaves the 60 s window', async () => {
    // Prepare
    const governor = quotaGovernor({ store: memoryStore().store, sleep: noSleep });
    const granted: boolean[] = [];

    // Act
    for (const at of [0, 10, 20, 30])
      granted.push((await governor.acquire('t1', 'vt', perMinute4, s(at))).granted);
    const fifth = refusal(await governor.acquire('t1', 'vt', perMinute4, s(45.5)));

    // Assess
    expect(granted).toEqual([true, true, true, true]);
    expect(fifth).toMatchObject({
      reason: 'quota',
      window: 'minute',
      retryAt: s(60),
      retryAfterSeconds: 14.5,
    });
    expect((await governor.acquire('t1', 'vt', perMinute4, s(59.999))).granted).toBe(false);
    expect((await governor.acquire('t1', 'vt', perMinute4, s(60))).granted).toBe(true);
    // The next slot frees when the grant at 10 s leaves the window.
    expect(refusal(await governor.acquire('t1', 'vt', perMinute4, s(60)))).toMatchObject({ retryAt: s(70) });
  });

  it('does not let a burst straddle a calendar-minute boundary', async () => {
    const governor = quotaGovernor({ store: memoryStore().store, sleep: noSleep });
    for (const at of [50, 55, 58, 59])
      expect((await governor.acquire('t1', 'vt', perMinute4, s(at))).granted).toBe(true);

    // A fixed calendar-minute counter would reset at 60 s and allow four more right away.
    expect(refusal(await governor.acquire('t1', 'vt', perMinute4, s(61)))).toMatchObject({ retryAt: s(110) });
  });

  it('keeps buckets apart per tenant and per provider', async () => {
    const governor = quotaGovernor({ store: memoryStore().store, sleep: noSleep });
    const plan: QuotaPlan = { perMinute: 1, summary: '1/min' };
    expect((await governor.acquire('t1', 'vt', plan, s(0))).granted).toBe(true);

    expect((await governor.acquire('t1', 'vt', plan, s(1))).granted).toBe(false);
    expect((await governor.acquire('t2', 'vt', plan, s(1))).granted).toBe(true);
    expect((await governor.acquire('t1', 'otx', plan, s(1))).granted).toBe(true);
  });

  it('requires a token in every window the plan declares', async () => {
    const governor = quotaGovernor({ store: memoryStore().store, sleep: noSleep });
    const plan: QuotaPlan = { perSecond: 1, perMinute: 3, summary: '' };

    expect((await governor.acquire('t1', 'p', plan, s(0))).granted).toBe(true);
    expect(refusal(await governor.acquire('t1', 'p', plan, s(0.5)))).toMatchObject({
      window: 'second',
      retryAfterSeconds: 0.5,
    });
    expect((await governor.acquire('t1', 'p', plan, s(1))).granted).toBe(true);
    expect((await governor.acquire('t1', 'p', plan, s(2))).granted).toBe(true);
    expect(refusal(await governor.acquire('t1', 'p', plan, s(3)))).toMatchObject({
      window: 'minute',
      retryAt: s(60),
      retryAfterSeconds: 57,
    });
  });

  it('answers with the latest of the windows when several are full', async () => {
    const governor = quotaGovernor({ store: memoryStore().store, sleep: noSleep });
    const plan: QuotaPlan = { perSecond: 1, perMinute: 1, summary: '' };
    await governor.acquire('t1', 'p', plan, s(0));

    // Both windows are out at 0.2 s; the second window frees at 1 s but the minute one only at 60 s.
    expect(refusal(await governor.acquire('t1', 'p', plan, s(0.2)))).toMatchObject({
      window: 'minute',
      retryAt: s(60),
    });
  });

  it('takes nothing from any window when one of them refuses', async () => {
    // Prepare: ten seconds before UTC midnight, a plan of 3/min and 2/day.
    const midnight = Date.UTC(2026, 2, 11);
    const plan: QuotaPlan = { perMinute: 3, perDay: 2, summary: '' };
    const governor = quotaGovernor({ store: memoryStore().store, sleep: noSleep });
    await governor.acquire('t1', 'p', plan, midnight - 10_000);
    await governor.acquire('t1', 'p', plan, midnight - 9_000);

    // Act: the day window is out; these refusals must not eat the minute window's last slot.
    const refusals = [];
    for (const ms of [8_000, 7_000, 6_000])
      refusals.push(await governor.acquire('t1', 'p', plan, midnight - ms));

    // Assess
    for (const r of refusals) expect(refusal(r)).toMatchObject({ window: 'day', retryAt: midnight });
    expect((await governor.acquire('t1', 'p', plan, midnight)).granted).toBe(true);
    expect(refusal(await governor.acquire('t1', 'p', plan, midnight + 1000))).toMatchObject({
      window: 'minute',
      retryAt: midnight + 50_000,
    });
  });

  it('counts day and month quotas per UTC calendar period, resetting at the provider period start', async () => {
    const governor = quotaGovernor({ store: memoryStore().store, sleep: noSleep });
    const plan: QuotaPlan = { perMonth: 2, summary: '2/month' };
    const dec31 = Date.UTC(2026, 11, 31, 23, 0);
    await governor.acquire('t1', 'p', plan, Date.UTC(2026, 11, 1));
    await governor.acquire('t1', 'p', plan, Date.UTC(2026, 11, 15));

    expect(refusal(await governor.acquire('t1', 'p', plan, dec31))).toMatchObject({
      window: 'month',
      retryAt: Date.UTC(2027, 0, 1),
      retryAfterSeconds: 3600,
    });
    expect((await governor.acquire('t1', 'p', plan, Date.UTC(2027, 0, 1))).granted).toBe(true);
  });

  it('reports the calls left today from the day and month windows', async () => {
    const governor = quotaGovernor({ store: memoryStore().store, sleep: noSleep });
    const plan: QuotaPlan = { perMinute: 4, perDay: 500, perMonth: 15_500, summary: '' };
    for (const at of [0, 1, 2]) await governor.acquire('t1', 'vt', plan, s(at));

    expect(await governor.remainingToday('t1', 'vt', plan, s(3))).toBe(497);
    expect(await governor.remainingToday('t1', 'vt', plan, s(86_400))).toBe(500);
    expect(await governor.remainingToday('t1', 'vt', { ...plan, perMonth: 10 }, s(3))).toBe(7);
    expect(await governor.remainingToday('t1', 'vt', perMinute4, s(3))).toBeUndefined();
    expect(await governor.remainingToday('t1', 'never-called', plan, s(3))).toBe(500);
  });

  it('grants a plan without limits without touching the store', async () => {
    const memory = memoryStore();
    const governor = quotaGovernor({ store: memory.store, sleep: noSleep });

    expect(await governor.acquire('t1', 'p', { summary: 'unlimited' }, s(0))).toEqual({ granted: true });
    expect(memory.saves).toBe(0);
  });

  it('rejects a plan with a zero or fractional limit', async () => {
    const governor = quotaGovernor({ store: memoryStore().store, sleep: noSleep });

    await expect(governor.acquire('t1', 'p', { perDay: 0, summary: '' }, s(0))).rejects.toThrow(RangeError);
    await expect(governor.acquire('t1', 'p', { perSecond: 0.5, summary: '' }, s(0))).rejects.toThrow(
      RangeError,
    );
  });

  it('re-reads and re-decides when another worker wins the race for the bucket', async () => {
    // Prepare: 1/min; another worker takes the only token between our read and our write.
    const memory = memoryStore();
    const plan: QuotaPlan = { perMinute: 1, summary: '' };
    const mine = quotaGovernor({ store: memory.store, sleep: noSleep });
    const theirs = quotaGovernor({ store: memory.store, sleep: noSleep });
    let theirDecision: Awaited<ReturnType<typeof theirs.acquire>> | undefined;
    memory.interleave(async () => {
      theirDecision = await theirs.acquire('t1', 'p', plan, s(0));
    });

    // Act
    const myDecision = await mine.acquire('t1', 'p', plan, s(0));

    // Assess
    expect(theirDecision?.granted).toBe(true);
    expect(refusal(myDecision)).toMatchObject({ reason: 'quota', retryAt: s(60) });
    expect(memory.buckets.get('t1#p')?.value.minute).toEqual([[s(0), 1]]);
  });

  it('never over-grants when many workers race at the same instant', async () => {
    const memory = memoryStore();
    const workers = Array.from({ length: 5 }, () =>
      quotaGovernor({ store: memory.store, sleep: noSleep, maxAttempts: 50 }),
    );
    const plan: QuotaPlan = { perMinute: 7, summary: '' };

    const decisions = await Promise.all(
      Array.from({ length: 30 }, (_, i) => workers[i % workers.length]?.acquire('t1', 'p', plan, s(0))),
    );

    expect(decisions.filter((d) => d?.granted)).toHaveLength(7);
    expect(decisions.filter((d) => d && !d.granted && d.reason === 'quota')).toHaveLength(23);
  });

  it('refuses as contended, taking nothing, when every attempt loses its race', async () => {
    const memory = memoryStore();
    const governor = quotaGovernor({ store: memory.store, sleep: noSleep, maxAttempts: 3 });
    memory.forceConflicts(3);

    const decision = await governor.acquire('t1', 'p', perMinute4, s(0));

    expect(refusal(decision)).toMatchObject({ reason: 'contention', retryAfterSeconds: 1 });
    expect(memory.buckets.get('t1#p')).toBeUndefined();
  });

  it('makes a worker whose clock lags more than a period behind wait until it catches up', async () => {
    const governor = quotaGovernor({ store: memoryStore().store, sleep: noSleep });
    const plan: QuotaPlan = { perSecond: 2, summary: '' };
    await governor.acquire('t1', 'p', plan, s(100));

    expect(refusal(await governor.acquire('t1', 'p', plan, s(98)))).toMatchObject({ retryAt: s(99) });
    // Within one period of lag the decision is still exact: 100 s counts against the window at 99.5 s.
    expect((await governor.acquire('t1', 'p', plan, s(99.5))).granted).toBe(true);
    expect((await governor.acquire('t1', 'p', plan, s(99.6))).granted).toBe(false);
  });

  it('sets the bucket to expire once no window can still count its grants', async () => {
    const memory = memoryStore();
    const governor = quotaGovernor({ store: memory.store, sleep: noSleep });
    await governor.acquire('t1', 'p', { perSecond: 1, perMinute: 4, summary: '' }, s(0));
    await governor.acquire('t1', 'q', { perMinute: 4, perDay: 100, summary: '' }, s(0));

    expect(memory.buckets.get('t1#p')?.expiresAt).toBe(s(60));
    expect(memory.buckets.get('t1#q')?.expiresAt).toBe(Date.UTC(2026, 2, 11));
  });
});

describe('quota evaluation properties', () => {
  it('never puts more than the limit in any rolling window, and its retryAt is exact', () => {
    const random = prng(7);
    const plan: QuotaPlan = { perSecond: 3, perMinute: 20, summary: '' };
    let state: BucketState | undefined;
    let t = T0;
    const grants: number[] = [];
    let exactChecks = 0;
    for (let i = 0; i < 3000; i += 1) {
      t += Math.floor(random() * 900);
      const decision = evaluateQuota(state, plan, t);
      if (decision.granted) {
        state = decision.next;
        grants.push(t);
        continue;
      }
      // Exact: one millisecond earlier is still refused, the moment itself is granted.
      expect(decision.retryAt).toBeGreaterThan(t);
      expect(evaluateQuota(state, plan, decision.retryAt - 1).granted).toBe(false);
      expect(evaluateQuota(state, plan, decision.retryAt).granted).toBe(true);
      exactChecks += 1;
    }

    expect(densestWindow(grants, 1000)).toBe(3);
    expect(densestWindow(grants, 60_000)).toBe(20);
    expect(exactChecks).toBeGreaterThan(100);
  });

  it('stays within the limit when workers with skewed clocks report grants out of order', () => {
    const random = prng(11);
    const plan: QuotaPlan = { perMinute: 5, summary: '' };
    let state: BucketState | undefined;
    let real = T0;
    const grants: number[] = [];
    for (let i = 0; i < 4000; i += 1) {
      real += Math.floor(random() * 2000);
      // Each worker sees the time up to 150 s late: more than one period, so some must wait.
      const t = real - Math.floor(random() * 150_000);
      const decision = evaluateQuota(state, plan, t);
      if (decision.granted) {
        state = decision.next;
        grants.push(t);
      }
    }

    expect(densestWindow(grants, 60_000)).toBeLessThanOrEqual(5);
    expect(grants.length).toBeGreaterThan(200);
  });

  it('bounds the log of a high limit without ever granting early', () => {
    const random = prng(3);
    const plan: QuotaPlan = { perMinute: 2000, summary: '' };
    let state: BucketState | undefined;
    const grants: number[] = [];
    let t = T0;
    for (let i = 0; i < 40_000; i += 1) {
      t += Math.floor(random() * 10);
      const decision = evaluateQuota(state, plan, t);
      if (decision.granted) {
        state = decision.next;
        grants.push(t);
      }
    }

    expect(densestWindow(grants, 60_000)).toBeLessThanOrEqual(2000);
    // About 180 s of calls, far faster than the limit: three full minutes' worth are granted, the
    // 1 s resolution costing at most a second per minute.
    expect(grants.length).toBeGreaterThan(3 * 2000 - 100);
    expect(state?.minute?.length).toBeLessThanOrEqual(121);
  });
});

describe('circuit breaker', () => {
  const setup = (options: { failureThreshold?: number } = {}) => {
    const memory = memoryStore();
    return { memory, breaker: circuitBreaker({ store: memory.store, sleep: noSleep, ...options }) };
  };
  const failTimes = async (breaker: ReturnType<typeof circuitBreaker>, n: number, at: number) => {
    for (let i = 0; i < n; i += 1) await breaker.failure('t1', 'p', at);
  };

  it('stays closed below the threshold, and a success resets the consecutive count', async () => {
    const { breaker } = setup();
    await failTimes(breaker, 4, s(0));
    await breaker.success('t1', 'p', s(1));
    await failTimes(breaker, 4, s(2));

    expect(await breaker.permit('t1', 'p', s(3))).toEqual({ allowed: true, probe: false, clean: false });
    expect(await breaker.state('t1', 'p', s(3))).toEqual({ state: 'closed', failures: 4, degraded: false });
  });

  it('opens after five consecutive failures and refuses calls for the cool-down', async () => {
    const { breaker } = setup();
    await failTimes(breaker, 5, s(0));

    expect(await breaker.permit('t1', 'p', s(20))).toEqual({ allowed: false, retryAfterSeconds: 40 });
    expect(await breaker.state('t1', 'p', s(20))).toEqual({
      state: 'open',
      failures: 5,
      degraded: true,
      openedAt: s(0),
      retryAt: s(60),
    });
  });

  it('honours a configured failure threshold', async () => {
    const { breaker } = setup({ failureThreshold: 2 });
    await failTimes(breaker, 2, s(0));

    expect((await breaker.permit('t1', 'p', s(1))).allowed).toBe(false);
  });

  it('lets exactly one probe through once half-open and holds the others', async () => {
    const { breaker } = setup();
    await failTimes(breaker, 5, s(0));

    const first = await breaker.permit('t1', 'p', s(60));
    const second = await breaker.permit('t1', 'p', s(61));

    expect(first).toEqual({ allowed: true, probe: true, clean: false });
    expect(second).toEqual({ allowed: false, retryAfterSeconds: 29 });
    expect(await breaker.state('t1', 'p', s(61))).toMatchObject({ state: 'half-open', degraded: true });
  });

  it('lets exactly one probe through when half-open permits race', async () => {
    const memory = memoryStore();
    const workers = Array.from({ length: 4 }, () =>
      circuitBreaker({ store: memory.store, sleep: noSleep, maxAttempts: 50 }),
    );
    await failTimes(workers[0] as ReturnType<typeof circuitBreaker>, 5, s(0));

    const permits = await Promise.all(
      Array.from({ length: 20 }, (_, i) => workers[i % workers.length]?.permit('t1', 'p', s(60))),
    );

    expect(permits.filter((p) => p?.allowed)).toEqual([{ allowed: true, probe: true, clean: false }]);
    expect(permits.filter((p) => p && !p.allowed)).toHaveLength(19);
  });

  it('closes on a successful probe and starts again from the base cool-down', async () => {
    const { breaker } = setup();
    await failTimes(breaker, 5, s(0));
    await breaker.permit('t1', 'p', s(60));
    await breaker.failure('t1', 'p', s(60)); // re-opened with 120 s
    await breaker.permit('t1', 'p', s(180));

    await breaker.success('t1', 'p', s(181));

    expect(await breaker.state('t1', 'p', s(181))).toEqual({ state: 'closed', failures: 0, degraded: false });
    expect(await breaker.permit('t1', 'p', s(181))).toEqual({ allowed: true, probe: false, clean: true });
    await failTimes(breaker, 5, s(200));
    expect(await breaker.state('t1', 'p', s(200))).toMatchObject({ state: 'open', retryAt: s(260) });
  });

  it('re-opens on a failed probe, doubling the cool-down up to 15 minutes', async () => {
    const { breaker } = setup();
    await failTimes(breaker, 5, s(0));
    const coolDowns: number[] = [];
    let now = s(0);
    for (let round = 0; round < 6; round += 1) {
      const status = await breaker.state('t1', 'p', now);
      coolDowns.push(((status.retryAt ?? 0) - (status.openedAt ?? 0)) / 1000);
      now = status.retryAt ?? now;
      expect(await breaker.permit('t1', 'p', now)).toEqual({ allowed: true, probe: true, clean: false });
      await breaker.failure('t1', 'p', now);
    }

    expect(coolDowns).toEqual([60, 120, 240, 480, 900, 900]);
  });

  it('releases a half-open breaker whose probe never reported back after the lease', async () => {
    const { breaker } = setup();
    await failTimes(breaker, 5, s(0));
    await breaker.permit('t1', 'p', s(60));

    expect((await breaker.permit('t1', 'p', s(89.999))).allowed).toBe(false);
    expect(await breaker.permit('t1', 'p', s(90))).toEqual({ allowed: true, probe: true, clean: false });
  });

  it('ignores outcomes of calls let through before the breaker opened', async () => {
    const { breaker } = setup();
    await failTimes(breaker, 5, s(0));

    await breaker.success('t1', 'p', s(10));
    await breaker.failure('t1', 'p', s(20));

    expect(await breaker.state('t1', 'p', s(30))).toMatchObject({ state: 'open', retryAt: s(60) });
  });

  it('reports an open breaker past its cool-down as half-open', async () => {
    const { breaker } = setup();
    await failTimes(breaker, 5, s(0));

    expect(await breaker.state('t1', 'p', s(61))).toEqual({
      state: 'half-open',
      failures: 5,
      degraded: true,
      openedAt: s(0),
    });
  });

  it('opens once, not again, when many failures race', async () => {
    const memory = memoryStore();
    const breaker = circuitBreaker({ store: memory.store, sleep: noSleep, maxAttempts: 50 });

    await Promise.all(Array.from({ length: 20 }, () => breaker.failure('t1', 'p', s(0))));

    expect(await breaker.state('t1', 'p', s(0))).toMatchObject({
      state: 'open',
      failures: 5,
      retryAt: s(60),
    });
  });

  it('throws a typed error when an outcome cannot be recorded through contention', async () => {
    const memory = memoryStore();
    const breaker = circuitBreaker({ store: memory.store, sleep: noSleep, maxAttempts: 2 });
    memory.forceConflicts(2);

    await expect(breaker.failure('t1', 'p', s(0))).rejects.toThrow(QuotaContentionError);
  });
});

describe('provider retry hints', () => {
  it('uses the delay a 429 or a 503 asked for', () => {
    expect(honorRetryAfter(new OutboundRateLimitedError('slow down', 17), s(0))).toBe(17);
    expect(honorRetryAfter(new UpstreamError('busy', { status: 503, retryAfterSeconds: 120 }), s(0))).toBe(
      120,
    );
    expect(honorRetryAfter(new UpstreamError('broken', { status: 500 }), s(0))).toBeUndefined();
  });

  it('waits until an exhausted quota resets', () => {
    const resetsAt = new Date(s(3600.2));

    expect(honorRetryAfter(new QuotaExhaustedError('used up', { resetsAt }), s(0))).toBe(3601);
    expect(honorRetryAfter(new QuotaExhaustedError('used up', { resetsAt }), s(4000))).toBe(1);
    expect(honorRetryAfter(new QuotaExhaustedError('used up'), s(0))).toBeUndefined();
  });

  it('has no hint for other errors', () => {
    expect(honorRetryAfter(new OutboundAuthError('nope'), s(0))).toBeUndefined();
    expect(honorRetryAfter(new Error('boom'), s(0))).toBeUndefined();
  });

  it('counts throttling, 5xx and timeouts against the breaker, not client errors or quotas', () => {
    expect(countsAsBreakerFailure(new OutboundRateLimitedError('slow', 1))).toBe(true);
    expect(countsAsBreakerFailure(new UpstreamError('5xx', { status: 502 }))).toBe(true);
    expect(countsAsBreakerFailure(new OutboundTimeoutError('slow', 10_000))).toBe(true);
    expect(countsAsBreakerFailure(new OutboundAuthError('401'))).toBe(false);
    expect(countsAsBreakerFailure(new OutboundNotFoundError('404'))).toBe(false);
    expect(countsAsBreakerFailure(new QuotaExhaustedError('quota'))).toBe(false);
  });
});
