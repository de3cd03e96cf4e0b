import { join, resolve } from 'node:path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { bundlingOptions } from '../bundling';
import type { Bind, LambdaDef } from '../lambdas';
import type { StageConfig } from './config';

const root = resolve(import.meta.dirname, '..', '..');

export interface VigilFunctionProps {
  def: LambdaDef;
  config: StageConfig;
  environment?: Record<string, string>;
}

/**
 * The project's Lambda: Node 22 on ARM64, X-Ray active tracing, its own log group with the stage's
 * retention, source maps, and the same esbuild bundle the benchmark measures. Its role starts with
 * permission to write its own logs only; bind helpers add a grant and the matching environment
 * variable together, so a function never has a variable it cannot use or a grant it has no name for.
 */
export class VigilFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly logGroup: logs.LogGroup;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: VigilFunctionProps) {
    super(scope, id);
    const { def, config } = props;
    const name = `vigil-${config.stage}-${def.id}`;
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/lambda/${name}`,
      retention: retentionFor(config.logRetentionDays),
      removalPolicy: config.production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${name}`,
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn, `${this.logGroup.logGroupArn}:log-stream:*`],
      }),
    );
    const assets = def.assets;
    this.fn = new NodejsFunction(this, 'Function', {
      functionName: name,
      description: def.description,
      entry: join(root, def.entry),
      handler: 'handler',
      projectRoot: root,
      depsLockFilePath: join(root, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: def.memoryMb ?? 512,
      timeout: Duration.seconds(def.timeoutSeconds ?? 10),
      tracing: lambda.Tracing.ACTIVE,
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
        logLevel: LogLevel.ERROR,
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_input: string, output: string) =>
            assets
              ? [
                  `mkdir -p "${output}/${assets.to}"`,
                  ...assets.files.map(
                    (file) =>
                      `cp "${join(root, 'node_modules', assets.fromPackage, file)}" "${output}/${assets.to}/${file}"`,
                  ),
                ]
              : [],
        },
      },
    });
  }

  /**
   * Item-level table access (no Scan, no stream reads) on the table and its indexes, the key use that
   * goes with it, and the table's name in `envVar`. `write` includes read.
   */
  bindTable(table: ITable, envVar: string, access: 'read' | 'write'): void {
    const read = [
      'dynamodb:GetItem',
      'dynamodb:BatchGetItem',
      'dynamodb:Query',
      'dynamodb:ConditionCheckItem',
    ];
    const write = [
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:BatchWriteItem',
    ];
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: access === 'read' ? read : [...read, ...write],
        resources: [table.tableArn, `${table.tableArn}/index/*`],
      }),
    );
    if (table.encryptionKey) {
      if (access === 'read') table.encryptionKey.grant(this.fn, 'kms:Decrypt');
      else table.encryptionKey.grant(this.fn, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey');
    }
    this.fn.addEnvironment(envVar, table.tableName);
  }

  /** Append-only audit writes: `PutItem` and nothing that updates or deletes. */
  bindAuditTable(table: ITable, envVar: string, key: IKey): void {
    this.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['dynamodb:PutItem'], resources: [table.tableArn] }),
    );
    key.grant(this.fn, 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:Decrypt');
    this.fn.addEnvironment(envVar, table.tableName);
  }

  bindEventBus(bus: IEventBus): void {
    bus.grantPutEventsTo(this.fn);
    this.fn.addEnvironment('EVENT_BUS_NAME', bus.eventBusName);
  }

  /** `PostToConnection` on one WebSocket API stage, and that stage's management endpoint. */
  bindWebSocketManagement(apiId: string, stageName: string): void {
    const stack = Stack.of(this);
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['execute-api:ManageConnections'],
        resources: [
          stack.formatArn({
            service: 'execute-api',
            resource: apiId,
            resourceName: `${stageName}/POST/@connections/*`,
          }),
          stack.formatArn({
            service: 'execute-api',
            resource: apiId,
            resourceName: `${stageName}/DELETE/@connections/*`,
          }),
        ],
      }),
    );
    this.fn.addEnvironment(
      'WS_MANAGEMENT_ENDPOINT',
      `https://${apiId}.execute-api.${stack.region}.${stack.urlSuffix}/${stageName}`,
    );
  }

  /** Signing access tokens with the KMS asymmetric key (and publishing its public key). */
  bindTokenSigning(key: IKey): void {
    // An identity policy (the key policy trusts the account), so the stateful stack never refers back.
    this.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['kms:Sign', 'kms:GetPublicKey'], resources: [key.keyArn] }),
    );
    this.fn.addEnvironment('JWT_SIGNING_KEY_ARN', key.keyArn);
  }

  /** Verifying access tokens: the public key only. */
  bindTokenVerification(key: IKey): void {
    this.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['kms:GetPublicKey'], resources: [key.keyArn] }),
    );
    this.fn.addEnvironment('JWT_SIGNING_KEY_ARN', key.keyArn);
  }

  /**
   * Reading the platform secret, and decrypting it through Secrets Manager only. Identity policies,
   * not key or secret policies, so the stateful stack never refers back to this function.
   */
  /** Sending mail through SES v2 from the stage's verified sender (`emailFrom` context). */
  bindEmail(config: StageConfig): void {
    const stack = Stack.of(this);
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ses:SendEmail'],
        resources: [stack.formatArn({ service: 'ses', resource: 'identity', resourceName: '*' })],
      }),
    );
    if (config.emailFrom) this.fn.addEnvironment('EMAIL_FROM', config.emailFrom);
    if (config.appUrl) this.fn.addEnvironment('PUBLIC_APP_URL', config.appUrl);
  }

  bindSecret(secret: ISecret, key: IKey): void {
    const stack = Stack.of(this);
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        resources: [secret.secretArn],
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [key.keyArn],
        conditions: {
          StringEquals: { 'kms:ViaService': `secretsmanager.${stack.region}.${stack.urlSuffix}` },
        },
      }),
    );
    this.fn.addEnvironment('PLATFORM_SECRET_ARN', secret.secretArn);
  }
}

