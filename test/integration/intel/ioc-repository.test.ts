import { DeleteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { dynamoIocRepository } from '../../../shared/adapters/aws/ioc-repository';
import { aggregateVerdict } from '../../../shared/enrichment/verdict';
import type { OutboundClient } from '../../../shared/integrations/http/outbound';
import type { AdapterContext } from '../../../shared/integrations/ports';
import {
  createIocService,
  InvalidCursorError,
  type IocRepository,
  type IocService,
  iocInputSchema,
  iocStoreProvider,
} from '../../../shared/intel/iocs';
import { NotFoundError } from '../../../shared/platform/errors';
import { createTestTables, type TestTables } from '../../support/dynamodb';

const START = Date.parse('2026-11-30T12:00:00.000Z');
const alice = { tenantId: 'tenant-a', userId: 'u_alice' };
const bob = { tenantId: 'tenant-b', userId: 'u_bob' };
const offlineHttp: OutboundClient = { request: () => Promise.reject(new Error('no network')) };

describe('DynamoDB IOC store and allow-list', () => {
  let tables: TestTables;
  let repo: IocRepository;
  let service: IocService;
  let nowMs = START;
  let seq = 0;
  const input = (value: string, extra: Record<string, unknown> = {}) =>
    iocInputSchema.parse({ value, ...extra });
  const ctx = (tenantId: string): AdapterContext => ({
    tenantId,
    http: offlineHttp,
    credentials: {},
    settings: {},
    now: () => nowMs,
  });

  beforeAll(async () => {
    tables = await createTestTables();
    repo = dynamoIocRepository(tables.doc, tables.names.state);
    service = createIocService({
      repo,
      now: () => nowMs,
      newId: () => `ioc_${String(++seq).padStart(4, '0')}`,
    });
  });

  it('adds an IOC with its value normalized, and updates it instead of duplicating', async () => {
    const first = await service.add(
      alice,
      input('hxxp://Evil-Example[.]COM/Payload.exe', { tags: ['emotet'] }),
    );
    nowMs += 60_000;
    const again = await service.add(
      alice,
      input('http://evil-example.com/Payload.exe', {
        source: 'threatfox-feed',
        confidence: 95,
        tags: ['dropper'],
      }),
    );

    expect(first.created).toBe(true);
    expect(first.ioc).toMatchObject({
      type: 'url',
      value: 'http://evil-example.com/Payload.exe',
      confidence: 80,
    });
    expect(again.created).toBe(false);
    expect(again.ioc).toMatchObject({
      id: first.ioc.id,
      createdAt: first.ioc.createdAt,
      source: 'threatfox-feed',
      confidence: 95,
      tags: ['emotet', 'dropper'],
    });
    const page = await service.list(alice.tenantId, { type: 'url', limit: 10 });
    expect(page.items.map((i) => i.id)).toEqual([first.ioc.id]);
  });

  it('finds the IOCs of a store written before the holdings marker existed', async () => {
    const legacy = { tenantId: 'tenant-legacy', userId: 'u_old' };
    await service.add(legacy, input('45.77.10.9'));
    await tables.doc.send(
      new DeleteCommand({
        TableName: tables.names.state,
        Key: { pk: 'T#tenant-legacy', sk: 'INTELHOLDINGS' },
      }),
    );
    // A fresh container: nothing remembered about this tenant.
    const fresh = dynamoIocRepository(tables.doc, tables.names.state);

    const holdings = await fresh.holdings('tenant-legacy');
    const [result] =
      (await iocStoreProvider(fresh).lookupMany?.(ctx('tenant-legacy'), [
        { type: 'ipv4', value: '45.77.10.9' },
      ])) ?? [];

    expect(holdings).toEqual({ iocs: true, allowList: false });
    expect(result?.verdict).not.toBe('unknown');
    expect(await fresh.holdings('tenant-nothing')).toEqual({ iocs: false, allowList: false });
  });

  it('stores the expiry as a TTL on the IOC and its id lookup', async () => {
    const { ioc } = await service.add(alice, input('45.77.10.2', { expiresAt: '2026-12-31T00:00:00Z' }));

    const key = { pk: 'T#tenant-a', sk: 'IOC#ipv4#45.77.10.2' };
    const item = (await tables.doc.send(new GetCommand({ TableName: tables.names.state, Key: key }))).Item;
    const pointer = (
      await tables.doc.send(
        new GetCommand({ TableName: tables.names.state, Key: { pk: 'T#tenant-a', sk: `IOCID#${ioc.id}` } }),
      )
    ).Item;

    const ttl = Date.parse('2026-12-31T00:00:00Z') / 1000;
    expect(ioc.expiresAt).toBe('2026-12-31T00:00:00.000Z');
    expect(item?.ttl).toBe(ttl);
    expect(pointer?.ttl).toBe(ttl);
  });

  it('stops matching and listing an IOC once it has expired, before TTL deletes it', async () => {
    const { ioc } = await service.add(
      alice,
      input('expiring.example-bad.net', { expiresAt: '2026-12-01T00:00:00Z' }),
    );
    expect((await service.check(alice.tenantId, 'expiring.example-bad.net')).map((m) => m.ioc.id)).toEqual([
      ioc.id,
    ]);

    const before = nowMs;
    nowMs = Date.parse('2026-12-01T00:00:01Z');
    const matches = await service.check(alice.tenantId, 'expiring.example-bad.net');
    const listed = await service.list(alice.tenantId, { type: 'domain', limit: 50 });
    nowMs = before;

    expect(matches).toEqual([]);
    expect(listed.items.map((i) => i.value)).not.toContain('expiring.example-bad.net');
  });

  it('rejects an expiry in the past', async () => {
    await expect(service.add(alice, input('1.2.3.4', { expiresAt: '2020-01-01T00:00:00Z' }))).rejects.toThrow(
      /future/,
    );
  });

  it('lists by type and value prefix with cursor pagination', async () => {
    const domains = [
      'bad-a.example-c2.org',
      'bad-b.example-c2.org',
      'bad-c.example-c2.org',
      'bad-d.example-c2.org',
    ];
    for (const d of domains) await service.add(alice, input(d, { type: 'domain' }));
    await service.add(alice, input('other-thing.net', { type: 'domain' }));
    await service.add(alice, input('d41d8cd98f00b204e9800998ecf8427e'));

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await service.list(alice.tenantId, {
        type: 'domain',
        q: 'BAD-',
        limit: 3,
        ...(cursor ? { cursor } : {}),
      });
      seen.push(...page.items.map((i) => i.value));
      cursor = page.cursor;
      pages += 1;
    } while (cursor && pages < 10);

    expect(seen).toEqual(domains);
    expect(pages).toBe(2);
    const hashes = await service.list(alice.tenantId, { type: 'md5', limit: 10 });
    expect(hashes.items.map((i) => i.value)).toEqual(['d41d8cd98f00b204e9800998ecf8427e']);
    // Without a type the prefix is a filter over all the tenant's IOCs.
    const anyType = await service.list(alice.tenantId, { q: 'other-', limit: 10 });
    expect(anyType.items.map((i) => i.value)).toEqual(['other-thing.net']);
  });

  it('refuses a cursor from another listing', async () => {
    const page = await service.list(alice.tenantId, { type: 'domain', limit: 1 });
    expect(page.cursor).toBeDefined();

    await expect(
      service.list(alice.tenantId, {
        type: 'md5',
        limit: 1,
        ...(page.cursor ? { cursor: page.cursor } : {}),
      }),
    ).rejects.toBeInstanceOf(InvalidCursorError);
    await expect(service.list(alice.tenantId, { limit: 1, cursor: 'not a cursor' })).rejects.toBeInstanceOf(
      InvalidCursorError,
    );
  });

  it('checks a value exactly, a URL also by its host and an email also by its domain', async () => {
    const { ioc: domain } = await service.add(
      alice,
      input('phish-login.example-bank.co', { confidence: 90 }),
    );
    const { ioc: ip } = await service.add(alice, input('185.220.101.4', { confidence: 60, tags: ['tor'] }));

    const exact = await service.check(alice.tenantId, 'phish-login[.]example-bank[.]co');
    const viaUrl = await service.check(alice.tenantId, 'https://phish-login.example-bank.co/secure/login');
    const viaIpUrl = await service.check(alice.tenantId, 'http://185.220.101.4:8080/gate.php');
    const viaEmail = await service.check(alice.tenantId, 'billing@phish-login.example-bank.co');
    const miss = await service.check(alice.tenantId, 'example-bank.co');

    expect(exact).toEqual([{ ioc: domain, matchedOn: 'exact' }]);
    expect(viaUrl).toEqual([{ ioc: domain, matchedOn: 'host' }]);
    expect(viaIpUrl).toEqual([{ ioc: ip, matchedOn: 'host' }]);
    expect(viaEmail).toEqual([{ ioc: domain, matchedOn: 'domain' }]);
    expect(miss).toEqual([]);
  });

  it('keeps tenants apart: B sees none of A’s IOCs and cannot delete them by id', async () => {
    const { ioc } = await service.add(alice, input('tenant-a-only.example-evil.io'));

    const bobList = await service.list(bob.tenantId, { limit: 100 });
    const bobCheck = await service.check(bob.tenantId, 'tenant-a-only.example-evil.io');

    expect(bobList.items).toEqual([]);
    expect(bobCheck).toEqual([]);
    await expect(service.remove(bob.tenantId, ioc.id)).rejects.toBeInstanceOf(NotFoundError);
    expect(await service.check(alice.tenantId, 'tenant-a-only.example-evil.io')).toHaveLength(1);
  });

  it('deletes an IOC by id, and a second delete is not found', async () => {
    const { ioc } = await service.add(alice, input('delete-me.example-evil.io'));

    await service.remove(alice.tenantId, ioc.id);

    expect(await service.check(alice.tenantId, 'delete-me.example-evil.io')).toEqual([]);
    await expect(service.remove(alice.tenantId, ioc.id)).rejects.toBeInstanceOf(NotFoundError);
    const pointer = await tables.doc.send(
      new GetCommand({ TableName: tables.names.state, Key: { pk: 'T#tenant-a', sk: `IOCID#${ioc.id}` } }),
    );
    expect(pointer.Item).toBeUndefined();
  });

  it('allow-lists a domain with its subdomains, but not its look-alikes or parent', async () => {
    const { entry } = await service.allow(alice, {
      value: 'Corp-Mail.example.com',
      reason: 'our mail provider',
    });
    const { entry: same, created } = await service.allow(alice, {
      value: 'corp-mail.example.com',
      reason: 'our mail provider (renewed)',
    });

    expect(created).toBe(false);
    expect(same).toMatchObject({ id: entry.id, reason: 'our mail provider (renewed)', type: 'domain' });
    expect(await service.isAllowed(alice.tenantId, 'corp-mail.example.com')).toMatchObject({ id: entry.id });
    expect(await service.isAllowed(alice.tenantId, 'smtp.eu.corp-mail.example.com')).toMatchObject({
      id: entry.id,
    });
    expect(await service.isAllowed(alice.tenantId, 'notcorp-mail.example.com')).toBeUndefined();
    expect(await service.isAllowed(alice.tenantId, 'example.com')).toBeUndefined();
    expect(await service.isAllowed(bob.tenantId, 'corp-mail.example.com')).toBeUndefined();
  });

  it('lists and deletes allow-list entries, only within the tenant', async () => {
    const { entry } = await service.allow(alice, { value: '203.0.113.50', reason: 'scanner we run' });

    const listed = await service.listAllowed(alice.tenantId, { type: 'ipv4', limit: 10 });
    expect(listed.items.map((e) => e.id)).toEqual([entry.id]);
    expect((await service.listAllowed(bob.tenantId, { limit: 10 })).items).toEqual([]);
    await expect(service.removeAllowed(bob.tenantId, entry.id)).rejects.toBeInstanceOf(NotFoundError);

    await service.removeAllowed(alice.tenantId, entry.id);

    expect(await service.isAllowed(alice.tenantId, '203.0.113.50')).toBeUndefined();
  });

  it('reports store matches and allow-list hits as provider results the aggregate understands', async () => {
    const provider = iocStoreProvider(repo);
    await service.add(alice, input('c2.example-evil.io', { confidence: 85, tags: ['cobalt-strike'] }));
    await service.add(alice, input('maybe.example-evil.io', { confidence: 40 }));
    await service.allow(alice, { value: 'cdn.example-evil.io', reason: 'sinkholed by us' });

    const malicious = await provider.lookup(ctx(alice.tenantId), {
      type: 'domain',
      value: 'c2.example-evil.io',
    });
    const suspicious = await provider.lookup(ctx(alice.tenantId), {
      type: 'domain',
      value: 'maybe.example-evil.io',
    });
    const viaHost = await provider.lookup(ctx(alice.tenantId), {
      type: 'url',
      value: 'http://c2.example-evil.io/a',
    });
    const allowed = await provider.lookup(ctx(alice.tenantId), {
      type: 'domain',
      value: 'x.cdn.example-evil.io',
    });
    const otherTenant = await provider.lookup(ctx(bob.tenantId), {
      type: 'domain',
      value: 'c2.example-evil.io',
    });

    expect(malicious).toMatchObject({ verdict: 'malicious', score: 85, confidence: 85 });
    expect(malicious.tags).toEqual(['intel-store', 'cobalt-strike']);
    expect(suspicious).toMatchObject({ verdict: 'suspicious', score: 40, confidence: 40 });
    expect(viaHost).toMatchObject({ verdict: 'suspicious', confidence: 68, details: { matchedOn: 'host' } });
    expect(allowed).toMatchObject({
      verdict: 'benign',
      details: { allowListed: true, reason: 'sinkholed by us' },
    });
    expect(otherTenant.verdict).toBe('unknown');
    const aggregate = aggregateVerdict([
      { provider: 'intel-store', result: allowed },
      {
        provider: 'virustotal',
        result: { verdict: 'malicious', score: 90, confidence: 90, tags: [], details: {} },
      },
    ]);
    expect(aggregate.verdict).toBe('benign');
  });
});
