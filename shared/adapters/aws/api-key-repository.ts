import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { ApiKeyRecord, ApiKeyRepository } from '../../identity/api-keys';

/**
 * API keys on the state table: a global lookup item `APIKEY#<id> / APIKEY` (the authorizer knows only
 * the key), listed per tenant through gsi1 (`T#<tenant>#APIKEYS`, created time). Changes are
 * conditional on the tenant, so one tenant can never touch another's keys.
 */
export function dynamoApiKeyRepository(client: DynamoDBDocumentClient, tableName: string): ApiKeyRepository {
  const key = (id: string) => ({ pk: `APIKEY#${id}`, sk: 'APIKEY' });
  const toRecord = (item: Record<string, unknown>): ApiKeyRecord => ({
    id: String(item.id),
    tenantId: String(item.tenantId),
    name: String(item.name),
    secretHash: String(item.secretHash),
    permissions: (item.permissions as ApiKeyRecord['permissions']) ?? [],
    createdAt: String(item.createdAt),
    createdBy: String(item.createdBy),
    ...(item.expiresAt ? { expiresAt: String(item.expiresAt) } : {}),
    ...(item.lastUsedAt ? { lastUsedAt: String(item.lastUsedAt) } : {}),
    ...(item.lastUsedIp ? { lastUsedIp: String(item.lastUsedIp) } : {}),
  });
  const conditionalOnTenant = async (work: () => Promise<unknown>): Promise<boolean> => {
    try {
      await work();
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  };

  return {
    async putApiKey(record) {
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            ...key(record.id),
            type: 'api-key',
            gsi1pk: `T#${record.tenantId}#APIKEYS`,
            gsi1sk: record.createdAt,
            ...record,
            ...(record.expiresAt ? { ttl: Math.floor(Date.parse(record.expiresAt) / 1000) + 86_400 } : {}),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    },

    async getApiKey(id) {
      const result = await client.send(
        new GetCommand({ TableName: tableName, Key: key(id), ConsistentRead: true }),
      );
      return result.Item ? toRecord(result.Item) : undefined;
    },

    async listApiKeys(tenantId) {
      const records: ApiKeyRecord[] = [];
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await client.send(
          new QueryCommand({
            TableName: tableName,
            IndexName: 'gsi1',
            KeyConditionExpression: 'gsi1pk = :pk',
            ExpressionAttributeValues: { ':pk': `T#${tenantId}#APIKEYS` },
            ExclusiveStartKey: startKey,
          }),
        );
        records.push(...(page.Items ?? []).map(toRecord));
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      return records;
    },

    deleteApiKey(tenantId, id) {
      return conditionalOnTenant(() =>
        client.send(
          new DeleteCommand({
            TableName: tableName,
            Key: key(id),
            ConditionExpression: 'tenantId = :tenant',
            ExpressionAttributeValues: { ':tenant': tenantId },
          }),
        ),
      );
    },

    replaceSecret(tenantId, id, secretHash) {
      return conditionalOnTenant(() =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: key(id),
            UpdateExpression: 'SET secretHash = :hash',
            ConditionExpression: 'tenantId = :tenant',
            ExpressionAttributeValues: { ':tenant': tenantId, ':hash': secretHash },
          }),
        ),
      );
    },

    async recordUse(id, at, ip) {
      await conditionalOnTenant(() =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: key(id),
            UpdateExpression: 'SET lastUsedAt = :at, lastUsedIp = :ip',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':at': at, ':ip': ip },
          }),
        ),
      );
    },
  };
}
