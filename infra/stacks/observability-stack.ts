import { ArnFormat, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { type QueueDef, queueName } from '../../shared/platform/messaging';
import type { VigilConfig } from '../config';
import { functionName } from '../constructs/vigil-function';
import type { LambdaDef } from '../lambdas';

export interface ObservabilityStackProps extends StackProps {
  config: VigilConfig;
  /** Key that encrypts the alarm topic (its policy lets CloudWatch publish). */
  topicKey: kms.IKey;
  httpApi: apigw.IHttpApi;
  /** Deployed Lambdas, queues and state machines, by definition: metrics are addressed by their names. */
  functions: readonly LambdaDef[];
  queues: readonly QueueDef[];
  /** State machines: `id` names the alarm, `name` is the deployed state machine name. */
  stateMachines: ReadonlyArray<{ id: string; name: string }>;
}

/**
 * What an operator acts on, sent to one encrypted SNS topic: anything in a DLQ, any Lambda error, any
 * HTTP 5xx, any failed playbook run; and a dashboard with the platform's vital signs. Thresholds are
 * "one is too many": each of these means lost work or a bug, never expected traffic.
 *
 * Metrics are built from the deterministic resource names rather than from the other stacks' constructs,
 * so this stack imports nothing but the API id and the topic key: removing a Lambda or a queue later is
 * never blocked by an export this stack still uses.
 */
export class ObservabilityStack extends Stack {
  readonly alarmTopic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: ObservabilityStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      topicName: `vigil-${config.stage}-alarms`,
      displayName: `Vigil ${config.stage} alarms`,
      masterKey: props.topicKey,
      enforceSSL: true,
    });
    if (config.alarmEmail)
      this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(config.alarmEmail));
    const notify = new actions.SnsAction(this.alarmTopic);
    const alarm = (
      alarmId: string,
      metric: cloudwatch.IMetric,
      description: string,
      comparison = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      threshold = 1,
    ): void => {
      const created = new cloudwatch.Alarm(this, alarmId, {
        alarmName: `vigil-${config.stage}-${alarmId}`,
        alarmDescription: description,
        metric,
        threshold,
        comparisonOperator: comparison,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(notify);
      created.addOkAction(notify);
      this.alarms.push(created);
    };

    const fiveMinutes = Duration.minutes(5);
    const minute = Duration.minutes(1);
    const lambdaMetric = (def: LambdaDef, metricName: string, statistic: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/Lambda',
        metricName,
        dimensionsMap: { FunctionName: functionName(config.stage, def) },
        statistic,
        period: fiveMinutes,
      });
    const queueDepth = (def: QueueDef, dlq: boolean) =>
      new cloudwatch.Metric({
        namespace: 'AWS/SQS',
        metricName: 'ApproximateNumberOfMessagesVisible',
        dimensionsMap: { QueueName: queueName(config.stage, def, dlq) },
        statistic: 'Maximum',
        period: minute,
      });
    const executions = (name: string, metricName: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/States',
        metricName,
        dimensionsMap: {
          StateMachineArn: this.formatArn({
            service: 'states',
            resource: 'stateMachine',
            resourceName: name,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        },
        statistic: 'Sum',
        period: fiveMinutes,
      });

    for (const def of props.queues) {
      alarm(
        `dlq-${def.id}`,
        queueDepth(def, true),
        `Messages in the ${def.id} dead-letter queue failed every retry. Inspect them, fix the cause, redrive.`,
        cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        0,
      );
    }
    for (const def of props.functions) {
      alarm(
        `errors-${def.id}`,
        lambdaMetric(def, 'Errors', 'Sum'),
        `${def.id} failed invocations (unhandled errors or timeouts) in the last 5 minutes.`,
      );
    }
    alarm(
      'http-api-5xx',
      props.httpApi.metricServerError({ period: fiveMinutes, statistic: 'Sum' }),
      'The HTTP API answered with 5xx in the last 5 minutes.',
    );
    for (const { id: machineId, name } of props.stateMachines) {
      alarm(
        `executions-failed-${machineId}`,
        executions(name, 'ExecutionsFailed'),
        `Executions of ${name} failed in the last 5 minutes.`,
      );
    }

    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: `vigil-${config.stage}` });
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'HTTP API requests, 4xx, 5xx',
        left: [
          props.httpApi.metricCount({ period: minute }),
          props.httpApi.metricClientError({ period: minute }),
          props.httpApi.metricServerError({ period: minute }),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'HTTP API latency p50 / p99 (ms)',
        left: [
          props.httpApi.metricLatency({ period: minute, statistic: 'p50' }),
          props.httpApi.metricLatency({ period: minute, statistic: 'p99' }),
        ],
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Lambda errors',
        left: props.functions.map((def) => lambdaMetric(def, 'Errors', 'Sum').with({ label: def.id })),
      }),
      new cloudwatch.GraphWidget({
        title: 'Lambda duration p99 (ms)',
        left: props.functions.map((def) => lambdaMetric(def, 'Duration', 'p99').with({ label: def.id })),
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Queue depth (left) and dead letters (right)',
        left: props.queues.map((def) => queueDepth(def, false).with({ label: def.id })),
        right: props.queues.map((def) => queueDepth(def, true).with({ label: `${def.id} DLQ` })),
      }),
      new cloudwatch.GraphWidget({
        title: 'Playbook executions',
        left: props.stateMachines.flatMap(({ name }) => [
          executions(name, 'ExecutionsSucceeded').with({ label: `${name} succeeded` }),
          executions(name, 'ExecutionsFailed').with({ label: `${name} failed` }),
        ]),
      }),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 }),
    );
  }
}
