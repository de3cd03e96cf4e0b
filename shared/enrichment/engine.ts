import { randomUUID } from 'node:crypto';
import type { EventBus } from '../events/ports';
import type { Principal } from '../identity/principal';
import { OutboundError } from '../integrations/http/errors';
import type { AdapterContext, Indicator, IntelAdapter, IntelResult, Verdict } from '../integrations/ports';
import type { IntegrationService } from '../integrations/service';
import { INTEL_STORE_PROVIDER } from '../intel/iocs';
import { BadRequestError, NotFoundError, VigilError } from '../platform/errors';
import { extractIndicators } from './extract';
import { normalizeIndicator } from './indicators';
import { type CircuitBreaker, countsAsBreakerFailure, honorRetryAfter, type QuotaGovernor } from './quota';
import {
  type Aggregate,
  type CacheKey,
  cacheKeyOf,
  type EnrichmentStore,
  type IndicatorState,
  type JobIndicator,
  type JobRecord,
  type LatestVerdict,
  type PairState,
  type PairStatus,
  type Priority,
  type VerdictStamp,
  verdictKeyOf,
  type Waiter,
} from './store';
import { aggregateVerdict, defaultVerdictPolicy, type VerdictPolicy } from './verdict';

/**
 * The enrichment engine: one trustworthy verdict per indicator without burning a provider's quota.
 * A job fans out to one (indicator, provider) pair per provider. Offline providers answer at once;
 * cached results are reused; identical in-flight lookups share one provider call; the rest become one
 * queue message each, which a worker takes through the circuit breaker and the quota governor (a
 * refusal delays the message, never drops it and never calls), retries with the provider's
 * `Retry-After`, and after the retry budget settles as failed with its reason and lands in the DLQ.
 * Every settled pair is pushed to the job's WebSocket topic; a malicious or suspicious aggregate is
 * published to the bus for playbooks.
 */
export const maxIndicatorsPerJob = 1000;
export const maxWaitSeconds = 20;

/** One provider call to make, as queued. */
export interface LookupMessage {
  tenantId: string;
  jobId: string;
  index: number;
  provider: string;
  indicator: Indicator;
  attempt: number;
  /** The job bypasses the cache: the provider is called even when a fresh result is cached. */
  force?: boolean;
  /**
   * Epoch ms before which the lookup must not run: a wait longer than SQS's 15-minute delay (a
   * long `Retry-After`, a daily quota) is served in several delays without calling.
   */
  notBefore?: number;
}

/**
 * The fan-out of a large job, done by a worker instead of the request: join or start each of these
 * lookups (one message per up to `planChunk` lookups), so creating a job of a thousand indicators
 * takes as long as writing it.
 */
export interface PlanMessage {
  kind: 'plan';
  tenantId: string;
  jobId: string;
  force: boolean;
  delaySeconds: number;
  lookups: { index: number; provider: string; indicator: Indicator }[];
}

export type QueueMessage = LookupMessage | PlanMessage;

export const isPlan = (message: QueueMessage): message is PlanMessage =>
  (message as PlanMessage).kind === 'plan';

/** Lookups a request fans out itself; a job with more hands them to workers in plan messages. */
const inlineFanOut = 100;
/** SQS's longest per-message delay. */
const maxQueueDelaySeconds = 900;
const planChunk = 100;
const planBytes = 64 * 1024;

export interface LookupQueue {
  /** Queues messages, each after its delay (SQS batches of ten). */
  send(entries: readonly { message: QueueMessage; delaySeconds: number }[]): Promise<void>;
  /** Parks a message that used its retry budget, with the reason, for operators. */
  deadLetter(message: LookupMessage, reason: string): Promise<void>;
}

/** Cache lifetime per verdict: bad news is kept shorter, so it is re-checked sooner. */
export const defaultCacheTtlSeconds: Record<Verdict, number> = {
  malicious: 6 * 3600,
  suspicious: 6 * 3600,
  benign: 24 * 3600,
  unknown: 12 * 3600,
};

/** An unchanged latest verdict is re-recorded at most this often (a cached job writes nothing). */
export const verdictRefreshMs = 3600_000;

/** How long an in-flight lookup holds identical requests before another may call again. */
const inflightLeaseSeconds = 3600;

