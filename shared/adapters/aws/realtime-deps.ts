import type { Tracer } from '@aws-lambda-powertools/tracer';
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { requireEnv } from '../../platform/config';
import { stateTable } from '../../platform/tables';
import type { RealtimeDeps } from '../../realtime/connections';
import { apiGatewayPusher } from './connection-pusher';
import { dynamoConnectionRegistry } from './connection-registry';
import { createDocumentClient } from './dynamodb';

/**
 * Realtime dependencies (SDK calls traced) from the environment (`STATE_TABLE_NAME`, `WS_MANAGEMENT_ENDPOINT`); every
 * Lambda that registers connections or pushes messages builds them once at cold start with this.
 */
export function realtimeDepsFromEnv(
  tracer: Tracer,
  env: Record<string, string | undefined> = process.env,
): RealtimeDeps {
  const dynamodb = tracer.captureAWSv3Client(new DynamoDBClient({}));
  const management = tracer.captureAWSv3Client(
    new ApiGatewayManagementApiClient({ endpoint: requireEnv('WS_MANAGEMENT_ENDPOINT', env) }),
  );
  return {
    registry: dynamoConnectionRegistry(createDocumentClient(dynamodb), requireEnv(stateTable.envVar, env)),
    pusher: apiGatewayPusher(management),
    now: Date.now,
  };
}
