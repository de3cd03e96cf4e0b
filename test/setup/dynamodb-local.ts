import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '../../infra/local/dynamodb-local';

/**
 * Vitest global setup for the integration project: one in-memory DynamoDB Local per run. Tests get
 * its endpoint through `inject('dynamodbEndpoint')` and create tables with random names
 * (`test/support/dynamodb.ts`).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const ddb = await startDynamoDbLocal({ cacheDir: join(process.cwd(), 'node_modules', '.cache', 'vigil') });
  project.provide('dynamodbEndpoint', ddb.endpoint);
  return () => ddb.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
  }
}
