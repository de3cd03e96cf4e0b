import './polyfills';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { authorizerFunctionId, fallbackFunctionId, httpRoutes, wsRoutes } from '../../shared/api/route-table';
import {
  busName,
  enrichmentQueue,
  platformEventsRule,
  queueDefs,
  queueName,
  scheduleDefs,
} from '../../shared/platform/messaging';
import { stateTable, tableName } from '../../shared/platform/tables';
import { playbookRunnerDefinition } from '../../shared/playbooks/runner-definition';
import { lambdaById } from '../lambdas';
import { startAwsServices } from './aws-services';
import type { LocalConfig } from './config';
import { type RunningDynamoDbLocal, startDynamoDbLocal } from './dynamodb-local';
import { LocalEventBus } from './event-bus';
import { type RunningHttpGateway, startHttpGateway } from './http-gateway';
import { type LocalHandler, loadHandler, localLambdaContext } from './lambda-context';
import { loadOrCreateLocalKeys } from './local-keys';
import { type RunningSandbox, startProviderSandbox } from './sandbox';
import { LocalScheduler } from './schedules';
import { attachConsumer, LocalQueue, type SqsHandler } from './sqs-queue';
import { LocalStateMachines, localLambdaArn } from './state-machines';
import { ensureTables } from './tables';
import { type RunningWsGateway, startWsGateway } from './ws-gateway';

/**
 * The whole platform on one machine: DynamoDB Local with the shared table definitions, the HTTP and
 * WebSocket gateways in front of the real handlers, and in-process emulations of the AWS services
 * that cannot run here, reachable by the real SDK clients through their standard endpoint variables.
 */
export interface RunningLocalStack {
  httpUrl: string;
  wsUrl: string;
  dynamodbEndpoint: string;
  /** The emulated SQS, EventBridge, Step Functions, KMS, Secrets Manager and SES endpoint. */
  awsEndpoint: string;
  /** Present when the provider sandbox runs. */
  sandbox?: Omit<RunningSandbox, 'stop'>;
  stop(): Promise<void>;
}

const root = resolve(import.meta.dirname, '..', '..');

