import { principalRouteDepsFromEnv } from '../../shared/adapters/aws/http-deps';
import { integrationDepsFromEnv } from '../../shared/adapters/aws/integration-deps';
import {
  catalogRoute,
  deleteIntegrationRoute,
  deliverWebhookRoute,
  disableIntegrationRoute,
  enableIntegrationRoute,
  exportIntegrationsRoute,
  getIntegrationRoute,
  importIntegrationsRoute,
  integrationUsageRoute,
  listIntegrationsRoute,
  notifyRoute,
  putIntegrationRoute,
  reencryptRoute,
  testIntegrationRoute,
  ticketRoute,
  velociraptorClientRoute,
  velociraptorClientsRoute,
  velociraptorCollectRoute,
  velociraptorHuntResultsRoute,
  velociraptorHuntRoute,
} from '../../shared/api/integrations';
import type { Principal } from '../../shared/identity/principal';
import { UnauthorizedError } from '../../shared/platform/errors';
import { httpHandler, implement, reply } from '../../shared/platform/http/handler';
import { tracer } from '../../shared/platform/tracing';

const { documents, table, audit, limiter, security } = principalRouteDepsFromEnv(tracer);
const { service, actions } = integrationDepsFromEnv(documents, table, audit, tracer);
const caller = (principal: Principal | undefined): Principal => {
  if (!principal) throw new UnauthorizedError();
  return principal;
};

export const handler = httpHandler(
  [
    implement(catalogRoute, async () => ({ items: service.catalog() })),
    implement(listIntegrationsRoute, async ({ principal }) => ({
      items: await service.list(caller(principal).tenantId),
    })),
    implement(exportIntegrationsRoute, async ({ principal }) =>
      service.exportAll(caller(principal).tenantId),
    ),
    implement(importIntegrationsRoute, async ({ body, principal }) => {
      const { dryRun, ...document } = body;
      return service.importAll(caller(principal), document, dryRun);
    }),
    implement(reencryptRoute, async ({ principal }) => service.reencrypt(caller(principal))),
    implement(getIntegrationRoute, async ({ params, principal }) =>
      service.get(caller(principal).tenantId, params.name),
    ),
    implement(putIntegrationRoute, async ({ params, body, principal }) =>
      service.configure(caller(principal), params.name, body),
    ),
    implement(deleteIntegrationRoute, async ({ params, principal }) => {
      await service.remove(caller(principal), params.name);
      return reply(204, undefined);
    }),
    implement(enableIntegrationRoute, async ({ params, principal }) =>
      service.setEnabled(caller(principal), params.name, true),
    ),
    implement(disableIntegrationRoute, async ({ params, principal }) =>
      service.setEnabled(caller(principal), params.name, false),
    ),
    implement(testIntegrationRoute, async ({ params, principal }) =>
      service.test(caller(principal), params.name),
    ),
    implement(integrationUsageRoute, async ({ params, query, principal }) =>
      service.usage(caller(principal).tenantId, params.name, query.days),
    ),
    implement(notifyRoute, async ({ body, principal }) =>
      actions.notify(caller(principal).tenantId, {
        integrations: body.integrations,
        message: {
          title: body.title,
          text: body.message,
          severity: body.severity,
          fields: body.fields,
          url: body.url,
        },
      }),
    ),
    implement(ticketRoute, async ({ body, principal }) => {
      const created = await actions.createTicket(caller(principal).tenantId, body.integration, body);
      return reply(201, { integration: body.integration, ...created });
    }),
    implement(deliverWebhookRoute, async ({ params, body, principal }) => ({
      integration: params.name,
      ...(await actions.deliverWebhook(caller(principal).tenantId, params.name, body.payload)),
    })),
    implement(velociraptorClientsRoute, async ({ query, principal }) => ({
      items: await actions.velociraptor(caller(principal).tenantId, (vr, ctx) =>
        vr.listClients(ctx, { search: query.search, limit: query.limit }),
      ),
    })),
    implement(velociraptorClientRoute, async ({ params, principal }) =>
      actions.velociraptor(caller(principal).tenantId, (vr, ctx) => vr.getClient(ctx, params.id)),
    ),
    implement(velociraptorCollectRoute, async ({ body, principal }) =>
      reply(
        202,
        await actions.velociraptor(caller(principal).tenantId, (vr, ctx) => vr.collectArtifact(ctx, body)),
      ),
    ),
    implement(velociraptorHuntRoute, async ({ body, principal }) =>
      reply(
        202,
        await actions.velociraptor(caller(principal).tenantId, (vr, ctx) => vr.createHunt(ctx, body)),
      ),
    ),
    implement(velociraptorHuntResultsRoute, async ({ params, query, principal }) => ({
      items: await actions.velociraptor(caller(principal).tenantId, (vr, ctx) =>
        vr.huntResults(ctx, { huntId: params.id, artifact: query.artifact, limit: query.limit }),
      ),
    })),
  ],
  { tracer, limiter, audit, securityEvents: security.events },
);
