import { RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { QueueDef } from '../../shared/platform/messaging';
import { scheduleDefs } from '../../shared/platform/messaging';
import { playbookRunnerDefinition } from '../../shared/playbooks/runner-definition';
import type { VigilConfig } from '../config';
import { applyBinds, type BindResources, VigilFunction } from '../constructs/vigil-function';
import { lambdaById } from '../lambdas';

/** Catalog id of the Lambda the playbook runner invokes for every step and outcome. */
export const playbookStepFunctionId = 'playbook-step';

export interface WorkersStackProps extends StackProps {
  config: VigilConfig;
  resources: BindResources;
  /** Work queues (from the stateful stack) and the definitions naming their consumers. */
  queues: ReadonlyArray<{ def: QueueDef; queue: sqs.IQueue }>;
}

/**
 * Workers and orchestration, the Lambdas no route reaches: one consumer per queue (partial batch
 * responses, so one bad record is retried alone and ends in the DLQ), the scheduled functions, and the
 * playbook runner state machine, deployed from the shared ASL with the `playbook-step` Lambda.
 */
export class WorkersStack extends Stack {
  readonly functions = new Map<string, VigilFunction>();
  readonly playbookRunner: sfn.StateMachine;
  readonly playbookRunnerName: string;

  constructor(scope: Construct, id: string, props: WorkersStackProps) {
    super(scope, id, props);
    const { config } = props;
    const fnFor = (fnId: string): VigilFunction => {
      const existing = this.functions.get(fnId);
      if (existing) return existing;
      const def = lambdaById(fnId);
      const fn = new VigilFunction(this, `Fn-${fnId}`, { def, config });
      applyBinds(fn, def.binds, props.resources);
      this.functions.set(fnId, fn);
      return fn;
    };

    for (const { def, queue } of props.queues) {
      fnFor(def.consumer).function.addEventSource(
        new SqsEventSource(queue, {
          batchSize: def.batchSize,
          reportBatchItemFailures: true,
          ...(def.maxConcurrency ? { maxConcurrency: Math.max(2, def.maxConcurrency) } : {}),
        }),
      );
    }

    for (const def of scheduleDefs) {
      new events.Rule(this, `Schedule-${def.id}`, {
        ruleName: `vigil-${config.stage}-${def.id}`,
        description: def.description,
        schedule: events.Schedule.expression(def.expression),
        targets: [new eventTargets.LambdaFunction(fnFor(def.targetFn).function)],
      });
    }

    const step = fnFor(playbookStepFunctionId);
    this.playbookRunnerName = `vigil-${config.stage}-playbook-runner`;
    const runnerLogs = new logs.LogGroup(this, 'PlaybookRunnerLogs', {
      logGroupName: `/aws/vendedlogs/states/${this.playbookRunnerName}`,
      retention: config.logRetentionDays,
      removalPolicy: config.production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.playbookRunner = new sfn.StateMachine(this, 'PlaybookRunner', {
      stateMachineName: this.playbookRunnerName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromString(
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a Step Functions definition substitution, filled by `definitionSubstitutions`.
        JSON.stringify(playbookRunnerDefinition({ stepFunctionArn: '${StepFunctionArn}' })),
      ),
      definitionSubstitutions: { StepFunctionArn: step.function.functionArn },
      tracingEnabled: true,
      // Every state transition is logged; inputs and outputs are not, since the step Lambda records
      // each step's input, output and error itself (tenant data stays in the tenant's items).
      logs: { destination: runnerLogs, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    // The ASL invokes the unqualified function ARN, so no `:*` (versions and aliases) grant is needed.
    this.playbookRunner.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [step.function.functionArn] }),
    );
    Validations.of(this.playbookRunner.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Step Functions log delivery (logs:CreateLogDelivery and related) and X-Ray tracing (xray:PutTraceSegments and related) have no resource-level permissions.',
    });
  }
}
