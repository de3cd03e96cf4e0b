import { join, resolve } from 'node:path';
import { Aws, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { TableDef } from '../../shared/platform/tables';
import { bundlingOptions } from '../bundling';
import type { VigilConfig } from '../config';
import type { Bind, LambdaDef } from '../lambdas';
import { acknowledgeWildcardResource } from '../stacks/nag';

/** Repository root: the esbuild project root and where `package-lock.json` lives. */
export const projectRoot = resolve(import.meta.dirname, '..', '..');

/** Sizing of a catalog entry that sets none. */
export const defaultMemoryMb = 512;
export const defaultTimeoutSeconds = 10;

/** A function's timeout in seconds; queues size their visibility timeout from it. */
export function timeoutSecondsOf(def: Pick<LambdaDef, 'timeoutSeconds'>): number {
  return def.timeoutSeconds ?? defaultTimeoutSeconds;
}

/** Physical name of a catalog Lambda in a stage. */
export function functionName(stage: string, def: Pick<LambdaDef, 'id'>): string {
  return `vigil-${stage}-${def.id}`;
}

export interface VigilFunctionProps {
  def: LambdaDef;
  config: VigilConfig;
  /** Extra environment, e.g. HTTP settings shared by every route function. */
  environment?: Record<string, string>;
}

const readItemActions = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:ConditionCheckItem',
];
const writeItemActions = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
];

/**
 * The project's Lambda: one catalog entry (`infra/lambdas.ts`) as a Node.js 22 ARM64 function with
 * X-Ray active tracing, its own log group with the stage's retention, source maps, and the same esbuild
 * options the bundle benchmark measures. Its role starts with writing its own logs and traces only;
 * each `bind…` helper adds one grant together with the environment variable that names the resource, so
 * a function never has a variable it may not use, nor a grant it has no name for.
 */
