import {
  OutboundRateLimitedError,
  OutboundTimeoutError,
  QuotaExhaustedError,
  UpstreamError,
} from '../integrations/http/errors';
import type { QuotaPlan } from '../integrations/ports';
import { VigilError } from '../platform/errors';

/**
 * The quota governor and the circuit breaker every provider worker goes through before it calls a
 * provider. State lives behind the `QuotaStore` port, one bucket and one breaker per (tenant,
 * provider), shared by all workers; every change is a compare-and-set on a version, so concurrent
 * Lambdas never over-grant. When the governor or the breaker says no, the worker delays its message
 * by `retryAfterSeconds`: it is never dropped and never sent early.
 *
 * Times are epoch milliseconds (whole milliseconds; fractions are rounded) and come from the
 * caller, so the logic is deterministic under test.
 */

/** A window of a provider's plan. */
export type QuotaWindow = 'second' | 'minute' | 'day' | 'month';

/**
 * Grants recorded in a rolling window, as `[at, count]` pairs in ascending order. `at` is the grant
 * time rounded up to the window's resolution, so it is never earlier than the true grant time.
 */
export type GrantLog = [at: number, count: number][];

/** Grants counted in one calendar period (UTC), as the provider resets it. */
export interface PeriodCount {
  /** Start of the period, epoch ms. */
  start: number;
  used: number;
}

/** The persisted state of one (tenant, provider) bucket. */
export interface BucketState {
  /** The latest time a grant was evaluated at; how far back older clocks are still trusted. */
  clock: number;
  second?: GrantLog;
  minute?: GrantLog;
  day?: PeriodCount;
  month?: PeriodCount;
}

export type BreakerPhase = 'closed' | 'open' | 'half-open';

/** The persisted state of one (tenant, provider) circuit breaker. */
export interface BreakerState {
  phase: BreakerPhase;
  /** Consecutive failures while closed (kept at the threshold while open). */
  failures: number;
  /** Consecutive opens without a successful probe; each doubles the cool-down. */
  opens: number;
  openedAt?: number;
  /** When an open breaker lets a probe through. */
  retryAt?: number;
  /** While half-open: the probe in flight holds the breaker until then (a crashed probe expires). */
  probeUntil?: number;
}

/** A stored value with the version a compare-and-set must match. */
export interface Versioned<T> {
  value: T;
  version: number;
}

export interface SaveOptions {
  /** The version read; `undefined` when nothing was stored (the write must then create the item). */
  expectedVersion: number | undefined;
  /** Epoch ms after which the state no longer affects any decision; the store may expire it then. */
  expiresAt: number;
}

/**
 * Storage for buckets and breakers, shared by all workers. Saves are compare-and-set: they write
 * only if the stored version is still `expectedVersion` (stored as `expectedVersion + 1`) and return
 * false, writing nothing, otherwise.
 */
export interface QuotaStore {
  loadBucket(tenantId: string, provider: string): Promise<Versioned<BucketState> | undefined>;
  saveBucket(tenantId: string, provider: string, state: BucketState, options: SaveOptions): Promise<boolean>;
  loadBreaker(tenantId: string, provider: string): Promise<Versioned<BreakerState> | undefined>;
  saveBreaker(
    tenantId: string,
    provider: string,
    state: BreakerState,
    options: SaveOptions,
  ): Promise<boolean>;
}

/** Tuning of the compare-and-set loop; the defaults suit production. */
export interface OptimisticDeps {
  /** Reads and writes per call before giving up on a contended item (default 10). */
  maxAttempts?: number;
  /** Waits between attempts (default `setTimeout`); tests pass a no-op. */
  sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1) (default `Math.random`). */
  random?: () => number;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** How long an untouched breaker remembers its history (and its doubled cool-down). */
const BREAKER_MEMORY_MS = DAY;
/** Delay suggested when an item stayed contended through every attempt. */
const CONTENTION_DELAY_MS = SECOND;

const ROLLING = { second: SECOND, minute: MINUTE } as const;
/** Rolling windows above this many grants are recorded at period/60 resolution to bound the log. */
const EXACT_LOG_LIMIT = 60;

