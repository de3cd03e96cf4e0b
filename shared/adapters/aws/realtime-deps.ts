import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { requireEnv } from '../../platform/config';
import { stateTable } from '../../platform/tables';
import type { RealtimeDeps } from '../../realtime/connections';
import { apiGatewayPusher } from './connection-pusher';
import { dynamoConnectionRegistry } from './connection-registry';
import { createDocumentClient } from './dynamodb';

/**
 * Realtime dependencies from the environment (`STATE_TABLE_NAME`, `WS_MANAGEMENT_ENDPOINT`); every
 * Lambda that registers connections or pushes messages builds them once at cold start with this.
 */
export function realtimeDepsFromEnv(env: Record<string, string | undefined> = process.env): RealtimeDeps {
  return {
    registry: dynamoConnectionRegistry(createDocumentClient(), requireEnv(stateTable.envVar, env)),
    pusher: apiGatewayPusher(
      new ApiGatewayManagementApiClient({ endpoint: requireEnv('WS_MANAGEMENT_ENDPOINT', env) }),
    ),
    now: Date.now,
  };
}
