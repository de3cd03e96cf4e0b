import { randomBytes } from 'node:crypto';

/**
 * Notifications: messages kept for a user (security alerts, later playbook approvals and job
 * results), listed newest first, marked read one by one or all at once (the store, used directly by
 * the API), and pushed as they are created to the user's own WebSocket topic `user:<userId>`.
 */
export interface Notification {
  id: string;
  tenantId: string;
  userId: string;
  type: string;
  severity: 'info' | 'low' | 'medium' | 'high';
  title: string;
  message: string;
  data?: Record<string, unknown>;
  createdAt: string;
  read: boolean;
}

export interface NotificationStore {
  put(notification: Notification, expiresAt: number): Promise<void>;
  /** Newest first; `unreadOnly` filters. */
  list(
    tenantId: string,
    userId: string,
    options: { unreadOnly: boolean; limit: number; cursor?: string },
  ): Promise<{ items: Notification[]; nextCursor?: string }>;
  /** Sets `read`; false when the user has no such notification. */
  setRead(tenantId: string, userId: string, id: string, read: boolean): Promise<boolean>;
  /** Marks every unread notification of the user read; returns how many changed. */
  markAllRead(tenantId: string, userId: string): Promise<number>;
}

/** The WebSocket topic only `userId`'s own connections may subscribe to. */
export const userTopic = (userId: string) => `user:${userId}`;

/** Notifications are kept for 90 days. */
export const notificationLifetimeSeconds = 90 * 24 * 60 * 60;

export interface NotificationDeps {
  store: NotificationStore;
  publish: (tenantId: string, topic: string, message: unknown) => Promise<unknown>;
  now: () => number;
}

/** Sortable ids: creation time first, then randomness. */
function notificationId(now: number): string {
  return `${now.toString(36).padStart(9, '0')}${randomBytes(6).toString('hex')}`;
}

export function notificationService(deps: NotificationDeps) {
  return {
    /** Creates one notification per recipient and pushes each to its recipient's topic. */
    async notify(
      tenantId: string,
      userIds: readonly string[],
      content: Pick<Notification, 'type' | 'severity' | 'title' | 'message' | 'data'>,
    ): Promise<Notification[]> {
      const now = deps.now();
      const created = userIds.map(
        (userId): Notification => ({
          id: notificationId(now),
          tenantId,
          userId,
          ...content,
          createdAt: new Date(now).toISOString(),
          read: false,
        }),
      );
      const expiresAt = Math.floor(now / 1000) + notificationLifetimeSeconds;
      for (const notification of created) {
        await deps.store.put(notification, expiresAt);
        await deps.publish(tenantId, userTopic(notification.userId), { type: 'notification', notification });
      }
      return created;
    },
  };
}

export type NotificationService = ReturnType<typeof notificationService>;
