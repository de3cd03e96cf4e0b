import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Notification, NotificationStore } from '../../realtime/notifications';

/**
 * Notifications on the state table: `T#<tid> / NOTIF#<userId>#<id>` (ids sort by time, so a reverse
 * Query is newest first), expired by TTL. The cursor is the last id of a page.
 */
export function dynamoNotificationStore(
  client: DynamoDBDocumentClient,
  tableName: string,
): NotificationStore {
  const key = (tenantId: string, userId: string, id: string) => ({
    pk: `T#${tenantId}`,
    sk: `NOTIF#${userId}#${id}`,
  });
  const toNotification = (item: Record<string, unknown>): Notification => ({
    id: String(item.id),
    tenantId: String(item.tenantId),
    userId: String(item.userId),
    type: String(item.notificationType),
    severity: item.severity as Notification['severity'],
    title: String(item.title),
    message: String(item.message),
    ...(item.data ? { data: item.data as Record<string, unknown> } : {}),
    createdAt: String(item.createdAt),
    read: item.read === true,
  });

  /** One Query page, newest first, continuing after `after` (a notification id). */
  const query = async (
    tenantId: string,
    userId: string,
    limit: number,
    unreadOnly: boolean,
    after?: string,
  ) => {
    const page = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ...(unreadOnly
          ? { FilterExpression: '#read = :no', ExpressionAttributeNames: { '#read': 'read' } }
          : {}),
        ExpressionAttributeValues: {
          ':pk': `T#${tenantId}`,
          ':prefix': `NOTIF#${userId}#`,
          ...(unreadOnly ? { ':no': false } : {}),
        },
        ...(after ? { ExclusiveStartKey: key(tenantId, userId, after) } : {}),
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    const last = page.LastEvaluatedKey?.sk;
    return {
      items: page.Items ?? [],
      // Where the next page starts, even when the filter left this one empty.
      next: typeof last === 'string' ? last.slice(`NOTIF#${userId}#`.length) : undefined,
    };
  };

  return {
    async put(notification, expiresAt) {
      const { type, ...rest } = notification;
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            ...key(notification.tenantId, notification.userId, notification.id),
            type: 'notification',
            notificationType: type,
            ...rest,
            ttl: expiresAt,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    },

    async list(tenantId, userId, options) {
      const items: Record<string, unknown>[] = [];
      let next = options.cursor;
      // A filtered page can come back short: keep reading until the page is full or the list ends.
      do {
        const page = await query(tenantId, userId, options.limit, options.unreadOnly, next);
        items.push(...page.items);
        next = page.next;
      } while (items.length < options.limit && next);
      const pageItems = items.slice(0, options.limit).map(toNotification);
      const last = pageItems.at(-1);
      const more = items.length > options.limit || next !== undefined;
      return { items: pageItems, ...(more && last ? { nextCursor: last.id } : {}) };
    },

    async setRead(tenantId, userId, id, read) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: key(tenantId, userId, id),
            UpdateExpression: 'SET #read = :read',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeNames: { '#read': 'read' },
            ExpressionAttributeValues: { ':read': read },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },

    async markAllRead(tenantId, userId) {
      let changed = 0;
      let next: string | undefined;
      do {
        const page = await query(tenantId, userId, 100, true, next);
        for (const item of page.items) {
          if (await this.setRead(tenantId, userId, String(item.id), true)) changed += 1;
        }
        next = page.next;
      } while (next);
      return changed;
    },
  };
}
