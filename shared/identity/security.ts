import type { SecurityEvents } from './ports';

/**
 * Security events and the tenant's security metrics. Every event is logged with its severity; events
 * of a known tenant are also counted in five-minute buckets, so "the last hour" is exact to five
 * minutes and costs one query. When a count crosses its threshold an alert is raised once per hour
 * (it becomes a notification for the tenant's admins and a WebSocket push).
 */
export type SecurityMetric = 'failedLogins' | 'rateLimitViolations' | 'suspiciousActivities';

export type SecurityEvent = Parameters<SecurityEvents['record']>[0];

export interface SecurityThresholds {
  failedLoginsPerHour: number;
  rateLimitViolationsPerHour: number;
}

export const defaultSecurityThresholds: SecurityThresholds = {
  failedLoginsPerHour: 50,
  rateLimitViolationsPerHour: 100,
};

export interface SecurityAlert {
  tenantId: string;
  type: 'security.failed_logins_threshold' | 'security.rate_limit_threshold';
  severity: 'medium' | 'high';
  title: string;
  message: string;
  value: number;
  threshold: number;
}

export interface SecurityCounters {
  /** Adds one to `metric` in the tenant's bucket starting at `bucketStart` (epoch seconds). */
  increment(tenantId: string, metric: SecurityMetric, bucketStart: number, expiresAt: number): Promise<void>;
  /** Sums every metric over the buckets starting in [fromBucket, toBucket]. */
  sum(tenantId: string, fromBucket: number, toBucket: number): Promise<Record<SecurityMetric, number>>;
  /** True only for the first claim of (tenant, alert type, window). */
  claimAlert(tenantId: string, type: string, windowStart: number, expiresAt: number): Promise<boolean>;
}

export interface SecurityMonitorDeps {
  counters: SecurityCounters;
  raiseAlert: (alert: SecurityAlert) => Promise<void>;
  log: (event: SecurityEvent) => void;
  thresholds: SecurityThresholds;
  now: () => number;
}

export const bucketSeconds = 300;
const hourSeconds = 3600;

/** Which metric an event type counts towards, if any. */
export function metricOf(type: string): SecurityMetric | undefined {
  if (type === 'auth.login_failed') return 'failedLogins';
  if (type === 'auth.rate_limited' || type === 'api.rate_limited') return 'rateLimitViolations';
  if (
    type === 'auth.multiple_failed_attempts' ||
    type === 'auth.refresh_token_reuse' ||
    type === 'permission.denied' ||
    type === 'permission.escalation_attempt' ||
    type === 'security.injection_attempt'
  ) {
    return 'suspiciousActivities';
  }
  return undefined;
}

export function securityMonitor(deps: SecurityMonitorDeps) {
  const window = () => {
    const now = Math.floor(deps.now() / 1000);
    const current = now - (now % bucketSeconds);
    return { now, current, from: current - hourSeconds + bucketSeconds };
  };

  const lastHour = (tenantId: string) => {
    const { from, current } = window();
    return deps.counters.sum(tenantId, from, current);
  };

  const checkThreshold = async (tenantId: string, metric: SecurityMetric) => {
    const rule =
      metric === 'failedLogins'
        ? {
            threshold: deps.thresholds.failedLoginsPerHour,
            type: 'security.failed_logins_threshold' as const,
            severity: 'high' as const,
            title: 'Many failed logins',
          }
        : metric === 'rateLimitViolations'
          ? {
              threshold: deps.thresholds.rateLimitViolationsPerHour,
              type: 'security.rate_limit_threshold' as const,
              severity: 'medium' as const,
              title: 'Many rate-limit violations',
            }
          : undefined;
    if (!rule) return;
    const totals = await lastHour(tenantId);
    const value = totals[metric];
    if (value <= rule.threshold) return;
    const { now } = window();
    const hour = now - (now % hourSeconds);
    if (!(await deps.counters.claimAlert(tenantId, rule.type, hour, hour + 2 * hourSeconds))) return;
    await deps.raiseAlert({
      tenantId,
      type: rule.type,
      severity: rule.severity,
      title: rule.title,
      message: `${value} in the last hour (threshold ${rule.threshold}). Review the audit trail and security metrics.`,
      value,
      threshold: rule.threshold,
    });
  };

  const events: SecurityEvents = {
    async record(event) {
      deps.log(event);
      const metric = metricOf(event.type);
      if (!metric || event.tenantId === 'platform') return;
      const { current } = window();
      await deps.counters.increment(event.tenantId, metric, current, current + 2 * hourSeconds);
      await checkThreshold(event.tenantId, metric);
    },
  };

  return {
    events,
    /** The tenant's figures for the last hour, with the active session count supplied by the caller. */
    async metrics(tenantId: string, activeSessions: number) {
      const totals = await lastHour(tenantId);
      return {
        windowMinutes: 60,
        failedLogins: totals.failedLogins,
        activeSessions,
        rateLimitViolations: totals.rateLimitViolations,
        suspiciousActivities: totals.suspiciousActivities,
        thresholds: deps.thresholds,
      };
    },
  };
}

export type SecurityMonitor = ReturnType<typeof securityMonitor>;
