import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { ensureTables } from '../../infra/local/tables';
import { createDocumentClient } from '../../shared/adapters/aws/dynamodb';
import type { TableDef } from '../../shared/platform/tables';

export interface TestTables {
  client: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  names: Record<TableDef['id'], string>;
}

/** A DynamoDB client on the run's DynamoDB Local with fresh, randomly named tables. */
export async function createTestTables(): Promise<TestTables> {
  const client = new DynamoDBClient({
    endpoint: inject('dynamodbEndpoint'),
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const suffix = randomUUID().slice(0, 8);
  const names = await ensureTables(client, (def) => `test-${suffix}-${def.id}`);
  return { client, doc: createDocumentClient(client), names };
}
