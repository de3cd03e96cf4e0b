import { createCipheriv, createDecipheriv, createHash, randomBytes, sign } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { LocalEventBus } from './event-bus';
import { closeServer, listen } from './listen';
import type { LocalKeys } from './local-keys';
import { type LocalQueue, localAccountId } from './sqs-queue';

/**
 * One loopback HTTP endpoint speaking the AWS JSON protocol (`X-Amz-Target`) for the services the
 * local target emulates in-process. Handlers keep their real SDK clients; the local target points
 * them here with `AWS_ENDPOINT_URL_SQS` / `AWS_ENDPOINT_URL_EVENTBRIDGE` / `AWS_ENDPOINT_URL_SFN`.
 * Request signatures are not checked; everything else (operation names, shapes, errors) is as AWS.
 */
/** What `DescribeExecution` reports about an execution. */
export interface ExecutionDescription {
  executionArn: string;
  stateMachineArn: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  startDate: Date;
  stopDate?: Date;
  input?: string;
  output?: string;
  error?: string;
  cause?: string;
}

export interface StateMachinesApi {
  startExecution(input: { stateMachineArn: string; input?: string; name?: string }): Promise<{
    executionArn: string;
    startDate: Date;
  }>;
  describeExecution(executionArn: string): Promise<ExecutionDescription | undefined>;
}

export interface AwsServicesOptions {
  host: string;
  port?: number;
  queues: readonly LocalQueue[];
  buses: readonly LocalEventBus[];
  stateMachines?: StateMachinesApi;
  keys?: LocalKeys;
}

/** A message the local SES endpoint accepted. */
export interface LocalMail {
  id: string;
  at: string;
  from: string;
  to: string[];
  subject: string;
  text: string;
}

export interface RunningAwsServices {
  url: string;
  /** Mail sent through the local SES v2 endpoint, newest last (bounded). */
  mailbox: LocalMail[];
  /** ARNs of the file-backed KMS keys (signing, data) and the platform secret, when keys were given. */
  keyArns: { signing?: string; data?: string; platformSecret?: string };
  queueUrl(queue: LocalQueue): string;
  close(): Promise<void>;
}

class AwsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
    readonly queryError?: string,
  ) {
    super(message);
  }
}

type Json = Record<string, unknown>;

