import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { lambdas } from '../../infra/lambdas';
import { httpRoutes, wsRoutes } from '../../shared/api/route-table';
import { queueDefs } from '../../shared/platform/messaging';
import { auditTable, stateTable, tableDefs } from '../../shared/platform/tables';
import { resourcesOf, type SynthesizedApp, synthesize } from './support';

describe('Vigil CDK app', () => {
  let app: SynthesizedApp;

  beforeAll(() => {
    app = synthesize({ stage: 'ci' });
  });

  describe('stateful stack', () => {
    it('creates each table from the shared definitions: on-demand, PITR, TTL, our CMK, audit stream', () => {
      for (const def of tableDefs) {
        app.templates.stateful.hasResourceProperties('AWS::DynamoDB::Table', {
          TableName: `vigil-ci-${def.id}`,
          BillingMode: 'PAY_PER_REQUEST',
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          TimeToLiveSpecification: { AttributeName: def.ttlAttribute, Enabled: true },
          SSESpecification: {
            SSEEnabled: true,
            SSEType: 'KMS',
            KMSMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DataKey'), 'Arn'] },
          },
          KeySchema: [
            { AttributeName: def.partitionKey.name, KeyType: 'HASH' },
            { AttributeName: def.sortKey.name, KeyType: 'RANGE' },
          ],
        });
      }
      app.templates.stateful.hasResourceProperties('AWS::DynamoDB::Table', {
        TableName: `vigil-ci-${auditTable.id}`,
        StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
      });
      app.templates.stateful.hasResourceProperties('AWS::DynamoDB::Table', {
        TableName: `vigil-ci-${stateTable.id}`,
        StreamSpecification: Match.absent(),
      });
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

    it('encrypts the platform secret with the data key', () => {
      app.templates.stateful.hasResourceProperties('AWS::SecretsManager::Secret', {
        KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DataKey'), 'Arn'] },
        GenerateSecretString: Match.objectLike({ GenerateStringKey: 'pepper' }),
      });
    });

    it('encrypts every queue with the data key and gives every work queue a DLQ', () => {
      const queues = resourcesOf(app.all, 'AWS::SQS::Queue');
      expect(queues).toHaveLength(queueDefs.length * 2);
      for (const [, props] of queues) {
        expect(props.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^DataKey/), 'Arn'] });
      }
      const work = queues.filter(([, p]) => !String(p.QueueName).endsWith('-dlq'));
      for (const [, props] of work) {
        expect(props.RedrivePolicy).toMatchObject({ maxReceiveCount: expect.any(Number) });
      }
    });

    it('routes vigil.* events from the bus to the events queue and archives them', () => {
      app.templates.stateful.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: { source: [{ prefix: 'vigil.' }] },
        Targets: [
          Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EventsQueue'), 'Arn'] } }),
        ],
      });
      app.templates.stateful.hasResourceProperties('AWS::Events::Archive', { RetentionDays: 30 });
    });
  });

  describe('functions', () => {
    it('deploys every non-local Lambda on Node 22, ARM64, with tracing and a retained log group', () => {
      const functions = resourcesOf(app.all, 'AWS::Lambda::Function');
      const expected = lambdas
        .filter((l) => !('target' in l && l.target === 'local'))
        .map((l) => `vigil-ci-${l.id}`);
      expect(functions.map(([, p]) => p.FunctionName).sort()).toEqual(expected.sort());
      for (const [, props] of functions) {
        expect(props).toMatchObject({
          Runtime: 'nodejs22.x',
          Architectures: ['arm64'],
          TracingConfig: { Mode: 'Active' },
          LoggingConfig: { LogGroup: expect.anything() },
        });
      }
      for (const [, props] of resourcesOf(app.all, 'AWS::Logs::LogGroup')) {
        expect(props.RetentionInDays).toEqual(expect.any(Number));
      }
    });

    it('consumes queues with partial batch responses', () => {
      app.templates.workers.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BatchSize: queueDefs[0]?.batchSize,
      });
    });
  });

  describe('least privilege', () => {
    const statements = () =>
      resourcesOf(app.all, 'AWS::IAM::Policy').flatMap(([, p]) =>
        ((p.PolicyDocument as { Statement: Array<Record<string, unknown>> }).Statement ?? []).map((s) => ({
          actions: [s.Action].flat() as string[],
          resource: JSON.stringify(s.Resource),
        })),
      );

    it('never grants service-wide wildcards, scans, or stream reads to functions', () => {
      const actions = statements().flatMap((s) => s.actions);
      expect(actions.filter((a) => a.endsWith(':*'))).toEqual([]);
      expect(actions).not.toContain('dynamodb:Scan');
      expect(actions).not.toContain('dynamodb:GetRecords');
    });

    it('uses Resource "*" only for actions that have no resource-level permissions', () => {
      const allowedOnStar = new Set([
        'xray:PutTraceSegments',
        'xray:PutTelemetryRecords',
        'xray:GetSamplingRules',
        'xray:GetSamplingTargets',
        'logs:CreateLogDelivery',
        'logs:GetLogDelivery',
        'logs:UpdateLogDelivery',
        'logs:DeleteLogDelivery',
        'logs:ListLogDeliveries',
        'logs:PutResourcePolicy',
        'logs:DescribeResourcePolicies',
        'logs:DescribeLogGroups',
      ]);
      const onStar = statements()
        .filter((s) => s.resource === '"*"')
        .flatMap((s) => s.actions);
      expect(onStar.filter((a) => !allowedOnStar.has(a))).toEqual([]);
    });

    it('lets audit writers put items and nothing else on the audit table (readers only read)', () => {
      const reads = new Set([
        'dynamodb:GetItem',
        'dynamodb:BatchGetItem',
        'dynamodb:Query',
        'dynamodb:ConditionCheckItem',
      ]);
      const onAudit = statements().filter(
        (s) => /AuditTable/.test(s.resource) && s.actions.some((a) => a.startsWith('dynamodb:')),
      );
      const writers = onAudit.filter((s) => s.actions.some((a) => !reads.has(a)));

      expect(writers.length).toBeGreaterThan(0);
      for (const statement of writers) expect(statement.actions).toEqual(['dynamodb:PutItem']);
    });
  });

  describe('APIs', () => {
    it('routes every non-local route of the table, plus $default, and no local route', () => {
      const routeKeys = resourcesOf([app.templates.api], 'AWS::ApiGatewayV2::Route').map(
        ([, p]) => p.RouteKey,
      );
      const expected = httpRoutes.filter((r) => r.target !== 'local').map((r) => `${r.method} ${r.path}`);
      for (const key of expected) expect(routeKeys).toContain(key);
      expect(routeKeys).toContain('$default');
      for (const route of httpRoutes.filter((r) => r.target === 'local')) {
        expect(routeKeys).not.toContain(`${route.method} ${route.path}`);
      }
      for (const route of wsRoutes) expect(routeKeys).toContain(route.routeKey);
    });

    it('puts the access-token authorizer, uncached, in front of every principal route and no public one', () => {
      const routes = resourcesOf([app.templates.api], 'AWS::ApiGatewayV2::Route');
      for (const route of httpRoutes.filter((r) => r.target !== 'local')) {
        const found = routes.find(([, p]) => p.RouteKey === `${route.method} ${route.path}`)?.[1];
        expect({ route: route.path, type: found?.AuthorizationType ?? 'NONE' }).toEqual({
          route: route.path,
          type: route.auth === 'principal' ? 'CUSTOM' : 'NONE',
        });
      }
      app.templates.api.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
        AuthorizerType: 'REQUEST',
        EnableSimpleResponses: true,
        AuthorizerResultTtlInSeconds: 0,
      });
    });

    it('lets only the auth function sign tokens; the authorizer may read the public key', () => {
      const policies = resourcesOf(app.all, 'AWS::IAM::Policy');
      const signers = policies.filter(([, p]) => JSON.stringify(p.PolicyDocument).includes('kms:Sign'));
      expect(signers.map(([id]) => id)).toEqual([expect.stringMatching(/^Fnidentityauth/)]);
    });

    it('logs HTTP API access and throttles the default stage', () => {
      app.templates.api.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: '$default',
        AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
        DefaultRouteSettings: {
          ThrottlingRateLimit: Match.anyValue(),
          ThrottlingBurstLimit: Match.anyValue(),
        },
      });
    });
  });

  describe('orchestration and observability', () => {
    it('deploys the shared playbook runner ASL with the step Lambda substituted, tracing and logging', () => {
      app.templates.workers.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        DefinitionString: Match.stringLikeRegexp('"RunSteps"'),
        DefinitionSubstitutions: {
          StepFunctionArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('playbookstep'), 'Arn'] },
        },
        TracingConfiguration: { Enabled: true },
        LoggingConfiguration: Match.objectLike({ Level: 'ALL' }),
      });
    });

    it('alarms on every DLQ, function errors, API 5xx and failed executions, to an encrypted topic', () => {
      const alarms = resourcesOf([app.templates.observability], 'AWS::CloudWatch::Alarm').map(([, p]) =>
        String(p.AlarmName),
      );
      for (const def of queueDefs) expect(alarms).toContain(`vigil-ci-dlq-${def.id}`);
      expect(alarms).toContain('vigil-ci-http-api-5xx');
      expect(alarms.filter((a) => a.startsWith('vigil-ci-errors-'))).toHaveLength(
        resourcesOf(app.all, 'AWS::Lambda::Function').length,
      );
      expect(alarms.some((a) => a.startsWith('vigil-ci-executions-failed-'))).toBe(true);
      app.templates.observability.hasResourceProperties('AWS::SNS::Topic', {
        KmsMasterKeyId: Match.anyValue(),
      });
      app.templates.observability.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    });
  });
});
