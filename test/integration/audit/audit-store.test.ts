import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  dynamoAuditLog,
  dynamoAuditReader,
  dynamoAuditSettings,
} from '../../../shared/adapters/aws/audit-store';
import type { AuditEventInput, AuditLog } from '../../../shared/audit/chain';
import { auditQueries } from '../../../shared/audit/queries';
import { createTestTables, type TestTables } from '../../support/dynamodb';

const event = (tenantId: string, action: string): AuditEventInput => ({
  tenantId,
  actor: { type: 'user', id: 'u1' },
  action,
  resourceType: 'session',
  outcome: 'success',
  ip: '203.0.113.9',
});

describe('hash-chained audit trail on DynamoDB', () => {
  let tables: TestTables;
  let log: AuditLog;
  let queries: ReturnType<typeof auditQueries>;

  beforeAll(async () => {
    tables = await createTestTables();
    log = dynamoAuditLog(tables.doc, {
      stateTable: tables.names.state,
      auditTable: tables.names.audit,
      retentionDays: 90,
    });
    queries = auditQueries(dynamoAuditReader(tables.doc, tables.names.audit));
  });

  it('expires events after the tenant’s own retention, also when set before the first event', async () => {
    const settings = dynamoAuditSettings(tables.doc, tables.names.state, 90);
    await settings.setRetention('t-retention', 7);

    const first = await log.append(event('t-retention', 'first'));
    const stored = await tables.doc.send(
      new GetCommand({
        TableName: tables.names.audit,
        Key: { pk: 'T#t-retention', sk: `EVT#${String(first.seq).padStart(12, '0')}` },
      }),
    );
    const other = await log.append(event('t-default', 'other'));
    const otherStored = await tables.doc.send(
      new GetCommand({
        TableName: tables.names.audit,
        Key: { pk: 'T#t-default', sk: `EVT#${String(other.seq).padStart(12, '0')}` },
      }),
    );

    expect(await settings.get('t-retention')).toEqual({ retentionDays: 7 });
    expect(Number(stored.Item?.ttl) - Math.floor(Date.parse(first.time) / 1000)).toBe(7 * 86_400);
    expect(Number(otherStored.Item?.ttl) - Math.floor(Date.parse(other.time) / 1000)).toBe(90 * 86_400);
  });

  it('keeps one linear chain per tenant under concurrent appends', async () => {
    await Promise.all(Array.from({ length: 12 }, (_, i) => log.append(event('t1', `action.${i}`))));
    await log.append(event('t2', 'other.tenant'));

    const result = await queries.verify('t1');
    const page = await queries.list('t1', { limit: 100 });

    expect(result).toEqual({ verified: 12, intact: true });
    expect(page.items.map((e) => e.seq)).toEqual([12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    expect(page.items.every((e) => e.tenantId === 't1')).toBe(true);
    expect(await queries.verify('t2')).toEqual({ verified: 1, intact: true });
  });

  it('lands every event of a burst of fifty concurrent appends, in one chain', async () => {
    await Promise.all(Array.from({ length: 50 }, (_, i) => log.append(event('t-burst', `burst.${i}`))));

    const page = await queries.list('t-burst', { limit: 100 });

    expect(await queries.verify('t-burst')).toEqual({ verified: 50, intact: true });
    expect(new Set(page.items.map((e) => e.action)).size).toBe(50);
  }, 60_000);

  it('finds an event edited directly in the table', async () => {
    await log.append(event('t3', 'auth.login'));
    const second = await log.append(event('t3', 'apikey.create'));
    await log.append(event('t3', 'auth.logout'));

    await tables.doc.send(
      new UpdateCommand({
        TableName: tables.names.audit,
        Key: { pk: 'T#t3', sk: `EVT#${String(second.seq).padStart(12, '0')}` },
        UpdateExpression: 'SET outcome = :o',
        ExpressionAttributeValues: { ':o': 'failure' },
      }),
    );
    const result = await queries.verify('t3');

    expect(result).toMatchObject({
      intact: false,
      verified: 1,
      firstBreak: { seq: 2, id: second.id, reason: 'hash_mismatch' },
    });
  });

  it('filters by action and pages with a cursor', async () => {
    for (let i = 0; i < 5; i += 1) await log.append(event('t4', i % 2 ? 'auth.login' : 'auth.logout'));

    const first = await queries.list('t4', { action: 'auth.logout', limit: 2 });
    const rest = await queries.list('t4', { action: 'auth.logout', limit: 2, cursor: first.nextCursor });

    expect(first.items.map((e) => e.seq)).toEqual([5, 3]);
    expect(rest.items.map((e) => e.seq)).toEqual([1]);
    expect(rest.nextCursor).toBeUndefined();
    expect((await queries.get('t4', first.items[0]?.id ?? '')).action).toBe('auth.logout');
    await expect(queries.get('t1', first.items[0]?.id ?? '')).rejects.toMatchObject({ status: 404 });
  });
});