type Rolling = keyof typeof ROLLING;
type Calendar = 'day' | 'month';

interface Limit {
  window: QuotaWindow;
  limit: number;
}

const PLAN_FIELDS = {
  second: 'perSecond',
  minute: 'perMinute',
  day: 'perDay',
  month: 'perMonth',
} as const satisfies Record<QuotaWindow, keyof QuotaPlan>;

/** The windows a plan declares; a limit must be a positive whole number. */
function limitsOf(plan: QuotaPlan): Limit[] {
  const limits: Limit[] = [];
  for (const window of Object.keys(PLAN_FIELDS) as QuotaWindow[]) {
    const limit = plan[PLAN_FIELDS[window]];
    if (limit === undefined) continue;
    if (!Number.isInteger(limit) || limit <= 0) {
      throw new RangeError(`Quota plan ${PLAN_FIELDS[window]} must be a positive integer, got ${limit}.`);
    }
    limits.push({ window, limit });
  }
  return limits;
}

const periodStart = (window: Calendar, t: number): number => {
  const d = new Date(t);
  return window === 'day'
    ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate())
    : Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
};

const nextPeriodStart = (window: Calendar, t: number): number => {
  const d = new Date(t);
  return window === 'day'
    ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1)
    : Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
};

type WindowOutcome<T> = { ok: true; next: T; idleAfter: number } | { ok: false; retryAt: number };

function evaluateRolling(
  log: GrantLog | undefined,
  clock: number,
  period: number,
  limit: number,
  t: number,
): WindowOutcome<GrantLog> {
  // Entries older than clock - 2·period were pruned, so a clock further behind than one period
  // would miss grants its window must count: it waits until it has caught up.
  if (t < clock - period) return { ok: false, retryAt: clock - period };
  const entries = [...(log ?? [])].sort((a, b) => a[0] - b[0]);
  // Every grant recorded after t - period, including any recorded "after" t by a faster clock.
  const counted = entries.filter(([at]) => at > t - period);
  const used = counted.reduce((sum, [, count]) => sum + count, 0);
  if (used >= limit) {
    // Wait until enough of the oldest counted grants leave the window to free one slot.
    let toDrop = used - limit + 1;
    for (const [at, count] of counted) {
      toDrop -= count;
      if (toDrop <= 0) return { ok: false, retryAt: at + period };
    }
  }
  const resolution = limit <= EXACT_LOG_LIMIT ? 1 : Math.ceil(period / EXACT_LOG_LIMIT);
  const at = Math.ceil(t / resolution) * resolution;
  const horizon = Math.max(clock, t) - 2 * period;
  const next: GrantLog = entries.filter(([recorded]) => recorded > horizon).map(([a, c]) => [a, c]);
  const same = next.find(([recorded]) => recorded === at);
  if (same) same[1] += 1;
  else next.push([at, 1]);
  next.sort((a, b) => a[0] - b[0]);
  const newest = next.at(-1)?.[0] ?? at;
  return { ok: true, next, idleAfter: newest + period };
}

function evaluateCalendar(
  count: PeriodCount | undefined,
  window: Calendar,
  limit: number,
  t: number,
): WindowOutcome<PeriodCount> {
  const start = periodStart(window, t);
  // Another worker's clock already moved on to the next period: this one's count is gone.
  if (count && count.start > start) return { ok: false, retryAt: count.start };
  const used = count?.start === start ? count.used : 0;
  if (used >= limit) return { ok: false, retryAt: nextPeriodStart(window, t) };
  return { ok: true, next: { start, used: used + 1 }, idleAfter: nextPeriodStart(window, t) };
}

/** What the plan's windows say about one more call at `now`. */
export type QuotaEvaluation =
  | { granted: true; next: BucketState; expiresAt: number }
  | { granted: false; retryAt: number; window: QuotaWindow };

/**
 * Decides one call against every window of `plan` and, if all have room, the state with one grant
 * taken from each. Pure: the governor wraps it in a compare-and-set. Windows the plan no longer
 * declares are dropped from the state.
 */
