import { createHash, randomUUID } from 'node:crypto';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { localLambdaContext } from './lambda-context';

/**
 * An in-process queue with the SQS semantics our workers rely on: delay, visibility timeout,
 * receive counts, deletion by receipt handle, and redrive to a dead-letter queue once a message has
 * been received `maxReceiveCount` times without being deleted.
 */
export interface LocalQueueOptions {
  name: string;
  visibilityTimeoutSeconds?: number;
  delaySeconds?: number;
  redrive?: { deadLetterQueue: LocalQueue; maxReceiveCount: number };
  now?: () => number;
}

export interface SendOptions {
  delaySeconds?: number;
  messageAttributes?: SQSRecord['messageAttributes'];
}

interface StoredMessage {
  messageId: string;
  body: string;
  md5OfBody: string;
  messageAttributes: SQSRecord['messageAttributes'];
  sentAt: number;
  firstReceivedAt?: number;
  receiveCount: number;
  visibleAt: number;
  receiptHandle?: string;
}

export interface ReceivedMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
  md5OfBody: string;
  receiveCount: number;
  sentAt: number;
  firstReceivedAt: number;
  messageAttributes: SQSRecord['messageAttributes'];
}

export const localAccountId = '000000000000';
export const localRegion = 'us-east-1';

export class LocalQueue {
  readonly name: string;
  readonly arn: string;
  private readonly visibilityMs: number;
  private readonly delayMs: number;
  private readonly redrive: LocalQueueOptions['redrive'];
  private readonly now: () => number;
  private readonly messages: StoredMessage[] = [];
  private readonly listeners = new Set<() => void>();

  constructor(options: LocalQueueOptions) {
    this.name = options.name;
    this.arn = `arn:aws:sqs:${localRegion}:${localAccountId}:${options.name}`;
    this.visibilityMs = (options.visibilityTimeoutSeconds ?? 30) * 1000;
    this.delayMs = (options.delaySeconds ?? 0) * 1000;
    this.redrive = options.redrive;
    this.now = options.now ?? Date.now;
  }

  /** Enqueues a message and returns its id. */
  send(body: string, options: SendOptions = {}): string {
    const now = this.now();
    const delay = options.delaySeconds === undefined ? this.delayMs : options.delaySeconds * 1000;
    const message: StoredMessage = {
      messageId: randomUUID(),
      body,
      md5OfBody: createHash('md5').update(body).digest('hex'),
      messageAttributes: options.messageAttributes ?? {},
      sentAt: now,
      receiveCount: 0,
      visibleAt: now + delay,
    };
    this.messages.push(message);
    for (const wake of this.listeners) wake();
    return message.messageId;
  }

  /**
   * Receives up to `max` visible messages, hiding each for the visibility timeout. A message already
   * received `maxReceiveCount` times moves to the dead-letter queue instead, as SQS redrive does.
   */
  receive(max = 1): ReceivedMessage[] {
    const now = this.now();
    const received: ReceivedMessage[] = [];
    for (const message of [...this.messages]) {
      if (received.length >= max) break;
      if (message.visibleAt > now) continue;
      if (this.redrive && message.receiveCount >= this.redrive.maxReceiveCount) {
        this.remove(message);
        this.redrive.deadLetterQueue.send(message.body, { messageAttributes: message.messageAttributes });
        continue;
      }
      message.receiveCount += 1;
      message.firstReceivedAt ??= now;
      message.receiptHandle = randomUUID();
      message.visibleAt = now + this.visibilityMs;
      received.push({
        messageId: message.messageId,
        receiptHandle: message.receiptHandle,
        body: message.body,
        md5OfBody: message.md5OfBody,
        receiveCount: message.receiveCount,
        sentAt: message.sentAt,
        firstReceivedAt: message.firstReceivedAt,
        messageAttributes: message.messageAttributes,
      });
    }
    return received;
  }

  /** Messages that a receive would return now. */
  visibleCount(): number {
    const now = this.now();
    return this.messages.filter((m) => m.visibleAt <= now).length;
  }

  /** Deletes a received message; false when the handle is stale (the message was received again). */
  delete(receiptHandle: string): boolean {
    const message = this.messages.find((m) => m.receiptHandle === receiptHandle);
    if (!message) return false;
    this.remove(message);
    return true;
  }

