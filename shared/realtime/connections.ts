import * as z from 'zod';
import { BadRequestError, UnauthorizedError } from '../platform/errors';
import type { Connection, ConnectionPusher, ConnectionRegistry } from './ports';

/**
 * Realtime use cases: register and drop WebSocket connections, manage topic subscriptions, and
 * publish a message to every subscriber of a tenant's topic, cleaning up connections that are gone.
 * Topics are always scoped to the connection's tenant, so a subscriber only ever sees its tenant.
 */

/** API Gateway closes WebSocket connections after 2 hours; registry items expire with them. */
export const connectionLifetimeSeconds = 2 * 60 * 60;
export const maxTopicsPerConnection = 50;

export const topicName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'Topic names are 1-128 letters, digits, and . _ : -');

export const clientMessage = z.discriminatedUnion('action', [
  z.object({ action: z.literal('subscribe'), topics: z.array(topicName).min(1).max(20) }),
  z.object({ action: z.literal('unsubscribe'), topics: z.array(topicName).min(1).max(20) }),
  z.object({ action: z.literal('ping') }),
]);

export interface RealtimeDeps {
  registry: ConnectionRegistry;
  pusher: ConnectionPusher;
  now: () => number;
}

export interface ConnectRequest {
  connectionId: string;
  /** Verified identity from the authorizer; absent until the identity context authenticates `$connect`. */
  identity?: { tenantId: string; principalId: string };
  /** Identity to use when none was verified: only the local target sets this. */
  anonymousIdentity?: { tenantId: string; principalId: string };
}

export const connect =
  (deps: Pick<RealtimeDeps, 'registry' | 'now'>) =>
  async (request: ConnectRequest): Promise<Connection> => {
    const identity = request.identity ?? request.anonymousIdentity;
    if (!identity) throw new UnauthorizedError('A WebSocket connection needs a valid token.');
    const connection: Connection = {
      connectionId: request.connectionId,
      tenantId: identity.tenantId,
      principalId: identity.principalId,
      connectedAt: new Date(deps.now()).toISOString(),
      topics: [],
    };
    await deps.registry.register(connection, expiry(deps));
    return connection;
  };

export const disconnect = (deps: Pick<RealtimeDeps, 'registry'>) => async (connectionId: string) =>
  deps.registry.remove(connectionId);

/** Handles one client frame and answers on the same connection. */
export const handleClientMessage =
  (deps: RealtimeDeps) =>
  async (connectionId: string, raw: string | undefined): Promise<void> => {
    const connection = await deps.registry.get(connectionId);
    if (!connection) return;
    const reply = await answer(deps, connection, raw);
    await deps.pusher.push(connectionId, reply);
  };

async function answer(deps: RealtimeDeps, connection: Connection, raw: string | undefined): Promise<unknown> {
  let json: unknown;
  try {
    json = JSON.parse(raw ?? '');
  } catch {
    return { type: 'error', code: 'malformed_json', message: 'Messages are JSON objects.' };
  }
  const parsed = clientMessage.safeParse(json);
  if (!parsed.success) {
    return {
      type: 'error',
      code: 'validation_failed',
      message: 'Expected {"action":"subscribe"|"unsubscribe","topics":[...]} or {"action":"ping"}.',
      errors: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    };
  }
  const message = parsed.data;
  switch (message.action) {
    case 'ping':
      return { type: 'pong', time: new Date(deps.now()).toISOString() };
    case 'subscribe': {
      const foreign = message.topics.filter(
        (t) => t.startsWith('user:') && t !== `user:${connection.principalId}`,
      );
      if (foreign.length > 0) {
        return {
          type: 'error',
          code: 'forbidden_topic',
          message: `Only your own user topic (user:${connection.principalId}) may be subscribed to.`,
        };
      }
      const topics = [...new Set([...connection.topics, ...message.topics])];
      if (topics.length > maxTopicsPerConnection) {
        return {
          type: 'error',
          code: 'too_many_topics',
          message: `A connection may subscribe to at most ${maxTopicsPerConnection} topics.`,
        };
      }
      await deps.registry.subscribe(connection, message.topics, expiry(deps));
      return { type: 'subscribed', topics };
    }
    case 'unsubscribe': {
      await deps.registry.unsubscribe(connection, message.topics);
      return { type: 'unsubscribed', topics: connection.topics.filter((t) => !message.topics.includes(t)) };
    }
  }
}

/**
 * Pushes `message` to every connection of `tenantId` subscribed to `topic`. Connections that are gone
 * (410) are removed from the registry. Returns how many connections received it.
 */
export const publish =
  (deps: RealtimeDeps) =>
  (tenantId: string, topic: string, message: unknown): Promise<{ delivered: number; removed: number }> =>
    publishAll(deps)(tenantId, topic, [message]);

/**
 * Pushes several messages, in order, to every subscriber of a topic, looking the subscribers up once
 * (a worker settling a batch of one job's results). Connections that are gone are removed.
 */
export const publishAll =
  (deps: RealtimeDeps) =>
  async (
    tenantId: string,
    topic: string,
    messages: readonly unknown[],
  ): Promise<{ delivered: number; removed: number }> => {
    if (!topicName.safeParse(topic).success)
      throw new BadRequestError(`Invalid topic '${topic}'.`, 'invalid_topic');
    if (messages.length === 0) return { delivered: 0, removed: 0 };
    const ids = await deps.registry.subscribers(tenantId, topic);
    const time = new Date(deps.now()).toISOString();
    let delivered = 0;
    let removed = 0;
    await Promise.all(
      ids.map(async (id) => {
        for (const message of messages) {
          const outcome = await deps.pusher.push(id, { type: 'message', topic, data: message, time });
          if (outcome === 'delivered') delivered += 1;
          else {
            removed += 1;
            await deps.registry.remove(id);
            return;
          }
        }
      }),
    );
    return { delivered, removed };
  };

function expiry(deps: Pick<RealtimeDeps, 'now'>): number {
  return Math.floor(deps.now() / 1000) + connectionLifetimeSeconds;
}
