import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { RateLimiter } from '../../platform/rate-limit';

/**
 * RateLimiter on the state table: one item per (key, window) — `RL#<key>#<windowStart>` — counted
 * with an atomic ADD and expired by TTL shortly after its window.
 */
export function dynamoRateLimiter(
  client: DynamoDBDocumentClient,
  tableName: string,
  now: () => number = Date.now,
): RateLimiter {
  return {
    async hit(key, limit, windowSeconds) {
      const nowSeconds = Math.floor(now() / 1000);
      const windowStart = nowSeconds - (nowSeconds % windowSeconds);
      const windowEnd = windowStart + windowSeconds;
      const result = await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk: `RL#${key}#${windowStart}`, sk: 'RL' },
          UpdateExpression: 'ADD hits :one SET #ttl = if_not_exists(#ttl, :ttl)',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':one': 1, ':ttl': windowEnd + 60 },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      const count = Number(result.Attributes?.hits ?? 1);
      return { allowed: count <= limit, retryAfterSeconds: Math.max(1, windowEnd - nowSeconds), count };
    },
  };
}
