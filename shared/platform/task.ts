import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { logger } from './observability';

/**
 * The fixed stack for directly invoked Lambdas (Step Functions tasks, authorizers): logger, with the
 * execution id as correlation id when there is one.
 * Errors are logged and rethrown unchanged, because the state machine's Retry and Catch match on the
 * error's name.
 */
export function taskHandler<TResult>(
  run: (input: unknown) => Promise<TResult>,
  options: { tracer?: Tracer } = {},
) {
  const stack = middy<unknown, TResult, Error, Context>();
  if (options.tracer) stack.use(captureLambdaHandler(options.tracer, { captureResponse: false }));
  return stack
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use({
      before: (request) => {
        const executionId = (request.event as { executionId?: unknown } | null)?.executionId;
        if (typeof executionId === 'string') logger.setCorrelationId(executionId);
      },
      onError: (request) => {
        logger.warn('task failed', { errorName: request.error?.name, err: request.error });
      },
    })
    .handler(run);
}
