import type { Tracer } from '@aws-lambda-powertools/tracer';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { type DynamoDBDocumentClient, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { EventBus } from '../../events/ports';
import {
  defaultSecurityThresholds,
  type SecurityAlert,
  type SecurityCounters,
  type SecurityMetric,
  type SecurityMonitor,
  securityMonitor,
} from '../../identity/security';
import { intEnv, requireEnv } from '../../platform/config';
import { logger } from '../../platform/observability';
import { eventBridgeBus } from './eventbridge-bus';

/** Source and detail type of the bus event a security alert becomes. */
export const securityAlertEvent = { source: 'vigil.security', detailType: 'Security Alert' } as const;

const metrics: readonly SecurityMetric[] = ['failedLogins', 'rateLimitViolations', 'suspiciousActivities'];
const bucketKey = (start: number) => `SECM#${String(start).padStart(12, '0')}`;

/**
 * Security counters on the state table: `T#<tid> / SECM#<bucket start>` with one number per metric
 * (atomic ADD), and alert claims `T#<tid> / SECALERT#<type>#<window>` (conditional put). Both expire.
 */
export function dynamoSecurityCounters(client: DynamoDBDocumentClient, tableName: string): SecurityCounters {
  return {
    async increment(tenantId, metric, bucketStart, expiresAt) {
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk: `T#${tenantId}`, sk: bucketKey(bucketStart) },
          UpdateExpression: 'ADD #metric :one SET #ttl = if_not_exists(#ttl, :ttl), #type = :type',
          ExpressionAttributeNames: { '#metric': metric, '#ttl': 'ttl', '#type': 'type' },
          ExpressionAttributeValues: { ':one': 1, ':ttl': expiresAt, ':type': 'security-counters' },
        }),
      );
    },

    async sum(tenantId, fromBucket, toBucket) {
      const result = await client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: {
            ':pk': `T#${tenantId}`,
            ':from': bucketKey(fromBucket),
            ':to': bucketKey(toBucket),
          },
          ConsistentRead: true,
        }),
      );
      const totals = Object.fromEntries(metrics.map((m) => [m, 0])) as Record<SecurityMetric, number>;
      for (const item of result.Items ?? []) {
        for (const metric of metrics) totals[metric] += Number(item[metric] ?? 0);
      }
      return totals;
    },

    async claimAlert(tenantId, type, windowStart, expiresAt) {
      try {
        await client.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              pk: `T#${tenantId}`,
              sk: `SECALERT#${type}#${windowStart}`,
              type: 'security-alert',
              ttl: expiresAt,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },
  };
}

/** Puts an alert on the bus; the events dispatcher turns it into notifications for the tenant's admins. */
export function busAlertPublisher(bus: EventBus) {
  return async (alert: SecurityAlert): Promise<void> => {
    await bus.put([{ ...securityAlertEvent, detail: { ...alert } }]);
  };
}

/**
 * The security monitor of a Lambda with principal routes, built once at cold start: counters on the
 * state table, alerts on the bus (`EVENT_BUS_NAME`), thresholds from `SECURITY_ALERT_FAILED_LOGINS_PER_HOUR`
 * and `SECURITY_ALERT_RATE_LIMITS_PER_HOUR`.
 */
export function securityEventsFromEnv(
  documents: DynamoDBDocumentClient,
  tableName: string,
  tracer: Tracer,
  env: Record<string, string | undefined> = process.env,
): SecurityMonitor {
  const bus = eventBridgeBus(
    tracer.captureAWSv3Client(new EventBridgeClient({})),
    requireEnv('EVENT_BUS_NAME', env),
  );
  return securityMonitor({
    counters: dynamoSecurityCounters(documents, tableName),
    raiseAlert: busAlertPublisher(bus),
    log: (event) => logger.warn('security event', { securityEvent: event }),
    thresholds: {
      failedLoginsPerHour: intEnv(
        'SECURITY_ALERT_FAILED_LOGINS_PER_HOUR',
        defaultSecurityThresholds.failedLoginsPerHour,
        env,
      ),
      rateLimitViolationsPerHour: intEnv(
        'SECURITY_ALERT_RATE_LIMITS_PER_HOUR',
        defaultSecurityThresholds.rateLimitViolationsPerHour,
        env,
      ),
    },
    now: Date.now,
  });
}
