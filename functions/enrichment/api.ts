import { enrichmentDepsFromEnv } from '../../shared/adapters/aws/enrichment-deps';
import {
  addAllowRoute,
  addIocRoute,
  checkIocRoute,
  createEnrichmentRoute,
  deleteAllowRoute,
  deleteIocRoute,
  enrichmentStatsRoute,
  extractRoute,
  getEnrichmentRoute,
  latestVerdictRoute,
  listAllowRoute,
  listEnrichmentsRoute,
  listIocsRoute,
  providersRoute,
} from '../../shared/api/enrichment';
import { extractIndicators } from '../../shared/enrichment/extract';
import type { Principal } from '../../shared/identity/principal';
import { UnauthorizedError } from '../../shared/platform/errors';
import { httpHandler, implement, reply } from '../../shared/platform/http/handler';
import { tracer } from '../../shared/platform/tracing';

const { engine, iocs, audit, limiter, security } = enrichmentDepsFromEnv(tracer);
const caller = (principal: Principal | undefined): Principal => {
  if (!principal) throw new UnauthorizedError();
  return principal;
};
const actor = (principal: Principal | undefined) => {
  const who = caller(principal);
  return { tenantId: who.tenantId, userId: who.id };
};

export const handler = httpHandler(
  [
    implement(extractRoute, async ({ body }) => extractIndicators(body.text)),
    implement(createEnrichmentRoute, async ({ body, principal }) => {
      const { wait, ...input } = body;
      const job = await engine.create(caller(principal), input, wait ?? 0);
      return reply(job.status === 'completed' ? 200 : 202, job);
    }),
    implement(listEnrichmentsRoute, async ({ query, principal }) =>
      engine.list(caller(principal).tenantId, {
        status: query.status,
        limit: query.limit,
        cursor: query.cursor,
      }),
    ),
    implement(enrichmentStatsRoute, async ({ principal }) => engine.stats(caller(principal).tenantId)),
    implement(getEnrichmentRoute, async ({ params, principal }) =>
      engine.get(caller(principal).tenantId, params.id),
    ),
    implement(latestVerdictRoute, async ({ params, principal }) =>
      engine.latest(caller(principal).tenantId, params.type, decodeURIComponent(params.value)),
    ),
    implement(providersRoute, async ({ principal }) => engine.providers(caller(principal).tenantId)),
    implement(addIocRoute, async ({ body, principal }) => reply(201, await iocs.add(actor(principal), body))),
    implement(listIocsRoute, async ({ query, principal }) => iocs.list(caller(principal).tenantId, query)),
    implement(checkIocRoute, async ({ query, principal }) => {
      const tenantId = caller(principal).tenantId;
      const [matches, allowListed] = await Promise.all([
        iocs.check(tenantId, query.value, query.type),
        iocs.isAllowed(tenantId, query.value, query.type),
      ]);
      return { matches, ...(allowListed ? { allowListed } : {}) };
    }),
    implement(deleteIocRoute, async ({ params, principal }) => {
      await iocs.remove(caller(principal).tenantId, params.id);
      return reply(204, undefined);
    }),
    implement(addAllowRoute, async ({ body, principal }) =>
      reply(201, await iocs.allow(actor(principal), body)),
    ),
    implement(listAllowRoute, async ({ query, principal }) =>
      iocs.listAllowed(caller(principal).tenantId, query),
    ),
    implement(deleteAllowRoute, async ({ params, principal }) => {
      await iocs.removeAllowed(caller(principal).tenantId, params.id);
      return reply(204, undefined);
    }),
  ],
  { tracer, limiter, audit, securityEvents: security.events },
);
