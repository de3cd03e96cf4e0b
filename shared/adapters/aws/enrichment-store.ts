import { gunzipSync, gzipSync } from 'node:zlib';
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  type CacheKey,
  cacheKeyOf,
  type EnrichmentStore,
  type IndicatorState,
  type JobRecord,
  type LatestVerdict,
  type PairStatus,
  type VerdictStamp,
  verdictKeyOf,
  type Waiter,
} from '../../enrichment/store';
import type { IntelResult } from '../../integrations/ports';
import { BadRequestError } from '../../platform/errors';
import { batchGetAll, queryPrefix } from './dynamodb';

/**
 * Enrichment state on the state table, all inside the tenant's partition `T#<tid>`:
 * - job `JOB#<id>`: metadata and counts (in `gsi1` as `T#<tid>#JOBS` / `<createdAt>#<id>` for the
 *   newest-first list);
 * - indicators settled at creation, gzip-compressed JSON, up to 100 per chunk item
 *   `JOB#<id>#C#<n>`, written once — a fully cached job is two items;
 * - indicators with queued lookups, one item each `JOB#<id>#I#<index>` holding its pairs as a map,
 *   updated by workers, and once closed its aggregate `JOB#<id>#A#<index>` (a small item, written
 *   in the transaction that moves the job's counts);
 * - cache and in-flight lookup in one item `CACHE#<provider>#<type>#<value>`: the result (as a JSON
 *   string: never queried, cheap to read in bulk) with its expiry, and while a provider call runs
 *   the set of waiters and the lease (`inflightUntil`);
 * - latest verdict `VERDICT#<type>#<value>`.
 * A job and its indicators expire 30 days after creation; one Query on `JOB#<id>` reads it all.
 */
const jobRetentionSeconds = 30 * 86_400;
const chunkSize = 100;
/** Compressed chunks stay well under DynamoDB's 400 KB item limit; bigger ones are split. */
const maxChunkBytes = 300 * 1024;
const pad = (index: number) => String(index).padStart(4, '0');
const statuses: readonly PairStatus[] = ['pending', 'done', 'cached', 'skipped', 'failed'];

type Item = Record<string, unknown>;

const conditionFailed = (error: unknown, index = 0) =>
  error instanceof TransactionCanceledException &&
  error.CancellationReasons?.[index]?.Code === 'ConditionalCheckFailed';

/** The start key a listing cursor encodes; anything else (edited, another tenant's) is a 400. */
function cursorKey(tenantId: string, cursor: string): Item {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  const k = key as Record<string, unknown> | undefined;
  const valid =
    k !== undefined &&
    typeof k === 'object' &&
    k.gsi1pk === `T#${tenantId}#JOBS` &&
    k.pk === `T#${tenantId}` &&
    typeof k.sk === 'string' &&
    typeof k.gsi1sk === 'string' &&
    Object.keys(k).length === 4;
  if (!valid) throw new BadRequestError('The cursor is not valid for this listing.', 'invalid_cursor');
  return k as Item;
}

