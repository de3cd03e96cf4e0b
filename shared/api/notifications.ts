import * as z from 'zod';
import { defineRoute } from '../platform/http/route';

/** The caller's notifications (security alerts and more), also pushed to their `user:<id>` topic. */
const notification = z
  .object({
    id: z.string(),
    type: z.string(),
    severity: z.enum(['info', 'low', 'medium', 'high']),
    title: z.string(),
    message: z.string(),
    data: z.record(z.string(), z.unknown()).optional(),
    createdAt: z.string(),
    read: z.boolean(),
  })
  .meta({ id: 'Notification' });

const notificationId = z.object({ id: z.string().regex(/^[0-9a-z]{21}$/, 'Not a notification id.') });

export const listNotificationsRoute = defineRoute({
  operationId: 'listNotifications',
  method: 'GET',
  path: '/v1/notifications',
  fn: 'realtime-notifications',
  auth: 'principal',
  permission: 'session:own',
  summary: 'Your notifications, newest first',
  tags: ['notifications'],
  request: {
    query: z.object({
      unread: z
        .enum(['true', 'false'])
        .optional()
        .transform((v) => v === 'true'),
      cursor: notificationId.shape.id.optional(),
      limit: z.coerce.number().int().min(1).max(100).default(50),
    }),
  },
  responses: {
    200: {
      description: 'A page of notifications',
      schema: z.object({ items: z.array(notification), nextCursor: z.string().optional() }),
    },
  },
});

export const updateNotificationRoute = defineRoute({
  operationId: 'updateNotification',
  method: 'PUT',
  path: '/v1/notifications/{id}',
  fn: 'realtime-notifications',
  auth: 'principal',
  permission: 'session:own',
  summary: 'Mark a notification read or unread',
  tags: ['notifications'],
  request: { params: notificationId, body: z.object({ read: z.boolean() }) },
  responses: { 204: { description: 'Updated' }, 404: { description: 'No such notification' } },
});

export const markAllNotificationsReadRoute = defineRoute({
  operationId: 'markAllNotificationsRead',
  method: 'POST',
  path: '/v1/notifications/mark-all-read',
  fn: 'realtime-notifications',
  auth: 'principal',
  permission: 'session:own',
  summary: 'Mark every notification read',
  tags: ['notifications'],
  responses: { 200: { description: 'How many changed', schema: z.object({ updated: z.number().int() }) } },
});

export const notificationRoutes = [
  listNotificationsRoute,
  markAllNotificationsReadRoute,
  updateNotificationRoute,
];
