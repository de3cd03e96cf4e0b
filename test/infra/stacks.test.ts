import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { timeoutSecondsOf } from '../../infra/constructs/vigil-function';
import { type Bind, type LambdaDef, lambdaById, lambdas } from '../../infra/lambdas';
import { authorizerFunctionId, fallbackFunctionId, httpRoutes, wsRoutes } from '../../shared/api/route-table';
import { platformEventsRule, queueDefs } from '../../shared/platform/messaging';
import { auditTable, stateTable, tableDefs } from '../../shared/platform/tables';
import { playbookRunnerDefinition } from '../../shared/playbooks/runner-definition';
import { policyStatements, resourcesOf, type SynthesizedVigil, synthesizeVigil } from './support';

const catalog = lambdas as readonly LambdaDef[];
const deployedLambdas = catalog.filter((def) => def.target !== 'local');
const { version } = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as {
  version: string;
};

/** The environment variables each bind must add (and that no function without the bind may have). */
const bindEnvironment: Record<Bind, string[]> = {
  stateTableRead: [stateTable.envVar],
  stateTableWrite: [stateTable.envVar],
  auditTableRead: [auditTable.envVar],
  auditTableWrite: [auditTable.envVar],
  eventBus: ['EVENT_BUS_NAME'],
  wsManagement: ['WS_MANAGEMENT_ENDPOINT'],
  platformSecret: ['PLATFORM_SECRET_ARN'],
  tokenSigning: ['JWT_SIGNING_KEY_ARN'],
  tokenVerification: ['JWT_SIGNING_KEY_ARN'],
  email: [],
  dataKey: ['DATA_KEY_ARN'],
  enrichmentQueue: ['ENRICHMENT_QUEUE_URL', 'ENRICHMENT_DLQ_URL'],
};
const boundVariables = new Set(Object.values(bindEnvironment).flat());

/** `{ 'Fn::GetAtt': [logicalId, 'Arn'] }` of a resource whose logical id starts with `prefix`. */
const arnOf = (prefix: string) => ({ 'Fn::GetAtt': [Match.stringLikeRegexp(`^${prefix}`), 'Arn'] });

