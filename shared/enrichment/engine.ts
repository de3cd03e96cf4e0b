import { randomUUID } from 'node:crypto';
import type { EventBus } from '../events/ports';
import type { Principal } from '../identity/principal';
import { OutboundError } from '../integrations/http/errors';
import type { AdapterContext, Indicator, IntelAdapter, IntelResult, Verdict } from '../integrations/ports';
import type { IntegrationService } from '../integrations/service';
import { BadRequestError, NotFoundError, VigilError } from '../platform/errors';
import { extractIndicators } from './extract';
import { normalizeIndicator } from './indicators';
import { type CircuitBreaker, countsAsBreakerFailure, honorRetryAfter, type QuotaGovernor } from './quota';
import type {
  Aggregate,
  EnrichmentStore,
  IndicatorRecord,
  JobIndicator,
  JobRecord,
  PairRecord,
  PairStatus,
  Priority,
  Waiter,
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
}

export interface LookupQueue {
  send(message: LookupMessage, delaySeconds: number): Promise<void>;
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
  publish: (tenantId: string, topic: string, message: unknown) => Promise<unknown>;
  bus: EventBus;
  policy?: (tenantId: string) => Promise<VerdictPolicy>;
  cacheTtlSeconds?: Record<Verdict, number>;
  /** Attempts per pair before it fails (429/5xx/timeouts). */
  retryBudget?: number;
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

export const jobTopic = (jobId: string) => `enrichment:${jobId}`;

const reasonFor = (classification: string) =>
  ['private', 'loopback', 'link-local', 'cgnat', 'unspecified', 'broadcast', 'multicast'].includes(
    classification,
  )
    ? 'private_address'
    : ['documentation', 'benchmarking', 'reserved'].includes(classification)
      ? 'reserved_address'
      : 'internal_name';

export function enrichmentEngine(deps: EngineDeps) {
  const offline = new Map(deps.offline.map((a) => [a.catalog.name, a]));
  const catalog = new Map(deps.integrations.catalog().map((c) => [c.name, c]));
  const ttl = deps.cacheTtlSeconds ?? defaultCacheTtlSeconds;
  const budget = deps.retryBudget ?? 4;
  const nowIso = () => new Date(deps.now()).toISOString();
  const nowSeconds = () => Math.floor(deps.now() / 1000);
  const policyOf = (tenantId: string) => deps.policy?.(tenantId) ?? Promise.resolve(defaultVerdictPolicy);

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

  /** Normalizes and de-duplicates the job's indicators; bad explicit input is a 400 naming the entry. */
  const indicatorsOf = (input: JobInput): JobIndicator[] => {
    const seen = new Set<string>();
    const out: JobIndicator[] = [];
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

  /** Aggregates an indicator whose pairs are all settled, records its verdict, and tells the bus. */
  const finishIndicator = async (
    tenantId: string,
    jobId: string,
    indicator: Pick<IndicatorRecord, 'index' | 'type' | 'value'>,
  ) => {
    const pairs = await deps.store.pairs(tenantId, jobId, indicator.index);
    const results = pairs
      .filter((p) => p.result)
      .map((p) => ({ provider: p.provider, result: p.result as IntelResult }));
    const verdict = aggregateVerdict(results, await policyOf(tenantId));
    const aggregate: Aggregate = {
      verdict: verdict.verdict,
      score: verdict.score,
      confidence: verdict.confidence,
      summary: verdict.summary,
      explanation: verdict.explanation,
    };
    await deps.store.setAggregate(tenantId, jobId, indicator.index, aggregate);
    await deps.store.putVerdict(tenantId, indicator.type, indicator.value, {
      ...aggregate,
      jobId,
      at: nowIso(),
    });
    if (aggregate.verdict === 'malicious' || aggregate.verdict === 'suspicious') {
      await deps.bus.put([
        {
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
        },
      ]);
    }
    return aggregate;
  };

  const finishJob = async (tenantId: string, jobId: string) => {
    if (await deps.store.completeJob(tenantId, jobId, nowIso())) {
      const job = await deps.store.getJob(tenantId, jobId);
      await deps.publish(tenantId, jobTopic(jobId), {
        type: 'enrichment.completed',
        jobId,
        counts: job?.counts,
      });
    }
  };

  /** Settles one pair and everything that follows from it (aggregate, completion, pushes). */
  const settle = async (
    tenantId: string,
    jobId: string,
    indicator: Pick<IndicatorRecord, 'index' | 'type' | 'value'>,
    pair: Pick<PairRecord, 'provider' | 'status' | 'reason' | 'result'>,
  ) => {
    const outcome = await deps.store.settle(tenantId, jobId, { index: indicator.index, ...pair });
    if (!outcome.settled) return;
    await deps.publish(tenantId, jobTopic(jobId), {
      type: 'enrichment.result',
      jobId,
      indicator: { index: indicator.index, type: indicator.type, value: indicator.value },
      provider: pair.provider,
      status: pair.status,
      ...(pair.reason ? { reason: pair.reason } : {}),
      ...(pair.result ? { result: pair.result } : {}),
    });
    if (outcome.indicatorComplete) await finishIndicator(tenantId, jobId, indicator);
    if (outcome.jobComplete) await finishJob(tenantId, jobId);
  };

  /** Settles every request that waited on one provider call (the leader included) with its outcome. */
  const settleWaiters = async (
    message: LookupMessage,
    pair: Pick<PairRecord, 'status' | 'reason' | 'result'>,
  ) => {
    const waiters = await deps.store.endInflight(
      message.tenantId,
      message.provider,
      message.indicator.type,
      message.indicator.value,
    );
    const all: Waiter[] = waiters.some((w) => w.jobId === message.jobId && w.index === message.index)
      ? waiters
      : [...waiters, { jobId: message.jobId, index: message.index }];
    for (const waiter of all) {
      await settle(
        message.tenantId,
        waiter.jobId,
        { index: waiter.index, ...message.indicator },
        { provider: message.provider, ...pair },
      );
    }
  };

  return {
    /** Creates a job; with `waitSeconds`, waits for it to complete (up to 20 s) before answering. */
    async create(principal: Principal, input: JobInput, waitSeconds = 0) {
      const indicators = indicatorsOf(input);
      const tenantId = principal.tenantId;
      const enabled = new Set(
        (
          await Promise.all(
            deps.lookupCategories.map((c) => deps.integrations.enabledOf(tenantId, c as never)),
          )
        ).flat(),
      );
      const requested = input.providers ?? [...offline.keys(), ...enabled];
      for (const name of requested) {
        if (!offline.has(name) && !catalog.has(name)) {
          throw new BadRequestError(
            `There is no provider named '${name}'. See GET /v1/providers.`,
            'unknown_provider',
          );
        }
      }
      const jobId = `enr_${randomUUID()}`;
      const pairs: PairRecord[] = [];
      const records: IndicatorRecord[] = [];
      const queued: LookupMessage[] = [];
      const settledInline: { index: number; pair: PairRecord }[] = [];
      const at = nowIso();
      const force = input.force === true;
      await Promise.all(
        indicators.map(async (indicator) => {
          const normalized = normalizeIndicator(indicator.value, indicator.type);
          const ctx = offlineContext(tenantId);
          const allowListed = await Promise.resolve(
            offline
              .get('intel-store')
              ?.lookup(ctx, indicator)
              .then(
                (r) => r.details.allowListed === true,
                () => false,
              ) ?? false,
          );
          let pending = 0;
          for (const provider of requested) {
            const pair: PairRecord = { index: indicator.index, provider, status: 'pending', updatedAt: at };
            const local = offline.get(provider);
            const entry = catalog.get(provider);
            const supports = local?.catalog.supports ?? entry?.supports ?? [];
            if (!supports.includes(indicator.type)) {
              pair.status = 'skipped';
              pair.reason = 'unsupported_type';
            } else if (local) {
              try {
                pair.result = await local.lookup(ctx, indicator);
                pair.status = 'done';
              } catch (error) {
                pair.status = 'failed';
                pair.reason =
                  error instanceof Error
                    ? `offline_provider_error: ${error.message.slice(0, 200)}`
                    : 'offline_provider_error';
              }
            } else if (!normalized.shareable) {
              pair.status = 'skipped';
              pair.reason = reasonFor(normalized.classification);
            } else if (allowListed) {
              pair.status = 'skipped';
              pair.reason = 'allow_listed';
            } else if (!enabled.has(provider)) {
              pair.status = 'skipped';
              pair.reason = 'provider_disabled';
            } else {
              const cached = force
                ? undefined
                : await deps.store.getCache(
                    tenantId,
                    provider,
                    indicator.type,
                    indicator.value,
                    nowSeconds(),
                  );
              if (cached) {
                pair.status = 'cached';
                pair.result = cached;
              } else {
                pending += 1;
                queued.push({
                  tenantId,
                  jobId,
                  index: indicator.index,
                  provider,
                  indicator: { type: indicator.type, value: indicator.value },
                  attempt: 0,
                });
              }
            }
            pairs.push(pair);
            if (pair.status !== 'pending') settledInline.push({ index: indicator.index, pair });
          }
          records.push({ ...indicator, pending });
        }),
      );
      records.sort((a, b) => a.index - b.index);
      pairs.sort((a, b) => a.index - b.index || a.provider.localeCompare(b.provider));
      const counts = { pending: 0, done: 0, cached: 0, skipped: 0, failed: 0 } as Record<PairStatus, number>;
      for (const pair of pairs) counts[pair.status] += 1;
      const job: JobRecord = {
        id: jobId,
        tenantId,
        status: 'running',
        priority: input.priority ?? 'medium',
        force,
        createdAt: at,
        createdBy: principal.id,
        indicatorCount: records.length,
        pairCount: pairs.length,
        counts,
      };
      await deps.store.createJob(job, records, pairs);
      await inBatches(
        records.filter((record) => record.pending === 0),
        16,
        (record) => finishIndicator(tenantId, jobId, record).then(() => undefined),
      );
      if (counts.pending === 0) await finishJob(tenantId, jobId);
      const delay = input.priority === 'low' ? 2 : 0;
      // Join or start each lookup, a few dozen at a time (a 1,000-indicator job queues thousands).
      await inBatches(queued, 32, async (message) => {
        const role = await deps.store.joinInflight(
          tenantId,
          message.provider,
          message.indicator.type,
          message.indicator.value,
          { jobId, index: message.index },
          nowSeconds() + 3600,
        );
        if (role === 'waiter') return;
        // Another request may have filled the cache since it was read: answer from it then.
        const cached = force
          ? undefined
          : await deps.store.getCache(
              tenantId,
              message.provider,
              message.indicator.type,
              message.indicator.value,
              nowSeconds(),
            );
        if (cached) await settleWaiters(message, { status: 'cached', result: cached });
        else await deps.queue.send(message, delay);
      });
      const sleep = deps.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
      const deadline = deps.now() + Math.min(waitSeconds, maxWaitSeconds) * 1000;
      let current = await this.get(tenantId, jobId);
      while (current.status !== 'completed' && deps.now() < deadline) {
        await sleep(Math.min(100, Math.max(10, deadline - deps.now())));
        current = await this.get(tenantId, jobId);
      }
      return current;
    },

    /** The job with every pair's state and each indicator's aggregate. */
    async get(tenantId: string, jobId: string) {
      const job = await deps.store.getJob(tenantId, jobId);
      if (!job) throw new NotFoundError('No such enrichment job.', 'job_not_found');
      const [indicators, pairs] = await Promise.all([
        deps.store.indicators(tenantId, jobId),
        deps.store.pairs(tenantId, jobId),
      ]);
      const byIndex = new Map<number, PairRecord[]>();
      for (const pair of pairs) byIndex.set(pair.index, [...(byIndex.get(pair.index) ?? []), pair]);
      const { tenantId: _tenant, ...rest } = job;
      return {
        ...rest,
        indicators: indicators.map((indicator) => ({
          type: indicator.type,
          value: indicator.value,
          original: indicator.original,
          ...(indicator.context ? { context: indicator.context } : {}),
          ...(indicator.aggregate ? { aggregate: indicator.aggregate } : {}),
          results: (byIndex.get(indicator.index) ?? []).map(({ index: _i, ...pair }) => pair),
        })),
      };
    },

    list: (tenantId: string, options: { status?: 'running' | 'completed'; limit: number; cursor?: string }) =>
      deps.store.listJobs(tenantId, options),

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
      const remote = await Promise.all(
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
      return { items: [...builtIn, ...remote] };
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
      for (const job of jobs) {
        for (const pair of await deps.store.pairs(tenantId, job.id)) {
          const row = providers[pair.provider] ?? { requests: 0, cacheHits: 0, failures: 0, skipped: 0 };
          providers[pair.provider] = row;
          if (pair.status === 'done') row.requests += 1;
          if (pair.status === 'cached') row.cacheHits += 1;
          if (pair.status === 'failed') row.failures += 1;
          if (pair.status === 'skipped') row.skipped += 1;
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
     * Worker: one provider call through the breaker and the quota governor. Refusals delay the
     * message; provider failures are retried with their `Retry-After` until the budget is used,
     * then the pair fails with its reason and the message is parked in the DLQ. Redelivered
     * messages settle nothing twice.
     */
    async process(message: LookupMessage): Promise<'done' | 'delayed' | 'failed'> {
      const now = deps.now();
      const { tenantId, provider, indicator } = message;
      const permit = await deps.breaker.permit(tenantId, provider, now);
      if (!permit.allowed) {
        await deps.store.note(tenantId, message.jobId, message.index, provider, 'provider_degraded');
        await deps.queue.send(message, Math.ceil(permit.retryAfterSeconds));
        return 'delayed';
      }
      const grant = await deps.quota.acquire(
        tenantId,
        provider,
        await deps.integrations.plan(tenantId, provider),
        now,
      );
      if (!grant.granted) {
        await deps.store.note(tenantId, message.jobId, message.index, provider, 'quota_deferred');
        await deps.queue.send(message, Math.max(1, Math.ceil(grant.retryAfterSeconds)));
        return 'delayed';
      }
      try {
        const result = await deps.integrations.use<IntelAdapter, IntelResult>(
          tenantId,
          provider,
          (adapter, ctx) => adapter.lookup(ctx, indicator),
        );
        await deps.breaker.success(tenantId, provider, deps.now());
        await deps.store.putCache(
          tenantId,
          provider,
          indicator.type,
          indicator.value,
          result,
          nowSeconds() + ttl[result.verdict],
        );
        await settleWaiters(message, { status: 'done', result });
        return 'done';
      } catch (error) {
        if (countsAsBreakerFailure(error)) await deps.breaker.failure(tenantId, provider, deps.now());
        const retryable = error instanceof OutboundError && error.retryable;
        if (retryable && message.attempt + 1 < budget) {
          const wait = honorRetryAfter(error, deps.now()) ?? Math.min(300, 2 ** (message.attempt + 1) * 5);
          await deps.store.note(tenantId, message.jobId, message.index, provider, `retrying: ${error.kind}`);
          await deps.queue.send({ ...message, attempt: message.attempt + 1 }, Math.ceil(wait));
          return 'delayed';
        }
        if (error instanceof OutboundError || (error instanceof VigilError && error.status < 500)) {
          const reason =
            error instanceof OutboundError
              ? `${error.kind}${retryable ? ` after ${message.attempt + 1} attempts` : ''}: ${error.message.slice(0, 200)}`
              : `${error instanceof VigilError ? error.code : 'error'}: ${error.message.slice(0, 200)}`;
          if (retryable) await deps.queue.deadLetter(message, reason);
          await settleWaiters(message, { status: 'failed', reason });
          return 'failed';
        }
        throw error;
      }
    },
  };
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
