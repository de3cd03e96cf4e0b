import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { attachConsumer, LocalQueue } from '../../../infra/local/sqs-queue';

function clock() {
  let now = 1_000_000;
  return { now: () => now, advance: (seconds: number) => (now += seconds * 1000) };
}

describe('local queue semantics', () => {
  it('hides a received message for the visibility timeout and redelivers it with a higher receive count', () => {
    const time = clock();
    const queue = new LocalQueue({ name: 'q', visibilityTimeoutSeconds: 30, now: time.now });
    queue.send('hello');

    const [first] = queue.receive(10);
    const hidden = queue.receive(10);
    time.advance(31);
    const [again] = queue.receive(10);

    expect(first?.receiveCount).toBe(1);
    expect(hidden).toEqual([]);
    expect(again?.receiveCount).toBe(2);
    expect(again?.messageId).toBe(first?.messageId);
    expect(queue.delete(first?.receiptHandle ?? '')).toBe(false);
    expect(queue.delete(again?.receiptHandle ?? '')).toBe(true);
  });

  it('honours delaySeconds', () => {
    const time = clock();
    const queue = new LocalQueue({ name: 'q', now: time.now });
    queue.send('later', { delaySeconds: 10 });

    const early = queue.receive();
    time.advance(10);

    expect(early).toEqual([]);
    expect(queue.receive().map((m) => m.body)).toEqual(['later']);
  });

  it('moves a message to the DLQ after maxReceiveCount receives, with its original body', () => {
    const time = clock();
    const dlq = new LocalQueue({ name: 'dlq', now: time.now });
    const queue = new LocalQueue({
      name: 'q',
      visibilityTimeoutSeconds: 1,
      redrive: { deadLetterQueue: dlq, maxReceiveCount: 3 },
      now: time.now,
    });
    queue.send('{"poison":true}');

    const counts: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      counts.push(...queue.receive().map((m) => m.receiveCount));
      time.advance(2);
    }

    expect(counts).toEqual([1, 2, 3]);
    expect(queue.stats()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    expect(dlq.peekBodies()).toEqual(['{"poison":true}']);
  });
});

describe('queue consumer (event source mapping)', () => {
  it('delivers batches up to batchSize and redelivers only the records reported as failures', async () => {
    const dlq = new LocalQueue({ name: 'dlq' });
    const queue = new LocalQueue({
      name: 'q',
      visibilityTimeoutSeconds: 0.05,
      redrive: { deadLetterQueue: dlq, maxReceiveCount: 3 },
    });
    for (const body of ['ok-1', 'bad', 'ok-2']) queue.send(body);
    const seen: Array<{ body: string; count: string; source: string }> = [];
    const batchSizes: number[] = [];

    const consumer = attachConsumer(
      queue,
      async (event: SQSEvent): Promise<SQSBatchResponse> => {
        batchSizes.push(event.Records.length);
        for (const r of event.Records) {
          seen.push({ body: r.body, count: r.attributes.ApproximateReceiveCount, source: r.eventSourceARN });
        }
        return {
          batchItemFailures: event.Records.filter((r) => r.body === 'bad').map((r) => ({
            itemIdentifier: r.messageId,
          })),
        };
      },
      { functionName: 'worker', batchSize: 2, pollIntervalMs: 10 },
    );
    await waitFor(() => dlq.peekBodies().length === 1);
    await consumer.stop();

    expect(Math.max(...batchSizes)).toBe(2);
    expect(seen.filter((s) => s.body === 'ok-1')).toHaveLength(1);
    expect(seen.filter((s) => s.body === 'ok-2')).toHaveLength(1);
    expect(seen.filter((s) => s.body === 'bad').map((s) => s.count)).toEqual(['1', '2', '3']);
    expect(seen[0]?.source).toBe(queue.arn);
    expect(dlq.peekBodies()).toEqual(['bad']);
    expect(queue.peekBodies()).toEqual([]);
  });

  it('redelivers the whole batch when the handler throws', async () => {
    const queue = new LocalQueue({ name: 'q', visibilityTimeoutSeconds: 0.05 });
    queue.send('a');
    queue.send('b');
    let calls = 0;
    const delivered: string[] = [];

    const consumer = attachConsumer(
      queue,
      async (event: SQSEvent) => {
        calls += 1;
        if (calls === 1) throw new Error('cold start crashed');
        delivered.push(...event.Records.map((r) => r.body));
        return { batchItemFailures: [] };
      },
      { functionName: 'worker', batchSize: 10, pollIntervalMs: 10 },
    );
    await waitFor(() => delivered.length === 2);
    await consumer.stop();

    expect(delivered.sort()).toEqual(['a', 'b']);
    expect(queue.peekBodies()).toEqual([]);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