export interface EngineDeps {
  store: EnrichmentStore;
  integrations: IntegrationService;
  /** Built-in providers that need no network or key (network classification, IOC store, ASN). */
  offline: readonly IntelAdapter[];
  /** Integrations whose category makes them lookup providers. */
  lookupCategories: readonly string[];
  queue: LookupQueue;
  quota: QuotaGovernor;
  breaker: CircuitBreaker;
  /** Pushes messages, in order, to the subscribers of a tenant's topic. */
  publish: (tenantId: string, topic: string, messages: readonly unknown[]) => Promise<unknown>;
  bus: EventBus;
  policy?: (tenantId: string) => Promise<VerdictPolicy>;
  cacheTtlSeconds?: Record<Verdict, number>;
  /** Attempts per pair before it fails (429/5xx/timeouts; default 4). */
  retryBudget?: number;
  /** Back-off after the n-th retryable failure without `Retry-After`: base · 2ⁿ s (default 5). */
  retryBaseSeconds?: number;
  /** How long a worker reuses a provider session (record, plan, credentials; default 15 s). */
  sessionTtlMs?: number;
  now: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface JobInput {
  indicators?: { value: string; type?: string; context?: string }[];
  text?: string;
  providers?: string[];
  priority?: Priority;
  force?: boolean;
}

export type LookupOutcome = 'done' | 'delayed' | 'failed';

export const jobTopic = (jobId: string) => `enrichment:${jobId}`;

const reasonFor = (classification: string) =>
  ['private', 'loopback', 'link-local', 'cgnat', 'unspecified', 'broadcast', 'multicast'].includes(
    classification,
  )
    ? 'private_address'
    : ['documentation', 'benchmarking', 'reserved'].includes(classification)
      ? 'reserved_address'
      : 'internal_name';

const errorText = (error: unknown) => (error instanceof Error ? error.message.slice(0, 200) : String(error));

/** Whether a verdict differs from the stored one, or the stored one is old enough to record again. */
export function verdictChanged(
  stored: VerdictStamp | undefined,
  next: Pick<LatestVerdict, 'verdict' | 'score' | 'confidence'>,
  nowMs: number,
): boolean {
  return (
    !stored ||
    stored.verdict !== next.verdict ||
    stored.score !== next.score ||
    stored.confidence !== next.confidence ||
    !(nowMs - Date.parse(stored.at) < verdictRefreshMs)
  );
}

/** A tenant's provider integration for a worker: plan, credentials, usage counting. */
type ProviderSession = Awaited<ReturnType<IntegrationService['session']>>;

/** What a worker's batch did for one (tenant, provider). */
interface GroupResult {
  outcomes: Map<LookupMessage, LookupOutcome>;
  /** Settled pairs still to apply (the waiters of every call that ended). */
  settlements: Settlement[];
  /** Messages that could not be handled (not a provider's answer): SQS retries them. */
  errors: Map<LookupMessage, unknown>;
}

/** A settled pair to apply to a waiting job. */
interface Settlement {
  tenantId: string;
  waiter: Waiter;
  indicator: Indicator;
  provider: string;
  pair: PairState;
  /** Recorded waiters of the call to forget once every settlement is applied. */
  release?: { key: CacheKey; waiters: Waiter[] };
}

export function enrichmentEngine(deps: EngineDeps) {
  const offline = new Map(deps.offline.map((a) => [a.catalog.name, a]));
  const catalog = new Map(deps.integrations.catalog().map((c) => [c.name, c]));
  const ttl = deps.cacheTtlSeconds ?? defaultCacheTtlSeconds;
  const budget = deps.retryBudget ?? 4;
  const retryBase = deps.retryBaseSeconds ?? 5;
  const nowIso = () => new Date(deps.now()).toISOString();
  const nowSeconds = () => Math.floor(deps.now() / 1000);
  const policyOf = (tenantId: string) => deps.policy?.(tenantId) ?? Promise.resolve(defaultVerdictPolicy);
  const storeProvider = offline.get(INTEL_STORE_PROVIDER);

  const offlineContext = (tenantId: string): AdapterContext => ({
    tenantId,
    http: {
      request: async () => {
        throw new Error('offline providers make no calls');
      },
    },
    credentials: {},
    settings: {},
    now: deps.now,
  });

  /** An offline provider's answers for many indicators (its batch form when it has one); errors per indicator. */
  const offlineLookups = async (
    adapter: IntelAdapter,
    ctx: AdapterContext,
    indicators: readonly Indicator[],
  ): Promise<({ result: IntelResult } | { error: unknown })[]> => {
    if (indicators.length === 0) return [];
    if (adapter.lookupMany) {
      try {
        return (await adapter.lookupMany(ctx, indicators)).map((result) => ({ result }));
      } catch (error) {
        return indicators.map(() => ({ error }));
      }
    }
    return Promise.all(
      indicators.map((indicator) =>
        adapter.lookup(ctx, indicator).then(
          (result) => ({ result }),
          (error: unknown) => ({ error }),
        ),
      ),
    );
  };

  /** Normalizes and de-duplicates the job's indicators; bad explicit input is a 400 naming the entry. */
  const indicatorsOf = (input: JobInput) => {
    const seen = new Set<string>();
    const out: (JobIndicator & { shareable: boolean; classification: string })[] = [];
    const add = (value: string, type: string | undefined, context: string | undefined, path: string) => {
      let normalized: ReturnType<typeof normalizeIndicator>;
      try {
        normalized = normalizeIndicator(value, type);
      } catch (error) {
        if (error instanceof VigilError && error.status === 400) {
          throw new BadRequestError(`${path}: ${error.message}`, 'invalid_indicator');
        }
        throw error;
      }
      const key = `${normalized.type}:${normalized.value}`;
      if (seen.has(key)) return;
      seen.add(key);
      out.push({
        index: out.length,
        type: normalized.type,
        value: normalized.value,
        original: normalized.original,
        ...(context ? { context } : {}),
        shareable: normalized.shareable,
        classification: normalized.classification,
      });
    };
    for (const [i, item] of (input.indicators ?? []).entries()) {
      add(item.value, item.type, item.context, `indicators.${i}`);
    }
    if (input.text) {
      for (const found of extractIndicators(input.text).indicators)
        add(found.value, found.type, undefined, 'text');
    }
    if (out.length === 0)
      throw new BadRequestError(
        'No indicator to enrich: send `indicators` or `text` containing some.',
        'no_indicators',
      );
    if (out.length > maxIndicatorsPerJob) {
      throw new VigilTooLarge(out.length);
    }
    return out;
  };

  const aggregateOf = async (tenantId: string, indicator: IndicatorState): Promise<Aggregate> => {
    const results = Object.entries(indicator.pairs).flatMap(([provider, pair]) =>
      pair.result ? [{ provider, result: pair.result }] : [],
    );
    const verdict = aggregateVerdict(results, await policyOf(tenantId));
    return {
      verdict: verdict.verdict,
      score: verdict.score,
      confidence: verdict.confidence,
      summary: verdict.summary,
      explanation: verdict.explanation,
    };
  };

  /** Bus events of malicious and suspicious aggregates, for playbooks. */
  const verdictEvents = (
    tenantId: string,
    jobId: string,
    closed: readonly { indicator: Indicator; aggregate: Aggregate }[],
  ) =>
    closed
      .filter(({ aggregate }) => aggregate.verdict === 'malicious' || aggregate.verdict === 'suspicious')
      .map(({ indicator, aggregate }) => ({
        source: 'vigil.enrichment',
        detailType: 'Indicator Verdict',
        detail: {
          tenantId,
          jobId,
          indicator: { type: indicator.type, value: indicator.value },
          verdict: aggregate.verdict,
          score: aggregate.score,
          confidence: aggregate.confidence,
          summary: aggregate.summary,
        },
      }));

  /**
   * Records the latest verdicts of closed indicators and tells the bus about the bad ones. With the
   * stored verdicts at hand (job creation), a verdict that is unchanged and recorded within the hour
   * is neither written nor announced again, so re-checking the same indicators from cache writes
   * nothing and does not re-trigger playbooks.
   */
  const recordVerdicts = async (
    tenantId: string,
    jobId: string,
    closed: readonly { indicator: Indicator; aggregate: Aggregate }[],
    stored?: Map<string, VerdictStamp>,
  ) => {
    const now = deps.now();
    const at = new Date(now).toISOString();
    const changed = closed.filter(
      ({ indicator, aggregate }) =>
        !stored || verdictChanged(stored.get(verdictKeyOf(indicator)), aggregate, now),
    );
    const events = verdictEvents(tenantId, jobId, changed);
    await Promise.all([
      changed.length > 0
        ? deps.store.putVerdicts(
            tenantId,
            changed.map(({ indicator, aggregate }) => ({
              type: indicator.type,
              value: indicator.value,
              ...aggregate,
              jobId,
              at,
            })),
          )
        : undefined,
      events.length > 0 ? deps.bus.put(events) : undefined,
    ]);
  };

  /** The job as the API shows it: every pair's state and each indicator's aggregate. */
  const viewOf = (job: JobRecord, indicators: readonly IndicatorState[]) => {
    const counts = { pending: 0, done: 0, cached: 0, skipped: 0, failed: 0 } as Record<PairStatus, number>;
    for (const indicator of indicators)
      for (const pair of Object.values(indicator.pairs)) counts[pair.status] += 1;
    const { tenantId: _tenant, openIndicators: _open, ...rest } = job;
    return {
      ...rest,
      counts,
      indicators: indicators.map((indicator) => ({
        type: indicator.type,
        value: indicator.value,
        original: indicator.original,
        ...(indicator.context ? { context: indicator.context } : {}),
        ...(indicator.aggregate ? { aggregate: indicator.aggregate } : {}),
        results: Object.entries(indicator.pairs)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([provider, { queued: _queued, ...pair }]) => ({ provider, ...pair })),
      })),
    };
  };

