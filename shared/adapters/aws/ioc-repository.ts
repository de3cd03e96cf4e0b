import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { IndicatorType } from '../../enrichment/indicators';
import {
  type AllowListEntry,
  type IndicatorKey,
  InvalidCursorError,
  type IocRecord,
  type IocRepository,
  type Page,
} from '../../intel/iocs';
import { batchGetAll } from './dynamodb';

type Item = Record<string, unknown>;

/** Attempts of an upsert that lost a race with a concurrent writer of the same value. */
const MAX_ATTEMPTS = 4;
/** Query pages read per listing call when a filter (expiry, `q` without type) thins them out. */
const MAX_PAGES = 25;

const conflicted = (error: unknown) =>
  error instanceof TransactionCanceledException &&
  (error.CancellationReasons ?? []).some((r) => r.Code === 'ConditionalCheckFailed');

const encodeCursor = (sk: string) => Buffer.from(sk, 'utf8').toString('base64url');

/**
 * IOCs and the allow-list on the state table, inside the tenant partition `T#<tid>`:
 * - IOC `IOC#<type>#<value>` (the dedupe key; `begins_with` gives type and value-prefix queries) and
 *   its id lookup `IOCID#<id>` → (type, value), written together in one transaction. Both carry
 *   `ttl` (epoch seconds) from `expiresAt`; `expiresAtMs` is the exact expiry the reads filter on,
 *   since TTL deletion lags by up to two days. `rev` guards updates against concurrent writers.
 * - allow-list entry `ALLOW#<type>#<value>` and its id lookup `ALLOWID#<id>`.
 * - `INTELHOLDINGS`: whether the tenant ever stored an IOC / an allow-list entry (set before the
 *   first write, never cleared; for a store older than the marker, found out once by a query), so
 *   enrichment of a tenant without any skips those reads.
 * Every key is built from the caller's tenant id, so no id or cursor can reach another tenant.
 */
