import type { Tracer } from '@aws-lambda-powertools/tracer';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { intEnv, requireEnv } from '../../platform/config';
import { auditTable, stateTable } from '../../platform/tables';
import { dynamoAuditLog } from './audit-store';
import { createDocumentClient } from './dynamodb';
import { dynamoRateLimiter } from './rate-limiter';
import { securityEventsFromEnv } from './security-monitor';

/**
 * What every Lambda with `principal` routes hands the shared HTTP stack, built once at cold start: the
 * audit log (refusals and state changes are recorded), the per-principal rate limiter, and the
 * security monitor (refusals and limit violations count towards the tenant's security metrics).
 */
export function principalRouteDepsFromEnv(
  tracer: Tracer,
  env: Record<string, string | undefined> = process.env,
) {
  const documents = createDocumentClient(tracer.captureAWSv3Client(new DynamoDBClient({})));
  const table = requireEnv(stateTable.envVar, env);
  const audit = dynamoAuditLog(documents, {
    stateTable: table,
    auditTable: requireEnv(auditTable.envVar, env),
    retentionDays: intEnv('AUDIT_RETENTION_DAYS', 90, env),
  });
  const limiter = dynamoRateLimiter(documents, table);
  const security = securityEventsFromEnv(documents, table, tracer, env);
  return { documents, table, audit, limiter, security };
}
