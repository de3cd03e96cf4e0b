import { SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
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

  it('sends one message per lookup, ten per batch, with the delay rounded up and capped at 15 minutes', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    const queue = sqsLookupQueue(new SQSClient({ region: 'us-east-1' }), 'https://sqs/q', 'https://sqs/dlq');
    const entries = Array.from({ length: 12 }, (_, i) => ({
      message: { ...message, index: i },
      delaySeconds: i === 0 ? 6.2 : i === 1 ? 5000 : 0,
    }));

    await queue.send(entries);

    const calls = sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.Entries?.length)).toEqual([10, 2]);
    expect(calls[0]?.QueueUrl).toBe('https://sqs/q');
    expect(calls[0]?.Entries?.slice(0, 2)).toEqual([
      { Id: '0', MessageBody: JSON.stringify({ ...message, index: 0 }), DelaySeconds: 7 },
      { Id: '1', MessageBody: JSON.stringify({ ...message, index: 1 }), DelaySeconds: 900 },
    ]);
    expect(calls[1]?.Entries?.map((e) => JSON.parse(e.MessageBody ?? '').index)).toEqual([10, 11]);
  });

  it('keeps a batch under 256 KiB of bodies', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Failed: [] });
    const queue = sqsLookupQueue(new SQSClient({ region: 'us-east-1' }), 'https://sqs/q', 'https://sqs/dlq');
    const big = {
      ...message,
      indicator: { type: 'url' as const, value: `https://example.com/${'a'.repeat(60_000)}` },
    };

    await queue.send(Array.from({ length: 10 }, () => ({ message: big, delaySeconds: 0 })));

    const sizes = sqs
      .commandCalls(SendMessageBatchCommand)
      .map((c) => (c.args[0].input.Entries ?? []).reduce((n, e) => n + (e.MessageBody?.length ?? 0), 0));
    expect(sizes.reduce((n, size) => n + size, 0)).toBeGreaterThan(600_000);
    expect(sizes.every((size) => size <= 256 * 1024)).toBe(true);
  });

  it('resends only the entries SQS failed transiently, and fails the send on a sender fault', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({ Failed: [{ Id: '1', Code: 'InternalError', SenderFault: false }] })
      .resolvesOnce({ Failed: [] });
    const queue = sqsLookupQueue(new SQSClient({ region: 'us-east-1' }), 'https://sqs/q', 'https://sqs/dlq');
    await queue.send([
      { message, delaySeconds: 0 },
      { message: { ...message, index: 1 }, delaySeconds: 0 },
    ]);
    const calls = sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input);
    expect(calls[1]?.Entries?.map((e) => e.Id)).toEqual(['1']);

    sqs.reset();
    sqs.on(SendMessageBatchCommand).resolves({
      Failed: [{ Id: '0', Code: 'InvalidParameterValue', Message: 'bad', SenderFault: true }],
    });
    await expect(queue.send([{ message, delaySeconds: 0 }])).rejects.toThrow(/InvalidParameterValue/);
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
