import { Aws, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import {
  busName,
  platformEventsRule,
  type QueueDef,
  queueDefs,
  queueName,
} from '../../shared/platform/messaging';
import { type AttributeType, type TableDef, tableDefs, tableName } from '../../shared/platform/tables';
import type { VigilConfig } from '../config';
import { timeoutSecondsOf } from '../constructs/vigil-function';
import { lambdaById } from '../lambdas';

export interface StatefulStackProps extends StackProps {
  config: VigilConfig;
}

/** A work queue and the dead-letter queue its failures end in. */
export interface QueuePair {
  def: QueueDef;
  queue: sqs.Queue;
  dlq: sqs.Queue;
}

/**
 * Everything that holds data or key material, in a stack of its own so the stateless stacks can be
 * replaced freely: the tables (from the shared definitions), the KMS data key and JWT signing key, the
 * platform secret, the event bus with its archive, and the queues (with their DLQs) behind the bus.
 *
 * Removal: the `production` stage retains tables, keys, the secret and queues on stack deletion and
 * protects tables from deletion; other stages are disposable and delete everything with the stack.
 */
export class StatefulStack extends Stack {
  readonly dataKey: kms.Key;
  readonly signingKey: kms.Key;
  readonly tables: ReadonlyMap<TableDef['id'], { table: dynamodb.Table; def: TableDef }>;
  readonly platformSecret: secretsmanager.Secret;
  readonly eventBus: events.EventBus;
  readonly queues: readonly QueuePair[];

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const { config } = props;
    const removalPolicy = config.production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.dataKey = new kms.Key(this, 'DataKey', {
      alias: `alias/vigil-${config.stage}-data`,
      description:
        'Vigil: encrypts tables, queues, the platform secret, the alarm topic and tenant credentials',
      enableKeyRotation: true,
      removalPolicy,
    });
    // CloudWatch publishes alarm notifications to the alarm topic, which this key encrypts.
    this.dataKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublishToEncryptedTopic',
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

    const tables = new Map<TableDef['id'], { table: dynamodb.Table; def: TableDef }>();
    for (const def of tableDefs) {
      const table = new dynamodb.Table(this, `${pascal(def.id)}Table`, {
        tableName: tableName(config.stage, def),
        partitionKey: attribute(def.partitionKey),
        sortKey: attribute(def.sortKey),
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
        encryptionKey: this.dataKey,
        timeToLiveAttribute: def.ttlAttribute,
        stream: def.stream ? dynamodb.StreamViewType[def.stream] : undefined,
        deletionProtection: config.production,
        removalPolicy,
      });
      for (const index of def.globalIndexes) {
        table.addGlobalSecondaryIndex({
          indexName: index.indexName,
          partitionKey: attribute(index.partitionKey),
          sortKey: index.sortKey ? attribute(index.sortKey) : undefined,
          projectionType: dynamodb.ProjectionType.ALL,
        });
      }
      tables.set(def.id, { table, def });
    }
    this.tables = tables;

    this.platformSecret = new secretsmanager.Secret(this, 'PlatformSecret', {
      secretName: `vigil/${config.stage}/platform`,
      description: 'Vigil platform secrets: the password pepper and bootstrap tokens',
      encryptionKey: this.dataKey,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ version: 1 }),
        generateStringKey: 'pepper',
        passwordLength: 64,
        excludePunctuation: true,
      },
      removalPolicy,
    });
    Validations.of(this.platformSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The secret holds the password pepper, which is mixed into every stored password hash: an automatic rotation would lock every user out. Rotating it is an operator procedure (keep the old pepper, re-hash at next login).',
    });

    this.eventBus = new events.EventBus(this, 'EventBus', { eventBusName: busName(config.stage) });
    this.eventBus.archive('Archive', {
      archiveName: `vigil-${config.stage}-events`,
      description: 'Every event on the Vigil bus, replayable for 30 days',
      eventPattern: { account: [Aws.ACCOUNT_ID] },
      retention: Duration.days(30),
    });

    this.queues = queueDefs.map((def) => {
      const dlq = new sqs.Queue(this, `${pascal(def.id)}Dlq`, {
        queueName: queueName(config.stage, def, true),
        encryption: sqs.QueueEncryption.KMS,
        encryptionMasterKey: this.dataKey,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
        removalPolicy,
      });
      const queue = new sqs.Queue(this, `${pascal(def.id)}Queue`, {
        queueName: queueName(config.stage, def),
        encryption: sqs.QueueEncryption.KMS,
        encryptionMasterKey: this.dataKey,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
        // AWS's guidance for Lambda consumers: at least six times the function timeout.
        visibilityTimeout: Duration.seconds(6 * timeoutSecondsOf(lambdaById(def.consumer))),
        deadLetterQueue: { queue: dlq, maxReceiveCount: def.maxReceiveCount },
        removalPolicy,
      });
      return { def, queue, dlq };
    });

    const target = this.queues.find((pair) => pair.def.id === platformEventsRule.targetQueue);
    if (!target)
      throw new Error(`platform events rule targets unknown queue '${platformEventsRule.targetQueue}'`);
    new events.Rule(this, 'PlatformEventsRule', {
      ruleName: `vigil-${config.stage}-${platformEventsRule.id}`,
      description: 'Every vigil.* event to the events queue (WebSocket push, playbook triggers)',
      eventBus: this.eventBus,
      // The shared pattern is EventBridge JSON (content filters included), which CDK renders as given.
      eventPattern: platformEventsRule.pattern as unknown as events.EventPattern,
      targets: [new targets.SqsQueue(target.queue)],
    });
  }

  /** The table built from `def`. */
  table(def: Pick<TableDef, 'id'>): { table: dynamodb.Table; def: TableDef } {
    const found = this.tables.get(def.id);
    if (!found) throw new Error(`no table '${def.id}' in ${this.stackName}`);
    return found;
  }
}

const attributeTypes: Record<AttributeType, dynamodb.AttributeType> = {
  S: dynamodb.AttributeType.STRING,
  N: dynamodb.AttributeType.NUMBER,
  B: dynamodb.AttributeType.BINARY,
};

function attribute(key: { name: string; type: AttributeType }): dynamodb.Attribute {
  return { name: key.name, type: attributeTypes[key.type] };
}

function pascal(id: string): string {
  return id.replace(/(^|-)([a-z])/g, (_match, _dash: string, letter: string) => letter.toUpperCase());
}