describe('Vigil CDK app (stage ci)', () => {
  let app: SynthesizedVigil;
  const functionsByName = () =>
    new Map(
      resourcesOf(app.all, 'AWS::Lambda::Function').map(([logicalId, props]) => [
        String(props.FunctionName),
        { logicalId, props },
      ]),
    );

  const deployed = (def: LambdaDef) => {
    const found = functionsByName().get(`vigil-ci-${def.id}`);
    if (!found) throw new Error(`vigil-ci-${def.id} is not deployed`);
    return found.props as { Environment: { Variables: Record<string, unknown> }; Code: { S3Key: string } };
  };

  beforeAll(() => {
    app = synthesizeVigil({ stage: 'ci' }, { bundle: true });
  });

  describe('stateful stack', () => {
    it('builds each table from its shared definition: on-demand, PITR, TTL, keys, indexes, our CMK', () => {
      for (const def of tableDefs) {
        app.templates.stateful.hasResourceProperties('AWS::DynamoDB::Table', {
          TableName: `vigil-ci-${def.id}`,
          BillingMode: 'PAY_PER_REQUEST',
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          TimeToLiveSpecification: { AttributeName: def.ttlAttribute, Enabled: true },
          SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: arnOf('DataKey') },
          KeySchema: [
            { AttributeName: def.partitionKey.name, KeyType: 'HASH' },
            { AttributeName: def.sortKey.name, KeyType: 'RANGE' },
          ],
          GlobalSecondaryIndexes: def.globalIndexes.map((index) =>
            Match.objectLike({ IndexName: index.indexName }),
          ),
          StreamSpecification: def.stream ? { StreamViewType: def.stream } : Match.absent(),
        });
      }
      app.templates.stateful.resourceCountIs('AWS::DynamoDB::Table', tableDefs.length);
    });

    it('disposes of data on a non-production stage', () => {
      const tables = app.templates.stateful.findResources('AWS::DynamoDB::Table');
      for (const table of Object.values(tables)) {
        expect(table).toMatchObject({ DeletionPolicy: 'Delete' });
        expect(table.Properties.DeletionProtectionEnabled).toBe(false);
      }
    });

    it('has a rotating data key and an asymmetric P-256 signing key', () => {
      app.templates.stateful.hasResourceProperties('AWS::KMS::Key', {
        EnableKeyRotation: true,
        KeySpec: Match.absent(),
      });
      app.templates.stateful.hasResourceProperties('AWS::KMS::Key', {
        KeySpec: 'ECC_NIST_P256',
        KeyUsage: 'SIGN_VERIFY',
      });
    });

    it('generates the platform secret with a pepper, encrypted with the data key', () => {
      app.templates.stateful.hasResourceProperties('AWS::SecretsManager::Secret', {
        Name: 'vigil/ci/platform',
        KmsKeyId: arnOf('DataKey'),
        GenerateSecretString: Match.objectLike({ GenerateStringKey: 'pepper' }),
      });
    });

    it('encrypts every queue with the data key, with a DLQ behind every work queue', () => {
      const queues = resourcesOf(app.all, 'AWS::SQS::Queue');
      expect(queues).toHaveLength(queueDefs.length * 2);
      for (const [, props] of queues) {
        expect(props.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^DataKey/), 'Arn'] });
        expect(props.MessageRetentionPeriod).toBe(14 * 24 * 3600);
      }
      for (const def of queueDefs) {
        const consumer = lambdaById(def.consumer);
        app.templates.stateful.hasResourceProperties('AWS::SQS::Queue', {
          QueueName: `vigil-ci-${def.id}`,
          RedrivePolicy: {
            deadLetterTargetArn: arnOf(`${pascal(def.id)}Dlq`),
            maxReceiveCount: def.maxReceiveCount,
          },
          VisibilityTimeout: Match.anyValue(),
        });
        const [, queue] = queues.find(([, p]) => p.QueueName === `vigil-ci-${def.id}`) ?? [];
        expect(Number(queue?.VisibilityTimeout)).toBeGreaterThanOrEqual(6 * timeoutSecondsOf(consumer));
      }
    });

    it('refuses plain-HTTP access to every queue', () => {
      const policies = resourcesOf([app.templates.stateful], 'AWS::SQS::QueuePolicy');
      expect(policies).toHaveLength(queueDefs.length * 2);
      for (const [, props] of policies) {
        expect(props.PolicyDocument).toMatchObject({
          Statement: expect.arrayContaining([
            expect.objectContaining({
              Effect: 'Deny',
              Action: 'sqs:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        });
      }
    });

    it('routes vigil.* events from the bus to the events queue, from this account only, and archives them', () => {
      app.templates.stateful.hasResourceProperties('AWS::Events::EventBus', { Name: 'vigil-ci' });
      app.templates.stateful.hasResourceProperties('AWS::Events::Rule', {
        EventBusName: { Ref: Match.stringLikeRegexp('^EventBus') },
        EventPattern: platformEventsRule.pattern,
        Targets: [Match.objectLike({ Arn: arnOf(`${pascal(platformEventsRule.targetQueue)}Queue`) })],
      });
      app.templates.stateful.hasResourceProperties('AWS::SQS::QueuePolicy', {
        PolicyDocument: Match.objectLike({
          Statement: Match.arrayWith([
            Match.objectLike({
              Principal: { Service: 'events.amazonaws.com' },
              Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
            }),
          ]),
        }),
      });
      app.templates.stateful.hasResourceProperties('AWS::Events::Archive', {
        RetentionDays: 30,
        SourceArn: arnOf('EventBus'),
      });
    });
  });

  describe('functions', () => {
    it('deploys every non-local catalog Lambda exactly once, and no local one', () => {
      const names = resourcesOf(app.all, 'AWS::Lambda::Function').map(([, p]) => p.FunctionName);
      expect([...names].sort()).toEqual(deployedLambdas.map((def) => `vigil-ci-${def.id}`).sort());
    });

    it('runs every Lambda on Node 22 and ARM64 with active tracing and its own retained log group', () => {
      for (const template of app.all) {
        const logGroups = template.findResources('AWS::Logs::LogGroup');
        for (const [, props] of Object.entries(template.findResources('AWS::Lambda::Function')).map(
          ([id, r]) => [id, r.Properties] as const,
        )) {
          expect(props).toMatchObject({
            Runtime: 'nodejs22.x',
            Architectures: ['arm64'],
            TracingConfig: { Mode: 'Active' },
            LoggingConfig: { LogGroup: { Ref: expect.any(String) } },
          });
          const logGroup = logGroups[props.LoggingConfig.LogGroup.Ref];
          expect(logGroup?.Properties).toMatchObject({
            LogGroupName: `/aws/lambda/${props.FunctionName}`,
            RetentionInDays: 30,
          });
        }
      }
    });

    it('gives each function its platform settings and exactly the variables its binds call for', () => {
      for (const def of deployedLambdas) {
        const variables = deployed(def).Environment.Variables;
        expect(variables).toMatchObject({
          NODE_OPTIONS: '--enable-source-maps',
          VIGIL_STAGE: 'ci',
          VIGIL_VERSION: version,
          POWERTOOLS_SERVICE_NAME: def.id,
          POWERTOOLS_METRICS_NAMESPACE: 'Vigil',
        });
        const expected = new Set(def.binds.flatMap((bind) => bindEnvironment[bind]));
        const present = Object.keys(variables).filter((name) => boundVariables.has(name));
        expect({ fn: def.id, variables: present.sort() }).toEqual({
          fn: def.id,
          variables: [...expected].sort(),
        });
      }
    });

    it('names the WebSocket management endpoint of the live stage', () => {
      const withEndpoint = deployedLambdas.filter((def) => def.binds.includes('wsManagement'));
      expect(withEndpoint.length).toBeGreaterThan(0);
      for (const def of withEndpoint) {
        const endpoint = JSON.stringify(deployed(def).Environment.Variables.WS_MANAGEMENT_ENDPOINT);
        expect(endpoint).toMatch(/^\{"Fn::Join":\["",\["https:\/\/",.*\.execute-api\.".*\/live"\]\]\}$/);
      }
    });

    it('consumes every queue with partial batch responses', () => {
      for (const def of queueDefs) {
        app.templates.workers.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
          FunctionName: { Ref: Match.stringLikeRegexp(`^Fn${def.consumer.replace(/-/g, '')}Function`) },
          FunctionResponseTypes: ['ReportBatchItemFailures'],
          BatchSize: def.batchSize,
        });
      }
    });

    it('bundles ESM with source maps and copies declared assets next to the bundle', () => {
      for (const def of deployedLambdas) {
        const key = deployed(def).Code.S3Key.replace(/\.zip$/, '');
        const dir = join(app.outdir, `asset.${key}`);
        expect(existsSync(join(dir, 'index.mjs.map'))).toBe(true);
        expect(readFileSync(join(dir, 'index.mjs'), 'utf8')).toContain('__vigilCreateRequire');
        for (const file of def.assets?.files ?? []) {
          expect(existsSync(join(dir, def.assets?.to ?? '', file)), `${def.id}: ${file}`).toBe(true);
        }
      }
      expect(deployedLambdas.some((def) => def.assets)).toBe(true);
    });
  });

  describe('least privilege', () => {
    it('grants no wildcard actions, no Scan and no stream reads', () => {
      const actions = policyStatements(app.all).flatMap((s) => s.actions);
      expect(actions.filter((action) => action.includes('*'))).toEqual([]);
      expect(actions).not.toContain('dynamodb:Scan');
      expect(actions).not.toContain('dynamodb:GetRecords');
    });

    it('uses Resource "*" only for X-Ray, and for log delivery on the state machine role', () => {
      const logDelivery =
        /^logs:(Create|Get|Update|Delete|List)LogDeliver(y|ies)$|^logs:(PutResourcePolicy|DescribeResourcePolicies|DescribeLogGroups)$/;
      const onStar = policyStatements(app.all).filter((s) => s.resourceText === '["*"]');
      expect(onStar.length).toBeGreaterThan(0);
      for (const statement of onStar) {
        const allowed = statement.actions.every(
          (action) =>
            action.startsWith('xray:') ||
            (statement.policy.startsWith('PlaybookRunnerRole') && logDelivery.test(action)),
        );
        expect({ policy: statement.policy, actions: statement.actions, allowed }).toMatchObject({
          allowed: true,
        });
      }
    });

    it('lets audit writers put items and nothing else on the audit table', () => {
      const reads = new Set([
        'dynamodb:GetItem',
        'dynamodb:BatchGetItem',
        'dynamodb:Query',
        'dynamodb:ConditionCheckItem',
      ]);
      const onAudit = policyStatements(app.all).filter(
        (s) => /AuditTable/.test(s.resourceText) && s.actions.some((a) => a.startsWith('dynamodb:')),
      );
      const writers = onAudit.filter((s) => s.actions.some((action) => !reads.has(action)));
      const writerCount = deployedLambdas.filter((def) => def.binds.includes('auditTableWrite')).length;

      expect(writers).toHaveLength(writerCount);
      for (const statement of writers) {
        expect(statement.actions).toEqual(['dynamodb:PutItem']);
        expect(statement.resourceText).not.toMatch(/index/);
      }
    });

    it('lets only tokenSigning functions sign, with ES256 only', () => {
      const signers = policyStatements(app.all).filter((s) => s.actions.includes('kms:Sign'));
      const expected = deployedLambdas
        .filter((def) => def.binds.includes('tokenSigning'))
        .map((def) => `Fn${def.id.replace(/-/g, '')}Role`);
      expect(signers.map((s) => s.policy.replace(/DefaultPolicy.*$/, '')).sort()).toEqual(expected.sort());
      for (const def of signers) expect(def.actions).toEqual(['kms:Sign']);
    });

    it('lets only the enrichment Lambdas send lookups, to the enrichment queue and its DLQ, with the key through SQS only', () => {
      const senders = policyStatements(app.all).filter((s) => s.actions.includes('sqs:SendMessage'));
      const kmsViaSqs = resourcesOf(app.all, 'AWS::IAM::Policy').flatMap(([policy, p]) =>
        (p.PolicyDocument as { Statement: Array<Record<string, unknown>> }).Statement.filter((s) =>
          JSON.stringify(s.Condition ?? {}).includes('sqs.'),
        ).map((s) => ({ policy, statement: s })),
      );

      expect(senders.map((s) => s.policy).sort()).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/enrichmentapi/i),
          expect.stringMatching(/enrichmentworker/i),
        ]),
      );
      expect(senders).toHaveLength(2);
      for (const sender of senders) {
        expect(sender.actions).toEqual(['sqs:SendMessage']);
        expect(sender.resourceText).toMatch(/EnrichmentQueue/);
        expect(sender.resourceText).toMatch(/EnrichmentDlq/);
        expect(sender.resourceText).not.toMatch(/EventsQueue/);
      }
      expect(kmsViaSqs).toHaveLength(2);
      for (const { statement } of kmsViaSqs) {
        expect([statement.Action].flat().sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
      }
    });

    it('uses the data key for tables through DynamoDB only', () => {
      const tableKeyUse = resourcesOf(app.all, 'AWS::IAM::Policy').flatMap(([, p]) =>
        (p.PolicyDocument as { Statement: Array<Record<string, unknown>> }).Statement.filter(
          (s) => [s.Action].flat().includes('kms:Encrypt') && JSON.stringify(s.Resource).includes('DataKey'),
        ),
      );
      expect(tableKeyUse.length).toBeGreaterThan(0);
      for (const statement of tableKeyUse) {
        expect(JSON.stringify(statement.Condition)).toMatch(/kms:ViaService.*dynamodb\./);
      }
    });
  });

  describe('APIs', () => {
    const routes = () =>
      resourcesOf([app.templates.api], 'AWS::ApiGatewayV2::Route').map(([, p]) => ({
        key: String(p.RouteKey),
        api: JSON.stringify(p.ApiId),
        props: p,
      }));
    const httpRoutesDeployed = httpRoutes.filter((route) => route.target !== 'local');

    it('has one HTTP route per non-local row of the route table plus $default, and no local row', () => {
      const keys = routes()
        .filter((r) => r.api.includes('HttpApi'))
        .map((r) => r.key);
      expect(keys.sort()).toEqual(
        [...httpRoutesDeployed.map((r) => `${r.method} ${r.path}`), '$default'].sort(),
      );
    });

    it('sends each route to the Lambda the route table names, one integration per Lambda', () => {
      const integrations = new Map(
        resourcesOf([app.templates.api], 'AWS::ApiGatewayV2::Integration').map(([id, p]) => [
          id,
          /"Fn::GetAtt":\["(Fn[A-Za-z0-9]+)","Arn"\]/.exec(JSON.stringify(p.IntegrationUri))?.[1],
        ]),
      );
      const functionLogicalIds = new Map(
        resourcesOf([app.templates.api], 'AWS::Lambda::Function').map(([id, p]) => [
          id,
          String(p.FunctionName),
        ]),
      );
      const target = (key: string) => {
        const route = routes().find(
          (r) => r.key === key && (key.startsWith('$') ? true : r.api.includes('HttpApi')),
        );
        const integration = /"Ref":"([^"]+)"/.exec(JSON.stringify(route?.props.Target))?.[1] ?? '';
        return functionLogicalIds.get(integrations.get(integration) ?? '');
      };
      for (const route of httpRoutesDeployed) {
        expect({ route: route.path, fn: target(`${route.method} ${route.path}`) }).toEqual({
          route: route.path,
          fn: `vigil-ci-${route.fn}`,
        });
      }
      const httpIntegrations = resourcesOf([app.templates.api], 'AWS::ApiGatewayV2::Integration').filter(
        ([, p]) => JSON.stringify(p.ApiId).includes('HttpApi'),
      );
      expect(httpIntegrations).toHaveLength(
        new Set([fallbackFunctionId, ...httpRoutesDeployed.map((r) => r.fn)]).size,
      );
    });

    it('puts the uncached Lambda authorizer in front of every principal route and no public one', () => {
      for (const route of httpRoutesDeployed) {
        const found = routes().find((r) => r.key === `${route.method} ${route.path}`);
        expect({ route: route.path, type: found?.props.AuthorizationType }).toEqual({
          route: route.path,
          type: route.auth === 'principal' ? 'CUSTOM' : 'NONE',
        });
      }
      app.templates.api.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
        AuthorizerType: 'REQUEST',
        EnableSimpleResponses: true,
        AuthorizerResultTtlInSeconds: 0,
        AuthorizerUri: Match.objectLike({
          'Fn::Join': ['', Match.arrayWith([arnOf(`Fn${authorizerFunctionId.replace(/-/g, '')}Function`)])],
        }),
      });
    });

    it('routes $connect, $disconnect and $default of the WebSocket API', () => {
      const keys = routes()
        .filter((r) => r.api.includes('WebSocketApi'))
        .map((r) => r.key);
      expect(keys.sort()).toEqual(wsRoutes.map((r) => r.routeKey).sort());
    });

    it('logs HTTP API access as JSON and throttles both stages from config', () => {
      app.templates.api.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: '$default',
        AccessLogSettings: { DestinationArn: arnOf('HttpApiAccessLogs'), Format: Match.anyValue() },
        DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      });
      const stage = resourcesOf([app.templates.api], 'AWS::ApiGatewayV2::Stage').find(
        ([, p]) => p.StageName === '$default',
      )?.[1] as { AccessLogSettings?: { Format?: string } } | undefined;
      const format = JSON.parse(String(stage?.AccessLogSettings?.Format));
      expect(format).toMatchObject({
        requestId: '$context.requestId',
        ip: '$context.identity.sourceIp',
        method: '$context.httpMethod',
        routeKey: '$context.routeKey',
        status: '$context.status',
        latencyMs: '$context.responseLatency',
      });
      app.templates.api.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: 'live',
        AutoDeploy: true,
        DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      });
    });

    it('has no CORS when no origins are configured', () => {
      app.templates.api.hasResourceProperties('AWS::ApiGatewayV2::Api', {
        ProtocolType: 'HTTP',
        CorsConfiguration: Match.absent(),
      });
    });

    it('outputs the HTTP and WebSocket URLs', () => {
      app.templates.api.hasOutput('HttpApiUrl', {});
      app.templates.api.hasOutput('WebSocketUrl', {
        Value: Match.objectLike({ 'Fn::Join': Match.anyValue() }),
      });
    });
  });

  describe('orchestration', () => {
    it('deploys exactly the shared playbook runner ASL with the step Lambda substituted', () => {
      app.templates.workers.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        StateMachineName: 'vigil-ci-playbook-runner',
        StateMachineType: 'STANDARD',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the Step Functions substitution placeholder.
        DefinitionString: JSON.stringify(playbookRunnerDefinition({ stepFunctionArn: '${StepFunctionArn}' })),
        DefinitionSubstitutions: { StepFunctionArn: arnOf('FnplaybookstepFunction') },
        TracingConfiguration: { Enabled: true },
        LoggingConfiguration: Match.objectLike({
          Level: 'ALL',
          Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: arnOf('PlaybookRunnerLogs') } }],
        }),
      });
    });

    it('lets the state machine invoke the step Lambda and nothing else', () => {
      const invokes = policyStatements([app.templates.workers]).filter((s) =>
        s.actions.includes('lambda:InvokeFunction'),
      );
      expect(invokes).toEqual([
        expect.objectContaining({
          policy: expect.stringMatching(/^PlaybookRunnerRole/),
          resources: [{ 'Fn::GetAtt': [expect.stringMatching(/^FnplaybookstepFunction/), 'Arn'] }],
        }),
      ]);
    });
  });

  describe('observability', () => {
    const alarms = () =>
      resourcesOf([app.templates.observability], 'AWS::CloudWatch::Alarm').map(([, p]) => p);

    it('alarms on any message in every DLQ', () => {
      for (const def of queueDefs) {
        app.templates.observability.hasResourceProperties('AWS::CloudWatch::Alarm', {
          AlarmName: `vigil-ci-dlq-${def.id}`,
          Namespace: 'AWS/SQS',
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Dimensions: [{ Name: 'QueueName', Value: `vigil-ci-${def.id}-dlq` }],
          ComparisonOperator: 'GreaterThanThreshold',
          Threshold: 0,
        });
      }
    });

    it('alarms on errors of every deployed Lambda, HTTP 5xx and failed playbook runs', () => {
      for (const def of deployedLambdas) {
        app.templates.observability.hasResourceProperties('AWS::CloudWatch::Alarm', {
          AlarmName: `vigil-ci-errors-${def.id}`,
          MetricName: 'Errors',
          Dimensions: [{ Name: 'FunctionName', Value: `vigil-ci-${def.id}` }],
          Threshold: 1,
        });
      }
      app.templates.observability.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'vigil-ci-http-api-5xx',
        MetricName: '5xx',
      });
      app.templates.observability.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'vigil-ci-executions-failed-playbook-runner',
        Dimensions: [Match.objectLike({ Name: 'StateMachineArn' })],
        Namespace: 'AWS/States',
        MetricName: 'ExecutionsFailed',
      });
    });

    it('sends every alarm to the KMS-encrypted, TLS-only alarm topic', () => {
      for (const alarm of alarms()) {
        expect(alarm.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^AlarmTopic/) }]);
      }
      app.templates.observability.hasResourceProperties('AWS::SNS::Topic', {
        TopicName: 'vigil-ci-alarms',
        KmsMasterKeyId: { 'Fn::ImportValue': Match.stringLikeRegexp('DataKey') },
      });
      app.templates.observability.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: Match.objectLike({
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        }),
      });
      app.templates.observability.resourceCountIs('AWS::SNS::Subscription', 0);
    });

    it('has a dashboard', () => {
      app.templates.observability.hasResourceProperties('AWS::CloudWatch::Dashboard', {
        DashboardName: 'vigil-ci',
      });
    });
  });
});

function pascal(id: string): string {
  return id.replace(/(^|-)([a-z])/g, (_m, _d: string, letter: string) => letter.toUpperCase());
}
