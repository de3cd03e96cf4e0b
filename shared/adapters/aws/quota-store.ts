import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import {
  type BreakerPhase,
  type BreakerState,
  type BucketState,
  type GrantLog,
  type PeriodCount,
  type QuotaStore,
  quotaRemainingToday,
  type SaveOptions,
  type Versioned,
} from '../../enrichment/quota';
import type { QuotaPlan } from '../../integrations/ports';

/** Kept a little past the moment the state stops mattering, so TTL never races a decision. */
const TTL_GRACE_SECONDS = 3600;

export interface DynamoQuotaStore extends QuotaStore {
  /** Calls still allowed today by the plan's day/month windows; `undefined` when it has neither. */
  remainingToday(
    tenantId: string,
    provider: string,
    plan: QuotaPlan,
    now: number,
  ): Promise<number | undefined>;
}

const grantLog = (value: unknown): GrantLog | undefined =>
  Array.isArray(value)
    ? value.map((pair): [number, number] => {
        const [at, count] = Array.isArray(pair) ? pair : [];
        return [Number(at), Number(count)];
      })
    : undefined;

const periodCount = (start: unknown, used: unknown): PeriodCount | undefined =>
  start === undefined ? undefined : { start: Number(start), used: Number(used ?? 0) };

const optionalNumber = (value: unknown) => (value === undefined ? undefined : Number(value));

const PHASES: readonly BreakerPhase[] = ['closed', 'open', 'half-open'];

/**
 * QuotaStore on the state table. Provider quota state is global lookup state of its own, one
 * partition per (tenant, provider):
 * - `Q#<tenantId>#<provider> / BUCKET`: `clock`, rolling logs `secondLog` / `minuteLog` (lists of
 *   `[at, count]`), calendar counts `dayStart`+`dayUsed` and `monthStart`+`monthUsed`;
 * - `Q#<tenantId>#<provider> / BREAKER`: `phase`, `failures`, `opens`, `openedAt`, `retryAt`,
 *   `probeUntil`.
 * Both carry `version` (compare-and-set: every save is a Put conditioned on the version read, or on
 * absence) and `ttl`, a little after the state stops affecting any decision, so idle pairs vanish.
 */
export function dynamoQuotaStore(client: DynamoDBDocumentClient, tableName: string): DynamoQuotaStore {
  const key = (tenantId: string, provider: string, sk: 'BUCKET' | 'BREAKER') => ({
    pk: `Q#${tenantId}#${provider}`,
    sk,
  });

  const load = async (tenantId: string, provider: string, sk: 'BUCKET' | 'BREAKER') =>
    (
      await client.send(
        new GetCommand({ TableName: tableName, Key: key(tenantId, provider, sk), ConsistentRead: true }),
      )
    ).Item;

  /** Writes `attributes` iff the item is still at `expectedVersion`; false when another writer won. */
  const save = async (
    tenantId: string,
    provider: string,
    sk: 'BUCKET' | 'BREAKER',
    attributes: Record<string, unknown>,
    { expectedVersion, expiresAt }: SaveOptions,
  ): Promise<boolean> => {
    try {
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            ...key(tenantId, provider, sk),
            type: sk === 'BUCKET' ? 'quota-bucket' : 'quota-breaker',
            tenantId,
            provider,
            ...attributes,
            version: (expectedVersion ?? 0) + 1,
            ttl: Math.ceil(expiresAt / 1000) + TTL_GRACE_SECONDS,
          },
          ...(expectedVersion === undefined
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: '#version = :expected',
                ExpressionAttributeNames: { '#version': 'version' },
                ExpressionAttributeValues: { ':expected': expectedVersion },
              }),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  };

  const toBucket = (item: Record<string, unknown>): BucketState => {
    const state: BucketState = { clock: Number(item.clock) };
    const second = grantLog(item.secondLog);
    const minute = grantLog(item.minuteLog);
    const day = periodCount(item.dayStart, item.dayUsed);
    const month = periodCount(item.monthStart, item.monthUsed);
    if (second) state.second = second;
    if (minute) state.minute = minute;
    if (day) state.day = day;
    if (month) state.month = month;
    return state;
  };

  const toBreaker = (item: Record<string, unknown>): BreakerState => {
    const phase = PHASES.find((p) => p === item.phase) ?? 'closed';
    const openedAt = optionalNumber(item.openedAt);
    const retryAt = optionalNumber(item.retryAt);
    const probeUntil = optionalNumber(item.probeUntil);
    return {
      phase,
      failures: Number(item.failures ?? 0),
      opens: Number(item.opens ?? 0),
      ...(openedAt === undefined ? {} : { openedAt }),
      ...(retryAt === undefined ? {} : { retryAt }),
      ...(probeUntil === undefined ? {} : { probeUntil }),
    };
  };

  const versioned = <T>(item: Record<string, unknown> | undefined, map: (i: Record<string, unknown>) => T) =>
    item ? ({ value: map(item), version: Number(item.version) } satisfies Versioned<T>) : undefined;

  const store: DynamoQuotaStore = {
    async loadBucket(tenantId, provider) {
      return versioned(await load(tenantId, provider, 'BUCKET'), toBucket);
    },

    saveBucket(tenantId, provider, state, options) {
      return save(
        tenantId,
        provider,
        'BUCKET',
        {
          clock: state.clock,
          secondLog: state.second,
          minuteLog: state.minute,
          dayStart: state.day?.start,
          dayUsed: state.day?.used,
          monthStart: state.month?.start,
          monthUsed: state.month?.used,
        },
        options,
      );
    },

    async loadBreaker(tenantId, provider) {
      return versioned(await load(tenantId, provider, 'BREAKER'), toBreaker);
    },

    saveBreaker(tenantId, provider, state, options) {
      return save(
        tenantId,
        provider,
        'BREAKER',
        {
          phase: state.phase,
          failures: state.failures,
          opens: state.opens,
          openedAt: state.openedAt,
          retryAt: state.retryAt,
          probeUntil: state.probeUntil,
        },
        options,
      );
    },

    async remainingToday(tenantId, provider, plan, now) {
      return quotaRemainingToday((await store.loadBucket(tenantId, provider))?.value, plan, now);
    },
  };
  return store;
}