export function dynamoEnrichmentStore(client: DynamoDBDocumentClient, tableName: string): EnrichmentStore {
  const pk = (tenantId: string) => `T#${tenantId}`;
  const jobKey = (tenantId: string, jobId: string) => ({ pk: pk(tenantId), sk: `JOB#${jobId}` });
  const openKey = (tenantId: string, jobId: string, index: number) => ({
    pk: pk(tenantId),
    sk: `JOB#${jobId}#I#${pad(index)}`,
  });
  const cacheKey = (tenantId: string, key: CacheKey) => ({
    pk: pk(tenantId),
    sk: `CACHE#${cacheKeyOf(key)}`,
  });
  const verdictKey = (tenantId: string, key: { type: string; value: string }) => ({
    pk: pk(tenantId),
    sk: `VERDICT#${verdictKeyOf(key)}`,
  });

  const toJob = (item: Item): JobRecord => ({
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
    openIndicators: Number(item.openIndicators ?? 0),
  });

  const toIndicator = (item: Item): IndicatorState => ({
    index: Number(item.index),
    type: item.indicatorType as IndicatorState['type'],
    value: String(item.value),
    original: String(item.original),
    ...(item.context ? { context: String(item.context) } : {}),
    pairs: (item.pairs ?? {}) as IndicatorState['pairs'],
    pending: Number(item.pending ?? 0),
    ...(item.aggregate ? { aggregate: item.aggregate as IndicatorState['aggregate'] } : {}),
  });

  const encodeChunks = (indicators: readonly IndicatorState[]): Buffer[] => {
    const encode = (part: readonly IndicatorState[]): Buffer[] => {
      const data = gzipSync(JSON.stringify(part));
      if (data.length <= maxChunkBytes || part.length === 1) return [data];
      const half = Math.ceil(part.length / 2);
      return [...encode(part.slice(0, half)), ...encode(part.slice(half))];
    };
    const out: Buffer[] = [];
    for (let i = 0; i < indicators.length; i += chunkSize)
      out.push(...encode(indicators.slice(i, i + chunkSize)));
    return out;
  };

  const writeItems = async (items: Item[]) => {
    const batches: Item[][] = [];
    for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
    // A few batches at a time: a 1,000-indicator job can be hundreds of items.
    for (let i = 0; i < batches.length; i += 8) {
      await Promise.all(
        batches.slice(i, i + 8).map(async (batch) => {
          let requests = batch.map((entry) => ({ PutRequest: { Item: entry } }));
          for (let attempt = 0; requests.length > 0; attempt += 1) {
            if (attempt > 8) throw new Error('DynamoDB kept throttling the enrichment write');
            if (attempt > 0) await new Promise((r) => setTimeout(r, 20 * 2 ** attempt));
            const result = await client.send(
              new BatchWriteCommand({ RequestItems: { [tableName]: requests } }),
            );
            requests = (result.UnprocessedItems?.[tableName] ?? []) as typeof requests;
          }
        }),
      );
    }
  };

  const batchGet = (
    keys: { pk: string; sk: string }[],
    projection: { expression: string; names: Record<string, string> },
  ) => batchGetAll(client, tableName, keys, { projection });

  const dedupe = <T>(keys: readonly T[], id: (key: T) => string) => [
    ...new Map(keys.map((key) => [id(key), key])).values(),
  ];

  const waitersOf = (item: Item | undefined): Waiter[] => {
    const members = item?.waiters instanceof Set ? [...(item.waiters as Set<string>)] : [];
    return members.map((member) => {
      const at = member.lastIndexOf(':');
      return { jobId: member.slice(0, at), index: Number(member.slice(at + 1)) };
    });
  };

  return {
    async createJob(job, indicators) {
      const expiresAt = Math.floor(Date.parse(job.createdAt) / 1000) + jobRetentionSeconds;
      const closed = indicators.filter((i) => i.pending === 0);
      const open = indicators.filter((i) => i.pending > 0);
      const chunks = encodeChunks(closed);
      const parts: Item[] = [
        ...chunks.map((data, n) => ({
          pk: pk(job.tenantId),
          sk: `JOB#${job.id}#C#${pad(n)}`,
          type: 'enrichment-chunk',
          data,
          ttl: expiresAt,
        })),
        ...open.map(({ type: indicatorType, ...indicator }) => ({
          ...openKey(job.tenantId, job.id, indicator.index),
          type: 'enrichment-indicator',
          ...indicator,
          indicatorType,
          ttl: expiresAt,
        })),
      ];
      const jobItem: Item = {
        ...jobKey(job.tenantId, job.id),
        type: 'enrichment-job',
        jobId: job.id,
        tenantId: job.tenantId,
        status: job.status,
        priority: job.priority,
        force: job.force,
        createdAt: job.createdAt,
        createdBy: job.createdBy,
        ...(job.completedAt ? { completedAt: job.completedAt } : {}),
        indicatorCount: job.indicatorCount,
        pairCount: job.pairCount,
        openIndicators: job.openIndicators,
        // Readers check these: a job whose parts are not all there yet is not visible.
        chunkCount: chunks.length,
        openCount: open.length,
        ...Object.fromEntries(statuses.map((s) => [`n_${s}`, job.counts[s]])),
        gsi1pk: `T#${job.tenantId}#JOBS`,
        gsi1sk: `${job.createdAt}#${job.id}`,
        ttl: expiresAt,
      };
      // A small job is one batch with its job item; a bigger one writes the job item last.
      if (parts.length < 25) await writeItems([...parts, jobItem]);
      else {
        await writeItems(parts);
        await writeItems([jobItem]);
      }
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
          ...(options.cursor ? { ExclusiveStartKey: cursorKey(tenantId, options.cursor) } : {}),
        }),
      );
      const last = page.LastEvaluatedKey;
      return {
        items: (page.Items ?? []).map(toJob),
        ...(last ? { nextCursor: Buffer.from(JSON.stringify(last)).toString('base64url') } : {}),
      };
    },

    async readJob(tenantId, jobId) {
      const items = await queryPrefix(client, tableName, pk(tenantId), `JOB#${jobId}`);
      const prefix = `JOB#${jobId}`;
      const jobItem = items.find((item) => item.sk === prefix);
      if (!jobItem) return undefined;
      const indicators: IndicatorState[] = [];
      const aggregates = new Map<number, IndicatorState['aggregate']>();
      let chunkItems = 0;
      let openItems = 0;
      for (const item of items) {
        const sk = String(item.sk);
        if (sk.startsWith(`${prefix}#C#`)) {
          chunkItems += 1;
          const data = item.data instanceof Uint8Array ? item.data : new Uint8Array();
          indicators.push(...(JSON.parse(gunzipSync(data).toString('utf8')) as IndicatorState[]));
        } else if (sk.startsWith(`${prefix}#I#`)) {
          openItems += 1;
          indicators.push(toIndicator(item));
        } else if (sk.startsWith(`${prefix}#A#`)) {
          aggregates.set(Number(item.index), item.aggregate as IndicatorState['aggregate']);
        }
      }
      for (const indicator of indicators) {
        const aggregate = aggregates.get(indicator.index);
        if (aggregate && !indicator.aggregate) indicator.aggregate = aggregate;
      }
      indicators.sort((a, b) => a.index - b.index);
      if (chunkItems < Number(jobItem.chunkCount ?? 0) || openItems < Number(jobItem.openCount ?? 0)) {
        return undefined; // still being written
      }
      return { job: toJob(jobItem), indicators };
    },

    async openIndicator(tenantId, jobId, index) {
      const { Item } = await client.send(
        new GetCommand({ TableName: tableName, Key: openKey(tenantId, jobId, index), ConsistentRead: true }),
      );
      return Item ? toIndicator(Item) : undefined;
    },

    async settle(tenantId, jobId, index, pairs) {
      const providers = Object.keys(pairs);
      const names: Record<string, string> = { '#status': 'status' };
      const values: Record<string, unknown> = { ':minus': -providers.length, ':pending': 'pending' };
      providers.forEach((provider, k) => {
        names[`#p${k}`] = provider;
        values[`:p${k}`] = { ...pairs[provider], queued: true };
      });
      try {
        const { Attributes } = await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: openKey(tenantId, jobId, index),
            UpdateExpression: `SET ${providers.map((_, k) => `pairs.#p${k} = :p${k}`).join(', ')} ADD pending :minus`,
            ConditionExpression: providers.map((_, k) => `pairs.#p${k}.#status = :pending`).join(' AND '),
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ReturnValues: 'ALL_NEW',
          }),
        );
        return Attributes ? toIndicator(Attributes) : undefined;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return undefined;
        throw error;
      }
    },

    async note(tenantId, jobId, index, provider, reason) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: openKey(tenantId, jobId, index),
            UpdateExpression: 'SET pairs.#provider.reason = :reason',
            ConditionExpression: 'pairs.#provider.#status = :pending',
            ExpressionAttributeNames: { '#provider': provider, '#status': 'status' },
            ExpressionAttributeValues: { ':reason': reason, ':pending': 'pending' },
          }),
        );
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    },

    async closeIndicator(tenantId, jobId, indicator, aggregate) {
      // The pairs that were queued move from pending to their outcome in the job's counts.
      const moved: Partial<Record<PairStatus, number>> = {};
      let queued = 0;
      for (const pair of Object.values(indicator.pairs)) {
        if (pair.queued !== true) continue;
        queued += 1;
        moved[pair.status] = (moved[pair.status] ?? 0) + 1;
      }
      const adds = [
        'openIndicators :minusOne',
        `n_pending :minusQueued`,
        ...Object.keys(moved).map((status) => `n_${status} :${status}`),
      ];
      try {
        await client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                // A small item of its own, so the transaction does not rewrite the indicator's pairs.
                Put: {
                  TableName: tableName,
                  Item: {
                    pk: pk(tenantId),
                    sk: `JOB#${jobId}#A#${pad(indicator.index)}`,
                    type: 'enrichment-aggregate',
                    index: indicator.index,
                    aggregate,
                    ttl: Math.floor(Date.now() / 1000) + jobRetentionSeconds,
                  },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
              {
                Update: {
                  TableName: tableName,
                  Key: jobKey(tenantId, jobId),
                  UpdateExpression: `ADD ${adds.join(', ')}`,
                  ConditionExpression: 'attribute_exists(pk)',
                  ExpressionAttributeValues: {
                    ':minusOne': -1,
                    ':minusQueued': -queued,
                    ...Object.fromEntries(Object.entries(moved).map(([status, n]) => [`:${status}`, n])),
                  },
                },
              },
            ],
          }),
        );
        return true;
      } catch (error) {
        if (conditionFailed(error, 0)) return false;
        throw error;
      }
    },

    async completeJob(tenantId, jobId, at) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: jobKey(tenantId, jobId),
            UpdateExpression: 'SET #status = :completed, completedAt = :at',
            ConditionExpression: '#status = :running AND openIndicators <= :zero',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':completed': 'completed',
              ':running': 'running',
              ':at': at,
              ':zero': 0,
            },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },

    async getCaches(tenantId, keys, nowSeconds) {
      const unique = dedupe(keys, cacheKeyOf);
      const items = await batchGet(
        unique.map((key) => cacheKey(tenantId, key)),
        { expression: 'sk, #result, expiresAt', names: { '#result': 'result' } },
      );
      const found = new Map<string, IntelResult>();
      for (const item of items) {
        if (typeof item.result !== 'string' || Number(item.expiresAt) <= nowSeconds) continue;
        found.set(String(item.sk).slice('CACHE#'.length), JSON.parse(item.result) as IntelResult);
      }
      return found;
    },

    async joinInflight(tenantId, key, waiter, nowSeconds, leaseUntil) {
      const member = new Set([`${waiter.jobId}:${waiter.index}`]);
      for (let attempt = 0; attempt < 8; attempt += 1) {
        try {
          // Leader when no call holds a live lease. The leader is not in the set (its own message
          // settles it); waiters of an expired lease stay in the set, so this call settles them.
          const { Attributes } = await client.send(
            new UpdateCommand({
              TableName: tableName,
              Key: cacheKey(tenantId, key),
              UpdateExpression: 'SET inflightUntil = :lease, leader = :me, #ttl = :gc, #type = :type',
              // A lookup that already leads (a redelivered plan) leads again, so it is sent again.
              ConditionExpression:
                'attribute_not_exists(inflightUntil) OR inflightUntil < :now OR leader = :me',
              ExpressionAttributeNames: { '#ttl': 'ttl', '#type': 'type' },
              ExpressionAttributeValues: {
                ':me': `${waiter.jobId}:${waiter.index}`,
                ':lease': leaseUntil,
                ':now': nowSeconds,
                ':gc': leaseUntil + 2 * 86_400,
                ':type': 'enrichment-cache',
              },
              ReturnValues: 'ALL_NEW',
            }),
          );
          const cached =
            typeof Attributes?.result === 'string' && Number(Attributes.expiresAt) > nowSeconds
              ? (JSON.parse(Attributes.result) as IntelResult)
              : undefined;
          return { role: 'leader', ...(cached ? { cached } : {}) };
        } catch (error) {
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
        }
        try {
          await client.send(
            new UpdateCommand({
              TableName: tableName,
              Key: cacheKey(tenantId, key),
              UpdateExpression: 'ADD waiters :member',
              ConditionExpression:
                'inflightUntil >= :now AND (attribute_not_exists(leader) OR leader <> :me)',
              ExpressionAttributeValues: {
                ':member': member,
                ':now': nowSeconds,
                ':me': `${waiter.jobId}:${waiter.index}`,
              },
            }),
          );
          return { role: 'waiter' };
        } catch (error) {
          // The lookup ended between the two calls: start a new one.
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
        }
      }
      throw new Error(`The in-flight lookup of ${cacheKeyOf(key)} kept changing.`);
    },

    async endInflight(tenantId, key, cache) {
      // The waiters stay in the set until `releaseWaiters`, so a crash before they are settled
      // leaves them for the redelivered call to settle.
      const { Attributes } = await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: cacheKey(tenantId, key),
          UpdateExpression: cache
            ? 'SET #result = :result, expiresAt = :expiresAt, #ttl = :expiresAt, #type = :type REMOVE inflightUntil, leader'
            : 'REMOVE inflightUntil, leader',
          ...(cache
            ? {
                ExpressionAttributeNames: { '#result': 'result', '#ttl': 'ttl', '#type': 'type' },
                ExpressionAttributeValues: {
                  ':result': JSON.stringify(cache.result),
                  ':expiresAt': cache.expiresAt,
                  ':type': 'enrichment-cache',
                },
              }
            : {}),
          ReturnValues: 'ALL_OLD',
        }),
      );
      return waitersOf(Attributes);
    },

    async releaseWaiters(tenantId, key, waiters) {
      if (waiters.length === 0) return;
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: cacheKey(tenantId, key),
          UpdateExpression: 'DELETE waiters :members',
          ExpressionAttributeValues: { ':members': new Set(waiters.map((w) => `${w.jobId}:${w.index}`)) },
        }),
      );
    },

    async getVerdicts(tenantId, keys) {
      const unique = dedupe(keys, verdictKeyOf);
      // What deciding whether a verdict changed needs, not the explanations.
      const items = await batchGet(
        unique.map((key) => verdictKey(tenantId, key)),
        { expression: 'sk, verdict, score, confidence, #at', names: { '#at': 'at' } },
      );
      const found = new Map<string, VerdictStamp>();
      for (const item of items) {
        const { sk, ...stamp } = item;
        found.set(String(sk).slice('VERDICT#'.length), stamp as unknown as VerdictStamp);
      }
      return found;
    },

    async putVerdicts(tenantId, verdicts) {
      await writeItems(
        dedupe(verdicts, verdictKeyOf).map(({ type, value, ...verdict }) => ({
          ...verdictKey(tenantId, { type, value }),
          type: 'indicator-verdict',
          indicatorType: type,
          value,
          ...verdict,
        })),
      );
    },

    async getVerdict(tenantId, type, value) {
      const { Item } = await client.send(
        new GetCommand({ TableName: tableName, Key: verdictKey(tenantId, { type, value }) }),
      );
      if (!Item) return undefined;
      const { pk: _pk, sk: _sk, type: _type, indicatorType: _it, value: _v, ...verdict } = Item;
      return verdict as unknown as LatestVerdict;
    },
  };
}