export function evaluateQuota(state: BucketState | undefined, plan: QuotaPlan, now: number): QuotaEvaluation {
  const t = Math.round(now);
  const clock = state?.clock ?? Number.NEGATIVE_INFINITY;
  const next: BucketState = { clock: Math.max(clock, t) };
  let expiresAt = t;
  let refusal: { retryAt: number; window: QuotaWindow } | undefined;
  for (const { window, limit } of limitsOf(plan)) {
    const outcome =
      window === 'second' || window === 'minute'
        ? evaluateRolling(state?.[window], clock, ROLLING[window as Rolling], limit, t)
        : evaluateCalendar(state?.[window], window, limit, t);
    if (!outcome.ok) {
      if (!refusal || outcome.retryAt > refusal.retryAt) refusal = { retryAt: outcome.retryAt, window };
      continue;
    }
    expiresAt = Math.max(expiresAt, outcome.idleAfter);
    if (window === 'second' || window === 'minute') next[window] = outcome.next as GrantLog;
    else next[window] = outcome.next as PeriodCount;
  }
  if (refusal) return { granted: false, ...refusal };
  return { granted: true, next, expiresAt };
}

/**
 * Calls still allowed today by the plan's day and month windows (the smaller of the two), or
 * `undefined` when the plan declares neither. For `GET /v1/providers`.
 */
export function quotaRemainingToday(
  state: BucketState | undefined,
  plan: QuotaPlan,
  now: number,
): number | undefined {
  const t = Math.round(now);
  let remaining: number | undefined;
  for (const { window, limit } of limitsOf(plan)) {
    if (window !== 'day' && window !== 'month') continue;
    const count = state?.[window];
    const used = count && count.start >= periodStart(window, t) ? count.used : 0;
    remaining = Math.min(remaining ?? Number.POSITIVE_INFINITY, Math.max(0, limit - used));
  }
  return remaining;
}

/** The governor's answer. Refusals carry the exact wait; SQS delays round it up to whole seconds. */
export type QuotaDecision =
  | { granted: true }
  | {
      granted: false;
      /** Seconds (millisecond precision) until the call would be granted, absent other grants. */
      retryAfterSeconds: number;
      /** The same moment, epoch ms. */
      retryAt: number;
      /** `quota`: a window is full; `contention`: the bucket kept changing under this call. */
      reason: 'quota' | 'contention';
      /** The window that is full the longest (for `quota`). */
      window?: QuotaWindow;
    };

export interface QuotaGovernor {
  /**
   * Takes one call from every window of `plan` for (tenant, provider), or none at all. `plan` is
   * the catalog plan merged with the tenant's override.
   */
  acquire(tenantId: string, provider: string, plan: QuotaPlan, now: number): Promise<QuotaDecision>;
  /**
   * Takes as many calls as the windows allow, up to `count`, in one compare-and-set: the same
   * grants `count` successive `acquire`s at `now` would make. `refusal` says when the first call
   * not granted would be.
   */
  acquireUpTo(
    tenantId: string,
    provider: string,
    plan: QuotaPlan,
    now: number,
    count: number,
  ): Promise<{ granted: number; refusal?: Extract<QuotaDecision, { granted: false }> }>;
  /** See `quotaRemainingToday`. */
  remainingToday(
    tenantId: string,
    provider: string,
    plan: QuotaPlan,
    now: number,
  ): Promise<number | undefined>;
}

export interface QuotaGovernorDeps extends OptimisticDeps {
  store: QuotaStore;
}

type Step<S, R> = (current: S | undefined) => { result: R; write?: { state: S; expiresAt: number } };

/**
 * Read, decide, compare-and-set; on a lost race, back off with full jitter and decide again on
 * fresh state. Returns `undefined` when every attempt lost.
 */
async function optimistic<S, R>(
  deps: OptimisticDeps,
  load: () => Promise<Versioned<S> | undefined>,
  save: (state: S, options: SaveOptions) => Promise<boolean>,
  step: Step<S, R>,
): Promise<R | undefined> {
  const maxAttempts = deps.maxAttempts ?? 10;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = deps.random ?? Math.random;
  for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
    const current = await load();
    const { result, write } = step(current?.value);
    if (!write) return result;
    if (await save(write.state, { expectedVersion: current?.version, expiresAt: write.expiresAt }))
      return result;
    if (attempt < maxAttempts) await sleep(random() * Math.min(200, 10 * 2 ** (attempt - 1)));
  }
  return undefined;
}

