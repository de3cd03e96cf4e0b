import type { IndicatorType, IntelResult } from '../integrations/ports';

/**
 * Ports of the enrichment engine: jobs, their (indicator, provider) pairs and per-indicator
 * aggregates, the result cache, in-flight lookups shared by identical requests, and the latest
 * verdict per indicator. Every pair ends `done`, `cached`, `skipped` or `failed`; the job counts
 * move with each settled pair in the same transaction, so progress is never lost or double-counted.
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

export interface PairRecord {
  index: number;
  provider: string;
  status: PairStatus;
  /** Why a pair was skipped or failed, or a note on a pending one (`quota_deferred`). */
  reason?: string;
  result?: IntelResult;
  updatedAt: string;
}

export interface Aggregate {
  verdict: IntelResult['verdict'];
  score: number;
  confidence: number;
  summary: string;
  explanation: unknown[];
}

export interface IndicatorRecord extends JobIndicator {
  /** Pairs of this indicator not yet settled. */
  pending: number;
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
  counts: Record<PairStatus, number>;
}

/** A lookup waiting on another request's identical in-flight provider call. */
export interface Waiter {
  jobId: string;
  index: number;
}

export interface SettleOutcome {
  /** False when the pair was already settled (a redelivered message): nothing changed. */
  settled: boolean;
  /** The indicator's last pair was just settled. */
  indicatorComplete: boolean;
  /** The job's last pair was just settled. */
  jobComplete: boolean;
}

export interface EnrichmentStore {
  createJob(job: JobRecord, indicators: IndicatorRecord[], pairs: PairRecord[]): Promise<void>;
  getJob(tenantId: string, jobId: string): Promise<JobRecord | undefined>;
  listJobs(
    tenantId: string,
    options: { status?: JobStatus; limit: number; cursor?: string },
  ): Promise<{ items: JobRecord[]; nextCursor?: string }>;
  indicators(tenantId: string, jobId: string): Promise<IndicatorRecord[]>;
  pairs(tenantId: string, jobId: string, index?: number): Promise<PairRecord[]>;
  /** Settles a pending pair and moves the indicator's and job's counters, atomically. */
  settle(
    tenantId: string,
    jobId: string,
    pair: Pick<PairRecord, 'index' | 'provider' | 'status' | 'reason' | 'result'>,
  ): Promise<SettleOutcome>;
  /** Notes something about a still-pending pair (a quota delay) without settling it. */
  note(tenantId: string, jobId: string, index: number, provider: string, reason: string): Promise<void>;
  /** Marks the job completed once; false if it already was. */
  completeJob(tenantId: string, jobId: string, at: string): Promise<boolean>;
  setAggregate(tenantId: string, jobId: string, index: number, aggregate: Aggregate): Promise<void>;
  getCache(
    tenantId: string,
    provider: string,
    type: string,
    value: string,
    nowSeconds: number,
  ): Promise<IntelResult | undefined>;
  putCache(
    tenantId: string,
    provider: string,
    type: string,
    value: string,
    result: IntelResult,
    expiresAt: number,
  ): Promise<void>;
  /**
   * Joins the in-flight lookup of (provider, indicator): `leader` when none was running (the caller
   * must make the call), `waiter` when one is (the caller is settled when it finishes).
   */
  joinInflight(
    tenantId: string,
    provider: string,
    type: string,
    value: string,
    waiter: Waiter,
    expiresAt: number,
  ): Promise<'leader' | 'waiter'>;
  /** Ends the in-flight lookup and returns who waited on it (the leader included). */
  endInflight(tenantId: string, provider: string, type: string, value: string): Promise<Waiter[]>;
  putVerdict(
    tenantId: string,
    type: string,
    value: string,
    verdict: Aggregate & { jobId: string; at: string },
  ): Promise<void>;
  getVerdict(
    tenantId: string,
    type: string,
    value: string,
  ): Promise<(Aggregate & { jobId: string; at: string }) | undefined>;
}
