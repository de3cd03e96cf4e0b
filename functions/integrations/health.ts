import { principalRouteDepsFromEnv } from '../../shared/adapters/aws/http-deps';
import { integrationDepsFromEnv } from '../../shared/adapters/aws/integration-deps';
import { dynamoIntegrationStore } from '../../shared/adapters/aws/integration-store';
import { logger } from '../../shared/platform/observability';
import { taskHandler } from '../../shared/platform/task';
import { tracer } from '../../shared/platform/tracing';

const { documents, table, audit } = principalRouteDepsFromEnv(tracer);
const { service } = integrationDepsFromEnv(documents, table, audit, tracer);
const store = dynamoIntegrationStore(documents, table);

/**
 * Scheduled health check: a cheap real call to every enabled integration of every tenant, setting
 * `healthy | degraded | error` with the time and a sanitized error. One tenant's failure never stops
 * the others; the run reports how many checks ended in each state.
 */
export const handler = taskHandler(
  async () => {
    const counts: Record<string, number> = {};
    for (const tenantId of await store.tenantsWithEnabled()) {
      try {
        for (const { status } of await service.checkAll(tenantId)) counts[status] = (counts[status] ?? 0) + 1;
      } catch (error) {
        logger.error('integration health check failed for a tenant', { tenantId, err: error });
        counts.failedTenants = (counts.failedTenants ?? 0) + 1;
      }
    }
    logger.info('integration health checks done', { counts });
    return counts;
  },
  { tracer },
);