const refusalAt = (retryAt: number, t: number) => ({
  retryAt,
  retryAfterSeconds: Math.max(0, retryAt - t) / 1000,
});

/**
 * The quota governor shared by all provider workers.
 *
 * Guarantee, per (tenant, provider), for grants made through the shared store:
 * - `perSecond` / `perMinute`: in every interval [a, a + period) at most `limit` calls are granted
 *   (a sliding log, not calendar windows: no burst of 2·limit across a boundary). Limits above 60
 *   record grants at period/60 resolution, which may delay a grant by up to that much but never
 *   lets one through early.
 * - `perDay` / `perMonth`: at most `limit` grants per UTC calendar day / month, the periods the
 *   providers reset on.
 * - A call is granted only if every window has room, and then takes one from each in a single
 *   compare-and-set: a refusal consumes nothing.
 * - A refusal's `retryAt` is the earliest moment at which the same call would be granted if nothing
 *   else is granted meanwhile: the latest of the windows' next free slots.
 * A worker whose clock is more than one period behind the bucket's latest grant is refused until it
 * catches up (history that old has been pruned). Token buckets with capacity = limit would allow up
 * to 2·limit − 1 calls in one period, so the rolling windows are exact logs instead.
 */
export function quotaGovernor(deps: QuotaGovernorDeps): QuotaGovernor {
  const { store } = deps;
  return {
    async acquire(tenantId, provider, plan, now) {
      const t = Math.round(now);
      if (limitsOf(plan).length === 0) return { granted: true };
      const decision = await optimistic<BucketState, QuotaDecision>(
        deps,
        () => store.loadBucket(tenantId, provider),
        (state, options) => store.saveBucket(tenantId, provider, state, options),
        (current) => {
          const evaluation = evaluateQuota(current, plan, t);
          if (!evaluation.granted) {
            const { retryAt, window } = evaluation;
            return { result: { granted: false, ...refusalAt(retryAt, t), reason: 'quota', window } };
          }
          return {
            result: { granted: true },
            write: { state: evaluation.next, expiresAt: evaluation.expiresAt },
          };
        },
      );
      return decision ?? { granted: false, ...refusalAt(t + CONTENTION_DELAY_MS, t), reason: 'contention' };
    },

    async acquireUpTo(tenantId, provider, plan, now, count) {
      const t = Math.round(now);
      if (limitsOf(plan).length === 0) return { granted: count };
      type Outcome = { granted: number; refusal?: Extract<QuotaDecision, { granted: false }> };
      const decision = await optimistic<BucketState, Outcome>(
        deps,
        () => store.loadBucket(tenantId, provider),
        (state, options) => store.saveBucket(tenantId, provider, state, options),
        (current) => {
          let state = current;
          let expiresAt = t;
          let granted = 0;
          let refusal: Outcome['refusal'];
          while (granted < count) {
            const evaluation = evaluateQuota(state, plan, t);
            if (!evaluation.granted) {
              const { retryAt, window } = evaluation;
              refusal = { granted: false, ...refusalAt(retryAt, t), reason: 'quota', window };
              break;
            }
            state = evaluation.next;
            expiresAt = Math.max(expiresAt, evaluation.expiresAt);
            granted += 1;
          }
          const result = { granted, ...(refusal ? { refusal } : {}) };
          return granted > 0 && state ? { result, write: { state, expiresAt } } : { result };
        },
      );
      return (
        decision ?? {
          granted: 0,
          refusal: { granted: false, ...refusalAt(t + CONTENTION_DELAY_MS, t), reason: 'contention' },
        }
      );
    },

    async remainingToday(tenantId, provider, plan, now) {
      return quotaRemainingToday((await store.loadBucket(tenantId, provider))?.value, plan, now);
    },
  };
}

