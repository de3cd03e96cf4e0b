import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyResultV2, APIGatewayProxyWebsocketEventV2, Context } from 'aws-lambda';
import { VigilError } from './errors';
import { logger } from './observability';

/**
 * WebSocket route events as API Gateway delivers them, including the authorizer context on `$connect`
 * and the query string on `$connect`.
 */
export type WsEvent = APIGatewayProxyWebsocketEventV2 & {
  requestContext: APIGatewayProxyWebsocketEventV2['requestContext'] & {
    authorizer?: Record<string, unknown>;
  };
  queryStringParameters?: Record<string, string | undefined>;
  headers?: Record<string, string | undefined>;
};

/**
 * The fixed middleware stack for WebSocket routes: logger with the connection and request ids, and
 * errors mapped to a status code (4xx keeps a short reason, 5xx says nothing).
 */
export function wsHandler(
  run: (event: WsEvent) => Promise<APIGatewayProxyResultV2 | undefined>,
  options: { tracer?: Tracer } = {},
) {
  const stack = middy<WsEvent, APIGatewayProxyResultV2, Error, Context>();
  if (options.tracer) stack.use(captureLambdaHandler(options.tracer, { captureResponse: false }));
  return stack
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use({
      before: (request) => {
        logger.setCorrelationId(request.event.requestContext.requestId);
        logger.appendKeys({
          connectionId: request.event.requestContext.connectionId,
          routeKey: request.event.requestContext.routeKey,
        });
      },
      onError: (request) => {
        const error = request.error;
        if (error instanceof VigilError && error.expose) {
          logger.info('websocket request rejected', { code: error.code });
          request.response = { statusCode: error.status, body: error.code };
          return;
        }
        logger.error('websocket request failed', { err: error });
        request.response = { statusCode: 500, body: 'internal_error' };
      },
    })
    .handler(async (event) => (await run(event)) ?? { statusCode: 200 });
}