  const readView = async (tenantId: string, jobId: string) => {
    const found = await deps.store.readJob(tenantId, jobId);
    if (!found) throw new NotFoundError('No such enrichment job.', 'job_not_found');
    return viewOf(found.job, found.indicators);
  };

  /**
   * Applies settled pairs to the jobs that waited on them: one conditional write per pair, pushes
   * per job topic, then each indicator whose last pair settled is closed with its aggregate, and
   * each job whose last indicator closed completes.
   */
  const applySettlements = async (settlements: readonly Settlement[]) => {
    const pushes = new Map<string, { tenantId: string; jobId: string; messages: unknown[] }>();
    const closing: { tenantId: string; jobId: string; state: IndicatorState }[] = [];
    // The pairs of one indicator settle together in one write; if one of them was settled already
    // (a redelivery), each is tried on its own so the others still land.
    const byIndicator = new Map<string, Settlement[]>();
    for (const settlement of settlements) {
      const key = `${settlement.tenantId}\u0000${settlement.waiter.jobId}\u0000${settlement.waiter.index}`;
      const list = byIndicator.get(key) ?? [];
      if (!list.some((s) => s.provider === settlement.provider)) list.push(settlement);
      byIndicator.set(key, list);
    }
    const settleOne = async (group: readonly Settlement[]): Promise<boolean> => {
      const { tenantId, waiter, indicator } = group[0] as Settlement;
      const state = await deps.store.settle(
        tenantId,
        waiter.jobId,
        waiter.index,
        Object.fromEntries(group.map((s) => [s.provider, s.pair])),
      );
      if (!state) return false;
      const key = `${tenantId}\u0000${waiter.jobId}`;
      const entry = pushes.get(key) ?? { tenantId, jobId: waiter.jobId, messages: [] };
      pushes.set(key, entry);
      for (const { provider, pair } of group) {
        entry.messages.push({
          type: 'enrichment.result',
          jobId: waiter.jobId,
          indicator: { index: waiter.index, type: indicator.type, value: indicator.value },
          provider,
          status: pair.status,
          ...(pair.reason ? { reason: pair.reason } : {}),
          ...(pair.result ? { result: pair.result } : {}),
        });
      }
      if (state.pending <= 0) closing.push({ tenantId, jobId: waiter.jobId, state });
      return true;
    };
    await inBatches([...byIndicator.values()], 16, async (group) => {
      if (await settleOne(group)) return;
      if (group.length > 1) {
        const applied = await Promise.all(group.map((s) => settleOne([s])));
        if (applied.some(Boolean)) return;
      }
      // Already settled (a redelivery). If a crash came between settling and closing, close now.
      const { tenantId, waiter } = group[0] as Settlement;
      // (closeIndicator does nothing if it was closed already).
      const current = await deps.store.openIndicator(tenantId, waiter.jobId, waiter.index);
      if (current && current.pending <= 0) closing.push({ tenantId, jobId: waiter.jobId, state: current });
    });
    await Promise.all(
      [...pushes.values()].map((p) => deps.publish(p.tenantId, jobTopic(p.jobId), p.messages)),
    );
    // Verdicts (and their bus events) first, then the close: a failure in between is redelivered
    // and records them again (events are at-least-once), instead of losing them behind a close.
    const closingByJob = new Map<string, { tenantId: string; jobId: string; states: IndicatorState[] }>();
    for (const { tenantId, jobId, state } of closing) {
      const key = `${tenantId}\u0000${jobId}`;
      const entry = closingByJob.get(key) ?? { tenantId, jobId, states: [] };
      closingByJob.set(key, entry);
      if (!entry.states.some((s) => s.index === state.index)) entry.states.push(state);
    }
    // Every job with an indicator closing (now, or already by an earlier delivery) is checked for
    // completion, so a crash between its last close and its completion is repaired on redelivery.
    await Promise.all(
      [...closingByJob.values()].map(async ({ tenantId, jobId, states }) => {
        const aggregates = await Promise.all(states.map((state) => aggregateOf(tenantId, state)));
        await recordVerdicts(
          tenantId,
          jobId,
          states.map((state, i) => ({
            indicator: { type: state.type, value: state.value },
            aggregate: aggregates[i] as Aggregate,
          })),
        );
        await inBatches(
          states.map((state, i) => ({ state, aggregate: aggregates[i] as Aggregate })),
          16,
          async ({ state, aggregate }) => {
            await deps.store.closeIndicator(tenantId, jobId, state, aggregate);
          },
        );
        const job = await deps.store.getJob(tenantId, jobId);
        if (!job || job.openIndicators > 0) return;
        if (await deps.store.completeJob(tenantId, jobId, nowIso())) {
          await deps.publish(tenantId, jobTopic(jobId), [
            { type: 'enrichment.completed', jobId, counts: job.counts },
          ]);
        }
      }),
    );
    await Promise.all(
      settlements.flatMap((s) =>
        s.release ? [deps.store.releaseWaiters(s.tenantId, s.release.key, s.release.waiters)] : [],
      ),
    );
  };