/** The breaker's item changed under every attempt, so an outcome could not be recorded. */
export class QuotaContentionError extends VigilError {
  override readonly name = 'QuotaContentionError';
  override readonly status = 503;
  override readonly code = 'quota_contention';
}

export type BreakerPermit =
  /** `clean`: closed with no failures counted, so successes would change nothing. */
  { allowed: true; probe: boolean; clean: boolean } | { allowed: false; retryAfterSeconds: number };

/** A breaker as `GET /v1/providers` shows it. */
export interface BreakerStatus {
  /** `half-open` once the cool-down is over (a probe may go, or is in flight). */
  state: BreakerPhase;
  failures: number;
  /** The provider is degraded while the breaker is not closed. */
  degraded: boolean;
  openedAt?: number;
  /** While open: when the next probe may go. */
  retryAt?: number;
}

export interface CircuitBreaker {
  /** Whether a call may go now; in half-open exactly one caller at a time gets `probe: true`. */
  permit(tenantId: string, provider: string, now: number): Promise<BreakerPermit>;
  /** Records a successful call: resets the failure count; a half-open breaker closes. */
  success(tenantId: string, provider: string, now: number): Promise<void>;
  /** Records a failed call (429, 5xx, timeout): may open, or re-open, the breaker. */
  failure(tenantId: string, provider: string, now: number): Promise<void>;
  /** Records several calls' outcomes, in order, in one compare-and-set (a worker's batch). */
  record(
    tenantId: string,
    provider: string,
    outcomes: readonly ('success' | 'failure')[],
    now: number,
  ): Promise<void>;
  state(tenantId: string, provider: string, now: number): Promise<BreakerStatus>;
}

export interface CircuitBreakerDeps extends OptimisticDeps {
  store: QuotaStore;
  /** Consecutive failures that open the breaker (default 5). */
  failureThreshold?: number;
  /** First cool-down, doubled on each re-open (default 60 s). */
  coolDownMs?: number;
  /** Cap of the doubled cool-down (default 15 min). */
  maxCoolDownMs?: number;
  /** How long a probe holds a half-open breaker before another may go (default 30 s). */
  probeLeaseMs?: number;
}

const CLOSED: BreakerState = { phase: 'closed', failures: 0, opens: 0 };

/**
 * The circuit breaker per (tenant, provider): closed → open after `failureThreshold` consecutive
 * failures → half-open after a cool-down (60 s, doubling per consecutive open up to 15 min), where
 * exactly one probe call at a time is let through → closed on its success, open again on its
 * failure. A probe that never reports back releases the breaker after `probeLeaseMs`. Outcomes
 * reported while open (calls let through before it opened) change nothing; in half-open any
 * reported outcome counts as the probe's. All transitions are compare-and-set on the shared store.
 */
