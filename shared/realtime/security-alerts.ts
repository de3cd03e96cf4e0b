import * as z from 'zod';
import type { EventEnvelope } from '../events/dispatch';
import type { NotificationService } from './notifications';

/**
 * Turns a `vigil.security` / `Security Alert` event into a notification for every active admin of
 * the tenant (each pushed to the admin's own topic). Other events pass through untouched.
 */
const alertDetail = z.object({
  tenantId: z.string().min(1),
  type: z.string().min(1).max(100),
  severity: z.enum(['medium', 'high']),
  title: z.string().max(200),
  message: z.string().max(2000),
  value: z.number(),
  threshold: z.number(),
});

export interface SecurityAlertDeps {
  notifications: NotificationService;
  /** Ids of the tenant's active admins. */
  admins: (tenantId: string) => Promise<string[]>;
}

export const reactToSecurityAlert =
  (deps: SecurityAlertDeps) =>
  async (event: EventEnvelope): Promise<void> => {
    if (event.source !== 'vigil.security' || event['detail-type'] !== 'Security Alert') return;
    const alert = alertDetail.parse(event.detail);
    const admins = await deps.admins(alert.tenantId);
    await deps.notifications.notify(alert.tenantId, admins, {
      type: alert.type,
      severity: alert.severity,
      title: alert.title,
      message: alert.message,
      data: { value: alert.value, threshold: alert.threshold, eventId: event.id },
    });
  };
