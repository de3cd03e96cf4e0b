import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  type IntegrationRecord,
  type IntegrationStore,
  latencyBucketsMs,
  type UsageDay,
} from '../../integrations/store';
import { queryAll, queryPrefix } from './dynamodb';

/**
 * Integration configuration and usage on the state table:
 * - `T#<tid> / INTEG#<name>`: the configuration, with `revision` for optimistic concurrency; while
 *   enabled it is also in the `gsi1` partition `INTEG#ENABLED` (sort key `<tid>#<name>`), which the
 *   scheduled health check reads instead of scanning;
 * - `T#<tid> / USAGE#<name>#<yyyy-mm-dd>`: atomic counters and a latency histogram (`l0`…), kept 400 days.
 */
const enabledIndexKey = 'INTEG#ENABLED';
const usageRetentionSeconds = 400 * 86_400;

export function dynamoIntegrationStore(client: DynamoDBDocumentClient, tableName: string): IntegrationStore {
  const key = (tenantId: string, name: string) => ({ pk: `T#${tenantId}`, sk: `INTEG#${name}` });
  const toRecord = (item: Record<string, unknown>): IntegrationRecord => ({
    tenantId: String(item.tenantId),
    name: String(item.name),
    enabled: item.enabled === true,
    settings: (item.settings as IntegrationRecord['settings']) ?? {},
    ...(item.credentialsCiphertext ? { credentialsCiphertext: String(item.credentialsCiphertext) } : {}),
    credentialHints: (item.credentialHints as Record<string, string>) ?? {},
    ...(item.quota ? { quota: item.quota as IntegrationRecord['quota'] } : {}),
    health: (item.health as IntegrationRecord['health']) ?? { status: 'untested' },
    createdAt: String(item.createdAt),
    updatedAt: String(item.updatedAt),
    updatedBy: String(item.updatedBy),
    revision: Number(item.revision ?? 0),
  });

  return {
    async get(tenantId, name) {
      const { Item } = await client.send(
        new GetCommand({ TableName: tableName, Key: key(tenantId, name), ConsistentRead: true }),
      );
      return Item ? toRecord(Item) : undefined;
    },

    async list(tenantId) {
      return (await queryPrefix(client, tableName, `T#${tenantId}`, 'INTEG#')).map(toRecord);
    },

    async put(record, expectedRevision) {
      try {
        await client.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              ...key(record.tenantId, record.name),
              type: 'integration',
              ...record,
              ...(record.enabled
                ? { gsi1pk: enabledIndexKey, gsi1sk: `${record.tenantId}#${record.name}` }
                : {}),
            },
            ConditionExpression: expectedRevision === 0 ? 'attribute_not_exists(pk)' : 'revision = :expected',
            ...(expectedRevision === 0
              ? {}
              : { ExpressionAttributeValues: { ':expected': expectedRevision } }),
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },

    async delete(tenantId, name) {
      const result = await client.send(
        new DeleteCommand({ TableName: tableName, Key: key(tenantId, name), ReturnValues: 'ALL_OLD' }),
      );
      return result.Attributes !== undefined;
    },

    async setHealth(tenantId, name, health) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: key(tenantId, name),
            UpdateExpression: 'SET health = :health',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':health': health },
          }),
        );
      } catch (error) {
        // Deleted meanwhile: nothing to record.
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    },

    async recordCalls(tenantId, name, calls) {
      const byDate = new Map<string, Map<string, number>>();
      for (const call of calls) {
        const bucket = latencyBucketsMs.findIndex((bound) => call.latencyMs <= bound);
        const counters = byDate.get(call.date) ?? new Map<string, number>();
        byDate.set(call.date, counters);
        for (const counter of [
          'requests',
          call.ok ? 'successes' : 'failures',
          `l${bucket === -1 ? latencyBucketsMs.length : bucket}`,
        ]) {
          counters.set(counter, (counters.get(counter) ?? 0) + 1);
        }
      }
      await Promise.all(
        [...byDate].map(([date, counters]) => {
          const names = [...counters.keys()];
          return client.send(
            new UpdateCommand({
              TableName: tableName,
              Key: { pk: `T#${tenantId}`, sk: `USAGE#${name}#${date}` },
              UpdateExpression: `ADD ${names.map((n, k) => `${n} :c${k}`).join(', ')} SET #ttl = if_not_exists(#ttl, :ttl), #type = :type`,
              ExpressionAttributeNames: { '#ttl': 'ttl', '#type': 'type' },
              ExpressionAttributeValues: {
                ...Object.fromEntries(names.map((n, k) => [`:c${k}`, counters.get(n)])),
                ':ttl': Math.floor(Date.parse(date) / 1000) + usageRetentionSeconds,
                ':type': 'integration-usage',
              },
            }),
          );
        }),
      );
    },

    async usage(tenantId, name, fromDate, toDate) {
      const result = await client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: {
            ':pk': `T#${tenantId}`,
            ':from': `USAGE#${name}#${fromDate}`,
            ':to': `USAGE#${name}#${toDate}`,
          },
        }),
      );
      return (result.Items ?? []).map(
        (item): UsageDay => ({
          date: String(item.sk).slice(`USAGE#${name}#`.length),
          requests: Number(item.requests ?? 0),
          successes: Number(item.successes ?? 0),
          failures: Number(item.failures ?? 0),
          latency: Array.from({ length: latencyBucketsMs.length + 1 }, (_, i) => Number(item[`l${i}`] ?? 0)),
        }),
      );
    },

    async tenantsWithEnabled() {
      const items = await queryAll(client, {
        TableName: tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': enabledIndexKey },
        ProjectionExpression: 'tenantId',
      });
      return [...new Set(items.map((item) => String(item.tenantId)))];
    },
  };
}
