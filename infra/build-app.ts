import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, type AppProps, Tags, Validations } from 'aws-cdk-lib';
import { enrichmentQueue } from '../shared/platform/messaging';
import { auditTable, stateTable } from '../shared/platform/tables';
import { configFromContext, type VigilConfig } from './config';
import { projectRoot } from './constructs/vigil-function';
import { ApiStack, webSocketStageName } from './stacks/api-stack';
import { VigilAwsSolutionsChecks } from './stacks/nag';
import { ObservabilityStack } from './stacks/observability-stack';
import { StatefulStack } from './stacks/stateful-stack';
import { WorkersStack } from './stacks/workers-stack';

/** The Vigil CDK app for one stage, with handles on its stacks for tests. */
export interface VigilApp {
  app: App;
  config: VigilConfig;
  stateful: StatefulStack;
  api: ApiStack;
  workers: WorkersStack;
  observability: ObservabilityStack;
}

/**
 * Builds the app for the stage named in context (`stage`, default `dev`): the stateful, API, workers and
 * observability stacks, checked at synthesis by cdk-nag's AwsSolutions pack (any unacknowledged finding
 * fails `cdk synth`). Stacks are environment-agnostic, so synthesis needs no credentials or lookups.
 */
export function buildApp(props: AppProps = {}): VigilApp {
  const app = new App({
    ...props,
    postCliContext: {
      // With a KMS-encrypted target queue, EventBridge's send grant (queue and key policy) is limited to
      // this account only with this flag; otherwise any account's rule could deliver into the queue.
      '@aws-cdk/aws-events:eventsTargetQueueSameAccount': true,
      ...props.postCliContext,
    },
  });
  const { version } = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as {
    version: string;
  };
  const config = configFromContext(app.node, version);
  const name = (kind: string) => `Vigil${kind}-${config.stage}`;
  const describe = (what: string) => `Vigil ${config.stage}: ${what}`;

  const stateful = new StatefulStack(app, name('Stateful'), {
    config,
    description: describe('tables, keys, platform secret, event bus and queues'),
    terminationProtection: config.production,
  });
  const resources = {
    stateTable: stateful.table(stateTable),
    auditTable: stateful.table(auditTable),
    eventBus: stateful.eventBus,
    platformSecret: stateful.platformSecret,
    signingKey: stateful.signingKey,
    dataKey: stateful.dataKey,
    enrichmentQueue: enrichmentQueuePair(stateful.queues),
    email: { from: config.emailFrom, appUrl: config.appUrl },
  };
  const api = new ApiStack(app, name('Api'), {
    config,
    resources,
    description: describe('HTTP and WebSocket APIs and their Lambdas'),
  });
  const workers = new WorkersStack(app, name('Workers'), {
    config,
    resources: { ...resources, webSocket: { apiId: api.webSocketApi.apiId, stageName: webSocketStageName } },
    queues: stateful.queues,
    description: describe('queue consumers, schedules and the playbook runner'),
  });
  const observability = new ObservabilityStack(app, name('Observability'), {
    config,
    topicKey: stateful.dataKey,
    httpApi: api.httpApi,
    functions: [...api.functions.values(), ...workers.functions.values()].map((fn) => fn.def),
    queues: stateful.queues.map((pair) => pair.def),
    stateMachines: [{ id: 'playbook-runner', name: workers.playbookRunnerName }],
    description: describe('alarms and dashboard'),
  });
  // Alarms watch resources by name; create them once those resources exist.
  observability.addStackDependency(workers);

  Tags.of(app).add('project', 'vigil');
  Tags.of(app).add('stage', config.stage);
  Validations.of(app).addPlugins(new VigilAwsSolutionsChecks(app));
  return { app, config, stateful, api, workers, observability };
}

function enrichmentQueuePair(queues: StatefulStack['queues']) {
  const pair = queues.find((q) => q.def.id === enrichmentQueue.id);
  if (!pair) throw new Error('The stateful stack has no enrichment queue.');
  return { queue: pair.queue, dlq: pair.dlq };
}
