import { dynamoAuditReader } from '../../shared/adapters/aws/audit-store';
import { principalRouteDepsFromEnv } from '../../shared/adapters/aws/http-deps';
import { getAuditRoute, listAuditRoute, verifyAuditRoute } from '../../shared/api/audit';
import { auditQueries } from '../../shared/audit/queries';
import type { Principal } from '../../shared/identity/principal';
import { requireEnv } from '../../shared/platform/config';
import { UnauthorizedError } from '../../shared/platform/errors';
import { httpHandler, implement } from '../../shared/platform/http/handler';
import { auditTable } from '../../shared/platform/tables';
import { tracer } from '../../shared/platform/tracing';

const { documents, audit, limiter, security } = principalRouteDepsFromEnv(tracer);
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
    implement(getAuditRoute, async ({ params, principal }) => queries.get(tenantOf(principal), params.id)),
  ],
  { tracer, audit, limiter, securityEvents: security.events },
);