export async function startAwsServices(options: AwsServicesOptions): Promise<RunningAwsServices> {
  let baseUrl = '';
  const mailbox: LocalMail[] = [];
  const queueUrl = (queue: LocalQueue) => `${baseUrl}/${localAccountId}/${queue.name}`;
  const queueByUrl = (url: unknown): LocalQueue => {
    const name = typeof url === 'string' ? url.split('/').pop() : undefined;
    const queue = options.queues.find((q) => q.name === name);
    if (!queue) {
      throw new AwsError(
        'com.amazonaws.sqs#QueueDoesNotExist',
        'The specified queue does not exist.',
        400,
        'AWS.SimpleQueueService.NonExistentQueue;Sender',
      );
    }
    return queue;
  };
  const busByName = (name: unknown): LocalEventBus => {
    const wanted = typeof name === 'string' && name ? name.split('/').pop() : 'default';
    const bus = options.buses.find((b) => b.name === wanted);
    if (!bus) throw new AwsError('ResourceNotFoundException', `Event bus ${String(wanted)} does not exist.`);
    return bus;
  };
  const keyArn = (id: string) => `arn:aws:kms:us-east-1:${localAccountId}:key/${id}`;
  const secretArn = (name: string) => `arn:aws:secretsmanager:us-east-1:${localAccountId}:secret:${name}`;
  const keys = (): LocalKeys => {
    if (!options.keys) throw new AwsError('NotFoundException', 'No keys are configured.');
    return options.keys;
  };
  const keyFor = (keyId: unknown, usage: 'signing' | 'data'): void => {
    const id = typeof keyId === 'string' ? keyId.split('/').pop() : undefined;
    if (id !== keys()[usage].keyId) {
      throw new AwsError(
        'NotFoundException',
        `Key '${String(keyId)}' does not exist or is not a ${usage} key.`,
      );
    }
  };
  const encrypt = (plaintext: Buffer, context: unknown): Buffer => {
    const { keyId, key } = keys().data;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(contextAad(context));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([Buffer.from(`VGL1${keyId}`), iv, cipher.getAuthTag(), body]);
  };
  const decrypt = (blob: Buffer, context: unknown): Buffer => {
    const { keyId, key } = keys().data;
    const header = `VGL1${keyId}`;
    const invalid = new AwsError(
      'InvalidCiphertextException',
      'The ciphertext or its encryption context is not valid.',
    );
    if (blob.subarray(0, header.length).toString() !== header) throw invalid;
    const iv = blob.subarray(header.length, header.length + 12);
    const tag = blob.subarray(header.length + 12, header.length + 28);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAAD(contextAad(context));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(blob.subarray(header.length + 28)), decipher.final()]);
    } catch {
      throw invalid;
    }
  };

  const machines = (): StateMachinesApi => {
    if (!options.stateMachines)
      throw new AwsError('StateMachineDoesNotExist', 'No state machines are registered.');
    return options.stateMachines;
  };

  const operations: Record<string, (input: Json) => Promise<Json> | Json> = {
    'AmazonSQS.GetQueueUrl': (input) => ({ QueueUrl: queueUrl(queueByUrl(input.QueueName)) }),
    'AmazonSQS.SendMessage': (input) => {
      const queue = queueByUrl(input.QueueUrl);
      const body = requireString(input.MessageBody, 'MessageBody');
      const id = queue.send(body, { delaySeconds: optionalNumber(input.DelaySeconds) });
      return { MessageId: id, MD5OfMessageBody: md5(body) };
    },
    'AmazonSQS.SendMessageBatch': (input) => {
      const queue = queueByUrl(input.QueueUrl);
      const entries = Array.isArray(input.Entries) ? (input.Entries as Json[]) : [];
      if (entries.length === 0 || entries.length > 10) {
        throw new AwsError(
          'com.amazonaws.sqs#TooManyEntriesInBatchRequest',
          'A batch holds 1 to 10 entries.',
        );
      }
      return {
        Successful: entries.map((entry) => {
          const body = requireString(entry.MessageBody, 'MessageBody');
          return {
            Id: entry.Id,
            MessageId: queue.send(body, { delaySeconds: optionalNumber(entry.DelaySeconds) }),
            MD5OfMessageBody: md5(body),
          };
        }),
        Failed: [],
      };
    },
    'AmazonSQS.ReceiveMessage': (input) => {
      const queue = queueByUrl(input.QueueUrl);
      const messages = queue.receive(optionalNumber(input.MaxNumberOfMessages) ?? 1);
      return {
        Messages: messages.map((m) => ({
          MessageId: m.messageId,
          ReceiptHandle: m.receiptHandle,
          Body: m.body,
          MD5OfBody: m.md5OfBody,
          Attributes: { ApproximateReceiveCount: String(m.receiveCount), SentTimestamp: String(m.sentAt) },
        })),
      };
    },
    'AmazonSQS.DeleteMessage': (input) => {
      const queue = queueByUrl(input.QueueUrl);
      if (!queue.delete(requireString(input.ReceiptHandle, 'ReceiptHandle'))) {
        throw new AwsError('com.amazonaws.sqs#ReceiptHandleIsInvalid', 'The receipt handle is not valid.');
      }
      return {};
    },
    'AmazonSQS.GetQueueAttributes': (input) => {
      const queue = queueByUrl(input.QueueUrl);
      const stats = queue.stats();
      return {
        Attributes: {
          QueueArn: queue.arn,
          ApproximateNumberOfMessages: String(stats.visible),
          ApproximateNumberOfMessagesNotVisible: String(stats.inFlight),
          ApproximateNumberOfMessagesDelayed: String(stats.delayed),
        },
      };
    },
    'AWSEvents.PutEvents': (input) => {
      const entries = Array.isArray(input.Entries) ? (input.Entries as Json[]) : [];
      if (entries.length === 0 || entries.length > 10) {
        throw new AwsError('ValidationException', 'PutEvents takes 1 to 10 entries.');
      }
      const results = entries.map((entry) => {
        try {
          const [result] = busByName(entry.EventBusName).putEvents([
            {
              Source: entry.Source as string | undefined,
              DetailType: entry.DetailType as string | undefined,
              Detail: entry.Detail as string | undefined,
              Resources: entry.Resources as string[] | undefined,
              Time: typeof entry.Time === 'number' ? new Date(entry.Time * 1000) : undefined,
            },
          ]);
          return result ?? { ErrorCode: 'InternalException' };
        } catch (error) {
          return { ErrorCode: 'ResourceNotFoundException', ErrorMessage: (error as Error).message };
        }
      });
      return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
    },
    'TrentService.Sign': (input) => {
      keyFor(input.KeyId, 'signing');
      if (input.SigningAlgorithm !== 'ECDSA_SHA_256') {
        throw new AwsError('InvalidKeyUsageException', 'The local signing key supports ECDSA_SHA_256 only.');
      }
      if ((input.MessageType ?? 'RAW') !== 'RAW') {
        throw new AwsError('ValidationException', 'The local KMS signs RAW messages only.');
      }
      const message = Buffer.from(requireString(input.Message, 'Message'), 'base64');
      return {
        KeyId: keyArn(keys().signing.keyId),
        Signature: sign('sha256', message, keys().signing.privateKey).toString('base64'),
        SigningAlgorithm: 'ECDSA_SHA_256',
      };
    },
    'TrentService.GetPublicKey': (input) => {
      keyFor(input.KeyId, 'signing');
      return {
        KeyId: keyArn(keys().signing.keyId),
        PublicKey: keys().signing.publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
        KeySpec: 'ECC_NIST_P256',
        KeyUsage: 'SIGN_VERIFY',
        SigningAlgorithms: ['ECDSA_SHA_256'],
      };
    },
    'TrentService.Encrypt': (input) => {
      keyFor(input.KeyId, 'data');
      const plaintext = Buffer.from(requireString(input.Plaintext, 'Plaintext'), 'base64');
      return {
        KeyId: keyArn(keys().data.keyId),
        CiphertextBlob: encrypt(plaintext, input.EncryptionContext).toString('base64'),
        EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      };
    },
    'TrentService.Decrypt': (input) => {
      const blob = Buffer.from(requireString(input.CiphertextBlob, 'CiphertextBlob'), 'base64');
      return {
        KeyId: keyArn(keys().data.keyId),
        Plaintext: decrypt(blob, input.EncryptionContext).toString('base64'),
        EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      };
    },
    'TrentService.GenerateDataKey': (input) => {
      keyFor(input.KeyId, 'data');
      const bytes = input.KeySpec === 'AES_128' ? 16 : (optionalNumber(input.NumberOfBytes) ?? 32);
      const plaintext = randomBytes(bytes);
      return {
        KeyId: keyArn(keys().data.keyId),
        Plaintext: plaintext.toString('base64'),
        CiphertextBlob: encrypt(plaintext, input.EncryptionContext).toString('base64'),
      };
    },
    'secretsmanager.GetSecretValue': (input) => {
      const secret = keys().platformSecret;
      const id = requireString(input.SecretId, 'SecretId');
      if (id !== secret.name && id !== secretArn(secret.name)) {
        throw new AwsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
      }
      return {
        ARN: secretArn(secret.name),
        Name: secret.name,
        SecretString: secret.value,
        VersionId: 'local',
      };
    },
    'AWSStepFunctions.StartExecution': async (input) => {
      const started = await machines().startExecution({
        stateMachineArn: requireString(input.stateMachineArn, 'stateMachineArn'),
        input: input.input as string | undefined,
        name: input.name as string | undefined,
      });
      return { executionArn: started.executionArn, startDate: started.startDate.getTime() / 1000 };
    },
    'AWSStepFunctions.DescribeExecution': async (input) => {
      const execution = await machines().describeExecution(requireString(input.executionArn, 'executionArn'));
      if (!execution) throw new AwsError('ExecutionDoesNotExist', 'Execution does not exist.');
      return {
        ...execution,
        startDate: execution.startDate.getTime() / 1000,
        ...(execution.stopDate ? { stopDate: execution.stopDate.getTime() / 1000 } : {}),
      };
    },
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error) => reply(res, error));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = req.headers['x-amz-target'];
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = (req.url ?? '/').split('?')[0];
    // SES v2 is a REST-JSON service: the operation is the path, not X-Amz-Target.
    if (req.method === 'POST' && path === '/v2/email/outbound-emails') {
      const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Json;
      const content = (
        input.Content as { Simple?: { Subject?: { Data?: string }; Body?: { Text?: { Data?: string } } } }
      )?.Simple;
      const mail: LocalMail = {
        id: randomBytes(12).toString('hex'),
        at: new Date().toISOString(),
        from: String(input.FromEmailAddress ?? ''),
        to: ((input.Destination as { ToAddresses?: string[] })?.ToAddresses ?? []).map(String),
        subject: content?.Subject?.Data ?? '',
        text: content?.Body?.Text?.Data ?? '',
      };
      mailbox.push(mail);
      if (mailbox.length > 200) mailbox.splice(0, mailbox.length - 200);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ MessageId: mail.id }));
      return;
    }
    if (req.method === 'GET' && path === '/_local/mailbox') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ items: [...mailbox].reverse() }));
      return;
    }
    if (typeof target !== 'string') throw new AwsError('UnknownOperationException', 'Missing X-Amz-Target.');
    const operation = operations[target];
    if (!operation) throw new AwsError('UnknownOperationException', `${target} is not emulated locally.`);
    let input: Json;
    try {
      input = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Json) : {};
    } catch {
      throw new AwsError('SerializationException', 'The request body is not JSON.');
    }
    const output = await operation(input);
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
    res.end(JSON.stringify(output));
  }

  function reply(res: ServerResponse, error: unknown): void {
    const known = error instanceof AwsError ? error : new AwsError('InternalFailure', String(error), 500);
    const headers: Record<string, string> = { 'content-type': 'application/x-amz-json-1.0' };
    if (known.queryError) headers['x-amzn-query-error'] = known.queryError;
    res.writeHead(known.status, headers);
    res.end(JSON.stringify({ __type: known.type, message: known.message }));
  }

  baseUrl = `http://${options.host}:${await listen(server, options.host, options.port ?? 0)}`;
  return {
    url: baseUrl,
    mailbox,
    keyArns: options.keys
      ? {
          signing: keyArn(options.keys.signing.keyId),
          data: keyArn(options.keys.data.keyId),
          platformSecret: secretArn(options.keys.platformSecret.name),
        }
      : {},
    queueUrl,
    close: () => closeServer(server),
  };
}

function requireString(value: unknown, name: string): string {
  if (typeof value !== 'string') throw new AwsError('InvalidParameterValue', `${name} is required.`);
  return value;
}

function optionalNumber(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

/** Encryption context as additional authenticated data: a wrong context fails decryption, as in KMS. */
function contextAad(context: unknown): Buffer {
  const entries =
    context && typeof context === 'object' ? Object.entries(context as Record<string, string>) : [];
  return Buffer.from(JSON.stringify(entries.sort(([a], [b]) => a.localeCompare(b))));
}

function md5(body: string): string {
  return createHash('md5').update(body).digest('hex');
}
