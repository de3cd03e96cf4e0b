import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalEventBus } from './event-bus';
import { type LocalQueue, localAccountId } from './sqs-queue';

/**
 * One loopback HTTP endpoint speaking the AWS JSON protocol (`X-Amz-Target`) for the services the
 * local target emulates in-process. Handlers keep their real SDK clients; the local target points
 * them here with `AWS_ENDPOINT_URL_SQS` / `AWS_ENDPOINT_URL_EVENTBRIDGE` / `AWS_ENDPOINT_URL_SFN`.
 * Request signatures are not checked; everything else (operation names, shapes, errors) is as AWS.
 */
export interface StateMachinesApi {
  startExecution(input: { stateMachineArn: string; input?: string; name?: string }): Promise<{
    executionArn: string;
    startDate: Date;
  }>;
  describeExecution(executionArn: string): Promise<
    | {
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
    | undefined
  >;
}

export interface AwsServicesOptions {
  host: string;
  port?: number;
  queues: readonly LocalQueue[];
  buses: readonly LocalEventBus[];
  stateMachines?: StateMachinesApi;
}

export interface RunningAwsServices {
  url: string;
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

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host, () => resolve());
  });
  baseUrl = `http://${options.host}:${(server.address() as AddressInfo).port}`;
  return {
    url: baseUrl,
    queueUrl,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function requireString(value: unknown, name: string): string {
  if (typeof value !== 'string') throw new AwsError('InvalidParameterValue', `${name} is required.`);
  return value;
}

function optionalNumber(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

function md5(body: string): string {
  return createHash('md5').update(body).digest('hex');
}