  /** Ends one provider call's in-flight lookup and settles everyone who waited on it (the leader too). */
  const settlementsOf = async (
    message: LookupMessage,
    pair: Omit<PairState, 'updatedAt'>,
    cache?: { result: IntelResult; expiresAt: number },
  ): Promise<Settlement[]> => {
    const key = { provider: message.provider, ...message.indicator };
    const waiters = await deps.store.endInflight(message.tenantId, key, cache);
    const leader = { jobId: message.jobId, index: message.index };
    const others = waiters.filter((w) => w.jobId !== leader.jobId || w.index !== leader.index);
    const updatedAt = nowIso();
    return [leader, ...others].map((waiter, n) => ({
      tenantId: message.tenantId,
      waiter,
      indicator: message.indicator,
      provider: message.provider,
      pair: { ...pair, updatedAt },
      // The leader's settlement carries the release of the recorded waiters, done once all are applied.
      ...(n === 0 && waiters.length > 0 ? { release: { key, waiters } } : {}),
    }));
  };

  /**
   * Sessions are kept for a few seconds per container, so a busy worker reads the integration and
   * decrypts its credentials (a KMS call in AWS) once per interval, not once per batch; a disabled
   * or re-keyed integration takes effect within that interval.
   */
  const sessions = new Map<string, { session: Promise<ProviderSession>; until: number }>();
  const sessionTtlMs = deps.sessionTtlMs ?? 15_000;
  const sessionOf = (tenantId: string, provider: string): Promise<ProviderSession> => {
    const key = `${tenantId}\u0000${provider}`;
    const now = deps.now();
    const kept = sessions.get(key);
    if (kept && kept.until > now) return kept.session;
    if (sessions.size > 500) sessions.clear();
    const session = deps.integrations.session(tenantId, provider);
    sessions.set(key, { session, until: now + sessionTtlMs });
    session.catch(() => sessions.delete(key));
    return session;
  };

  /**
   * Joins or starts each lookup, a few dozen at a time: a waiter is settled when the call it joined
   * ends; a leader's lookup is queued, or settled from the cache when a result arrived meanwhile.
   * Idempotent, so a redelivered plan settles and sends nothing twice that matters.
   */
  const fanOut = async (
    tenantId: string,
    jobId: string,
    force: boolean,
    delaySeconds: number,
    lookups: readonly LookupMessage[],
  ) => {
    const toSend: { message: LookupMessage; delaySeconds: number }[] = [];
    const fromCache: Settlement[] = [];
    await inBatches(lookups, 32, async (message) => {
      const key = { provider: message.provider, ...message.indicator };
      const joined = await deps.store.joinInflight(
        tenantId,
        key,
        { jobId, index: message.index },
        nowSeconds(),
        nowSeconds() + inflightLeaseSeconds,
      );
      if (joined.role === 'waiter') return;
      // Another request filled the cache since it was read: answer from it.
      if (joined.cached && !force) {
        fromCache.push(...(await settlementsOf(message, { status: 'cached', result: joined.cached })));
      } else toSend.push({ message, delaySeconds });
    });
    await Promise.all([deps.queue.send(toSend), applySettlements(fromCache)]);
  };

  /**
   * Plan messages for lookups: at most `planChunk` lookups and about 64 KB each (indicator values
   * go up to 8 KB), so a batch of them stays within SQS's message and batch size limits.
   */
  const plansOf = (
    tenantId: string,
    jobId: string,
    force: boolean,
    delaySeconds: number,
    lookups: readonly LookupMessage[],
  ): { message: PlanMessage; delaySeconds: number }[] => {
    const plans: { message: PlanMessage; delaySeconds: number }[] = [];
    let current: PlanMessage['lookups'] = [];
    let bytes = 0;
    const flush = () => {
      if (current.length === 0) return;
      plans.push({
        message: { kind: 'plan', tenantId, jobId, force, delaySeconds, lookups: current },
        delaySeconds: 0,
      });
      current = [];
      bytes = 0;
    };
    for (const { index, provider, indicator } of lookups) {
      const size = indicator.value.length + provider.length + 64;
      if (current.length >= planChunk || bytes + size > planBytes) flush();
      current.push({ index, provider, indicator });
      bytes += size;
    }
    flush();
    return plans;
  };

  /** Delays messages (noting why on their pairs) without calling anyone. */
  const delay = async (messages: readonly LookupMessage[], reason: string, seconds: number) => {
    await Promise.all(messages.map((m) => deps.store.note(m.tenantId, m.jobId, m.index, m.provider, reason)));
    await deps.queue.send(messages.map((message) => later(message, seconds)));
  };

