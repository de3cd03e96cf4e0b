import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { logger } from './observability';

/**
 * The fixed stack for SQS-fed workers: records are processed one by one; a record whose processing
 * throws is reported in `batchItemFailures` (infra sets `ReportBatchItemFailures`) so only it is
 * retried, and after the queue's receive budget it lands in the DLQ. Nothing is swallowed.
 */
export function sqsBatchHandler(
  processRecord: (record: SQSRecord) => Promise<void>,
  options: { tracer?: Tracer } = {},
) {
  const stack = middy<SQSEvent, SQSBatchResponse, Error, Context>();
  if (options.tracer) stack.use(captureLambdaHandler(options.tracer, { captureResponse: false }));
  return stack.use(injectLambdaContext(logger, { resetKeys: true })).handler(async (event) => {
    const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
    for (const record of event.Records) {
      try {
        await processRecord(record);
      } catch (err) {
        logger.warn('record failed; it will be retried', {
          messageId: record.messageId,
          receiveCount: record.attributes.ApproximateReceiveCount,
          err,
        });
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures };
  });
}
