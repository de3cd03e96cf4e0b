import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { localLambdaContext } from '../../../infra/local/lambda-context';
import { dispatchEvent, eventsTopic } from '../../../shared/events/dispatch';
import { sqsBatchHandler } from '../../../shared/platform/sqs';
import { loadEvent } from '../../support/events';

describe('event dispatch from the events queue', () => {
  it('pushes tenant events to the tenant topic and reports only the bad record as a batch failure', async () => {
    const published: Array<[string, string, unknown]> = [];
    const dispatch = dispatchEvent({
      publish: async (tenantId, topic, message) => {
        published.push([tenantId, topic, message]);
        return { delivered: 1 };
      },
    });
    const handler = sqsBatchHandler(async (record) => {
      await dispatch(record.body);
    });

    const result = (await handler(
      loadEvent<SQSEvent>('sqs/events-queue-batch'),
      localLambdaContext('events-dispatcher'),
    )) as SQSBatchResponse;

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: '2e1424d4-f796-459a-8184-9c92662be6da' }]);
    expect(published).toEqual([
      [
        't_01HZX3Q7K9',
        eventsTopic,
        expect.objectContaining({ source: 'vigil.enrichment', detailType: 'Indicator Verdict' }),
      ],
    ]);
  });

  it('does not push events that belong to no tenant', async () => {
    const event = loadEvent<Record<string, unknown>>('eventbridge/indicator-verdict');
    (event.detail as Record<string, unknown>).tenantId = undefined;
    let calls = 0;

    const result = await dispatchEvent({
      publish: async () => {
        calls += 1;
        return { delivered: 0 };
      },
    })(JSON.stringify(event));

    expect(result).toEqual({ delivered: 0 });
    expect(calls).toBe(0);
  });

  it('fails a failing push so the record is retried', async () => {
    const dispatch = dispatchEvent({
      publish: async () => {
        throw new Error('throttled');
      },
    });

    await expect(dispatch(JSON.stringify(loadEvent('eventbridge/indicator-verdict')))).rejects.toThrow(
      'throttled',
    );
  });
});
