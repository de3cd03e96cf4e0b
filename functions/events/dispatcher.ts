import { realtimeDepsFromEnv } from '../../shared/adapters/aws/realtime-deps';
import { dispatchEvent } from '../../shared/events/dispatch';
import { logger } from '../../shared/platform/observability';
import { sqsBatchHandler } from '../../shared/platform/sqs';
import { tracer } from '../../shared/platform/tracing';
import { publish } from '../../shared/realtime/connections';

const dispatch = dispatchEvent({ publish: publish(realtimeDepsFromEnv(tracer)) });

export const handler = sqsBatchHandler(
  async (record) => {
    const result = await dispatch(record.body);
    logger.debug('event dispatched', { messageId: record.messageId, ...result });
  },
  { tracer },
);
