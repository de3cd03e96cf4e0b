import { dynamoAuditReader, dynamoAuditSettings } from '../../shared/adapters/aws/audit-store';
import { principalRouteDepsFromEnv } from '../../shared/adapters/aws/http-deps';
import {
  getAuditRoute,
  getAuditSettingsRoute,
  listAuditRoute,
  putAuditSettingsRoute,
  verifyAuditRoute,
} from '../../shared/api/audit';
import { auditQueries } from '../../shared/audit/queries';
import type { Principal } from '../../shared/identity/principal';
import { intEnv, requireEnv } from '../../shared/platform/config';
import { UnauthorizedError } from '../../shared/platform/errors';
import { httpHandler, implement } from '../../shared/platform/http/handler';
import { auditTable } from '../../shared/platform/tables';
import { tracer } from '../../shared/platform/tracing';

const { documents, table, audit, limiter, security } = principalRouteDepsFromEnv(tracer);
const settings = dynamoAuditSettings(documents, table, intEnv('AUDIT_RETENTION_DAYS', 90));
const queries = auditQueries(dynamoAuditReader(documents, requireEnv(auditTable.envVar)));
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
    implement(getAuditSettingsRoute, async ({ principal }) => settings.get(tenantOf(principal))),
    implement(putAuditSettingsRoute, async ({ body, principal }) =>
      settings.setRetention(tenantOf(principal), body.retentionDays),
    ),
    implement(getAuditRoute, async ({ params, principal }) => queries.get(tenantOf(principal), params.id)),
  ],
  { tracer, audit, limiter, securityEvents: security.events },
);
