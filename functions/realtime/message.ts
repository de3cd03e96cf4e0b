import { realtimeDepsFromEnv } from '../../shared/adapters/aws/realtime-deps';
import { wsHandler } from '../../shared/platform/ws';
import { handleClientMessage } from '../../shared/realtime/connections';

const handle = handleClientMessage(realtimeDepsFromEnv());

export const handler = wsHandler(async (event) => {
  await handle(event.requestContext.connectionId, event.body);
  return { statusCode: 200 };
});
