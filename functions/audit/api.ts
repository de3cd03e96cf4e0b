import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { dynamoAuditLog, dynamoAuditReader } from '../../shared/adapters/aws/audit-store';
import { createDocumentClient } from '../../shared/adapters/aws/dynamodb';
import { getAuditRoute, listAuditRoute, verifyAuditRoute } from '../../shared/api/audit';
import { auditQueries } from '../../shared/audit/queries';
import type { Principal } from '../../shared/identity/principal';
import { intEnv, requireEnv } from '../../shared/platform/config';
import { UnauthorizedError } from '../../shared/platform/errors';
import { httpHandler, implement } from '../../shared/platform/http/handler';
import { auditTable, stateTable } from '../../shared/platform/tables';
import { tracer } from '../../shared/platform/tracing';

const documents = createDocumentClient(tracer.captureAWSv3Client(new DynamoDBClient({})));
const queries = auditQueries(dynamoAuditReader(documents, requireEnv(auditTable.envVar)));
// Refused requests (403) are themselves audited.
const audit = dynamoAuditLog(documents, {
  stateTable: requireEnv(stateTable.envVar),
  auditTable: requireEnv(auditTable.envVar),
  retentionDays: intEnv('AUDIT_RETENTION_DAYS', 90),
});
const tenantOf = (principal: Principal | undefined) => {
  if (!principal) throw new UnauthorizedError();
  return principal.tenantId;
};

export const handler = httpHandler(
  [
    implement(listAuditRoute, async ({ query, principal }) =>
      queries.list(tenantOf(principal), {
        action: query.action,
        resourceType: query.resourceType,
        actorId: query.actor,
        from: query.from,
        to: query.to,
        cursor: query.cursor,
        limit: query.limit,
      }),
    ),
    implement(verifyAuditRoute, async ({ principal }) => queries.verify(tenantOf(principal))),
    implement(getAuditRoute, async ({ params, principal }) => queries.get(tenantOf(principal), params.id)),
  ],
  { tracer, audit },
);
