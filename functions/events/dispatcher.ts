import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDocumentClient } from '../../shared/adapters/aws/dynamodb';
import { dynamoIdentityRepository } from '../../shared/adapters/aws/identity-repository';
import { dynamoNotificationStore } from '../../shared/adapters/aws/notification-store';
import { realtimeDepsFromEnv } from '../../shared/adapters/aws/realtime-deps';
import { dispatchEvent } from '../../shared/events/dispatch';
import { requireEnv } from '../../shared/platform/config';
import { logger } from '../../shared/platform/observability';
import { sqsBatchHandler } from '../../shared/platform/sqs';
import { stateTable } from '../../shared/platform/tables';
import { tracer } from '../../shared/platform/tracing';
import { publish } from '../../shared/realtime/connections';
import { notificationService } from '../../shared/realtime/notifications';
import { reactToSecurityAlert } from '../../shared/realtime/security-alerts';

const realtime = realtimeDepsFromEnv(tracer);
const push = publish(realtime);
const documents = createDocumentClient(tracer.captureAWSv3Client(new DynamoDBClient({})));
const table = requireEnv(stateTable.envVar);
const identityRepository = dynamoIdentityRepository(documents, table);
const dispatch = dispatchEvent({
  publish: push,
  react: reactToSecurityAlert({
    notifications: notificationService({
      store: dynamoNotificationStore(documents, table),
      publish: push,
      now: Date.now,
    }),
    admins: async (tenantId) => {
      const users = await identityRepository.listUsers(tenantId);
      return users.filter((u) => u.status === 'active' && u.roles.includes('admin')).map((u) => u.id);
    },
  }),
});

export const handler = sqsBatchHandler(
  async (record) => {
    const result = await dispatch(record.body);
    logger.debug('event dispatched', { messageId: record.messageId, ...result });
  },
  { tracer },
);
