import { describe, expect, it } from 'vitest';
import { UnauthorizedError } from '../../../shared/platform/errors';
import { connect, handleClientMessage, publish } from '../../../shared/realtime/connections';
import type {
  Connection,
  ConnectionPusher,
  ConnectionRegistry,
  PushOutcome,
} from '../../../shared/realtime/ports';

/** In-memory registry with the same semantics as the DynamoDB one (tested in integration). */
function memoryRegistry(): ConnectionRegistry & { connections: Map<string, Connection> } {
  const connections = new Map<string, Connection>();
  const subs = new Map<string, Set<string>>();
  const key = (tenant: string, topic: string) => `${tenant}|${topic}`;
  return {
    connections,
    async register(c) {
      connections.set(c.connectionId, { ...c, topics: [...c.topics] });
    },
    async get(id) {
      const c = connections.get(id);
      return c ? { ...c, topics: [...c.topics] } : undefined;
    },
    async remove(id) {
      const c = connections.get(id);
      if (!c) return;
      for (const t of c.topics) subs.get(key(c.tenantId, t))?.delete(id);
      connections.delete(id);
    },
    async subscribe(c, topics) {
      const stored = connections.get(c.connectionId);
      for (const t of topics) {
        const k = key(c.tenantId, t);
        subs.set(k, (subs.get(k) ?? new Set()).add(c.connectionId));
      }
      const merged = [...new Set([...c.topics, ...topics])];
      if (stored) stored.topics = merged;
      c.topics = merged;
    },
    async unsubscribe(c, topics) {
      for (const t of topics) subs.get(key(c.tenantId, t))?.delete(c.connectionId);
      c.topics = c.topics.filter((t) => !topics.includes(t));
      const stored = connections.get(c.connectionId);
      if (stored) stored.topics = c.topics;
    },
    async subscribers(tenant, topic) {
      return [...(subs.get(key(tenant, topic)) ?? [])];
    },
  };
}

function recordingPusher(
  gone: Set<string> = new Set(),
): ConnectionPusher & { sent: Array<[string, unknown]> } {
  const sent: Array<[string, unknown]> = [];
  return {
    sent,
    async push(id, message): Promise<PushOutcome> {
      if (gone.has(id)) return 'gone';
      sent.push([id, message]);
      return 'delivered';
    },
  };
}

const now = () => Date.parse('2026-11-22T18:00:00Z');

describe('realtime connections', () => {
  it('refuses a connection without a verified identity unless an anonymous identity is allowed', async () => {
    const registry = memoryRegistry();

    await expect(connect({ registry, now })({ connectionId: 'c1' })).rejects.toBeInstanceOf(
      UnauthorizedError,
    );
    const local = await connect({ registry, now })({
      connectionId: 'c2',
      anonymousIdentity: { tenantId: 'demo', principalId: 'anon' },
    });

    expect(local.tenantId).toBe('demo');
    expect(registry.connections.has('c1')).toBe(false);
  });

  it('subscribes to topics and answers on the same connection', async () => {
    const registry = memoryRegistry();
    const pusher = recordingPusher();
    await connect({ registry, now })({ connectionId: 'c1', identity: { tenantId: 't1', principalId: 'u1' } });

    await handleClientMessage({ registry, pusher, now })('c1', '{"action":"subscribe","topics":["events"]}');

    expect(pusher.sent).toEqual([['c1', { type: 'subscribed', topics: ['events'] }]]);
    expect(await registry.subscribers('t1', 'events')).toEqual(['c1']);
  });

  it('answers malformed and invalid frames with an error message instead of failing', async () => {
    const registry = memoryRegistry();
    const pusher = recordingPusher();
    await connect({ registry, now })({ connectionId: 'c1', identity: { tenantId: 't1', principalId: 'u1' } });
    const handle = handleClientMessage({ registry, pusher, now });

    await handle('c1', 'not json');
    await handle('c1', '{"action":"subscribe","topics":["bad topic!"]}');

    expect(pusher.sent.map(([, m]) => (m as { code: string }).code)).toEqual([
      'malformed_json',
      'validation_failed',
    ]);
  });

  it('publishes only to subscribers of the same tenant and removes gone connections', async () => {
    const registry = memoryRegistry();
    const pusher = recordingPusher(new Set(['stale']));
    const open = connect({ registry, now });
    const handle = handleClientMessage({ registry, pusher, now });
    for (const [id, tenant] of [
      ['live', 't1'],
      ['stale', 't1'],
      ['other', 't2'],
    ] as const) {
      await open({ connectionId: id, identity: { tenantId: tenant, principalId: id } });
      await handle(id, '{"action":"subscribe","topics":["events"]}');
    }
    pusher.sent.length = 0;

    const result = await publish({ registry, pusher, now })('t1', 'events', { hello: 'world' });

    expect(result).toEqual({ delivered: 1, removed: 1 });
    expect(pusher.sent).toEqual([
      [
        'live',
        { type: 'message', topic: 'events', data: { hello: 'world' }, time: '2026-11-22T18:00:00.000Z' },
      ],
    ]);
    expect(registry.connections.has('stale')).toBe(false);
    expect(registry.connections.has('other')).toBe(true);
  });
});