  /** A message to send again after `seconds`, remembering the moment when that is beyond SQS's 15 minutes. */
  const later = (message: LookupMessage, seconds: number) => ({
    message:
      seconds > maxQueueDelaySeconds ? { ...message, notBefore: deps.now() + seconds * 1000 } : message,
    delaySeconds: Math.min(maxQueueDelaySeconds, seconds),
  });

  /**
   * One batch of a worker for one (tenant, provider): the breaker and the quota are asked once for
   * the whole batch, the calls granted go out together, the rest are delayed.
   */
  const processGroup = async (
    tenantId: string,
    provider: string,
    batch: readonly LookupMessage[],
  ): Promise<GroupResult> => {
    let messages = batch;
    const outcomes = new Map<LookupMessage, LookupOutcome>();
    const settlements: Settlement[] = [];
    const errors = new Map<LookupMessage, unknown>();
    const now = deps.now();
    // Not yet: a wait longer than one SQS delay goes on without calling anyone.
    const early = messages.filter((m) => m.notBefore !== undefined && m.notBefore > now);
    if (early.length > 0) {
      await deps.queue.send(early.map((m) => later(m, Math.ceil(((m.notBefore ?? now) - now) / 1000))));
      for (const m of early) outcomes.set(m, 'delayed');
      messages = messages.filter((m) => !early.includes(m));
      if (messages.length === 0) return { outcomes, settlements, errors };
    }
    // A lookup whose answer is already cached (a redelivered message, or a copy sent again by a
    // redelivered plan) settles from the cache instead of calling: one batched read per group.
    const unforced = messages.filter((m) => !m.force);
    const hits =
      unforced.length > 0
        ? await deps.store.getCaches(
            tenantId,
            unforced.map((m) => ({ provider, ...m.indicator })),
            nowSeconds(),
          )
        : new Map<string, IntelResult>();
    const answered = unforced.filter((m) => hits.has(cacheKeyOf({ provider, ...m.indicator })));
    for (const m of answered) {
      const result = hits.get(cacheKeyOf({ provider, ...m.indicator })) as IntelResult;
      settlements.push(...(await settlementsOf(m, { status: 'cached', result })));
      outcomes.set(m, 'done');
    }
    if (answered.length > 0) messages = messages.filter((m) => !answered.includes(m));
    if (messages.length === 0) return { outcomes, settlements, errors };
    const permit = await deps.breaker.permit(tenantId, provider, now);
    if (!permit.allowed) {
      await delay(messages, 'provider_degraded', Math.ceil(permit.retryAfterSeconds));
      for (const m of messages) outcomes.set(m, 'delayed');
      return { outcomes, settlements, errors };
    }
    let session: ProviderSession;
    try {
      session = await sessionOf(tenantId, provider);
    } catch (error) {
      if (!(error instanceof VigilError && error.status < 500)) throw error;
      // Not configured any more, or disabled: every pair fails with the reason.
      for (const m of messages) {
        settlements.push(
          ...(await settlementsOf(m, { status: 'failed', reason: `${error.code}: ${errorText(error)}` })),
        );
        outcomes.set(m, 'failed');
      }
      return { outcomes, settlements, errors };
    }
    // A half-open breaker lets exactly one probe through; the others wait for its outcome.
    const callable = permit.probe ? messages.slice(0, 1) : messages;
    const held = messages.slice(callable.length);
    const { granted, refusal } = await deps.quota.acquireUpTo(
      tenantId,
      provider,
      session.plan,
      now,
      callable.length,
    );
    const go = callable.slice(0, granted);
    const deferred = callable.slice(granted);
    await Promise.all([
      held.length > 0 ? delay(held, 'provider_degraded', 5) : undefined,
      deferred.length > 0
        ? delay(deferred, 'quota_deferred', Math.max(1, Math.ceil(refusal?.retryAfterSeconds ?? 1)))
        : undefined,
    ]);
    for (const m of [...held, ...deferred]) outcomes.set(m, 'delayed');

    const answers = await Promise.all(
      go.map((m) =>
        session
          .run<IntelResult>((adapter, ctx) => (adapter as IntelAdapter).lookup(ctx, m.indicator))
          .then(
            (result) => ({ message: m, result }),
            (error: unknown) => ({ message: m, error }),
          ),
      ),
    );
    const breakerOutcomes = answers.flatMap((a): ('success' | 'failure')[] =>
      'result' in a ? ['success'] : countsAsBreakerFailure(a.error) ? ['failure'] : [],
    );
    // A clean breaker (closed, no failures) is left alone by successes: no write, no read.
    const changesBreaker = !(permit.clean && breakerOutcomes.every((o) => o === 'success'));
    await Promise.all([
      breakerOutcomes.length > 0 && changesBreaker
        ? deps.breaker.record(tenantId, provider, breakerOutcomes, deps.now())
        : undefined,
      session.flush(),
    ]);
    const retries: { message: LookupMessage; delaySeconds: number }[] = [];
    await Promise.all(
      answers.map(async (answer) => {
        const message = answer.message;
        if ('result' in answer) {
          const result = answer.result;
          settlements.push(
            ...(await settlementsOf(
              message,
              { status: 'done', result },
              { result, expiresAt: nowSeconds() + ttl[result.verdict] },
            )),
          );
          outcomes.set(message, 'done');
          return;
        }
        const error = answer.error;
        const retryable = error instanceof OutboundError && error.retryable;
        if (retryable && message.attempt + 1 < budget) {
          const wait =
            honorRetryAfter(error, deps.now()) ?? Math.min(300, retryBase * 2 ** (message.attempt + 1));
          await deps.store.note(tenantId, message.jobId, message.index, provider, `retrying: ${error.kind}`);
          retries.push(later({ ...message, attempt: message.attempt + 1 }, Math.ceil(wait)));
          outcomes.set(message, 'delayed');
          return;
        }
        if (error instanceof OutboundError || (error instanceof VigilError && error.status < 500)) {
          const reason =
            error instanceof OutboundError
              ? `${error.kind}${retryable ? ` after ${message.attempt + 1} attempts` : ''}: ${errorText(error)}`
              : `${error instanceof VigilError ? error.code : 'error'}: ${errorText(error)}`;
          if (retryable) await deps.queue.deadLetter(message, reason);
          settlements.push(...(await settlementsOf(message, { status: 'failed', reason })));
          outcomes.set(message, 'failed');
          return;
        }
        // Not a provider's answer (a bug, a store outage): the message fails and SQS retries it.
        errors.set(message, error);
      }),
    );
    if (retries.length > 0) await deps.queue.send(retries);
    return { outcomes, settlements, errors };
  };

