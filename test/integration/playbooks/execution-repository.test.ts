import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  dynamoExecutionRepository,
  maxRecordedJson,
} from '../../../shared/adapters/aws/execution-repository';
import { createTestTables } from '../../support/dynamodb';

describe('DynamoDB execution repository', () => {
  it('upserts step records per (execution, step), counting attempts, and records the outcome', async () => {
    const { doc, names } = await createTestTables();
    const repo = dynamoExecutionRepository(doc, names.state);
    const base = { tenantId: 't1', executionId: 'e1', index: 2, stepId: 's', action: 'log', input: { a: 1 } };

    await repo.recordStep({ ...base, status: 'running', at: '2026-11-22T18:00:00.000Z' });
    await repo.recordStep({
      ...base,
      status: 'failed',
      error: { name: 'TransientActionError', message: 'busy' },
      at: '2026-11-22T18:00:01.000Z',
    });
    await repo.recordStep({ ...base, status: 'running', at: '2026-11-22T18:00:02.000Z' });
    await repo.recordStep({
      ...base,
      status: 'succeeded',
      output: { big: 'x'.repeat(20_000) },
      at: '2026-11-22T18:00:03.000Z',
    });
    await repo.recordOutcome({
      tenantId: 't1',
      executionId: 'e1',
      status: 'succeeded',
      results: [],
      at: '2026-11-22T18:00:04.000Z',
    });
    await repo.recordStep({ ...base, tenantId: 't2', status: 'running', at: '2026-11-22T18:00:05.000Z' });

    const items = await doc.send(
      new QueryCommand({
        TableName: names.state,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :exec)',
        ExpressionAttributeValues: { ':pk': 'T#t1', ':exec': 'EXEC#e1' },
      }),
    );

    expect(items.Items?.map((i) => i.sk)).toEqual(['EXEC#e1', 'EXEC#e1#STEP#0002']);
    const step = items.Items?.[1];
    expect(step).toMatchObject({
      status: 'succeeded',
      attempts: 2,
      startedAt: '2026-11-22T18:00:00.000Z',
      finishedAt: '2026-11-22T18:00:03.000Z',
      errorName: 'TransientActionError',
    });
    expect(String(step?.outputJson).length).toBeLessThanOrEqual(maxRecordedJson + 20);
    expect(items.Items?.[0]).toMatchObject({ status: 'succeeded', type: 'execution' });
    expect(typeof step?.ttl).toBe('number');
  });
});
