import { Stack, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { queueDefs, scheduleDefs } from '../../shared/platform/messaging';
import { playbookRunnerDefinition } from '../../shared/playbooks/runner-definition';
import { lambdaById } from '../lambdas';
import type { StageConfig } from './config';
import { applyBinds, type BindTargets, VigilFunction } from './vigil-function';

/**
 * Workers and orchestration: one consumer Lambda per queue (partial batch responses on, DLQ on the
 * queue), the `playbook-step` Lambda, and the playbook runner state machine built from the shared ASL.
 */
export interface WorkersStackProps extends StackProps {
  config: StageConfig;
  binds: BindTargets;
  queues: Record<string, { queue: sqs.IQueue; dlq: sqs.IQueue }>;
}

export class WorkersStack extends Stack {
  readonly functions = new Map<string, VigilFunction>();
  readonly playbookRunner: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: WorkersStackProps) {
    super(scope, id, props);
    const { config } = props;
    const fnFor = (fnId: string): VigilFunction => {
      const def = lambdaById(fnId);
      const fn = new VigilFunction(this, `Fn-${fnId}`, { def, config });
      applyBinds(fn, def.binds, props.binds);
      this.functions.set(fnId, fn);
      return fn;
    };

    for (const def of queueDefs) {
      const queues = props.queues[def.id];
      if (!queues) throw new Error(`queue ${def.id} is not defined in the stateful stack`);
      fnFor(def.consumer).fn.addEventSource(
        new SqsEventSource(queues.queue, { batchSize: def.batchSize, reportBatchItemFailures: true }),
      );
    }

    for (const def of scheduleDefs) {
      const target = this.functions.get(def.targetFn) ?? fnFor(def.targetFn);
      new events.Rule(this, `Schedule-${def.id}`, {
        ruleName: `vigil-${config.stage}-${def.id}`,
        description: def.description,
        schedule: events.Schedule.expression(def.expression),
        targets: [new eventTargets.LambdaFunction(target.fn)],
      });
    }

    const step = fnFor('playbook-step');
    const logGroup = new logs.LogGroup(this, 'PlaybookRunnerLogs', {
      logGroupName: `/vigil/${config.stage}/states/playbook-runner`,
      retention: logs.RetentionDays.ONE_MONTH,
    });
    this.playbookRunner = new sfn.StateMachine(this, 'PlaybookRunner', {
      stateMachineName: `vigil-${config.stage}-playbook-runner`,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromString(
        // A Step Functions definition substitution, filled in by `definitionSubstitutions`.
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the placeholder syntax of Step Functions.
        JSON.stringify(playbookRunnerDefinition({ stepFunctionArn: '${StepFunctionArn}' })),
      ),
      definitionSubstitutions: { StepFunctionArn: step.fn.functionArn },
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    step.fn.grantInvoke(this.playbookRunner);
  }
}