  return {
    /** Creates a job; with `waitSeconds`, waits for it to complete (up to 20 s) before answering. */
    async create(principal: Principal, input: JobInput, waitSeconds = 0) {
      const indicators = indicatorsOf(input);
      const tenantId = principal.tenantId;
      const ctx = offlineContext(tenantId);
      // What does not depend on the providers starts at once: the tenant's intel store (allow-list
      // and IOCs) and the latest verdicts, each a batched read.
      const storeReads = storeProvider ? offlineLookups(storeProvider, ctx, indicators) : Promise.resolve([]);
      const verdictReads = deps.store.getVerdicts(tenantId, indicators);
      // Settled either way, so an early 400 below leaves no promise rejected unobserved.
      void Promise.allSettled([storeReads, verdictReads]);
      const enabled = new Set(await deps.integrations.enabledIn(tenantId, deps.lookupCategories));
      const requested = [...new Set(input.providers ?? [...offline.keys(), ...enabled])];
      for (const name of requested) {
        if (!offline.has(name) && !catalog.has(name)) {
          throw new BadRequestError(
            `There is no provider named '${name}'. See GET /v1/providers.`,
            'unknown_provider',
          );
        }
      }
      const jobId = `enr_${randomUUID()}`;
      const at = nowIso();
      const force = input.force === true;
      const supportsOf = (provider: string) =>
        offline.get(provider)?.catalog.supports ?? catalog.get(provider)?.supports ?? [];
      const remote = requested.filter((p) => !offline.has(p) && enabled.has(p));
      const cacheKeys: CacheKey[] = force
        ? []
        : indicators.flatMap((indicator) =>
            indicator.shareable
              ? remote
                  .filter((p) => supportsOf(p).includes(indicator.type))
                  .map((provider) => ({ provider, type: indicator.type, value: indicator.value }))
              : [],
          );
      // Then the cache, while the offline providers answer.
      const localProviders = requested.filter((p) => offline.has(p) && p !== INTEL_STORE_PROVIDER);
      const [storeAnswers, cached, stored, ...localAnswers] = await Promise.all([
        storeReads,
        cacheKeys.length > 0
          ? deps.store.getCaches(tenantId, cacheKeys, nowSeconds())
          : new Map<string, IntelResult>(),
        verdictReads,
        ...localProviders.map((p) =>
          offlineLookups(
            offline.get(p) as IntelAdapter,
            ctx,
            indicators.filter((i) => supportsOf(p).includes(i.type)),
          ),
        ),
      ]);
      const localByProvider = new Map(
        localProviders.map((p, k) => {
          const supported = indicators.filter((i) => supportsOf(p).includes(i.type));
          return [p, new Map(supported.map((i, n) => [i.index, localAnswers[k]?.[n]]))] as const;
        }),
      );

      const states: IndicatorState[] = [];
      const queued: LookupMessage[] = [];
      for (const indicator of indicators) {
        const storeAnswer = storeAnswers[indicator.index];
        const allowListed =
          storeAnswer !== undefined &&
          'result' in storeAnswer &&
          storeAnswer.result.details.allowListed === true;
        const pairs: Record<string, PairState> = {};
        let pending = 0;
        for (const provider of requested) {
          const pair: PairState = { status: 'pending', updatedAt: at };
          const local = offline.get(provider);
          if (!supportsOf(provider).includes(indicator.type)) {
            pair.status = 'skipped';
            pair.reason = 'unsupported_type';
          } else if (local) {
            const answer =
              provider === INTEL_STORE_PROVIDER
                ? storeAnswer
                : localByProvider.get(provider)?.get(indicator.index);
            if (answer && 'result' in answer) {
              pair.status = 'done';
              pair.result = answer.result;
            } else {
              pair.status = 'failed';
              pair.reason = answer
                ? `offline_provider_error: ${errorText(answer.error)}`
                : 'offline_provider_error';
            }
          } else if (!indicator.shareable) {
            pair.status = 'skipped';
            pair.reason = reasonFor(indicator.classification);
          } else if (allowListed) {
            pair.status = 'skipped';
            pair.reason = 'allow_listed';
          } else if (!enabled.has(provider)) {
            pair.status = 'skipped';
            pair.reason = 'provider_disabled';
          } else {
            const hit = cached.get(cacheKeyOf({ provider, type: indicator.type, value: indicator.value }));
            if (hit) {
              pair.status = 'cached';
              pair.result = hit;
            } else {
              pair.queued = true;
              pending += 1;
              queued.push({
                tenantId,
                jobId,
                index: indicator.index,
                provider,
                indicator: { type: indicator.type, value: indicator.value },
                attempt: 0,
                ...(force ? { force: true } : {}),
              });
            }
          }
          pairs[provider] = pair;
        }
        const { shareable: _s, classification: _c, ...base } = indicator;
        states.push({ ...base, pairs, pending });
      }
      const closed: { indicator: Indicator; aggregate: Aggregate }[] = [];
      await Promise.all(
        states
          .filter((state) => state.pending === 0)
          .map(async (state) => {
            state.aggregate = await aggregateOf(tenantId, state);
            closed.push({ indicator: { type: state.type, value: state.value }, aggregate: state.aggregate });
          }),
      );
      const counts = { pending: 0, done: 0, cached: 0, skipped: 0, failed: 0 } as Record<PairStatus, number>;
      for (const state of states) for (const pair of Object.values(state.pairs)) counts[pair.status] += 1;
      const openIndicators = states.filter((s) => s.pending > 0).length;
      const job: JobRecord = {
        id: jobId,
        tenantId,
        status: openIndicators === 0 ? 'completed' : 'running',
        priority: input.priority ?? 'medium',
        force,
        createdAt: at,
        createdBy: principal.id,
        ...(openIndicators === 0 ? { completedAt: at } : {}),
        indicatorCount: states.length,
        pairCount: states.reduce((n, s) => n + Object.keys(s.pairs).length, 0),
        counts,
        openIndicators,
      };
      await deps.store.createJob(job, states);
      await recordVerdicts(tenantId, jobId, closed, stored);
      if (openIndicators === 0) return viewOf(job, states);

      const delaySeconds = input.priority === 'low' ? 2 : 0;
      const planned = plansOf(tenantId, jobId, force, delaySeconds, queued);
      if (queued.length <= inlineFanOut) {
        try {
          await fanOut(tenantId, jobId, force, delaySeconds, queued);
        } catch {
          // The job exists: rather than leave it with leases nobody will end, let a worker redo
          // the fan-out (a lookup that already leads leads again, and is sent).
          await deps.queue.send(planned);
        }
      } else await deps.queue.send(planned);

      const sleep = deps.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
      const deadline = deps.now() + Math.min(waitSeconds, maxWaitSeconds) * 1000;
      let current = job;
      while (current.status !== 'completed' && deps.now() < deadline) {
        await sleep(Math.min(100, Math.max(10, deadline - deps.now())));
        current = (await deps.store.getJob(tenantId, jobId)) ?? current;
      }
      return readView(tenantId, jobId);
    },

    /** The job with every pair's state and each indicator's aggregate. */
    get: (tenantId: string, jobId: string) => readView(tenantId, jobId),

    list: async (
      tenantId: string,
      options: { status?: 'running' | 'completed'; limit: number; cursor?: string },
    ) => {
      const page = await deps.store.listJobs(tenantId, options);
      return {
        ...page,
        items: page.items.map(({ openIndicators: _open, ...job }) => job),
      };
    },

    /**
     * Lookup providers as an analyst needs them: built-in ones, and every intel and geolocation
     * integration with its configuration, health, breaker state and quota left today. `connected`
     * means enabled and last seen healthy (or untested but enabled, for the built-in ones).
     */
    async providers(tenantId: string) {
      const views = new Map((await deps.integrations.list(tenantId)).map((v) => [v.name, v]));
      const now = deps.now();
      const builtIn = [...offline.values()].map((adapter) => ({
        name: adapter.catalog.name,
        displayName: adapter.catalog.displayName,
        category: adapter.catalog.category,
        offline: true,
        configured: true,
        enabled: true,
        connected: true,
        health: 'healthy',
        breaker: { state: 'closed', degraded: false },
        supports: [...(adapter.catalog.supports ?? [])],
      }));
      const remoteViews = await Promise.all(
        [...catalog.values()]
          .filter((entry) => deps.lookupCategories.includes(entry.category))
          .map(async (entry) => {
            const view = views.get(entry.name);
            const breaker = await deps.breaker.state(tenantId, entry.name, now);
            const remaining = view?.enabled
              ? await deps.quota.remainingToday(
                  tenantId,
                  entry.name,
                  await deps.integrations.plan(tenantId, entry.name),
                  now,
                )
              : undefined;
            return {
              name: entry.name,
              displayName: entry.displayName,
              category: entry.category,
              offline: false,
              configured: view?.configured ?? false,
              enabled: view?.enabled ?? false,
              connected: (view?.enabled ?? false) && view?.health.status === 'healthy' && !breaker.degraded,
              health: breaker.degraded && view?.enabled ? 'degraded' : (view?.health.status ?? 'untested'),
              breaker: {
                state: breaker.state,
                degraded: breaker.degraded,
                ...(breaker.retryAt ? { retryAt: breaker.retryAt } : {}),
              },
              ...(remaining === undefined ? {} : { quotaRemainingToday: remaining }),
              supports: [...(entry.supports ?? [])],
            };
          }),
      );
      return { items: [...builtIn, ...remoteViews] };
    },

    /** Per provider outcomes over the tenant's recent jobs, latency from today's usage, jobs by status. */
    async stats(tenantId: string) {
      const { items: jobs } = await deps.store.listJobs(tenantId, { limit: 50 });
      const providers: Record<
        string,
        {
          requests: number;
          cacheHits: number;
          failures: number;
          skipped: number;
          p50Ms?: number;
          p95Ms?: number;
        }
      > = {};
      const read = await Promise.all(jobs.map((job) => deps.store.readJob(tenantId, job.id)));
      for (const found of read) {
        for (const indicator of found?.indicators ?? []) {
          for (const [provider, pair] of Object.entries(indicator.pairs)) {
            const row = providers[provider] ?? { requests: 0, cacheHits: 0, failures: 0, skipped: 0 };
            providers[provider] = row;
            if (pair.status === 'done') row.requests += 1;
            if (pair.status === 'cached') row.cacheHits += 1;
            if (pair.status === 'failed') row.failures += 1;
            if (pair.status === 'skipped') row.skipped += 1;
          }
        }
      }
      for (const [name, row] of Object.entries(providers)) {
        if (!catalog.has(name)) continue;
        const today = (await deps.integrations.usage(tenantId, name, 1)).days.at(-1);
        if (today?.p50Ms !== undefined) row.p50Ms = today.p50Ms;
        if (today?.p95Ms !== undefined) row.p95Ms = today.p95Ms;
      }
      const lookups = Object.values(providers).reduce((a, r) => a + r.requests + r.cacheHits, 0);
      const hits = Object.values(providers).reduce((a, r) => a + r.cacheHits, 0);
      return {
        windowJobs: jobs.length,
        jobsByStatus: {
          running: jobs.filter((j) => j.status === 'running').length,
          completed: jobs.filter((j) => j.status === 'completed').length,
        },
        cacheHitRatio: lookups === 0 ? 0 : Math.round((hits / lookups) * 1000) / 1000,
        providers,
      };
    },

    /** The latest verdict Vigil reached for an indicator. */
    async latest(tenantId: string, type: string, value: string) {
      const normalized = normalizeIndicator(value, type);
      const verdict = await deps.store.getVerdict(tenantId, normalized.type, normalized.value);
      if (!verdict)
        throw new NotFoundError('No verdict for this indicator yet. Enrich it first.', 'verdict_not_found');
      return { type: normalized.type, value: normalized.value, ...verdict };
    },

    /**
     * Worker: provider calls through the breaker and the quota governor, a batch at a time (one
     * breaker check and one quota grant per tenant and provider). Refusals delay messages; provider
     * failures are retried with their `Retry-After` until the budget is used, then the pair fails
     * with its reason and the message is parked in the DLQ. Redelivered messages settle nothing
     * twice. Outcomes are in input order; a message that could not be handled is a rejection.
     */
    processBatch,
  };

