import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { ensureTables } from '../../infra/local/tables';
import { auditTable, stateTable } from '../../shared/platform/tables';
import { createTestTables } from '../support/dynamodb';

describe('local table creation from the shared definitions', () => {
  it('creates both tables with their keys, index, TTL and the audit stream', async () => {
    const { client, names } = await createTestTables();

    const state = await client.send(new DescribeTableCommand({ TableName: names.state }));
    const audit = await client.send(new DescribeTableCommand({ TableName: names.audit }));
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: names.state }));

    expect(state.Table?.KeySchema).toEqual([
      { AttributeName: stateTable.partitionKey.name, KeyType: 'HASH' },
      { AttributeName: stateTable.sortKey.name, KeyType: 'RANGE' },
    ]);
    expect(state.Table?.GlobalSecondaryIndexes?.map((i) => i.IndexName)).toEqual(['gsi1']);
    expect(ttl.TimeToLiveDescription?.AttributeName).toBe(stateTable.ttlAttribute);
    expect(audit.Table?.StreamSpecification).toMatchObject({
      StreamEnabled: true,
      StreamViewType: auditTable.stream,
    });
  });

  it('is idempotent, so a restart keeps existing tables', async () => {
    const { client, names } = await createTestTables();

    const again = await ensureTables(client, (def) => names[def.id]);

    expect(again).toEqual(names);
  });
});
