import { realtimeDepsFromEnv } from '../../shared/adapters/aws/realtime-deps';
import { tracer } from '../../shared/platform/tracing';
import { wsHandler } from '../../shared/platform/ws';
import { handleClientMessage } from '../../shared/realtime/connections';

const handle = handleClientMessage(realtimeDepsFromEnv(tracer));

export const handler = wsHandler(
  async (event) => {
    await handle(event.requestContext.connectionId, event.body);
    return { statusCode: 200 };
  },
  { tracer },
);
