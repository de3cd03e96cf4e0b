import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { busName, platformEventsRule, queueDefs, queueName } from '../../shared/platform/messaging';
import { type TableDef, tableDefs, tableName } from '../../shared/platform/tables';
import type { StageConfig } from './config';

/**
 * Everything that holds data or secrets, in a stack of its own so stateless stacks can be replaced
 * freely: the tables (from the shared definitions), the KMS keys, the platform secret, the event bus
 * with its archive, and the queues with their dead-letter queues.
 */
export interface StatefulStackProps extends StackProps {
  config: StageConfig;
  /** Consumer timeout per queue id, to size visibility timeouts (6x, as AWS recommends). */
  consumerTimeoutSeconds: Record<string, number>;
}

export class StatefulStack extends Stack {
  readonly dataKey: kms.Key;
  readonly signingKey: kms.Key;
  readonly tables: Record<TableDef['id'], dynamodb.Table>;
  readonly platformSecret: secretsmanager.Secret;
  readonly eventBus: events.EventBus;
  readonly queues: Record<string, { queue: sqs.Queue; dlq: sqs.Queue }>;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const { config } = props;
    const removalPolicy = config.production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.dataKey = new kms.Key(this, 'DataKey', {
      alias: `alias/vigil-${config.stage}-data`,
      description:
        'Vigil: encrypts tables, queues, the platform secret and tenant credentials (envelope encryption)',
      enableKeyRotation: true,
      removalPolicy,
    });
    // CloudWatch alarms publish to the alarm topic, which this key encrypts.
    this.dataKey.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
      }),
    );
    this.signingKey = new kms.Key(this, 'SigningKey', {
      alias: `alias/vigil-${config.stage}-jwt-signing`,
      description: 'Vigil: signs access tokens (ES256); the private key never leaves KMS',
      keySpec: kms.KeySpec.ECC_NIST_P256,
      keyUsage: kms.KeyUsage.SIGN_VERIFY,
      removalPolicy,
    });

    const tables = {} as Record<TableDef['id'], dynamodb.Table>;
    for (const def of tableDefs) {
      tables[def.id] = new dynamodb.Table(this, `${capitalize(def.id)}Table`, {
        tableName: tableName(config.stage, def),
        partitionKey: { name: def.partitionKey.name, type: attributeType(def.partitionKey.type) },
        sortKey: { name: def.sortKey.name, type: attributeType(def.sortKey.type) },
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
        encryptionKey: this.dataKey,
        timeToLiveAttribute: def.ttlAttribute,
        stream:
          def.stream === 'NEW_IMAGE'
            ? dynamodb.StreamViewType.NEW_IMAGE
            : def.stream
              ? dynamodb.StreamViewType.NEW_AND_OLD_IMAGES
              : undefined,
        deletionProtection: config.production,
        removalPolicy,
      });
      for (const gsi of def.globalIndexes) {
        tables[def.id].addGlobalSecondaryIndex({
          indexName: gsi.indexName,
          partitionKey: { name: gsi.partitionKey.name, type: attributeType(gsi.partitionKey.type) },
          sortKey: gsi.sortKey
            ? { name: gsi.sortKey.name, type: attributeType(gsi.sortKey.type) }
            : undefined,
          projectionType: dynamodb.ProjectionType.ALL,
        });
      }
    }
    this.tables = tables;

    this.platformSecret = new secretsmanager.Secret(this, 'PlatformSecret', {
      secretName: `vigil/${config.stage}/platform`,
      description: 'Vigil platform secrets: password pepper and bootstrap tokens',
      encryptionKey: this.dataKey,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ version: 1 }),
        generateStringKey: 'pepper',
        passwordLength: 64,
        excludePunctuation: true,
      },
      removalPolicy,
    });

    this.eventBus = new events.EventBus(this, 'EventBus', { eventBusName: busName(config.stage) });
    this.eventBus.archive('Archive', {
      archiveName: `vigil-${config.stage}-events`,
      description: 'Every Vigil event, replayable for 30 days',
      eventPattern: { account: [this.account] },
      retention: Duration.days(30),
    });

    this.queues = {};
    for (const def of queueDefs) {
      const dlq = new sqs.Queue(this, `${capitalize(def.id)}Dlq`, {
        queueName: queueName(config.stage, def, true),
        encryption: sqs.QueueEncryption.KMS,
        encryptionMasterKey: this.dataKey,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
        removalPolicy,
      });
      const queue = new sqs.Queue(this, `${capitalize(def.id)}Queue`, {
        queueName: queueName(config.stage, def),
        encryption: sqs.QueueEncryption.KMS,
        encryptionMasterKey: this.dataKey,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
        visibilityTimeout: Duration.seconds(6 * (props.consumerTimeoutSeconds[def.id] ?? 30)),
        deadLetterQueue: { queue: dlq, maxReceiveCount: def.maxReceiveCount },
        removalPolicy,
      });
      this.queues[def.id] = { queue, dlq };
    }

    const ruleTarget = this.queues[platformEventsRule.targetQueue];
    if (ruleTarget) {
      new events.Rule(this, 'PlatformEventsRule', {
        ruleName: `vigil-${config.stage}-${platformEventsRule.id}`,
        description: 'Every vigil.* event to the events queue (WebSocket push, playbook triggers)',
        eventBus: this.eventBus,
        eventPattern: platformEventsRule.pattern as unknown as events.EventPattern,
        targets: [new targets.SqsQueue(ruleTarget.queue)],
      });
    }
  }
}

function attributeType(type: 'S' | 'N' | 'B'): dynamodb.AttributeType {
  return type === 'S'
    ? dynamodb.AttributeType.STRING
    : type === 'N'
      ? dynamodb.AttributeType.NUMBER
      : dynamodb.AttributeType.BINARY;
}

function capitalize(value: string): string {
  return value.charAt(0).toUpperCase() + value.slice(1);
}