export function dynamoIocRepository(client: DynamoDBDocumentClient, tableName: string): IocRepository {
  const pk = (tenantId: string) => `T#${tenantId}`;
  const iocSk = (type: string, value: string) => `IOC#${type}#${value}`;
  const allowSk = (type: string, value: string) => `ALLOW#${type}#${value}`;

  const get = async (key: { pk: string; sk: string }) =>
    (await client.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }))).Item;

  const batchGet = (keys: { pk: string; sk: string }[]) =>
    batchGetAll(client, tableName, keys, { consistent: true });

  const live = (item: Item, nowMs: number) =>
    typeof item.expiresAtMs !== 'number' || item.expiresAtMs > nowMs;

  const toIoc = (item: Item): IocRecord => ({
    id: String(item.iocId),
    tenantId: String(item.tenantId),
    type: item.iocType as IndicatorType,
    value: String(item.value),
    source: String(item.source),
    confidence: Number(item.confidence),
    tags: Array.isArray(item.tags) ? item.tags.map(String) : [],
    createdAt: String(item.createdAt),
    createdBy: String(item.createdBy),
    ...(item.updatedAt ? { updatedAt: String(item.updatedAt) } : {}),
    ...(item.expiresAt ? { expiresAt: String(item.expiresAt) } : {}),
  });

  const toAllow = (item: Item): AllowListEntry => ({
    id: String(item.allowId),
    tenantId: String(item.tenantId),
    type: item.iocType as IndicatorType,
    value: String(item.value),
    reason: String(item.reason),
    createdAt: String(item.createdAt),
    createdBy: String(item.createdBy),
  });

  const expiry = (expiresAt: string | undefined) => {
    if (expiresAt === undefined) return {};
    const ms = Date.parse(expiresAt);
    return { expiresAt, expiresAtMs: ms, ttl: Math.ceil(ms / 1000) };
  };

  const iocItem = (ioc: IocRecord, rev: number): Item => ({
    pk: pk(ioc.tenantId),
    sk: iocSk(ioc.type, ioc.value),
    type: 'ioc',
    iocId: ioc.id,
    tenantId: ioc.tenantId,
    iocType: ioc.type,
    value: ioc.value,
    source: ioc.source,
    confidence: ioc.confidence,
    tags: ioc.tags,
    createdAt: ioc.createdAt,
    createdBy: ioc.createdBy,
    ...(ioc.updatedAt ? { updatedAt: ioc.updatedAt } : {}),
    rev,
    ...expiry(ioc.expiresAt),
  });

  const pointerItem = (
    tenantId: string,
    prefix: 'IOCID' | 'ALLOWID',
    id: string,
    sk: string,
    ttl?: unknown,
  ) => ({
    pk: pk(tenantId),
    sk: `${prefix}#${id}`,
    type: prefix === 'IOCID' ? 'ioc-id' : 'allow-id',
    target: sk,
    ...(typeof ttl === 'number' ? { ttl } : {}),
  });

  /**
   * One listing page under `prefix`, continuing after the cursor. Reads further pages while filters
   * leave the page short, up to MAX_PAGES; the cursor is the sort key where reading stopped.
   */
  const list = async (
    tenantId: string,
    prefix: string,
    options: {
      limit: number;
      cursor?: string;
      filter?: { expression: string; names: Record<string, string>; values: Item };
    },
  ): Promise<{ items: Item[]; cursor?: string }> => {
    let start: Item | undefined;
    if (options.cursor !== undefined) {
      const sk = Buffer.from(options.cursor, 'base64url').toString('utf8');
      if (!sk.startsWith(prefix) || encodeCursor(sk) !== options.cursor) throw new InvalidCursorError();
      start = { pk: pk(tenantId), sk };
    }
    const items: Item[] = [];
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const result = await client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ...(options.filter
            ? { FilterExpression: options.filter.expression, ExpressionAttributeNames: options.filter.names }
            : {}),
          ExpressionAttributeValues: { ':pk': pk(tenantId), ':prefix': prefix, ...options.filter?.values },
          ...(start ? { ExclusiveStartKey: start } : {}),
          Limit: options.limit - items.length,
        }),
      );
      items.push(...(result.Items ?? []));
      start = result.LastEvaluatedKey;
      if (!start || items.length >= options.limit) break;
    }
    const last = start?.sk;
    return { items, ...(typeof last === 'string' ? { cursor: encodeCursor(last) } : {}) };
  };

  /** Deletes an item and its id lookup; false when the id is not the tenant's. */
  const deleteById = async (
    tenantId: string,
    prefix: 'IOCID' | 'ALLOWID',
    idAttribute: string,
    id: string,
  ) => {
    const pointer = await get({ pk: pk(tenantId), sk: `${prefix}#${id}` });
    if (!pointer || typeof pointer.target !== 'string') return false;
    try {
      await client.send(
        new TransactWriteCommand({
          TransactItems: [
            { Delete: { TableName: tableName, Key: { pk: pk(tenantId), sk: `${prefix}#${id}` } } },
            {
              Delete: {
                TableName: tableName,
                Key: { pk: pk(tenantId), sk: pointer.target },
                ConditionExpression: '#id = :id',
                ExpressionAttributeNames: { '#id': idAttribute },
                ExpressionAttributeValues: { ':id': id },
              },
            },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (!conflicted(error)) throw error;
      // The value now belongs to another id: only the stale lookup goes.
      await client.send(
        new DeleteCommand({ TableName: tableName, Key: { pk: pk(tenantId), sk: `${prefix}#${id}` } }),
      );
      return false;
    }
  };

  /** Tenants this container has already marked (the marks are never removed). */
  const marked = new Set<string>();
  const holdingsKey = (tenantId: string) => ({ pk: pk(tenantId), sk: 'INTELHOLDINGS' });
  /** Marks, before the first write of a kind, that the tenant holds IOCs or allow-list entries. */
  const mark = async (tenantId: string, kind: 'iocs' | 'allowList') => {
    if (marked.has(`${tenantId}#${kind}`)) return;
    await client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: holdingsKey(tenantId),
        UpdateExpression: 'SET #kind = :yes, #type = :type',
        ExpressionAttributeNames: { '#kind': kind, '#type': 'type' },
        ExpressionAttributeValues: { ':yes': true, ':type': 'intel-holdings' },
      }),
    );
    marked.add(`${tenantId}#${kind}`);
  };

  return {
    async holdings(tenantId) {
      const item = await get(holdingsKey(tenantId));
      if (item) return { iocs: item.iocs === true, allowList: item.allowList === true };
      // Stores written before the marker existed: look once, and record what was found (a write
      // marking a kind in the meantime wins, since this only creates the item).
      const any = async (prefix: string) =>
        ((
          await client.send(
            new QueryCommand({
              TableName: tableName,
              KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
              ExpressionAttributeValues: { ':pk': pk(tenantId), ':prefix': prefix },
              Limit: 1,
              ConsistentRead: true,
            }),
          )
        ).Items?.length ?? 0) > 0;
      const [iocs, allowList] = await Promise.all([any('IOC#'), any('ALLOW#')]);
      try {
        await client.send(
          new PutCommand({
            TableName: tableName,
            Item: { ...holdingsKey(tenantId), type: 'intel-holdings', iocs, allowList },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
        return { iocs, allowList };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        const marked = await get(holdingsKey(tenantId));
        return { iocs: iocs || marked?.iocs === true, allowList: allowList || marked?.allowList === true };
      }
    },

    async putIoc(ioc, nowMs) {
      await mark(ioc.tenantId, 'iocs');
      for (let attempt = 1; ; attempt += 1) {
        const current = await get({ pk: pk(ioc.tenantId), sk: iocSk(ioc.type, ioc.value) });
        const next: IocRecord =
          current && live(current, nowMs)
            ? {
                ...ioc,
                id: String(current.iocId),
                createdAt: String(current.createdAt),
                createdBy: String(current.createdBy),
                tags: [...new Set([...toIoc(current).tags, ...ioc.tags])],
              }
            : ioc;
        const item = iocItem(next, current ? Number(current.rev ?? 0) + 1 : 0);
        const pointer = pointerItem(ioc.tenantId, 'IOCID', next.id, String(item.sk), item.ttl);
        const created = !current || !live(current, nowMs);
        try {
          await client.send(
            new TransactWriteCommand({
              TransactItems: [
                {
                  Put: {
                    TableName: tableName,
                    Item: item,
                    ...(current
                      ? {
                          ConditionExpression: 'iocId = :id AND #rev = :rev',
                          ExpressionAttributeNames: { '#rev': 'rev' },
                          ExpressionAttributeValues: { ':id': current.iocId, ':rev': current.rev ?? 0 },
                        }
                      : { ConditionExpression: 'attribute_not_exists(pk)' }),
                  },
                },
                { Put: { TableName: tableName, Item: pointer } },
              ],
            }),
          );
          // An expired IOC replaced under a new id leaves its old id lookup behind: remove it.
          if (current && created && current.iocId !== next.id) {
            await client.send(
              new DeleteCommand({
                TableName: tableName,
                Key: { pk: pk(ioc.tenantId), sk: `IOCID#${String(current.iocId)}` },
              }),
            );
          }
          return { ioc: toIoc(item), created };
        } catch (error) {
          if (!conflicted(error) || attempt >= MAX_ATTEMPTS) throw error;
        }
      }
    },

    async listIocs(tenantId, query, nowMs) {
      const prefix = query.type ? `IOC#${query.type}#${query.q ?? ''}` : 'IOC#';
      const byValue = query.q !== undefined && query.type === undefined;
      const page = await list(tenantId, prefix, {
        limit: query.limit,
        ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
        filter: {
          expression: `(attribute_not_exists(#exp) OR #exp > :now)${byValue ? ' AND begins_with(#value, :q)' : ''}`,
          names: { '#exp': 'expiresAtMs', ...(byValue ? { '#value': 'value' } : {}) },
          values: { ':now': nowMs, ...(byValue ? { ':q': query.q } : {}) },
        },
      });
      return { items: page.items.map(toIoc), ...(page.cursor ? { cursor: page.cursor } : {}) };
    },

    async getIocs(tenantId, keys: readonly IndicatorKey[], nowMs) {
      const items = await batchGet(
        [...new Set(keys.map((k) => iocSk(k.type, k.value)))].map((sk) => ({ pk: pk(tenantId), sk })),
      );
      return items.filter((item) => live(item, nowMs)).map(toIoc);
    },

    async deleteIoc(tenantId, id) {
      return deleteById(tenantId, 'IOCID', 'iocId', id);
    },

    async putAllowEntry(entry) {
      await mark(entry.tenantId, 'allowList');
      for (let attempt = 1; ; attempt += 1) {
        const current = await get({ pk: pk(entry.tenantId), sk: allowSk(entry.type, entry.value) });
        const next: AllowListEntry = current
          ? {
              ...entry,
              id: String(current.allowId),
              createdAt: String(current.createdAt),
              createdBy: String(current.createdBy),
            }
          : entry;
        const item: Item = {
          pk: pk(entry.tenantId),
          sk: allowSk(entry.type, entry.value),
          type: 'allow',
          allowId: next.id,
          tenantId: next.tenantId,
          iocType: next.type,
          value: next.value,
          reason: next.reason,
          createdAt: next.createdAt,
          createdBy: next.createdBy,
        };
        try {
          await client.send(
            new TransactWriteCommand({
              TransactItems: [
                {
                  Put: {
                    TableName: tableName,
                    Item: item,
                    ...(current
                      ? {
                          ConditionExpression: 'allowId = :id',
                          ExpressionAttributeValues: { ':id': current.allowId },
                        }
                      : { ConditionExpression: 'attribute_not_exists(pk)' }),
                  },
                },
                {
                  Put: {
                    TableName: tableName,
                    Item: pointerItem(entry.tenantId, 'ALLOWID', next.id, String(item.sk)),
                  },
                },
              ],
            }),
          );
          return { entry: toAllow(item), created: !current };
        } catch (error) {
          if (!conflicted(error) || attempt >= MAX_ATTEMPTS) throw error;
        }
      }
    },

    async listAllowEntries(tenantId, query) {
      const page = await list(tenantId, query.type ? `ALLOW#${query.type}#` : 'ALLOW#', {
        limit: query.limit,
        ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
      });
      return {
        items: page.items.map(toAllow),
        ...(page.cursor ? { cursor: page.cursor } : {}),
      } satisfies Page<AllowListEntry>;
    },

    async getAllowEntries(tenantId, keys) {
      const items = await batchGet(
        [...new Set(keys.map((k) => allowSk(k.type, k.value)))].map((sk) => ({ pk: pk(tenantId), sk })),
      );
      return items.map(toAllow);
    },

    async deleteAllowEntry(tenantId, id) {
      return deleteById(tenantId, 'ALLOWID', 'allowId', id);
    },
  };
}
