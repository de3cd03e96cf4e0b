import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { eventBridgeBus } from '../../shared/adapters/aws/eventbridge-bus';
import { devPutEventRoute } from '../../shared/api/dev';
import { requireEnv } from '../../shared/platform/config';
import { httpHandler, implement, reply } from '../../shared/platform/http/handler';

const bus = eventBridgeBus(new EventBridgeClient({}), requireEnv('EVENT_BUS_NAME'));

export const handler = httpHandler([
  implement(devPutEventRoute, async ({ body }) => {
    const { eventIds } = await bus.put([body]);
    return reply(202, { eventId: eventIds[0] ?? '' });
  }),
]);
