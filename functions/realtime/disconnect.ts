import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { dynamoConnectionRegistry } from '../../shared/adapters/aws/connection-registry';
import { createDocumentClient } from '../../shared/adapters/aws/dynamodb';
import { requireEnv } from '../../shared/platform/config';
import { stateTable } from '../../shared/platform/tables';
import { tracer } from '../../shared/platform/tracing';
import { wsHandler } from '../../shared/platform/ws';
import { disconnect } from '../../shared/realtime/connections';

const registry = dynamoConnectionRegistry(
  createDocumentClient(tracer.captureAWSv3Client(new DynamoDBClient({}))),
  requireEnv(stateTable.envVar),
);
const close = disconnect({ registry });

export const handler = wsHandler(
  async (event) => {
    await close(event.requestContext.connectionId);
    return { statusCode: 200 };
  },
  { tracer },
);
