import { describe, expect, it } from 'vitest';
import { dynamoDbProbe } from '../../../shared/adapters/aws/dynamodb-probe';
import { createTestTables } from '../../support/dynamodb';

describe('DynamoDB health probe', () => {
  it('succeeds against an existing table and fails against a missing one', async () => {
    const { doc, names } = await createTestTables();

    await expect(dynamoDbProbe(doc, names.state).check()).resolves.toBeUndefined();
    await expect(dynamoDbProbe(doc, 'no-such-table').check()).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });
});
