import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { eventBridgeBus } from '../../shared/adapters/aws/eventbridge-bus';
import { devMailboxRoute, devPutEventRoute } from '../../shared/api/dev';
import { requireEnv } from '../../shared/platform/config';
import { httpHandler, implement, reply } from '../../shared/platform/http/handler';

const bus = eventBridgeBus(new EventBridgeClient({}), requireEnv('EVENT_BUS_NAME'));
// The local SES endpoint keeps what was sent; this route only exists on the local target.
const mailboxUrl = `${requireEnv('AWS_ENDPOINT_URL_SESV2')}/_local/mailbox`;

export const handler = httpHandler([
  implement(devPutEventRoute, async ({ body }) => {
    const { eventIds } = await bus.put([body]);
    return reply(202, { eventId: eventIds[0] ?? '' });
  }),
  implement(devMailboxRoute, async () => (await fetch(mailboxUrl)).json()),
]);
