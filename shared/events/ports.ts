/**
 * Port through which any context puts platform events on the bus (EventBridge in AWS, the local bus
 * locally). Sources are `vigil.<context>`; `detail` carries the owning `tenantId` when there is one.
 */
export interface PlatformEvent {
  source: string;
  detailType: string;
  detail: Record<string, unknown>;
}

export interface EventBus {
  /** Puts the events; rejects if any entry was not accepted, so callers can retry. */
  put(events: readonly PlatformEvent[]): Promise<{ eventIds: string[] }>;
}
