import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { dynamoConnectionRegistry } from '../../shared/adapters/aws/connection-registry';
import { createDocumentClient } from '../../shared/adapters/aws/dynamodb';
import { optionalEnv, platformConfig, requireEnv } from '../../shared/platform/config';
import { stateTable } from '../../shared/platform/tables';
import { tracer } from '../../shared/platform/tracing';
import { wsHandler } from '../../shared/platform/ws';
import { connect } from '../../shared/realtime/connections';
import { identityFromAuthorizer } from '../../shared/realtime/identity';

const config = platformConfig();
const registry = dynamoConnectionRegistry(
  createDocumentClient(tracer.captureAWSv3Client(new DynamoDBClient({}))),
  requireEnv(stateTable.envVar),
);
const open = connect({ registry, now: Date.now });
// Until the identity context authenticates `$connect`, only the local target accepts connections,
// all as the local demo tenant.
const anonymousIdentity =
  config.target === 'local'
    ? { tenantId: optionalEnv('VIGIL_LOCAL_TENANT_ID', 'demo'), principalId: 'local-anonymous' }
    : undefined;

export const handler = wsHandler(
  async (event) => {
    await open({
      connectionId: event.requestContext.connectionId,
      identity: identityFromAuthorizer(event.requestContext.authorizer),
      anonymousIdentity,
    });
    return { statusCode: 200 };
  },
  { tracer },
);
