import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { StageConfig } from './config';
import type { VigilFunction } from './vigil-function';

/**
 * Alarms an operator acts on — anything in a DLQ, Lambda errors, API 5xx, failed playbook runs — sent
 * to one encrypted SNS topic, and a dashboard with the platform's vital signs.
 */
export interface ObservabilityStackProps extends StackProps {
  config: StageConfig;
  alarmKey: kms.IKey;
  httpApi: apigw.IHttpApi;
  functions: VigilFunction[];
  queues: Array<{ id: string; queue: sqs.IQueue; dlq: sqs.IQueue }>;
  stateMachines: sfn.IStateMachine[];
}

export class ObservabilityStack extends Stack {
  readonly alarmTopic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: ObservabilityStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      topicName: `vigil-${config.stage}-alarms`,
      masterKey: props.alarmKey,
      enforceSSL: true,
    });
    if (config.alarmEmail)
      this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(config.alarmEmail));
    const notify = new actions.SnsAction(this.alarmTopic);
    const alarm = (alarmId: string, metric: cloudwatch.IMetric, description: string, threshold = 1) => {
      const created = new cloudwatch.Alarm(this, alarmId, {
        alarmName: `vigil-${config.stage}-${alarmId}`,
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(notify);
      created.addOkAction(notify);
      this.alarms.push(created);
      return created;
    };

    for (const { id: queueId, dlq } of props.queues) {
      alarm(
        `dlq-${queueId}`,
        dlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
        `Messages in the ${queueId} dead-letter queue: they failed every retry. Inspect and redrive.`,
      );
    }
    for (const fn of props.functions) {
      alarm(
        `errors-${fn.node.id.replace(/^Fn-/, '')}`,
        fn.fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
        `${fn.fn.functionName} raised errors (unhandled exceptions or timeouts).`,
        3,
      );
    }
    const api5xx = props.httpApi.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' });
    alarm('http-api-5xx', api5xx, 'The HTTP API answered with 5xx responses.', 5);
    for (const machine of props.stateMachines) {
      alarm(
        `executions-failed-${machine.node.id}`,
        machine.metricFailed({ period: Duration.minutes(5), statistic: 'Sum' }),
        'Playbook executions failed.',
      );
    }

    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: `vigil-${config.stage}` });
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'HTTP API: requests, 4xx, 5xx',
        left: [
          props.httpApi.metricCount({ period: Duration.minutes(1) }),
          props.httpApi.metricClientError({ period: Duration.minutes(1) }),
          props.httpApi.metricServerError({ period: Duration.minutes(1) }),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'HTTP API latency (p50, p99)',
        left: [
          props.httpApi.metricLatency({ period: Duration.minutes(1), statistic: 'p50' }),
          props.httpApi.metricLatency({ period: Duration.minutes(1), statistic: 'p99' }),
        ],
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Lambda errors',
        left: props.functions.map((fn) => fn.fn.metricErrors({ period: Duration.minutes(5) })),
      }),
      new cloudwatch.GraphWidget({
        title: 'Lambda duration p99',
        left: props.functions.map((fn) =>
          fn.fn.metricDuration({ period: Duration.minutes(5), statistic: 'p99' }),
        ),
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Queue depth and dead letters',
        left: props.queues.map((q) =>
          q.queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
        ),
        right: props.queues.map((q) =>
          q.dlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
        ),
      }),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms }),
    );
  }
}