/** Resources the catalog's bind names refer to. */
export interface BindTargets {
  stateTable: ITable;
  auditTable: ITable;
  dataKey: IKey;
  signingKey: IKey;
  eventBus: IEventBus;
  platformSecret: ISecret;
  webSocket?: { apiId: string; stageName: string };
  config: StageConfig;
}

/** Applies the catalog's `binds` for one function. */
export function applyBinds(fn: VigilFunction, binds: readonly Bind[], targets: BindTargets): void {
  for (const bind of binds) {
    switch (bind) {
      case 'stateTableRead':
        fn.bindTable(targets.stateTable, 'STATE_TABLE_NAME', 'read');
        break;
      case 'stateTableWrite':
        fn.bindTable(targets.stateTable, 'STATE_TABLE_NAME', 'write');
        break;
      case 'auditTableRead':
        fn.bindTable(targets.auditTable, 'AUDIT_TABLE_NAME', 'read');
        break;
      case 'auditTableWrite':
        fn.bindAuditTable(targets.auditTable, 'AUDIT_TABLE_NAME', targets.dataKey);
        break;
      case 'eventBus':
        fn.bindEventBus(targets.eventBus);
        break;
      case 'platformSecret':
        fn.bindSecret(targets.platformSecret, targets.dataKey);
        break;
      case 'tokenSigning':
        fn.bindTokenSigning(targets.signingKey);
        break;
      case 'email':
        fn.bindEmail(targets.config);
        break;
      case 'tokenVerification':
        fn.bindTokenVerification(targets.signingKey);
        break;
      case 'wsManagement':
        if (!targets.webSocket)
          throw new Error(`${fn.node.path} binds wsManagement but no WebSocket API is given`);
        fn.bindWebSocketManagement(targets.webSocket.apiId, targets.webSocket.stageName);
        break;
    }
  }
}

function retentionFor(days: number): logs.RetentionDays {
  const allowed = Object.values(logs.RetentionDays).filter(
    (v): v is number => typeof v === 'number' && v > 0,
  );
  const match = allowed.sort((a, b) => a - b).find((v) => v >= days);
  return (match ?? logs.RetentionDays.TEN_YEARS) as logs.RetentionDays;
}
