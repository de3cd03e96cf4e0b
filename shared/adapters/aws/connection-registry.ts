import {
  BatchWriteCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Connection, ConnectionRegistry } from '../../realtime/ports';

/**
 * WebSocket connection registry on the state table.
 * - connection: `pk = CONN#<id>`, `sk = CONN` (a global lookup: API Gateway gives us only the id);
 * - subscription: `pk = T#<tenant>#TOPIC#<topic>`, `sk = CONN#<id>`, so a topic's subscribers are one
 *   Query inside the tenant's key space.
 * Both expire by TTL with the connection's maximum lifetime, so a missed `$disconnect` cleans itself up.
 */
export function dynamoConnectionRegistry(
  client: DynamoDBDocumentClient,
  tableName: string,
): ConnectionRegistry {
  const connectionKey = (id: string) => ({ pk: `CONN#${id}`, sk: 'CONN' });
  const subscriptionKey = (tenantId: string, topic: string, id: string) => ({
    pk: `T#${tenantId}#TOPIC#${topic}`,
    sk: `CONN#${id}`,
  });

  const deleteSubscriptions = async (connection: Connection, topics: string[]) => {
    for (let i = 0; i < topics.length; i += 25) {
      const chunk = topics.slice(i, i + 25);
      let requests: Record<string, unknown[]> | undefined = {
        [tableName]: chunk.map((topic) => ({
          DeleteRequest: { Key: subscriptionKey(connection.tenantId, topic, connection.connectionId) },
        })),
      };
      for (let attempt = 0; requests && Object.keys(requests).length > 0 && attempt < 5; attempt += 1) {
        const result = await client.send(new BatchWriteCommand({ RequestItems: requests as never }));
        requests = result.UnprocessedItems as Record<string, unknown[]> | undefined;
      }
    }
  };

  const setTopics = async (connection: Connection, topics: string[]) => {
    await client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: connectionKey(connection.connectionId),
        UpdateExpression: 'SET topics = :topics',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':topics': topics },
      }),
    );
    connection.topics = topics;
  };

  return {
    async register(connection, expiresAt) {
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            ...connectionKey(connection.connectionId),
            type: 'connection',
            connectionId: connection.connectionId,
            tenantId: connection.tenantId,
            principalId: connection.principalId,
            connectedAt: connection.connectedAt,
            topics: connection.topics,
            ttl: expiresAt,
          },
        }),
      );
    },

    async get(connectionId) {
      const result = await client.send(
        new GetCommand({ TableName: tableName, Key: connectionKey(connectionId), ConsistentRead: true }),
      );
      const item = result.Item;
      if (!item) return undefined;
      return {
        connectionId: String(item.connectionId),
        tenantId: String(item.tenantId),
        principalId: String(item.principalId),
        connectedAt: String(item.connectedAt),
        topics: Array.isArray(item.topics) ? item.topics.map(String) : [],
      };
    },

    async remove(connectionId) {
      const existing = await this.get(connectionId);
      if (!existing) return;
      await deleteSubscriptions(existing, existing.topics);
      await client.send(new DeleteCommand({ TableName: tableName, Key: connectionKey(connectionId) }));
    },

    async subscribe(connection, topics, expiresAt) {
      const merged = [...new Set([...connection.topics, ...topics])];
      for (const topic of topics) {
        await client.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              ...subscriptionKey(connection.tenantId, topic, connection.connectionId),
              type: 'subscription',
              connectionId: connection.connectionId,
              ttl: expiresAt,
            },
          }),
        );
      }
      await setTopics(connection, merged);
    },

    async unsubscribe(connection, topics) {
      await deleteSubscriptions(connection, topics);
      await setTopics(
        connection,
        connection.topics.filter((t) => !topics.includes(t)),
      );
    },

    async subscribers(tenantId, topic) {
      const ids: string[] = [];
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await client.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': `T#${tenantId}#TOPIC#${topic}` },
            ProjectionExpression: 'connectionId',
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) ids.push(String(item.connectionId));
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      return ids;
    },
  };
}
