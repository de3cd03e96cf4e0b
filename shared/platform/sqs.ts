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

/**
 * The same stack for workers that handle a batch as a whole (one quota grant for ten provider
 * calls): `processRecords` returns one settled outcome per record, in order, and every rejected
 * one is reported in `batchItemFailures`. A record that fails to parse is rejected alone.
 */
export function sqsWholeBatchHandler<T>(
  parse: (record: SQSRecord) => T,
  /** `receiveCounts[i]`: how often SQS has delivered item i (1 on the first delivery). */
  processAll: (
    items: readonly T[],
    receiveCounts: readonly number[],
  ) => Promise<PromiseSettledResult<unknown>[]>,
  options: { tracer?: Tracer } = {},
) {
  const stack = middy<SQSEvent, SQSBatchResponse, Error, Context>();
  if (options.tracer) stack.use(captureLambdaHandler(options.tracer, { captureResponse: false }));
  return stack.use(injectLambdaContext(logger, { resetKeys: true })).handler(async (event) => {
    const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
    const fail = (record: SQSRecord, err: unknown) => {
      logger.warn('record failed; it will be retried', {
        messageId: record.messageId,
        receiveCount: record.attributes.ApproximateReceiveCount,
        err,
      });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    };
    const parsed: { record: SQSRecord; item: T }[] = [];
    for (const record of event.Records) {
      try {
        parsed.push({ record, item: parse(record) });
      } catch (err) {
        fail(record, err);
      }
    }
    let outcomes: PromiseSettledResult<unknown>[];
    try {
      outcomes = await processAll(
        parsed.map((p) => p.item),
        parsed.map((p) => Number(p.record.attributes.ApproximateReceiveCount) || 1),
      );
    } catch (err) {
      outcomes = parsed.map(() => ({ status: 'rejected', reason: err }));
    }
    parsed.forEach(({ record }, i) => {
      const outcome = outcomes[i];
      if (!outcome || outcome.status === 'rejected') fail(record, outcome?.reason ?? new Error('no outcome'));
    });
    return { batchItemFailures };
  });
}
