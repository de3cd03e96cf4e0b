import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { dynamoConnectionRegistry } from '../../../shared/adapters/aws/connection-registry';
import type { ConnectionRegistry } from '../../../shared/realtime/ports';
import { createTestTables, type TestTables } from '../../support/dynamodb';

const connection = (id: string, tenantId: string) => ({
  connectionId: id,
  tenantId,
  principalId: `user-${id}`,
  connectedAt: '2026-11-22T18:00:00.000Z',
  topics: [] as string[],
});

describe('DynamoDB connection registry', () => {
  let tables: TestTables;
  let registry: ConnectionRegistry;

  beforeAll(async () => {
    tables = await createTestTables();
    registry = dynamoConnectionRegistry(tables.doc, tables.names.state);
  });

  it('registers a connection with a TTL and reads it back', async () => {
    await registry.register(connection('c1', 'tenant-a'), 1_900_000_000);

    const stored = await registry.get('c1');
    const raw = await tables.doc.send(
      new GetCommand({ TableName: tables.names.state, Key: { pk: 'CONN#c1', sk: 'CONN' } }),
    );

    expect(stored).toMatchObject({ connectionId: 'c1', tenantId: 'tenant-a', topics: [] });
    expect(raw.Item?.ttl).toBe(1_900_000_000);
  });

  it('lists subscribers per tenant and topic, never across tenants', async () => {
    const a = connection('c2', 'tenant-a');
    const b = connection('c3', 'tenant-b');
    await registry.register(a, 1_900_000_000);
    await registry.register(b, 1_900_000_000);
    await registry.subscribe(a, ['events', 'jobs.1'], 1_900_000_000);
    await registry.subscribe(b, ['events'], 1_900_000_000);

    expect(await registry.subscribers('tenant-a', 'events')).toEqual(['c2']);
    expect(await registry.subscribers('tenant-b', 'events')).toEqual(['c3']);
    expect((await registry.get('c2'))?.topics).toEqual(['events', 'jobs.1']);
  });

  it('unsubscribes and removes a connection with all its subscriptions', async () => {
    const c = connection('c4', 'tenant-c');
    await registry.register(c, 1_900_000_000);
    await registry.subscribe(c, ['events', 'alerts'], 1_900_000_000);

    await registry.unsubscribe(c, ['alerts']);
    const afterUnsubscribe = await registry.subscribers('tenant-c', 'alerts');
    await registry.remove('c4');

    expect(afterUnsubscribe).toEqual([]);
    expect(await registry.subscribers('tenant-c', 'events')).toEqual([]);
    expect(await registry.get('c4')).toBeUndefined();
    await expect(registry.remove('c4')).resolves.toBeUndefined();
  });
});
