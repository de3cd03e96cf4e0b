import { principalRouteDepsFromEnv } from '../../shared/adapters/aws/http-deps';
import { dynamoNotificationStore } from '../../shared/adapters/aws/notification-store';
import {
  listNotificationsRoute,
  markAllNotificationsReadRoute,
  updateNotificationRoute,
} from '../../shared/api/notifications';
import type { Principal } from '../../shared/identity/principal';
import { NotFoundError, UnauthorizedError } from '../../shared/platform/errors';
import { httpHandler, implement, reply } from '../../shared/platform/http/handler';
import { tracer } from '../../shared/platform/tracing';

const { documents, table, audit, limiter, security } = principalRouteDepsFromEnv(tracer);
const store = dynamoNotificationStore(documents, table);
const owner = (principal: Principal | undefined) => {
  if (!principal) throw new UnauthorizedError();
  return { tenantId: principal.tenantId, userId: principal.id };
};

export const handler = httpHandler(
  [
    implement(listNotificationsRoute, async ({ query, principal }) => {
      const { tenantId, userId } = owner(principal);
      return store.list(tenantId, userId, {
        unreadOnly: query.unread,
        limit: query.limit,
        cursor: query.cursor,
      });
    }),
    implement(updateNotificationRoute, async ({ params, body, principal }) => {
      const { tenantId, userId } = owner(principal);
      if (!(await store.setRead(tenantId, userId, params.id, body.read))) {
        throw new NotFoundError('No such notification.', 'notification_not_found');
      }
      return reply(204, undefined);
    }),
    implement(markAllNotificationsReadRoute, async ({ principal }) => {
      const { tenantId, userId } = owner(principal);
      return { updated: await store.markAllRead(tenantId, userId) };
    }),
  ],
  { tracer, limiter, audit, securityEvents: security.events },
);
