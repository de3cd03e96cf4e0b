import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { DependencyProbe } from '../../platform/health';

/**
 * Health probe doing a real DynamoDB round trip: a consistent GetItem of a fixed key. It needs read
 * access only and proves the table exists, the key policy lets us decrypt and the network path works.
 */
export function dynamoDbProbe(client: DynamoDBDocumentClient, tableName: string): DependencyProbe {
  return {
    async check() {
      await client.send(
        new GetCommand({
          TableName: tableName,
          Key: { pk: 'PLATFORM#health', sk: 'PLATFORM#health' },
          ConsistentRead: true,
        }),
      );
    },
  };
}
