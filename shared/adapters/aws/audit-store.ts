import { randomBytes } from 'node:crypto';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  type AuditEvent,
  type AuditEventInput,
  type AuditLog,
  type AuditReader,
  genesisHash,
  hashEvent,
} from '../../audit/chain';

/**
 * The audit trail on DynamoDB. Each append is one transaction across two tables: it advances the
 * tenant's chain head in the state table (conditional on the head it read, so concurrent writers
 * retry instead of forking the chain) and puts the event into the audit table with
 * `attribute_not_exists` — the only write audit writers are allowed there. Events expire by TTL
 * after the retention period.
 */
export interface AuditStoreOptions {
  stateTable: string;
  auditTable: string;
  retentionDays: number;
  now?: () => Date;
}

const seqKey = (seq: number) => `EVT#${String(seq).padStart(12, '0')}`;

function toEvent(item: Record<string, unknown>): AuditEvent {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, ttl: _ttl, ...event } = item;
  return event as unknown as AuditEvent;
}

/** Attempts of an append that keeps losing the race for the chain head (a burst of writers). */
const maxAppendAttempts = 40;

/** The writer: appends chained events (needs the state table for the chain head). */
export function dynamoAuditLog(client: DynamoDBDocumentClient, options: AuditStoreOptions): AuditLog {
  const now = options.now ?? (() => new Date());
  return {
    async append(input: AuditEventInput): Promise<AuditEvent> {
      // The chain head serializes a tenant's appends: under a burst (fifty jobs submitted at once)
      // writers lose races and retry with full jitter, so every event lands, in order, a little later.
      for (let attempt = 0; attempt < maxAppendAttempts; attempt += 1) {
        const head = await client.send(
          new GetCommand({
            TableName: options.stateTable,
            Key: { pk: `T#${input.tenantId}`, sk: 'AUDITHEAD' },
            ConsistentRead: true,
          }),
        );
        const seq = Number(head.Item?.seq ?? 0);
        // The tenant's own retention (PUT /v1/audit/settings) wins over the platform default.
        const retentionDays = Number(head.Item?.retentionDays ?? options.retentionDays);
        const prevHash = String(head.Item?.hash ?? genesisHash);
        const at = now();
        const unsigned = {
          ...input,
          id: `evt_${at.getTime().toString(36)}${randomBytes(6).toString('hex')}`,
          time: at.toISOString(),
          seq: seq + 1,
          prevHash,
        };
        const event: AuditEvent = { ...unsigned, hash: hashEvent(unsigned) };
        try {
          await client.send(
            new TransactWriteCommand({
              TransactItems: [
                {
                  Update: {
                    TableName: options.stateTable,
                    Key: { pk: `T#${input.tenantId}`, sk: 'AUDITHEAD' },
                    UpdateExpression: 'SET seq = :next, #hash = :hash',
                    ConditionExpression: seq === 0 ? 'attribute_not_exists(seq)' : 'seq = :seq',
                    ExpressionAttributeNames: { '#hash': 'hash' },
                    ExpressionAttributeValues: {
                      ':next': event.seq,
                      ':hash': event.hash,
                      ...(seq === 0 ? {} : { ':seq': seq }),
                    },
                  },
                },
                {
                  Put: {
                    TableName: options.auditTable,
                    Item: {
                      pk: `T#${input.tenantId}`,
                      sk: seqKey(event.seq),
                      gsi1pk: `T#${input.tenantId}#AUDIT`,
                      gsi1sk: event.id,
                      ttl: Math.floor(at.getTime() / 1000) + retentionDays * 86_400,
                      ...event,
                    },
                    ConditionExpression: 'attribute_not_exists(pk)',
                  },
                },
              ],
            }),
          );
          return event;
        } catch (error) {
          if (!(error instanceof TransactionCanceledException)) throw error;
          await new Promise((r) => setTimeout(r, Math.random() * Math.min(250, 10 * 2 ** attempt)));
        }
      }
      throw new Error('Could not append the audit event: the chain head kept moving.');
    },
  };
}

/** The reader: queries the audit table only. */
export function dynamoAuditReader(client: DynamoDBDocumentClient, auditTable: string): AuditReader {
  return {
    async page(tenantId, { afterSeq, limit, newestFirst }) {
      const result = await client.send(
        new QueryCommand({
          TableName: auditTable,
          KeyConditionExpression:
            afterSeq === undefined
              ? 'pk = :pk AND begins_with(sk, :evt)'
              : newestFirst
                ? 'pk = :pk AND sk BETWEEN :evt AND :before'
                : 'pk = :pk AND sk > :after',
          ExpressionAttributeValues: {
            ':pk': `T#${tenantId}`,
            ...(afterSeq === undefined
              ? { ':evt': 'EVT#' }
              : newestFirst
                ? { ':evt': 'EVT#', ':before': seqKey(Math.max(0, afterSeq - 1)) }
                : { ':after': seqKey(afterSeq) }),
          },
          ScanIndexForward: !newestFirst,
          Limit: limit,
          ConsistentRead: true,
        }),
      );
      return (result.Items ?? []).map(toEvent);
    },

    async get(tenantId, id) {
      const result = await client.send(
        new QueryCommand({
          TableName: auditTable,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk = :id',
          ExpressionAttributeValues: { ':pk': `T#${tenantId}#AUDIT`, ':id': id },
        }),
      );
      const item = result.Items?.[0];
      return item ? toEvent(item) : undefined;
    },
  };
}

/**
 * The tenant's audit retention, kept on its chain head item (which every append reads anyway), so a
 * change applies to the next event without another read.
 */
export function dynamoAuditSettings(client: DynamoDBDocumentClient, stateTable: string, defaultDays: number) {
  const key = (tenantId: string) => ({ pk: `T#${tenantId}`, sk: 'AUDITHEAD' });
  return {
    async get(tenantId: string): Promise<{ retentionDays: number }> {
      const head = await client.send(
        new GetCommand({ TableName: stateTable, Key: key(tenantId), ConsistentRead: true }),
      );
      return { retentionDays: Number(head.Item?.retentionDays ?? defaultDays) };
    },
    async setRetention(tenantId: string, retentionDays: number): Promise<{ retentionDays: number }> {
      await client.send(
        new UpdateCommand({
          TableName: stateTable,
          Key: key(tenantId),
          UpdateExpression: 'SET retentionDays = :days',
          ExpressionAttributeValues: { ':days': retentionDays },
        }),
      );
      return { retentionDays };
    },
  };
}