  async function processBatch(
    messages: readonly QueueMessage[],
    options: { lastDelivery?: ReadonlySet<QueueMessage> } = {},
  ): Promise<PromiseSettledResult<LookupOutcome>[]> {
    const planned = new Map<QueueMessage, PromiseSettledResult<LookupOutcome>>();
    await Promise.all(
      messages.filter(isPlan).map(async (plan) => {
        try {
          await fanOut(
            plan.tenantId,
            plan.jobId,
            plan.force,
            plan.delaySeconds,
            plan.lookups.map((l) => ({
              ...l,
              tenantId: plan.tenantId,
              jobId: plan.jobId,
              attempt: 0,
              ...(plan.force ? { force: true } : {}),
            })),
          );
          planned.set(plan, { status: 'fulfilled', value: 'done' });
        } catch (error) {
          planned.set(plan, { status: 'rejected', reason: error });
        }
      }),
    );
    const lookups = messages.filter((m): m is LookupMessage => !isPlan(m));
    const lookedUp = await processLookups(lookups);
    // A lookup that keeps failing for a reason that is not the provider's (a bug, an outage) is
    // settled as failed on its last delivery, with the waiters of its call, before SQS parks it.
    const giveUp = lookups.filter(
      (m, i) => lookedUp[i]?.status === 'rejected' && options.lastDelivery?.has(m),
    );
    if (giveUp.length > 0) {
      try {
        const settlements: Settlement[] = [];
        for (const m of giveUp) {
          const error = (lookedUp[lookups.indexOf(m)] as PromiseRejectedResult).reason;
          settlements.push(
            ...(await settlementsOf(m, { status: 'failed', reason: `internal_error: ${errorText(error)}` })),
          );
        }
        await applySettlements(settlements);
      } catch {
        // Nothing more to do here: the message goes to the DLQ with the pair pending.
      }
    }
    const byLookup = new Map(lookups.map((m, i) => [m, lookedUp[i]]));
    return messages.map(
      (m) =>
        planned.get(m) ??
        byLookup.get(m as LookupMessage) ?? {
          status: 'rejected',
          reason: new Error('message was not processed'),
        },
    );
  }

