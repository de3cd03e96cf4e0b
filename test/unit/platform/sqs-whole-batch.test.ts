import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { localLambdaContext } from '../../../infra/local/lambda-context';
import { sqsWholeBatchHandler } from '../../../shared/platform/sqs';
import { loadEvent } from '../../support/events';

describe('SQS worker that handles a batch as a whole', () => {
  it('hands every parsable record over at once and reports the unparsable and the rejected ones', async () => {
    const seen: { provider: string }[][] = [];
    const counts: number[][] = [];
    const handler = sqsWholeBatchHandler(
      (record) => JSON.parse(record.body) as { provider: string },
      async (items, receiveCounts) => {
        seen.push([...items]);
        counts.push([...receiveCounts]);
        return items.map((item) =>
          item.provider === 'otx'
            ? { status: 'rejected', reason: new Error('store outage') }
            : { status: 'fulfilled', value: 'done' },
        );
      },
    );

    const result = (await handler(
      loadEvent<SQSEvent>('sqs/enrichment-lookup-batch'),
      localLambdaContext('enrichment-worker'),
    )) as SQSBatchResponse;

    expect(seen.map((batch) => batch.map((m) => m.provider))).toEqual([['virustotal', 'otx']]);
    expect(counts).toEqual([[1, 1]]);
    expect(result.batchItemFailures).toEqual([
      { itemIdentifier: '6f1c2a8e-0d4b-4a51-9b7e-1f3c5d7e9a03' },
      { itemIdentifier: '6f1c2a8e-0d4b-4a51-9b7e-1f3c5d7e9a02' },
    ]);
  });

  it('fails every parsed record when the batch as a whole throws', async () => {
    const handler = sqsWholeBatchHandler(
      (record) => JSON.parse(record.body) as unknown,
      async () => {
        throw new Error('boom');
      },
    );

    const result = (await handler(
      loadEvent<SQSEvent>('sqs/enrichment-lookup-batch'),
      localLambdaContext('enrichment-worker'),
    )) as SQSBatchResponse;

    expect(result.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual([
      '6f1c2a8e-0d4b-4a51-9b7e-1f3c5d7e9a01',
      '6f1c2a8e-0d4b-4a51-9b7e-1f3c5d7e9a02',
      '6f1c2a8e-0d4b-4a51-9b7e-1f3c5d7e9a03',
    ]);
  });
});