  changeVisibility(receiptHandle: string, seconds: number): boolean {
    const message = this.messages.find((m) => m.receiptHandle === receiptHandle);
    if (!message) return false;
    message.visibleAt = this.now() + seconds * 1000;
    return true;
  }

  /** Approximate counts, as `GetQueueAttributes` reports them. */
  stats(): { visible: number; inFlight: number; delayed: number } {
    const now = this.now();
    let visible = 0;
    let inFlight = 0;
    let delayed = 0;
    for (const m of this.messages) {
      if (m.visibleAt <= now) visible += 1;
      else if (m.receiveCount > 0) inFlight += 1;
      else delayed += 1;
    }
    return { visible, inFlight, delayed };
  }

  /** Bodies of every message still in the queue (for inspection and tests). */
  peekBodies(): string[] {
    return this.messages.map((m) => m.body);
  }

  /** Registers a callback run whenever a message is sent; returns an unsubscribe function. */
  onSend(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private remove(message: StoredMessage): void {
    const index = this.messages.indexOf(message);
    if (index >= 0) this.messages.splice(index, 1);
  }
}

export type SqsHandler = (
  event: SQSEvent,
  context: Context,
) => Promise<SQSBatchResponse | undefined | unknown>;

export interface ConsumerOptions {
  functionName: string;
  batchSize?: number;
  /** How often to look for messages whose visibility timeout or delay has passed. */
  pollIntervalMs?: number;
  /** Batches handled at the same time, like concurrent Lambda invocations (default 1). */
  concurrency?: number;
  onError?: (error: unknown) => void;
}

/**
 * An event source mapping: polls the queue, invokes the handler with a real-shaped SQS event, and
 * applies the partial batch response — successes are deleted, reported failures (or the whole batch
 * when the handler throws) become visible again after the visibility timeout.
 */
export function attachConsumer(
  queue: LocalQueue,
  handler: SqsHandler,
  options: ConsumerOptions,
): { stop(): Promise<void> } {
  const batchSize = options.batchSize ?? 10;
  const interval = options.pollIntervalMs ?? 250;
  const concurrency = Math.max(1, options.concurrency ?? 1);
  let stopped = false;
  const running = new Set<Promise<void>>();
  let timer: NodeJS.Timeout | undefined;

  const poll = async (): Promise<void> => {
    for (;;) {
      if (stopped) return;
      const messages = queue.receive(batchSize);
      if (messages.length === 0) return;
      const event: SQSEvent = { Records: messages.map((m) => toRecord(queue, m)) };
      try {
        const response = (await handler(event, localLambdaContext(options.functionName))) as
          | SQSBatchResponse
          | undefined;
        const failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
        for (const m of messages) if (!failed.has(m.messageId)) queue.delete(m.receiptHandle);
      } catch (error) {
        options.onError?.(error);
      }
    }
  };

  // Each slot is one invocation loop; a send or a tick fills the free slots.
  const schedule = () => {
    if (stopped) return;
    while (running.size < concurrency) {
      const loop: Promise<void> = poll().finally(() => running.delete(loop));
      running.add(loop);
      if (queue.visibleCount() === 0) break;
    }
  };
  const unsubscribe = queue.onSend(schedule);
  const tick = () => {
    schedule();
    timer = setTimeout(tick, interval);
    timer.unref();
  };
  tick();

  return {
    async stop() {
      stopped = true;
      unsubscribe();
      clearTimeout(timer);
      await Promise.all(running);
    },
  };
}

function toRecord(queue: LocalQueue, m: ReceivedMessage): SQSRecord {
  return {
    messageId: m.messageId,
    receiptHandle: m.receiptHandle,
    body: m.body,
    attributes: {
      ApproximateReceiveCount: String(m.receiveCount),
      SentTimestamp: String(m.sentAt),
      SenderId: localAccountId,
      ApproximateFirstReceiveTimestamp: String(m.firstReceivedAt),
    },
    messageAttributes: m.messageAttributes,
    md5OfBody: m.md5OfBody,
    eventSource: 'aws:sqs',
    eventSourceARN: queue.arn,
    awsRegion: localRegion,
  };
}
