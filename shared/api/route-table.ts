import type { RouteDef, WsRouteDef } from '../platform/http/route';
import { apiKeyRoutes } from './api-keys';
import { auditRoutes } from './audit';
import { devRoutes } from './dev';
import { enrichmentRoutes } from './enrichment';
import { identityRoutes } from './identity';
import { integrationRoutes } from './integrations';
import { notificationRoutes } from './notifications';
import { platformRoutes } from './platform';
import { userRoutes } from './users';

/**
 * The route table: every HTTP route of the platform, in one list. CDK creates an API Gateway route per
 * row (except `target: 'local'` rows), the local gateway dispatches from it, and `openapi.ts` documents
 * it. Contexts contribute their rows here.
 */
export const httpRoutes: readonly RouteDef[] = [
  ...platformRoutes,
  ...identityRoutes,
  ...apiKeyRoutes,
  ...userRoutes,
  ...notificationRoutes,
  ...integrationRoutes,
  ...enrichmentRoutes,
  ...auditRoutes,
  ...devRoutes,
];

/** The WebSocket API's routes. */
export const wsRoutes: readonly WsRouteDef[] = [
  { routeKey: '$connect', fn: 'realtime-connect', description: 'Registers the connection.' },
  { routeKey: '$disconnect', fn: 'realtime-disconnect', description: 'Removes the connection.' },
  { routeKey: '$default', fn: 'realtime-message', description: 'Handles subscribe/unsubscribe/ping.' },
];

/** Lambda authorizing every `principal` route (HTTP API Lambda authorizer, simple responses). */
export const authorizerFunctionId = 'identity-authorizer';

/** Lambda serving API Gateway's `$default` route: JSON 404/405 for anything the table does not know. */
export const fallbackFunctionId = 'platform-fallback';
