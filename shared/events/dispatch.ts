import * as z from 'zod';
import { BadRequestError } from '../platform/errors';

/**
 * Platform events as EventBridge delivers them (the envelope), and their delivery to the owning
 * tenant's `events` WebSocket topic. Events without a tenant are platform-internal and not pushed.
 */
export const eventEnvelope = z.object({
  id: z.string(),
  source: z.string(),
  'detail-type': z.string(),
  time: z.string(),
  detail: z.looseObject({ tenantId: z.string().min(1).optional() }),
});

export type EventEnvelope = z.infer<typeof eventEnvelope>;

export const eventsTopic = 'events';

export interface EventDispatchDeps {
  publish: (tenantId: string, topic: string, message: unknown) => Promise<{ delivered: number }>;
  /** Reactions beyond the push, such as turning a security alert into notifications; run first. */
  react?: (event: EventEnvelope) => Promise<void>;
}

export const dispatchEvent =
  (deps: EventDispatchDeps) =>
  async (raw: string): Promise<{ tenantId?: string; delivered: number }> => {
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (err) {
      throw new BadRequestError('Event body is not JSON.', 'malformed_event', { cause: err });
    }
    const parsed = eventEnvelope.safeParse(json);
    if (!parsed.success)
      throw new BadRequestError('Event is not an EventBridge envelope.', 'malformed_event');
    const event = parsed.data;
    await deps.react?.(event);
    const tenantId = event.detail.tenantId;
    if (!tenantId) return { delivered: 0 };
    const { delivered } = await deps.publish(tenantId, eventsTopic, {
      id: event.id,
      source: event.source,
      detailType: event['detail-type'],
      time: event.time,
      detail: event.detail,
    });
    return { tenantId, delivered };
  };
