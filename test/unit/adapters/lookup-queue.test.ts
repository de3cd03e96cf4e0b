import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { sqsLookupQueue } from '../../../shared/adapters/aws/lookup-queue';
import type { LookupMessage } from '../../../shared/enrichment/engine';

const sqs = mockClient(SQSClient);
const message: LookupMessage = {
  tenantId: 't1',
  jobId: 'enr_1',
  index: 0,
  provider: 'abuseipdb',
  indicator: { type: 'ipv4', value: '185.220.101.34' },
  attempt: 2,
};

describe('SQS lookup queue', () => {
  afterEach(() => sqs.reset());

  it('sends one message per lookup with the delay rounded up and capped at 15 minutes', async () => {
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm1' });
    const queue = sqsLookupQueue(new SQSClient({ region: 'us-east-1' }), 'https://sqs/q', 'https://sqs/dlq');

    await queue.send(message, 6.2);
    await queue.send(message, 5000);

    const calls = sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input);
    expect(calls).toEqual([
      { QueueUrl: 'https://sqs/q', MessageBody: JSON.stringify(message), DelaySeconds: 7 },
      { QueueUrl: 'https://sqs/q', MessageBody: JSON.stringify(message), DelaySeconds: 900 },
    ]);
  });

  it('parks a message in the DLQ with its reason', async () => {
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm2' });
    const queue = sqsLookupQueue(new SQSClient({ region: 'us-east-1' }), 'https://sqs/q', 'https://sqs/dlq');

    await queue.deadLetter(message, 'upstream after 4 attempts: 503');

    expect(sqs.commandCalls(SendMessageCommand)[0]?.args[0].input).toEqual({
      QueueUrl: 'https://sqs/dlq',
      MessageBody: JSON.stringify(message),
      MessageAttributes: { reason: { DataType: 'String', StringValue: 'upstream after 4 attempts: 503' } },
    });
  });
});