export async function startLocalStack(
  config: LocalConfig,
  log: (line: string) => void,
): Promise<RunningLocalStack> {
  const stoppers: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const fn of stoppers.reverse()) await fn().catch((err) => log(`stop failed: ${String(err)}`));
  };
  try {
    const dynamo: RunningDynamoDbLocal = await startDynamoDbLocal({
      cacheDir: join(root, 'node_modules', '.cache', 'vigil'),
      dataDir: join(config.dataDir, 'dynamodb'),
    });
    stoppers.push(() => dynamo.stop());

    const client = new DynamoDBClient({
      endpoint: dynamo.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const names = await ensureTables(client, (def) => tableName(config.stage, def));
    await seedDemoTenant(DynamoDBDocumentClient.from(client), names.state, config.demoTenantId);

    Object.assign(process.env, {
      VIGIL_TARGET: 'local',
      VIGIL_STAGE: config.stage,
      VIGIL_VERSION: packageVersion(),
      VIGIL_LOCAL_TENANT_ID: config.demoTenantId,
      [stateTable.envVar]: names.state,
      AUDIT_TABLE_NAME: names.audit,
      CORS_ALLOWED_ORIGINS: config.corsOrigins.join(','),
      DOCS_ASSETS_DIR: join(root, 'node_modules', 'swagger-ui-dist'),
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: config.logLevel,
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_TRACE_ENABLED: 'false',
      POWERTOOLS_DEV: 'true',
    });

    let sandbox: RunningSandbox | undefined;
    if (config.providerSandbox) {
      sandbox = await startProviderSandbox(config.dataDir);
      stoppers.push(() => sandbox?.stop() ?? Promise.resolve());
      Object.assign(process.env, {
        VIGIL_PROVIDER_BASE_URLS: JSON.stringify(sandbox.baseUrls),
        VIGIL_OUTBOUND_ALLOW_LIST: '127.0.0.1',
      });
    }

    // Queues (each with its DLQ) and the bus with its rules, from the shared messaging definitions.
    const queues = new Map<string, LocalQueue>();
    const deadLetterQueues = new Map<string, LocalQueue>();
    const allQueues: LocalQueue[] = [];
    for (const def of queueDefs) {
      const dlq = new LocalQueue({ name: queueName(config.stage, def, true), visibilityTimeoutSeconds: 30 });
      const queue = new LocalQueue({
        name: queueName(config.stage, def),
        visibilityTimeoutSeconds: config.queueVisibilitySeconds,
        redrive: { deadLetterQueue: dlq, maxReceiveCount: def.maxReceiveCount },
      });
      queues.set(def.id, queue);
      deadLetterQueues.set(def.id, dlq);
      allQueues.push(queue, dlq);
    }
    const bus = new LocalEventBus(busName(config.stage), {
      onTargetError: (rule, error) => log(`[bus rule ${rule}] target failed: ${String(error)}`),
    });
    const ruleQueue = queues.get(platformEventsRule.targetQueue);
    if (ruleQueue) bus.addRule(platformEventsRule.id, platformEventsRule.pattern, [ruleQueue]);

    const stateMachines = new LocalStateMachines();
    stoppers.push(() => stateMachines.stop());
    const keysDir = join(config.dataDir, 'keys');
    const keys = loadOrCreateLocalKeys(keysDir);
    // The raw AES keyring's key for envelope encryption (KMS keyring in AWS), readable by this user only.
    const dataKeyFile = join(keysDir, 'data-key.b64');
    writeFileSync(dataKeyFile, keys.data.key.toString('base64'), { mode: 0o600 });
    const aws = await startAwsServices({
      host: '127.0.0.1',
      queues: allQueues,
      buses: [bus],
      stateMachines,
      keys,
    });
    stoppers.push(() => aws.close());
    const queueUrlEnv = (prefix: string, id: string) => {
      const queue = queues.get(id);
      const dlq = deadLetterQueues.get(id);
      if (!queue || !dlq) throw new Error(`No local queue '${id}'.`);
      return { [`${prefix}_QUEUE_URL`]: aws.queueUrl(queue), [`${prefix}_DLQ_URL`]: aws.queueUrl(dlq) };
    };
    Object.assign(process.env, {
      JWT_SIGNING_KEY_ARN: aws.keyArns.signing,
      DATA_KEY_ARN: aws.keyArns.data,
      LOCAL_DATA_KEY_FILE: dataKeyFile,
      PLATFORM_SECRET_ARN: aws.keyArns.platformSecret,
      AWS_ENDPOINT_URL_KMS: aws.url,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.url,
      AWS_ENDPOINT_URL_SESV2: aws.url,
      EMAIL_FROM: 'Vigil <no-reply@vigil.local>',
      EVENT_BUS_NAME: bus.name,
      ...queueUrlEnv('ENRICHMENT', enrichmentQueue.id),
      AWS_ENDPOINT_URL_SQS: aws.url,
      AWS_ENDPOINT_URL_EVENTBRIDGE: aws.url,
      AWS_ENDPOINT_URL_SFN: aws.url,
    });

    const cache = new Map<string, Promise<LocalHandler>>();
    const handlerFor = (fnId: string): Promise<LocalHandler> => {
      let handler = cache.get(fnId);
      if (!handler) {
        process.env.POWERTOOLS_SERVICE_NAME = fnId;
        handler = loadHandler(join(root, lambdaById(fnId).entry));
        cache.set(fnId, handler);
      }
      return handler;
    };
    const onInvokeError = (fnId: string, error: unknown) =>
      log(
        `[${fnId}] unhandled error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );

    const ws: RunningWsGateway = await startWsGateway({
      host: config.host,
      port: config.wsPort,
      stage: config.stage,
      routes: wsRoutes,
      handlerFor,
      onInvokeError,
    });
    stoppers.push(() => ws.close());
    process.env.WS_MANAGEMENT_ENDPOINT = ws.managementEndpoint;

    const stepArn = localLambdaArn('playbook-step');
    const stepHandler = await handlerFor('playbook-step');
    process.env.PLAYBOOK_RUNNER_ARN = stateMachines.register({
      name: `vigil-${config.stage}-playbook-runner`,
      definition: playbookRunnerDefinition({ stepFunctionArn: stepArn }),
      lambdaHandlers: { [stepArn]: (input) => stepHandler(input, localLambdaContext('playbook-step')) },
    });

    const scheduler = new LocalScheduler((rule, error) => onInvokeError(`schedule ${rule}`, error));
    stoppers.push(async () => scheduler.stop());
    for (const def of scheduleDefs) {
      const target = await handlerFor(def.targetFn);
      scheduler.addRule(`vigil-${config.stage}-${def.id}`, def.expression, async (event) => {
        await target(event, localLambdaContext(def.targetFn));
      });
    }

    for (const def of queueDefs) {
      const queue = queues.get(def.id);
      if (!queue) continue;
      const consumer = attachConsumer(queue, (await handlerFor(def.consumer)) as SqsHandler, {
        functionName: def.consumer,
        batchSize: def.batchSize,
        concurrency: def.maxConcurrency,
        onError: (error) => onInvokeError(def.consumer, error),
      });
      stoppers.push(() => consumer.stop());
    }

    const http: RunningHttpGateway = await startHttpGateway({
      host: config.host,
      port: config.httpPort,
      routes: httpRoutes,
      fallbackFn: fallbackFunctionId,
      authorizerFn: authorizerFunctionId,
      handlerFor,
      cors: { allowedOrigins: config.corsOrigins },
      onInvokeError,
      onRequest: config.accessLog
        ? (line) => log(`${line.method} ${line.path} ${line.status} ${line.ms.toFixed(0)}ms`)
        : undefined,
    });
    stoppers.push(() => http.close());
    // Links in local mail (password reset, verification) point at this gateway.
    process.env.PUBLIC_APP_URL ??= http.url;

    return {
      httpUrl: http.url,
      wsUrl: ws.url,
      dynamodbEndpoint: dynamo.endpoint,
      awsEndpoint: aws.url,
      ...(sandbox ? { sandbox: withoutStop(sandbox) } : {}),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
}

/** The demo tenant the local target's anonymous sessions belong to; created once, kept across restarts. */
async function seedDemoTenant(
  client: DynamoDBDocumentClient,
  table: string,
  tenantId: string,
): Promise<void> {
  try {
    await client.send(
      new PutCommand({
        TableName: table,
        Item: {
          pk: `T#${tenantId}`,
          sk: 'TENANT',
          type: 'tenant',
          tenantId,
          name: 'Demo SOC',
          createdAt: new Date().toISOString(),
          seeded: true,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (error) {
    if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
  }
}

function withoutStop(sandbox: RunningSandbox): Omit<RunningSandbox, 'stop'> {
  const { stop: _stop, ...rest } = sandbox;
  return rest;
}