export class VigilFunction extends Construct {
  readonly def: LambdaDef;
  readonly function: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: VigilFunctionProps) {
    super(scope, id);
    const { def, config } = props;
    this.def = def;
    const name = functionName(config.stage, def);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/lambda/${name}`,
      retention: config.logRetentionDays,
      removalPolicy: config.production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    // Our own role instead of the default one: AWSLambdaBasicExecutionRole would let the function write
    // to every log group in the account.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${name}`,
    });
    // The log group's ARN attribute ends in `:*`, which covers the streams Lambda creates in it.
    this.logGroup.grantWrite(this.role);

    const assets = def.assets;
    this.function = new NodejsFunction(this, 'Function', {
      functionName: name,
      description: def.description,
      entry: join(projectRoot, def.entry),
      handler: 'handler',
      projectRoot,
      depsLockFilePath: join(projectRoot, 'package-lock.json'),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: def.memoryMb ?? defaultMemoryMb,
      timeout: Duration.seconds(timeoutSecondsOf(def)),
      tracing: Tracing.ACTIVE,
      logGroup: this.logGroup,
      role: this.role,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        VIGIL_STAGE: config.stage,
        VIGIL_VERSION: config.version,
        POWERTOOLS_SERVICE_NAME: def.id,
        POWERTOOLS_METRICS_NAMESPACE: 'Vigil',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: bundlingOptions.target,
        minify: bundlingOptions.minify,
        sourceMap: bundlingOptions.sourcemap,
        mainFields: bundlingOptions.mainFields,
        banner: bundlingOptions.banner.js,
        externalModules: bundlingOptions.external,
        esbuildArgs: { '--legal-comments': bundlingOptions.legalComments },
        logLevel: LogLevel.ERROR,
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (inputDir: string, outputDir: string) =>
            assets
              ? [
                  `mkdir -p "${outputDir}/${assets.to}"`,
                  ...assets.files.map(
                    (file) =>
                      `cp "${inputDir}/node_modules/${assets.fromPackage}/${file}" "${outputDir}/${assets.to}/${file}"`,
                  ),
                ]
              : [],
        },
      },
    });

    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords have no resource-level permissions. No other statement of this role may use "*" (asserted by the infra tests).',
    });
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Node.js 22 is pinned on purpose: bundles target node22 and the suites run on it; moving to a newer runtime is a tested change, not a silent one.',
    });
  }

  /**
   * Item-level access to a table and its indexes (no Scan, no stream reads), the key use that goes with
   * it (through DynamoDB only), and the table name in the definition's `envVar`. `write` includes read.
   */
  bindTable(table: ITable, def: Pick<TableDef, 'envVar' | 'globalIndexes'>, access: 'read' | 'write'): void {
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: access === 'read' ? readItemActions : [...readItemActions, ...writeItemActions],
        resources: [
          table.tableArn,
          ...def.globalIndexes.map((index) => `${table.tableArn}/index/${index.indexName}`),
        ],
      }),
    );
    this.allowTableKey(
      table,
      access === 'read' ? ['kms:Decrypt'] : ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
    );
    this.function.addEnvironment(def.envVar, table.tableName);
  }

  /**
   * Append-only writes: `dynamodb:PutItem` on the table and nothing that updates or deletes, so a
   * compromised writer cannot rewrite history (the hash chain makes a rewrite detectable anyway).
   */
  bindAppendOnlyTable(table: ITable, def: Pick<TableDef, 'envVar'>): void {
    this.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['dynamodb:PutItem'], resources: [table.tableArn] }),
    );
    this.allowTableKey(table, ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey']);
    this.function.addEnvironment(def.envVar, table.tableName);
  }

  /** `events:PutEvents` on the platform bus, named in `EVENT_BUS_NAME`. */
  bindEventBus(bus: IEventBus): void {
    bus.grantPutEventsTo(this.role);
    this.function.addEnvironment('EVENT_BUS_NAME', bus.eventBusName);
  }

  /**
   * Pushing to WebSocket clients: `execute-api:ManageConnections` for `POST @connections/*` on one stage
   * of one API, and that stage's management endpoint in `WS_MANAGEMENT_ENDPOINT`.
   */
  bindWebSocketManagement(apiId: string, stageName: string): void {
    const connections = Stack.of(this).formatArn({
      service: 'execute-api',
      resource: apiId,
      resourceName: `${stageName}/POST/@connections/*`,
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['execute-api:ManageConnections'], resources: [connections] }),
    );
    acknowledgeWildcardResource(
      this.role,
      connections,
      'API Gateway assigns WebSocket connection ids at $connect time, so they cannot be listed; the grant is limited to POST on one stage of this stage’s WebSocket API.',
    );
    this.function.addEnvironment(
      'WS_MANAGEMENT_ENDPOINT',
      `https://${apiId}.execute-api.${Aws.REGION}.${Aws.URL_SUFFIX}/${stageName}`,
    );
  }

  /** Reading the platform secret (and decrypting it through Secrets Manager only), named in `PLATFORM_SECRET_ARN`. */
  bindSecret(secret: ISecret): void {
    this.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secret.secretArn] }),
    );
    if (secret.encryptionKey) {
      this.role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: [secret.encryptionKey.keyArn],
          conditions: {
            StringEquals: { 'kms:ViaService': `secretsmanager.${Aws.REGION}.${Aws.URL_SUFFIX}` },
          },
        }),
      );
    }
    this.function.addEnvironment('PLATFORM_SECRET_ARN', secret.secretArn);
  }

  /**
   * The access-token key, named in `JWT_SIGNING_KEY_ARN`: `sign` may sign (ES256 only) and read the public
   * key; `verify` may only read the public key. The private key never leaves KMS.
   */
  bindSigningKey(key: IKey, use: 'sign' | 'verify'): void {
    this.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['kms:GetPublicKey'], resources: [key.keyArn] }),
    );
    if (use === 'sign') {
      this.role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['kms:Sign'],
          resources: [key.keyArn],
          conditions: { StringEquals: { 'kms:SigningAlgorithm': 'ECDSA_SHA_256' } },
        }),
      );
    }
    this.function.addEnvironment('JWT_SIGNING_KEY_ARN', key.keyArn);
  }

  /**
   * Envelope encryption with the data key (AWS Encryption SDK, KMS keyring), named in `DATA_KEY_ARN`:
   * `kms:GenerateDataKey` to encrypt and `kms:Decrypt` to decrypt, nothing else, and only for calls whose
   * encryption context names a `tenantId` and a `purpose`. `Null: false` on both context keys requires
   * each to be present; `kms:EncryptionContextKeys` cannot say that alone (`ForAllValues` also admits an
   * empty context, `ForAnyValue` is satisfied by either key).
   */
  /**
   * Sending to a work queue and parking messages in its DLQ: `sqs:SendMessage` (and the queue key's
   * data-key use) on those two queues only, with their URLs in `<PREFIX>_QUEUE_URL` and `<PREFIX>_DLQ_URL`.
   */
  bindQueueSend(queue: IQueue, dlq: IQueue, prefix: string): void {
    this.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queue.queueArn, dlq.queueArn] }),
    );
    // Encrypted queues: the producer needs the queue key's data keys, through SQS only (never directly,
    // which would bypass the encryption-context rule of `bindDataKey` on the same key).
    const keys = [queue.encryptionMasterKey, dlq.encryptionMasterKey].filter(
      (k): k is IKey => k !== undefined,
    );
    if (keys.length > 0) {
      this.role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: [...new Set(keys.map((k) => k.keyArn))],
          conditions: { StringEquals: { 'kms:ViaService': `sqs.${Aws.REGION}.${Aws.URL_SUFFIX}` } },
        }),
      );
    }
    this.function.addEnvironment(`${prefix}_QUEUE_URL`, queue.queueUrl);
    this.function.addEnvironment(`${prefix}_DLQ_URL`, dlq.queueUrl);
  }

  bindDataKey(key: IKey): void {
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [key.keyArn],
        conditions: {
          Null: { 'kms:EncryptionContext:tenantId': 'false', 'kms:EncryptionContext:purpose': 'false' },
        },
      }),
    );
    this.function.addEnvironment('DATA_KEY_ARN', key.keyArn);
  }

  /**
   * Sending mail through SES: `ses:SendEmail`, limited to the configured sender when there is one, and
   * `EMAIL_FROM` / `PUBLIC_APP_URL` when configured (without a sender, the function sends no mail).
   */
  bindEmail(options: { from?: string; appUrl?: string }): void {
    const identities = Stack.of(this).formatArn({ service: 'ses', resource: 'identity', resourceName: '*' });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ses:SendEmail'],
        resources: [identities],
        conditions: options.from ? { StringEquals: { 'ses:FromAddress': options.from } } : undefined,
      }),
    );
    acknowledgeWildcardResource(
      this.role,
      identities,
      'SES authorizes SendEmail against the sender identity and, in the SES sandbox, every recipient identity; recipients are users’ own addresses, unknown in advance. The sender is pinned by the ses:FromAddress condition.',
    );
    if (options.from) this.function.addEnvironment('EMAIL_FROM', options.from);
    if (options.appUrl) this.function.addEnvironment('PUBLIC_APP_URL', options.appUrl);
  }

  private allowTableKey(table: ITable, actions: string[]): void {
    if (!table.encryptionKey) return;
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: [...actions, 'kms:DescribeKey'],
        resources: [table.encryptionKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Aws.REGION}.${Aws.URL_SUFFIX}` } },
      }),
    );
  }
}

/** A table together with the shared definition it was built from. */
export interface BoundTable {
  table: ITable;
  def: TableDef;
}

/** The resources the catalog's bind names refer to. */
export interface BindResources {
  stateTable: BoundTable;
  auditTable: BoundTable;
  eventBus: IEventBus;
  platformSecret: ISecret;
  signingKey: IKey;
  /** The symmetric key behind envelope encryption of tenant secrets. */
  dataKey: IKey;
  /** The enrichment lookup queue and its DLQ, for `enrichmentQueue` binds. */
  enrichmentQueue?: { queue: IQueue; dlq: IQueue };
  /** The WebSocket API stage clients are pushed through; needed by `wsManagement` binds. */
  webSocket?: { apiId: string; stageName: string };
  email: { from?: string; appUrl?: string };
}

/** Applies a catalog entry's `binds` to its function: each name maps to one bind helper. */
export function applyBinds(fn: VigilFunction, binds: readonly Bind[], resources: BindResources): void {
  for (const bind of binds) {
    switch (bind) {
      case 'stateTableRead':
        fn.bindTable(resources.stateTable.table, resources.stateTable.def, 'read');
        break;
      case 'stateTableWrite':
        fn.bindTable(resources.stateTable.table, resources.stateTable.def, 'write');
        break;
      case 'auditTableRead':
        fn.bindTable(resources.auditTable.table, resources.auditTable.def, 'read');
        break;
      case 'auditTableWrite':
        fn.bindAppendOnlyTable(resources.auditTable.table, resources.auditTable.def);
        break;
      case 'eventBus':
        fn.bindEventBus(resources.eventBus);
        break;
      case 'platformSecret':
        fn.bindSecret(resources.platformSecret);
        break;
      case 'tokenSigning':
        fn.bindSigningKey(resources.signingKey, 'sign');
        break;
      case 'tokenVerification':
        fn.bindSigningKey(resources.signingKey, 'verify');
        break;
      case 'dataKey':
        fn.bindDataKey(resources.dataKey);
        break;
      case 'enrichmentQueue':
        if (!resources.enrichmentQueue) {
          throw new Error(`${fn.def.id} binds enrichmentQueue, but its stack was given no enrichment queue.`);
        }
        fn.bindQueueSend(resources.enrichmentQueue.queue, resources.enrichmentQueue.dlq, 'ENRICHMENT');
        break;
      case 'email':
        fn.bindEmail(resources.email);
        break;
      case 'wsManagement':
        if (!resources.webSocket) {
          throw new Error(`${fn.def.id} binds wsManagement, but its stack was given no WebSocket API.`);
        }
        fn.bindWebSocketManagement(resources.webSocket.apiId, resources.webSocket.stageName);
        break;
      default: {
        const unknown: never = bind;
        throw new Error(`No bind helper for '${String(unknown)}'.`);
      }
    }
  }
}
