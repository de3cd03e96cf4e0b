import { SendMessageBatchCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { LookupMessage, LookupQueue, QueueMessage } from '../../enrichment/engine';

/** SQS accepts a per-message delay of at most 15 minutes; longer waits are re-checked then. */
const maxDelaySeconds = 900;
/** SQS takes at most ten entries and 256 KiB of bodies per SendMessageBatch. */
const maxBatchEntries = 10;
const maxBatchBytes = 240 * 1024;

/**
 * The lookup queue over SQS: each (indicator, provider) lookup is one message, sent ten at a time,
 * delayed with `DelaySeconds` when the quota governor, the breaker or a provider's `Retry-After`
 * says to wait. An entry SQS refuses fails the whole send, so the caller (a request or a worker
 * batch) is retried rather than losing it. Messages that used their retry budget go to the DLQ
 * with the reason as an attribute.
 */
export function sqsLookupQueue(client: SQSClient, queueUrl: string, dlqUrl: string): LookupQueue {
  const sendBatch = async (entries: readonly { message: QueueMessage; delaySeconds: number }[]) => {
    let pending = entries.map((entry, i) => ({
      Id: String(i),
      MessageBody: JSON.stringify(entry.message),
      DelaySeconds: Math.max(0, Math.min(maxDelaySeconds, Math.ceil(entry.delaySeconds))),
    }));
    for (let attempt = 0; pending.length > 0; attempt += 1) {
      const result = await client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending }));
      const failed = result.Failed ?? [];
      if (failed.length === 0) return;
      const permanent = failed.find((f) => f.SenderFault);
      if (permanent || attempt >= 3) {
        const first = permanent ?? failed[0];
        throw new Error(`SQS refused ${failed.length} lookup messages (${first?.Code}: ${first?.Message})`);
      }
      const ids = new Set(failed.map((f) => f.Id));
      pending = pending.filter((entry) => ids.has(entry.Id));
      await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
    }
  };
  return {
    async send(entries) {
      const batches: (typeof entries)[number][][] = [];
      let batch: (typeof entries)[number][] = [];
      let bytes = 0;
      for (const entry of entries) {
        const size = Buffer.byteLength(JSON.stringify(entry.message));
        if (batch.length >= maxBatchEntries || (batch.length > 0 && bytes + size > maxBatchBytes)) {
          batches.push(batch);
          batch = [];
          bytes = 0;
        }
        batch.push(entry);
        bytes += size;
      }
      if (batch.length > 0) batches.push(batch);
      // A few batches at a time: a 1,000-indicator job is hundreds of batches.
      for (let i = 0; i < batches.length; i += 8) await Promise.all(batches.slice(i, i + 8).map(sendBatch));
    },
    async deadLetter(message: LookupMessage, reason) {
      await client.send(
        new SendMessageCommand({
          QueueUrl: dlqUrl,
          MessageBody: JSON.stringify(message),
          MessageAttributes: { reason: { DataType: 'String', StringValue: reason.slice(0, 1000) } },
        }),
      );
    },
  };
}
