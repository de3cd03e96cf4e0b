/**
 * Ports of the integrations context: where a tenant's integration configuration and usage
 * counters live. Credentials are stored only as one envelope-encrypted blob per integration (a JSON
 * object of the secret fields), with a masked hint per field for display.
 */
/** Request limits a tenant sets for its own plan with a provider. */
export interface QuotaOverride {
  perSecond?: number;
  perMinute?: number;
  perDay?: number;
  perMonth?: number;
}

export type HealthStatus = 'healthy' | 'degraded' | 'error' | 'untested';

export interface IntegrationHealth {
  status: HealthStatus;
  checkedAt?: string;
  /** Sanitized: never a credential, a URL query string or a response body. */
  lastError?: string;
}

export interface IntegrationRecord {
  tenantId: string;
  name: string;
  enabled: boolean;
  settings: Record<string, string | number>;
  /** Envelope-encrypted JSON of the secret fields (context: tenant, purpose `integration:<name>`). */
  credentialsCiphertext?: string;
  /** Masked hint per secret field, e.g. `••••a1b2`. */
  credentialHints: Record<string, string>;
  /** The tenant's own plan limits (a paid tier), overriding the catalog's free tier window by window. */
  quota?: QuotaOverride;
  health: IntegrationHealth;
  createdAt: string;
  updatedAt: string;
  updatedBy: string;
  /** Optimistic-concurrency revision. */
  revision: number;
}

/** Per-day usage of one integration; latency as a histogram so percentiles can be read back. */
export interface UsageDay {
  date: string;
  requests: number;
  successes: number;
  failures: number;
  /** Counts per latency bucket (upper bounds in `latencyBucketsMs`, last is +∞). */
  latency: number[];
}

export const latencyBucketsMs = [25, 50, 100, 200, 400, 800, 1600, 3200, 6400, 12800] as const;

export interface IntegrationStore {
  get(tenantId: string, name: string): Promise<IntegrationRecord | undefined>;
  list(tenantId: string): Promise<IntegrationRecord[]>;
  /** Writes the record if its revision is still `expectedRevision` (0: must not exist); false otherwise. */
  put(record: IntegrationRecord, expectedRevision: number): Promise<boolean>;
  delete(tenantId: string, name: string): Promise<boolean>;
  setHealth(tenantId: string, name: string, health: IntegrationHealth): Promise<void>;
  /** Counts calls (and their latency) in the usage of their day; a worker's batch in one write per day. */
  recordCalls(
    tenantId: string,
    name: string,
    calls: readonly { date: string; ok: boolean; latencyMs: number }[],
  ): Promise<void>;
  usage(tenantId: string, name: string, fromDate: string, toDate: string): Promise<UsageDay[]>;
  /** Tenants with at least one enabled integration (for scheduled health checks; an index, not a scan). */
  tenantsWithEnabled(): Promise<string[]>;
}
