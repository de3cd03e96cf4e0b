import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { type TableDef, tableDefs } from '../../shared/platform/tables';

/** CreateTable input for a table definition; the same key schema CDK deploys. */
export function createTableInput(def: TableDef, name: string): CreateTableCommandInput {
  const attributes = new Map<string, string>();
  for (const key of [def.partitionKey, def.sortKey]) attributes.set(key.name, key.type);
  for (const gsi of def.globalIndexes) {
    attributes.set(gsi.partitionKey.name, gsi.partitionKey.type);
    if (gsi.sortKey) attributes.set(gsi.sortKey.name, gsi.sortKey.type);
  }
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({
      AttributeName,
      AttributeType: AttributeType as 'S' | 'N' | 'B',
    })),
    KeySchema: [
      { AttributeName: def.partitionKey.name, KeyType: 'HASH' },
      { AttributeName: def.sortKey.name, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: def.globalIndexes.length
      ? def.globalIndexes.map((gsi) => ({
          IndexName: gsi.indexName,
          KeySchema: [
            { AttributeName: gsi.partitionKey.name, KeyType: 'HASH' as const },
            ...(gsi.sortKey ? [{ AttributeName: gsi.sortKey.name, KeyType: 'RANGE' as const }] : []),
          ],
          Projection: { ProjectionType: 'ALL' },
        }))
      : undefined,
    StreamSpecification: def.stream ? { StreamEnabled: true, StreamViewType: def.stream } : undefined,
  };
}

/**
 * Creates every table from the shared definitions unless it already exists (a restart keeps data),
 * and turns on TTL. `nameOf` maps a definition to its physical name.
 */
export async function ensureTables(
  client: DynamoDBClient,
  nameOf: (def: TableDef) => string,
  defs: readonly TableDef[] = tableDefs,
): Promise<Record<TableDef['id'], string>> {
  const names = {} as Record<TableDef['id'], string>;
  for (const def of defs) {
    const name = nameOf(def);
    names[def.id] = name;
    try {
      await client.send(new CreateTableCommand(createTableInput(def, name)));
      await client.send(
        new UpdateTimeToLiveCommand({
          TableName: name,
          TimeToLiveSpecification: { AttributeName: def.ttlAttribute, Enabled: true },
        }),
      );
    } catch (err) {
      if (!(err instanceof ResourceInUseException)) throw err;
    }
    await client.send(new DescribeTableCommand({ TableName: name }));
  }
  return names;
}
