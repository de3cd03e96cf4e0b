import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  QueueDoesNotExist,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningAwsServices, startAwsServices } from '../../../infra/local/aws-services';
import { LocalEventBus } from '../../../infra/local/event-bus';
import { LocalQueue } from '../../../infra/local/sqs-queue';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

describe('local AWS endpoint with the real SDK clients', () => {
  const queue = new LocalQueue({ name: 'vigil-test-events' });
  const ruled = new LocalQueue({ name: 'vigil-test-ruled' });
  const bus = new LocalEventBus('vigil-test');
  bus.addRule('vigil-only', { source: [{ prefix: 'vigil.' }] }, [ruled]);
  let aws: RunningAwsServices;
  let sqs: SQSClient;
  let events: EventBridgeClient;

  beforeAll(async () => {
    aws = await startAwsServices({ host: '127.0.0.1', queues: [queue, ruled], buses: [bus] });
    sqs = new SQSClient({ endpoint: aws.url, region: 'us-east-1', credentials });
    events = new EventBridgeClient({ endpoint: aws.url, region: 'us-east-1', credentials });
  });

  afterAll(async () => {
    await aws?.close();
  });

  it('sends, receives and deletes SQS messages', async () => {
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: 'vigil-test-events' }));
    const sent = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: '{"n":1}' }));
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: [
          { Id: 'a', MessageBody: '{"n":2}' },
          { Id: 'b', MessageBody: '{"n":3}' },
        ],
      }),
    );

    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
    for (const m of received.Messages ?? []) {
      await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle }));
    }
    const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }));

    expect(sent.MessageId).toBeTruthy();
    expect(received.Messages?.map((m) => m.Body)).toEqual(['{"n":1}', '{"n":2}', '{"n":3}']);
    expect(attributes.Attributes?.ApproximateNumberOfMessages).toBe('0');
  });

  it('answers an unknown queue with the SDK’s QueueDoesNotExist error', async () => {
    await expect(sqs.send(new GetQueueUrlCommand({ QueueName: 'nope' }))).rejects.toBeInstanceOf(
      QueueDoesNotExist,
    );
  });

  it('puts events on the bus; matching ones reach the rule’s queue as EventBridge envelopes', async () => {
    const result = await events.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: 'vigil-test',
            Source: 'vigil.test',
            DetailType: 'Ping',
            Detail: '{"tenantId":"t1"}',
          },
          { EventBusName: 'vigil-test', Source: 'other.app', DetailType: 'Ping', Detail: '{}' },
          { EventBusName: 'vigil-test', Source: 'vigil.test', DetailType: 'Bad', Detail: 'not json' },
        ],
      }),
    );

    expect(result.FailedEntryCount).toBe(1);
    expect(result.Entries?.[2]?.ErrorCode).toBe('MalformedDetail');
    const bodies = ruled.peekBodies().map((b) => JSON.parse(b));
    expect(bodies).toEqual([
      expect.objectContaining({
        version: '0',
        source: 'vigil.test',
        'detail-type': 'Ping',
        account: '000000000000',
        detail: { tenantId: 't1' },
      }),
    ]);
  });
});
