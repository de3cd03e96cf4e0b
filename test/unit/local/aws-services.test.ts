import { createPublicKey, verify } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  DecryptCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GetPublicKeyCommand,
  InvalidCiphertextException,
  KMSClient,
  SignCommand,
} from '@aws-sdk/client-kms';
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
import { loadOrCreateLocalKeys } from '../../../infra/local/local-keys';
import { LocalQueue } from '../../../infra/local/sqs-queue';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

describe('local AWS endpoint with the real SDK clients', () => {
  const queue = new LocalQueue({ name: 'vigil-test-events' });
  const ruled = new LocalQueue({ name: 'vigil-test-ruled' });
  const bus = new LocalEventBus('vigil-test');
  bus.addRule('vigil-only', { source: [{ prefix: 'vigil.' }] }, [ruled]);
  const keysDir = join(mkdtempSync(join(tmpdir(), 'vigil-keys-')), 'keys');
  let aws: RunningAwsServices;
  let sqs: SQSClient;
  let events: EventBridgeClient;
  let kms: KMSClient;

  beforeAll(async () => {
    aws = await startAwsServices({
      host: '127.0.0.1',
      queues: [queue, ruled],
      buses: [bus],
      keys: loadOrCreateLocalKeys(keysDir),
    });
    sqs = new SQSClient({ endpoint: aws.url, region: 'us-east-1', credentials });
    events = new EventBridgeClient({ endpoint: aws.url, region: 'us-east-1', credentials });
    kms = new KMSClient({ endpoint: aws.url, region: 'us-east-1', credentials });
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

  it('signs with the file-backed P-256 key so that GetPublicKey verifies it, as KMS does', async () => {
    const message = Buffer.from('header.payload');

    const signed = await kms.send(
      new SignCommand({
        KeyId: aws.keyArns.signing,
        Message: message,
        MessageType: 'RAW',
        SigningAlgorithm: 'ECDSA_SHA_256',
      }),
    );
    const { PublicKey, KeySpec } = await kms.send(new GetPublicKeyCommand({ KeyId: aws.keyArns.signing }));
    const publicKey = createPublicKey({
      key: Buffer.from(PublicKey ?? new Uint8Array()),
      format: 'der',
      type: 'spki',
    });

    expect(KeySpec).toBe('ECC_NIST_P256');
    expect(verify('sha256', message, publicKey, Buffer.from(signed.Signature ?? new Uint8Array()))).toBe(
      true,
    );
    expect(
      verify('sha256', Buffer.from('tampered'), publicKey, Buffer.from(signed.Signature ?? new Uint8Array())),
    ).toBe(false);
  });

  it('encrypts under the data key bound to the encryption context', async () => {
    const context = { tenantId: 't1', integration: 'virustotal' };
    const encrypted = await kms.send(
      new EncryptCommand({
        KeyId: aws.keyArns.data,
        Plaintext: Buffer.from('api-key-123'),
        EncryptionContext: context,
      }),
    );
    const dataKey = await kms.send(
      new GenerateDataKeyCommand({ KeyId: aws.keyArns.data, KeySpec: 'AES_256', EncryptionContext: context }),
    );

    const decrypted = await kms.send(
      new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, EncryptionContext: context }),
    );
    const unwrapped = await kms.send(
      new DecryptCommand({ CiphertextBlob: dataKey.CiphertextBlob, EncryptionContext: context }),
    );

    expect(Buffer.from(decrypted.Plaintext ?? new Uint8Array()).toString()).toBe('api-key-123');
    expect(Buffer.from(unwrapped.Plaintext ?? new Uint8Array())).toEqual(
      Buffer.from(dataKey.Plaintext ?? new Uint8Array()),
    );
    expect(dataKey.Plaintext?.byteLength).toBe(32);
    await expect(
      kms.send(
        new DecryptCommand({
          CiphertextBlob: encrypted.CiphertextBlob,
          EncryptionContext: { ...context, tenantId: 't2' },
        }),
      ),
    ).rejects.toBeInstanceOf(InvalidCiphertextException);
  });

  it('keeps the same keys across restarts of the local target', () => {
    const again = loadOrCreateLocalKeys(keysDir);

    expect(aws.keyArns.signing).toContain(again.signing.keyId);
    expect(aws.keyArns.data).toContain(again.data.keyId);
  });
});
