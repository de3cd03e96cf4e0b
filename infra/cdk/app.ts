import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { queueDefs } from '../../shared/platform/messaging';
import { lambdaById } from '../lambdas';
import { ApiStack } from './api-stack';
import { stageConfig } from './config';
import { VigilAwsSolutionsChecks } from './nag';
import { ObservabilityStack } from './observability-stack';
import { StatefulStack } from './stateful-stack';
import { WorkersStack } from './workers-stack';

/**
 * Builds the Vigil CDK app for one stage: stateful, API, workers and observability stacks, checked
 * by cdk-nag's AwsSolutions pack. Environment-agnostic, so `cdk synth` needs no credentials.
 */
export interface VigilApp {
  app: App;
  stateful: StatefulStack;
  api: ApiStack;
  workers: WorkersStack;
  observability: ObservabilityStack;
}

const root = resolve(import.meta.dirname, '..', '..');

export function buildApp(props: AppProps = {}, options: { nag?: boolean } = {}): VigilApp {
  const app = new App(props);
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string })
    .version;
  const config = stageConfig(app, version);
  const prefix = (name: string) => `Vigil${name}-${config.stage}`;
  const tags = { project: 'vigil', stage: config.stage };

  const consumerTimeoutSeconds = Object.fromEntries(
    queueDefs.map((def) => [def.id, lambdaById(def.consumer).timeoutSeconds ?? 10]),
  );
  const stateful = new StatefulStack(app, prefix('Stateful'), {
    config,
    consumerTimeoutSeconds,
    description: `Vigil ${config.stage}: tables, keys, secrets, event bus and queues`,
    tags,
  });
  const binds = {
    stateTable: stateful.tables.state,
    auditTable: stateful.tables.audit,
    dataKey: stateful.dataKey,
    signingKey: stateful.signingKey,
    eventBus: stateful.eventBus,
    platformSecret: stateful.platformSecret,
    config,
  };
  const api = new ApiStack(app, prefix('Api'), {
    config,
    binds,
    description: `Vigil ${config.stage}: HTTP and WebSocket APIs`,
    tags,
  });
  const workers = new WorkersStack(app, prefix('Workers'), {
    config,
    binds: {
      ...binds,
      webSocket: { apiId: api.webSocketApi.apiId, stageName: api.webSocketStage.stageName },
    },
    queues: stateful.queues,
    description: `Vigil ${config.stage}: queue workers and playbook runner`,
    tags,
  });
  const observability = new ObservabilityStack(app, prefix('Observability'), {
    config,
    alarmKey: stateful.dataKey,
    httpApi: api.httpApi,
    functions: [...api.functions.values(), ...workers.functions.values()],
    queues: Object.entries(stateful.queues).map(([id, q]) => ({ id, ...q })),
    stateMachines: [workers.playbookRunner],
    description: `Vigil ${config.stage}: alarms and dashboard`,
    tags,
  });

  if (options.nag ?? true) Validations.of(app).addPlugins(new VigilAwsSolutionsChecks(app));
  return { app, stateful, api, workers, observability };
}
