import type { IndicatorType, IntelResult } from '../integrations/ports';

/**
 * Ports of the enrichment engine: jobs, the state of each of their indicators (one pair per
 * provider, and the aggregate once every pair is settled), the result cache, in-flight lookups
 * shared by identical requests, and the latest verdict per indicator.
 *
 * Shaped for few round trips: an indicator settled when its job is created (offline, cached,
 * skipped) is written once with the job and never again; only indicators with queued lookups are
 * updated by workers, one conditional write per settled pair. The job's counts move when an
 * indicator closes (its last pair settled), in the same transaction that stores its aggregate, so
 * progress is never lost or double-counted and the job completes exactly once.
 */
export type PairStatus = 'pending' | 'done' | 'cached' | 'skipped' | 'failed';
export type JobStatus = 'running' | 'completed';
export type Priority = 'low' | 'medium' | 'high';

export interface JobIndicator {
  index: number;
  type: IndicatorType;
  value: string;
  original: string;
  context?: string;
}

export interface PairState {
  status: PairStatus;
  /** Why a pair was skipped or failed, or a note on a pending one (`quota_deferred`). */
  reason?: string;
  result?: IntelResult;
  updatedAt: string;
  /** The pair was pending when its job was created (a lookup was queued for it). */
  queued?: boolean;
}

export interface Aggregate {
  verdict: IntelResult['verdict'];
  score: number;
  confidence: number;
  summary: string;
  explanation: unknown[];
}

export interface IndicatorState extends JobIndicator {
  /** One pair per provider asked, by provider name. */
  pairs: Record<string, PairState>;
  /** Pairs not yet settled. */
  pending: number;
  /** Present once the indicator is closed (every pair settled). */
  aggregate?: Aggregate;
}

export interface JobRecord {
  id: string;
  tenantId: string;
  status: JobStatus;
  priority: Priority;
  force: boolean;
  createdAt: string;
  createdBy: string;
  completedAt?: string;
  indicatorCount: number;
  pairCount: number;
  /** Pair counts as of the last closed indicator (pairs of open indicators count as pending). */
  counts: Record<PairStatus, number>;
  /** Indicators with unsettled pairs; the job completes when this reaches zero. */
  openIndicators: number;
}

/** A lookup waiting on another request's identical in-flight provider call. */
export interface Waiter {
  jobId: string;
  index: number;
}

/** One provider's cached answer for one indicator. */
export interface CacheKey {
  provider: string;
  type: IndicatorType;
  value: string;
}

export const cacheKeyOf = (key: CacheKey) => `${key.provider}#${key.type}#${key.value}`;

/** The latest aggregate Vigil reached for an indicator, and the job that reached it. */
export interface LatestVerdict extends Aggregate {
  jobId: string;
  /** When this verdict was last recorded (an unchanged verdict is re-recorded at most hourly). */
  at: string;
}

/** What deciding whether a new verdict differs from the stored one needs. */
export type VerdictStamp = Pick<LatestVerdict, 'verdict' | 'score' | 'confidence' | 'at'>;

export interface EnrichmentStore {
  /** Stores a new job with all its indicators; closed ones are never written again. */
  createJob(job: JobRecord, indicators: readonly IndicatorState[]): Promise<void>;
  getJob(tenantId: string, jobId: string): Promise<JobRecord | undefined>;
  listJobs(
    tenantId: string,
    options: { status?: JobStatus; limit: number; cursor?: string },
  ): Promise<{ items: JobRecord[]; nextCursor?: string }>;
  /** The job and all its indicators in index order, or undefined when there is no such job. */
  readJob(
    tenantId: string,
    jobId: string,
  ): Promise<{ job: JobRecord; indicators: IndicatorState[] } | undefined>;
  /** An indicator that had lookups queued (undefined for one settled at creation). */
  openIndicator(tenantId: string, jobId: string, index: number): Promise<IndicatorState | undefined>;
  /**
   * Settles pending pairs of one indicator (by provider) in one write; returns the indicator as it
   * is now, or undefined when any of them was already settled (a redelivered message): nothing
   * changed then.
   */
  settle(
    tenantId: string,
    jobId: string,
    index: number,
    pairs: Readonly<Record<string, PairState>>,
  ): Promise<IndicatorState | undefined>;
  /** Notes something about a still-pending pair (a quota delay) without settling it. */
  note(tenantId: string, jobId: string, index: number, provider: string, reason: string): Promise<void>;
  /**
   * Stores the aggregate of an indicator whose pairs are all settled and moves the job's counts by
   * its pairs' outcomes, atomically and once; false when it was already closed.
   */
  closeIndicator(
    tenantId: string,
    jobId: string,
    indicator: IndicatorState,
    aggregate: Aggregate,
  ): Promise<boolean>;
  /** Marks the job completed once, when no indicator is open; false otherwise. */
  completeJob(tenantId: string, jobId: string, at: string): Promise<boolean>;
  /** Unexpired cached results of the keys, by `cacheKeyOf`. */
  getCaches(
    tenantId: string,
    keys: readonly CacheKey[],
    nowSeconds: number,
  ): Promise<Map<string, IntelResult>>;
  /**
   * Joins the in-flight lookup of a key: `leader` when none was running (the caller must make the
   * call, or settle from `cached` when a result arrived meanwhile), `waiter` when one is (the
   * caller is settled when it finishes).
   */
  joinInflight(
    tenantId: string,
    key: CacheKey,
    waiter: Waiter,
    nowSeconds: number,
    leaseUntil: number,
  ): Promise<{ role: 'leader' | 'waiter'; cached?: IntelResult }>;
  /**
   * Ends the in-flight lookup of a key — caching `result` until `expiresAt` when given — and returns
   * who waited on it besides the leader. They stay recorded until `releaseWaiters`, so if settling
   * them fails, the redelivered call finds them again.
   */
  endInflight(
    tenantId: string,
    key: CacheKey,
    cache?: { result: IntelResult; expiresAt: number },
  ): Promise<Waiter[]>;
  /** Forgets waiters once they are settled. */
  releaseWaiters(tenantId: string, key: CacheKey, waiters: readonly Waiter[]): Promise<void>;
  getVerdicts(
    tenantId: string,
    keys: readonly { type: IndicatorType; value: string }[],
  ): Promise<Map<string, VerdictStamp>>;
  putVerdicts(
    tenantId: string,
    verdicts: readonly (LatestVerdict & { type: IndicatorType; value: string })[],
  ): Promise<void>;
  getVerdict(tenantId: string, type: string, value: string): Promise<LatestVerdict | undefined>;
}

export const verdictKeyOf = (key: { type: string; value: string }) => `${key.type}#${key.value}`;
