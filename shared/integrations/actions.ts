import { BadRequestError, NotFoundError, VigilError } from '../platform/errors';
import type { VelociraptorAdapter } from './adapters/velociraptor';
import { OutboundError, OutboundNotFoundError } from './http/errors';
import type {
  NotificationAdapter,
  OutboundMessage,
  TicketAdapter,
  TicketInput,
  WebhookAdapter,
} from './ports';
import { describeFailure, type IntegrationService } from './service';

/**
 * The outbound actions analysts and playbooks take through integrations: notify (one or every
 * enabled notification integration, each outcome reported), open a ticket, deliver a signed webhook,
 * and Velociraptor collections and hunts. A provider failure is a 502 whose message says what to fix,
 * never a 500, and never carries a credential.
 */
export class IntegrationCallError extends VigilError {
  override readonly name = 'IntegrationCallError';
  override readonly status = 502;
  override readonly code = 'integration_failed';
  override readonly extensions: Record<string, unknown>;

  constructor(integration: string, message: string, options?: { cause?: unknown }) {
    super(`${integration}: ${message}`, options);
    this.extensions = { integration };
  }

  /** The message is built from `describeFailure`, which is safe to show. */
  override get expose(): boolean {
    return true;
  }
}

const wrongKind = (name: string, kind: string) =>
  new BadRequestError(`The integration '${name}' is not a ${kind} integration.`, 'wrong_integration_kind');

export function integrationActions(integrations: IntegrationService) {
  /** Runs a provider call, turning its typed failures into a 502 that says what happened. */
  const attempt = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      if (error instanceof OutboundError) {
        throw new IntegrationCallError(name, describeFailure(error).message, { cause: error });
      }
      throw error;
    }
  };

  return {
    async notify(
      tenantId: string,
      input: { integrations?: string[]; message: OutboundMessage },
    ): Promise<{ results: { integration: string; ok: boolean; id?: string; error?: string }[] }> {
      const targets = input.integrations ?? (await integrations.enabledOf(tenantId, 'notification'));
      if (targets.length === 0) {
        throw new BadRequestError(
          'No notification integration is enabled. Configure one under /v1/integrations first.',
          'no_notification_integration',
        );
      }
      const results = await Promise.all(
        targets.map(async (name) => {
          try {
            const sent = await integrations.use<NotificationAdapter, { id?: string }>(
              tenantId,
              name,
              (adapter, ctx) => {
                if (adapter.kind !== 'notification') throw wrongKind(name, 'notification');
                return adapter.send(ctx, input.message);
              },
            );
            return { integration: name, ok: true, ...(sent.id ? { id: sent.id } : {}) };
          } catch (error) {
            if (error instanceof VigilError && error.status < 500) {
              return { integration: name, ok: false, error: error.message };
            }
            return { integration: name, ok: false, error: describeFailure(error).message };
          }
        }),
      );
      return { results };
    },

    createTicket: (tenantId: string, name: string, ticket: TicketInput) =>
      attempt(name, () =>
        integrations.use<TicketAdapter, { id: string; number?: number | string; url: string }>(
          tenantId,
          name,
          (adapter, ctx) => {
            if (adapter.kind !== 'ticketing') throw wrongKind(name, 'ticketing');
            return adapter.create(ctx, ticket);
          },
        ),
      ),

    deliverWebhook: (tenantId: string, name: string, payload: Record<string, unknown>) =>
      attempt(name, () =>
        integrations.use<WebhookAdapter, { status: number; id: string }>(tenantId, name, (adapter, ctx) => {
          if (adapter.kind !== 'webhook') throw wrongKind(name, 'webhook');
          return adapter.deliver(ctx, payload);
        }),
      ),

    /** Runs one Velociraptor operation with the tenant's `velociraptor` integration. */
    async velociraptor<T>(
      tenantId: string,
      run: (adapter: VelociraptorAdapter, ctx: Parameters<VelociraptorAdapter['test']>[0]) => Promise<T>,
    ): Promise<T> {
      try {
        return await attempt('velociraptor', () =>
          integrations.use<VelociraptorAdapter, T>(tenantId, 'velociraptor', run),
        );
      } catch (error) {
        // An unknown client or hunt is the caller's id being wrong, not the server failing.
        if (error instanceof IntegrationCallError && error.cause instanceof OutboundNotFoundError) {
          throw new NotFoundError(error.message, 'velociraptor_not_found');
        }
        throw error;
      }
    },
  };
}

export type IntegrationActions = ReturnType<typeof integrationActions>;