  async function processLookups(
    messages: readonly LookupMessage[],
  ): Promise<PromiseSettledResult<LookupOutcome>[]> {
    const groups = new Map<string, LookupMessage[]>();
    for (const message of messages) {
      const key = `${message.tenantId}\u0000${message.provider}`;
      groups.set(key, [...(groups.get(key) ?? []), message]);
    }
    const outcomes = new Map<LookupMessage, PromiseSettledResult<LookupOutcome>>();
    const settlements: Settlement[] = [];
    const settledBy = new Map<Settlement, LookupMessage>();
    await Promise.all(
      [...groups.values()].map(async (group) => {
        const first = group[0] as LookupMessage;
        try {
          const done = await processGroup(first.tenantId, first.provider, group);
          for (const [m, outcome] of done.outcomes) outcomes.set(m, { status: 'fulfilled', value: outcome });
          for (const [m, error] of done.errors) outcomes.set(m, { status: 'rejected', reason: error });
          for (const settlement of done.settlements) {
            settlements.push(settlement);
            const message = group.find(
              (m) => m.jobId === settlement.waiter.jobId && m.index === settlement.waiter.index,
            );
            if (message) settledBy.set(settlement, message);
          }
        } catch (error) {
          for (const m of group) if (!outcomes.has(m)) outcomes.set(m, { status: 'rejected', reason: error });
        }
      }),
    );
    // All groups' results together, so the providers of one indicator settle in one write.
    try {
      await applySettlements(settlements);
    } catch (error) {
      for (const message of new Set(settledBy.values()))
        outcomes.set(message, { status: 'rejected', reason: error });
    }
    return messages.map(
      (m) => outcomes.get(m) ?? { status: 'rejected', reason: new Error('lookup was not processed') },
    );
  }
}

export type EnrichmentEngine = ReturnType<typeof enrichmentEngine>;

/** More indicators than one job takes: 413 with guidance. */
export class VigilTooLarge extends VigilError {
  override readonly name = 'JobTooLargeError';
  override readonly status = 413;
  override readonly code = 'too_many_indicators';
  override readonly extensions: Record<string, unknown>;
  constructor(count: number) {
    super(
      `A job takes at most ${maxIndicatorsPerJob} indicators; this one has ${count}. Split it into several jobs.`,
    );
    this.extensions = { limit: maxIndicatorsPerJob, count };
  }
}

/** Runs `work` over `items` with at most `size` in flight. */
async function inBatches<T>(
  items: readonly T[],
  size: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(size, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next];
      next += 1;
      if (item !== undefined) await work(item);
    }
  });
  await Promise.all(lanes);
}
