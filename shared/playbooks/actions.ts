import * as z from 'zod';
import type { EventBus } from '../events/ports';
import { ActionFailedError, TransientActionError } from './errors';
import type { ActionHandler } from './ports';

/**
 * The foundation's built-in actions. Later contexts register more (notify, create case, block IP,
 * isolate host, ...) in the same registry.
 */
export interface BuiltInActionDeps {
  bus: EventBus;
  /** Pushes to a tenant's WebSocket topic. */
  publishToTopic: (tenantId: string, topic: string, message: unknown) => Promise<{ delivered: number }>;
}

const publishParams = z.object({
  detailType: z.string().min(1).max(128),
  detail: z.record(z.string(), z.unknown()).default({}),
});

const pushParams = z.object({ topic: z.string().min(1).max(128), message: z.unknown() });

const logParams = z.object({ message: z.string().min(1).max(2000) });

function parse<T>(schema: z.ZodType<T>, params: unknown, action: string): T {
  const result = schema.safeParse(params);
  if (!result.success) {
    const fields = result.error.issues.map((i) => `${i.path.join('.') || 'params'}: ${i.message}`).join('; ');
    throw new ActionFailedError(`Invalid params for ${action}: ${fields}`);
  }
  return result.data;
}

/** Wraps infrastructure failures as transient, so the state machine retries them. */
async function transient<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw new TransientActionError('A dependency failed; the step will be retried.', { cause: error });
  }
}

export function builtInActions(deps: BuiltInActionDeps): Record<string, ActionHandler> {
  return {
    'event.publish': async (params, ctx) => {
      const p = parse(publishParams, params, 'event.publish');
      const { eventIds } = await transient(() =>
        deps.bus.put([
          {
            source: 'vigil.playbooks',
            detailType: p.detailType,
            detail: { ...p.detail, tenantId: ctx.tenantId, executionId: ctx.executionId, stepId: ctx.stepId },
          },
        ]),
      );
      return { eventId: eventIds[0] };
    },
    'realtime.push': async (params, ctx) => {
      const p = parse(pushParams, params, 'realtime.push');
      return transient(() => deps.publishToTopic(ctx.tenantId, p.topic, p.message));
    },
    log: async (params) => {
      const p = parse(logParams, params, 'log');
      return { logged: p.message };
    },
  };
}
