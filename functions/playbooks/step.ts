import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { createDocumentClient } from '../../shared/adapters/aws/dynamodb';
import { eventBridgeBus } from '../../shared/adapters/aws/eventbridge-bus';
import { dynamoExecutionRepository } from '../../shared/adapters/aws/execution-repository';
import { realtimeDepsFromEnv } from '../../shared/adapters/aws/realtime-deps';
import { requireEnv } from '../../shared/platform/config';
import { stateTable } from '../../shared/platform/tables';
import { taskHandler } from '../../shared/platform/task';
import { tracer } from '../../shared/platform/tracing';
import { builtInActions } from '../../shared/playbooks/actions';
import { runPlaybookTask } from '../../shared/playbooks/step-runner';
import { publish } from '../../shared/realtime/connections';

const run = runPlaybookTask({
  actions: builtInActions({
    bus: eventBridgeBus(tracer.captureAWSv3Client(new EventBridgeClient({})), requireEnv('EVENT_BUS_NAME')),
    publishToTopic: publish(realtimeDepsFromEnv(tracer)),
  }),
  executions: dynamoExecutionRepository(
    createDocumentClient(tracer.captureAWSv3Client(new DynamoDBClient({}))),
    requireEnv(stateTable.envVar),
  ),
  now: () => new Date(),
});

export const handler = taskHandler(run, { tracer });
