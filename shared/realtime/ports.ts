/**
 * Ports of the realtime context: where WebSocket connections and topic subscriptions are kept, and
 * how a message reaches one connection (API Gateway's PostToConnection in AWS, the local gateway's
 * equivalent locally).
 */
export interface Connection {
  connectionId: string;
  tenantId: string;
  principalId: string;
  connectedAt: string;
  topics: string[];
}

export interface ConnectionRegistry {
  register(connection: Connection, expiresAt: number): Promise<void>;
  get(connectionId: string): Promise<Connection | undefined>;
  /** Removes the connection and all its subscriptions. Idempotent. */
  remove(connectionId: string): Promise<void>;
  subscribe(connection: Connection, topics: string[], expiresAt: number): Promise<void>;
  unsubscribe(connection: Connection, topics: string[]): Promise<void>;
  /** Connection ids subscribed to a tenant's topic. */
  subscribers(tenantId: string, topic: string): Promise<string[]>;
}

export type PushOutcome = 'delivered' | 'gone';

export interface ConnectionPusher {
  /** Sends `message` to one connection; `gone` when the connection no longer exists (HTTP 410). */
  push(connectionId: string, message: unknown): Promise<PushOutcome>;
}
