import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { LookupMessage, LookupQueue } from '../../enrichment/engine';

/** SQS accepts a per-message delay of at most 15 minutes; longer waits are re-checked then. */
const maxDelaySeconds = 900;

/**
 * The lookup queue over SQS: each (indicator, provider) lookup is one message, delayed with
 * `DelaySeconds` when the quota governor, the breaker or a provider's `Retry-After` says to wait.
 * Messages that used their retry budget are sent to the DLQ with the reason as an attribute.
 */
export function sqsLookupQueue(client: SQSClient, queueUrl: string, dlqUrl: string): LookupQueue {
  return {
    async send(message, delaySeconds) {
      await client.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: JSON.stringify(message),
          DelaySeconds: Math.max(0, Math.min(maxDelaySeconds, Math.ceil(delaySeconds))),
        }),
      );
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
