import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';

/**
 * One DynamoDB document client per Lambda container, created at cold start and injected into
 * repositories. The endpoint follows the SDK's standard `AWS_ENDPOINT_URL_DYNAMODB` variable, which is
 * how the local target points it at DynamoDB Local.
 */
export function createDocumentClient(
  client: DynamoDBClient = new DynamoDBClient({}),
): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

/** Every item a Query matches, following `LastEvaluatedKey` page by page. */
export async function queryAll(
  client: DynamoDBDocumentClient,
  input: Omit<QueryCommandInput, 'ExclusiveStartKey'>,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/** Every item of a partition whose sort key starts with `prefix`, read consistently. */
export function queryPrefix(
  client: DynamoDBDocumentClient,
  tableName: string,
  pk: string,
  prefix: string,
): Promise<Record<string, unknown>[]> {
  return queryAll(client, {
    TableName: tableName,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
    ConsistentRead: true,
  });
}

/**
 * Every item of `keys` that exists, read 100 keys per BatchGetItem (the groups in parallel),
 * retrying unprocessed keys with back-off. Order is not kept; callers match items by key.
 */
export async function batchGetAll(
  client: DynamoDBDocumentClient,
  tableName: string,
  keys: readonly { pk: string; sk: string }[],
  options: { consistent?: boolean; projection?: { expression: string; names: Record<string, string> } } = {},
): Promise<Record<string, unknown>[]> {
  const groups: { pk: string; sk: string }[][] = [];
  for (let i = 0; i < keys.length; i += 100) groups.push(keys.slice(i, i + 100));
  const pages = await Promise.all(
    groups.map(async (group) => {
      const items: Record<string, unknown>[] = [];
      let pending: Record<string, unknown>[] | undefined = group;
      for (let attempt = 0; pending && pending.length > 0; attempt += 1) {
        if (attempt > 8) throw new Error('DynamoDB left keys unprocessed.');
        if (attempt > 0) await new Promise((r) => setTimeout(r, 20 * 2 ** attempt));
        const result: BatchGetCommandOutput = await client.send(
          new BatchGetCommand({
            RequestItems: {
              [tableName]: {
                Keys: pending,
                ...(options.consistent ? { ConsistentRead: true } : {}),
                ...(options.projection
                  ? {
                      ProjectionExpression: options.projection.expression,
                      ExpressionAttributeNames: options.projection.names,
                    }
                  : {}),
              },
            },
          }),
        );
        items.push(...(result.Responses?.[tableName] ?? []));
        pending = result.UnprocessedKeys?.[tableName]?.Keys;
      }
      return items;
    }),
  );
  return pages.flat();
}