export function circuitBreaker(deps: CircuitBreakerDeps): CircuitBreaker {
  const { store } = deps;
  const threshold = deps.failureThreshold ?? 5;
  const coolDown = deps.coolDownMs ?? MINUTE;
  const maxCoolDown = deps.maxCoolDownMs ?? 15 * MINUTE;
  const lease = deps.probeLeaseMs ?? 30 * SECOND;
  if (!Number.isInteger(threshold) || threshold < 1) throw new RangeError('failureThreshold must be ≥ 1.');

  const expiry = (s: BreakerState, t: number) =>
    Math.max(t, s.retryAt ?? t, s.probeUntil ?? t) + BREAKER_MEMORY_MS;
  const write = (state: BreakerState, t: number) => ({ state, expiresAt: expiry(state, t) });

  const open = (s: BreakerState, t: number): BreakerState => {
    const opens = s.opens + 1;
    const wait = Math.min(maxCoolDown, coolDown * 2 ** (opens - 1));
    return {
      phase: 'open',
      failures: Math.max(s.failures, threshold),
      opens,
      openedAt: t,
      retryAt: t + wait,
    };
  };

  /** A success closes a half-open breaker and resets the failures; while open it changes nothing. */
  const afterSuccess = (s: BreakerState): BreakerState =>
    s.phase === 'open' || (s.phase === 'closed' && s.failures === 0) ? s : CLOSED;
  /** A failure counts while closed (opening at the threshold) and re-opens a half-open breaker. */
  const afterFailure = (s: BreakerState, t: number): BreakerState => {
    if (s.phase === 'open') return s;
    if (s.phase === 'half-open') return open(s, t);
    const failures = s.failures + 1;
    return failures >= threshold ? open({ ...s, failures }, t) : { ...s, failures };
  };

  const record = async (tenantId: string, provider: string, step: Step<BreakerState, true>) => {
    const done = await optimistic<BreakerState, true>(
      deps,
      () => store.loadBreaker(tenantId, provider),
      (state, options) => store.saveBreaker(tenantId, provider, state, options),
      step,
    );
    if (!done)
      throw new QuotaContentionError(`The breaker of ${provider} stayed contended; outcome not recorded.`);
  };

  const recordOutcomes: CircuitBreaker['record'] = (tenantId, provider, outcomes, now) => {
    const t = Math.round(now);
    return record(tenantId, provider, (current) => {
      const start = current ?? CLOSED;
      let s = start;
      for (const outcome of outcomes) s = outcome === 'success' ? afterSuccess(s) : afterFailure(s, t);
      return s === start ? { result: true } : { result: true, write: write(s, t) };
    });
  };

  return {
    async permit(tenantId, provider, now) {
      const t = Math.round(now);
      const permit = await optimistic<BreakerState, BreakerPermit>(
        deps,
        () => store.loadBreaker(tenantId, provider),
        (state, options) => store.saveBreaker(tenantId, provider, state, options),
        (current) => {
          const s = current ?? CLOSED;
          if (s.phase === 'closed')
            return { result: { allowed: true, probe: false, clean: s.failures === 0 } };
          const heldUntil = s.phase === 'open' ? (s.retryAt ?? t) : (s.probeUntil ?? t);
          if (t < heldUntil) return { result: { allowed: false, retryAfterSeconds: (heldUntil - t) / 1000 } };
          return {
            result: { allowed: true, probe: true, clean: false },
            write: write({ ...s, phase: 'half-open', probeUntil: t + lease }, t),
          };
        },
      );
      return permit ?? { allowed: false, retryAfterSeconds: CONTENTION_DELAY_MS / 1000 };
    },

    success: (tenantId, provider, now) => recordOutcomes(tenantId, provider, ['success'], now),
    failure: (tenantId, provider, now) => recordOutcomes(tenantId, provider, ['failure'], now),
    record: recordOutcomes,

    async state(tenantId, provider, now) {
      const t = Math.round(now);
      const s = (await store.loadBreaker(tenantId, provider))?.value ?? CLOSED;
      const phase: BreakerPhase = s.phase === 'open' && t >= (s.retryAt ?? t) ? 'half-open' : s.phase;
      return {
        state: phase,
        failures: s.failures,
        degraded: phase !== 'closed',
        ...(phase !== 'closed' && s.openedAt !== undefined ? { openedAt: s.openedAt } : {}),
        ...(phase === 'open' && s.retryAt !== undefined ? { retryAt: s.retryAt } : {}),
      };
    },
  };
}

/** Whether an outbound error counts against the breaker: throttling, 5xx and timeouts do. */
export function countsAsBreakerFailure(error: unknown): boolean {
  return (
    error instanceof OutboundRateLimitedError ||
    error instanceof UpstreamError ||
    error instanceof OutboundTimeoutError
  );
}

/**
 * The delay (whole seconds, at least 1) the provider asked for in an outbound error: a 429's or
 * 503's `Retry-After`, or the reset time of an exhausted quota. `undefined` when it said nothing.
 */
export function honorRetryAfter(error: unknown, now: number = Date.now()): number | undefined {
  if (error instanceof OutboundRateLimitedError) return error.retryAfterSeconds;
  if (error instanceof UpstreamError) return error.retryAfterSeconds;
  if (error instanceof QuotaExhaustedError && error.resetsAt) {
    return Math.max(1, Math.ceil((error.resetsAt.getTime() - now) / 1000));
  }
  return undefined;
}
