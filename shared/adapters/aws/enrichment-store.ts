import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type {
  EnrichmentStore,
  IndicatorRecord,
  JobRecord,
  PairRecord,
  PairStatus,
  Waiter,
} from '../../enrichment/store';
import type { IntelResult } from '../../integrations/ports';
import { queryPrefix } from './dynamodb';

/**
 * Enrichment state on the state table, all inside the tenant's partition `T#<tid>`:
 * - job `JOB#<id>` (counts per pair status; in `gsi1` as `T#<tid>#JOBS` / `<createdAt>#<id>` for
 *   the newest-first list), indicator `JOB#<id>#I#<index>`, pair `JOB#<id>#P#<index>#<provider>`;
 * - cache `CACHE#<provider>#<type>#<value>` and in-flight lookup `INFLIGHT#<provider>#<type>#<value>`
 *   (a set of waiters), both expiring by TTL;
 * - latest verdict `VERDICT#<type>#<value>`.
 * Jobs, indicators and pairs expire 30 days after creation.
 */
const jobRetentionSeconds = 30 * 86_400;
const pad = (index: number) => String(index).padStart(4, '0');
const statuses: readonly PairStatus[] = ['pending', 'done', 'cached', 'skipped', 'failed'];

export function dynamoEnrichmentStore(client: DynamoDBDocumentClient, tableName: string): EnrichmentStore {
  const pk = (tenantId: string) => `T#${tenantId}`;
  const jobKey = (tenantId: string, jobId: string) => ({ pk: pk(tenantId), sk: `JOB#${jobId}` });
  const indicatorKey = (tenantId: string, jobId: string, index: number) => ({
    pk: pk(tenantId),
    sk: `JOB#${jobId}#I#${pad(index)}`,
  });
  const pairKey = (tenantId: string, jobId: string, index: number, provider: string) => ({
    pk: pk(tenantId),
    sk: `JOB#${jobId}#P#${pad(index)}#${provider}`,
  });
  const inflightKey = (tenantId: string, provider: string, type: string, value: string) => ({
    pk: pk(tenantId),
    sk: `INFLIGHT#${provider}#${type}#${value}`,
  });

  const toJob = (item: Record<string, unknown>): JobRecord => ({
    id: String(item.jobId),
    tenantId: String(item.tenantId),
    status: item.status === 'completed' ? 'completed' : 'running',
    priority: (item.priority as JobRecord['priority']) ?? 'medium',
    force: item.force === true,
    createdAt: String(item.createdAt),
    createdBy: String(item.createdBy),
    ...(item.completedAt ? { completedAt: String(item.completedAt) } : {}),
    indicatorCount: Number(item.indicatorCount),
    pairCount: Number(item.pairCount),
    counts: Object.fromEntries(statuses.map((s) => [s, Number(item[`n_${s}`] ?? 0)])) as JobRecord['counts'],
  });

  const queryAll = (tenantId: string, prefix: string) => queryPrefix(client, tableName, pk(tenantId), prefix);

  const toPair = (item: Record<string, unknown>): PairRecord => ({
    index: Number(item.index),
    provider: String(item.provider),
    status: item.status as PairStatus,
    ...(item.reason ? { reason: String(item.reason) } : {}),
    ...(item.result ? { result: item.result as IntelResult } : {}),
    updatedAt: String(item.updatedAt),
  });

  const writeBatch = async (batch: Record<string, unknown>[]) => {
    let requests = batch.map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 0; requests.length > 0; attempt += 1) {
      if (attempt > 8) throw new Error('DynamoDB kept throttling the job write');
      const result = await client.send(new BatchWriteCommand({ RequestItems: { [tableName]: requests } }));
      requests = (result.UnprocessedItems?.[tableName] ?? []) as typeof requests;
      if (requests.length > 0) await new Promise((r) => setTimeout(r, 20 * 2 ** attempt));
    }
  };

  return {
    async createJob(job, indicators, pairs) {
      const expiresAt = Math.floor(Date.parse(job.createdAt) / 1000) + jobRetentionSeconds;
      const items: Record<string, unknown>[] = [
        ...indicators.map(({ type: indicatorType, ...indicator }) => ({
          ...indicatorKey(job.tenantId, job.id, indicator.index),
          type: 'enrichment-indicator',
          ...indicator,
          indicatorType,
          ttl: expiresAt,
        })),
        ...pairs.map((pair) => ({
          ...pairKey(job.tenantId, job.id, pair.index, pair.provider),
          type: 'enrichment-pair',
          ...pair,
          ttl: expiresAt,
        })),
      ];
      const batches: Record<string, unknown>[][] = [];
      for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
      // A few batches at a time: a 1,000-indicator job is thousands of items.
      for (let i = 0; i < batches.length; i += 8) {
        await Promise.all(batches.slice(i, i + 8).map((batch) => writeBatch(batch)));
      }
      // The job item last: a job is visible only once all its pairs exist.
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            ...jobKey(job.tenantId, job.id),
            type: 'enrichment-job',
            jobId: job.id,
            tenantId: job.tenantId,
            status: job.status,
            priority: job.priority,
            force: job.force,
            createdAt: job.createdAt,
            createdBy: job.createdBy,
            indicatorCount: job.indicatorCount,
            pairCount: job.pairCount,
            ...Object.fromEntries(statuses.map((s) => [`n_${s}`, job.counts[s]])),
            gsi1pk: `T#${job.tenantId}#JOBS`,
            gsi1sk: `${job.createdAt}#${job.id}`,
            ttl: expiresAt,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    },

    async getJob(tenantId, jobId) {
      const { Item } = await client.send(
        new GetCommand({ TableName: tableName, Key: jobKey(tenantId, jobId), ConsistentRead: true }),
      );
      return Item ? toJob(Item) : undefined;
    },

    async listJobs(tenantId, options) {
      const page = await client.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :pk',
          ...(options.status
            ? { FilterExpression: '#status = :status', ExpressionAttributeNames: { '#status': 'status' } }
            : {}),
          ExpressionAttributeValues: {
            ':pk': `T#${tenantId}#JOBS`,
            ...(options.status ? { ':status': options.status } : {}),
          },
          ScanIndexForward: false,
          Limit: options.limit,
          ...(options.cursor
            ? {
                ExclusiveStartKey: JSON.parse(
                  Buffer.from(options.cursor, 'base64url').toString('utf8'),
                ) as Record<string, unknown>,
              }
            : {}),
        }),
      );
      const last = page.LastEvaluatedKey;
      return {
        items: (page.Items ?? []).map(toJob),
        ...(last ? { nextCursor: Buffer.from(JSON.stringify(last)).toString('base64url') } : {}),
      };
    },

    async indicators(tenantId, jobId) {
      return (await queryAll(tenantId, `JOB#${jobId}#I#`)).map((item) => ({
        index: Number(item.index),
        type: item.indicatorType as IndicatorRecord['type'],
        value: String(item.value),
        original: String(item.original),
        ...(item.context ? { context: String(item.context) } : {}),
        pending: Number(item.pending ?? 0),
        ...(item.aggregate ? { aggregate: item.aggregate as IndicatorRecord['aggregate'] } : {}),
      }));
    },

    async pairs(tenantId, jobId, index) {
      const prefix = index === undefined ? `JOB#${jobId}#P#` : `JOB#${jobId}#P#${pad(index)}#`;
      return (await queryAll(tenantId, prefix)).map(toPair);
    },

    async settle(tenantId, jobId, pair) {
      const at = new Date().toISOString();
      try {
        await client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: tableName,
                  Key: pairKey(tenantId, jobId, pair.index, pair.provider),
                  UpdateExpression: settleExpression(pair),
                  ConditionExpression: '#status = :pending',
                  ExpressionAttributeNames: {
                    '#status': 'status',
                    ...(pair.result ? { '#result': 'result' } : {}),
                  },
                  ExpressionAttributeValues: {
                    ':status': pair.status,
                    ':pending': 'pending',
                    ':at': at,
                    ...(pair.reason ? { ':reason': pair.reason } : {}),
                    ...(pair.result ? { ':result': pair.result } : {}),
                  },
                },
              },
              {
                Update: {
                  TableName: tableName,
                  Key: indicatorKey(tenantId, jobId, pair.index),
                  UpdateExpression: 'ADD pending :minus',
                  ExpressionAttributeValues: { ':minus': -1 },
                },
              },
              {
                Update: {
                  TableName: tableName,
                  Key: jobKey(tenantId, jobId),
                  UpdateExpression: `ADD n_pending :minus, n_${pair.status} :one`,
                  ExpressionAttributeValues: { ':minus': -1, ':one': 1 },
                },
              },
            ],
          }),
        );
      } catch (error) {
        if (
          error instanceof TransactionCanceledException &&
          error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed'
        ) {
          return { settled: false, indicatorComplete: false, jobComplete: false };
        }
        throw error;
      }
      const [indicator, job] = await Promise.all([
        client.send(
          new GetCommand({
            TableName: tableName,
            Key: indicatorKey(tenantId, jobId, pair.index),
            ConsistentRead: true,
          }),
        ),
        client.send(
          new GetCommand({ TableName: tableName, Key: jobKey(tenantId, jobId), ConsistentRead: true }),
        ),
      ]);
      return {
        settled: true,
        indicatorComplete: Number(indicator.Item?.pending ?? 0) <= 0,
        jobComplete: Number(job.Item?.n_pending ?? 0) <= 0,
      };
    },

    async note(tenantId, jobId, index, provider, reason) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: pairKey(tenantId, jobId, index, provider),
            UpdateExpression: 'SET reason = :reason',
            ConditionExpression: '#status = :pending',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':reason': reason, ':pending': 'pending' },
          }),
        );
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    },

    async completeJob(tenantId, jobId, at) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: jobKey(tenantId, jobId),
            UpdateExpression: 'SET #status = :completed, completedAt = :at',
            ConditionExpression: '#status = :running',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':completed': 'completed', ':running': 'running', ':at': at },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },

    async setAggregate(tenantId, jobId, index, aggregate) {
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: indicatorKey(tenantId, jobId, index),
          UpdateExpression: 'SET #aggregate = :aggregate',
          ExpressionAttributeNames: { '#aggregate': 'aggregate' },
          ExpressionAttributeValues: { ':aggregate': aggregate },
        }),
      );
    },

    async getCache(tenantId, provider, type, value, nowSeconds) {
      const { Item } = await client.send(
        new GetCommand({
          TableName: tableName,
          Key: { pk: pk(tenantId), sk: `CACHE#${provider}#${type}#${value}` },
        }),
      );
      if (!Item || Number(Item.expiresAt) <= nowSeconds) return undefined;
      return Item.result as IntelResult;
    },

    async putCache(tenantId, provider, type, value, result, expiresAt) {
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            pk: pk(tenantId),
            sk: `CACHE#${provider}#${type}#${value}`,
            type: 'enrichment-cache',
            result,
            expiresAt,
            ttl: expiresAt,
          },
        }),
      );
    },

    async joinInflight(tenantId, provider, type, value, waiter, expiresAt) {
      const member = `${waiter.jobId}:${waiter.index}`;
      try {
        await client.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              ...inflightKey(tenantId, provider, type, value),
              type: 'enrichment-inflight',
              waiters: new Set([member]),
              ttl: expiresAt,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
        return 'leader';
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: inflightKey(tenantId, provider, type, value),
            UpdateExpression: 'ADD waiters :member',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':member': new Set([member]) },
          }),
        );
        return 'waiter';
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        // The lookup ended between the two calls: start a new one.
        return this.joinInflight(tenantId, provider, type, value, waiter, expiresAt);
      }
    },

    async endInflight(tenantId, provider, type, value) {
      const result = await client.send(
        new DeleteCommand({
          TableName: tableName,
          Key: inflightKey(tenantId, provider, type, value),
          ReturnValues: 'ALL_OLD',
        }),
      );
      const waiters = result.Attributes?.waiters;
      const members = waiters instanceof Set ? [...(waiters as Set<string>)] : [];
      return members.map((member): Waiter => {
        const at = member.lastIndexOf(':');
        return { jobId: member.slice(0, at), index: Number(member.slice(at + 1)) };
      });
    },

    async putVerdict(tenantId, type, value, verdict) {
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: { pk: pk(tenantId), sk: `VERDICT#${type}#${value}`, type: 'indicator-verdict', ...verdict },
        }),
      );
    },

    async getVerdict(tenantId, type, value) {
      const { Item } = await client.send(
        new GetCommand({ TableName: tableName, Key: { pk: pk(tenantId), sk: `VERDICT#${type}#${value}` } }),
      );
      if (!Item) return undefined;
      const { pk: _pk, sk: _sk, type: _type, ...verdict } = Item;
      return verdict as Awaited<ReturnType<EnrichmentStore['getVerdict']>>;
    },
  };
}

/** `SET` the settled status (with reason and result when present); a reason left from a delay goes. */
function settleExpression(pair: Pick<PairRecord, 'reason' | 'result'>): string {
  const sets = ['#status = :status', 'updatedAt = :at'];
  if (pair.reason) sets.push('reason = :reason');
  if (pair.result) sets.push('#result = :result');
  return `SET ${sets.join(', ')}${pair.reason ? '' : ' REMOVE reason'}`;
}
