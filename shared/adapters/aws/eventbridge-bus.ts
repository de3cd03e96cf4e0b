import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { EventBus, PlatformEvent } from '../../events/ports';

/** EventBridge accepts at most 10 entries per PutEvents call. */
const maxEntriesPerCall = 10;

export class EventBusPutError extends Error {
  override readonly name = 'EventBusPutError';
}

/**
 * EventBus over EventBridge `PutEvents` on our custom bus. Entries are sent in chunks of 10; a
 * partially failed call (FailedEntryCount > 0) rejects with the failing entries' error codes.
 */
export function eventBridgeBus(client: EventBridgeClient, busName: string): EventBus {
  return {
    async put(events: readonly PlatformEvent[]) {
      const eventIds: string[] = [];
      for (let i = 0; i < events.length; i += maxEntriesPerCall) {
        const chunk = events.slice(i, i + maxEntriesPerCall);
        const result = await client.send(
          new PutEventsCommand({
            Entries: chunk.map((event) => ({
              EventBusName: busName,
              Source: event.source,
              DetailType: event.detailType,
              Detail: JSON.stringify(event.detail),
            })),
          }),
        );
        if ((result.FailedEntryCount ?? 0) > 0) {
          const codes = (result.Entries ?? []).map((e) => e.ErrorCode).filter(Boolean);
          throw new EventBusPutError(
            `EventBridge rejected ${result.FailedEntryCount} event(s): ${codes.join(', ')}`,
          );
        }
        for (const entry of result.Entries ?? []) if (entry.EventId) eventIds.push(entry.EventId);
      }
      return { eventIds };
    },
  };
}
