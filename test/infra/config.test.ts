import { App } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { beforeAll, describe, expect, it } from 'vitest';
import { configFromContext, retentionAtLeast } from '../../infra/config';
import { policyStatements, resourcesOf, type SynthesizedVigil, synthesizeVigil } from './support';

const configOf = (context: Record<string, unknown>) => configFromContext(new App({ context }).node, '1.2.3');

describe('stage configuration from CDK context', () => {
  it('defaults to a disposable dev stage with closed sign-up and no CORS', () => {
    expect(configOf({})).toEqual({
      stage: 'dev',
      production: false,
      corsOrigins: [],
      alarmEmail: undefined,
      logRetentionDays: RetentionDays.ONE_MONTH,
      throttle: { rateLimit: 50, burstLimit: 100 },
      openSignup: false,
      emailFrom: undefined,
      appUrl: undefined,
      webSocketAccessLogs: false,
      version: '1.2.3',
    });
  });

  it('treats prod as production unless told otherwise', () => {
    expect(configOf({ stage: 'prod' }).production).toBe(true);
    expect(configOf({ stage: 'prod', production: 'false' }).production).toBe(false);
    expect(configOf({ stage: 'qa', production: true }).production).toBe(true);
  });

  it('reads CORS origins from a comma list (-c) or a JSON list (cdk.json)', () => {
    expect(configOf({ corsOrigins: 'https://a.example, https://b.example:8443' }).corsOrigins).toEqual([
      'https://a.example',
      'https://b.example:8443',
    ]);
    expect(configOf({ corsOrigins: ['https://a.example'] }).corsOrigins).toEqual(['https://a.example']);
  });

  it('rounds log retention up to a value CloudWatch offers', () => {
    expect(configOf({ logRetentionDays: '45' }).logRetentionDays).toBe(RetentionDays.TWO_MONTHS);
    expect(retentionAtLeast(7)).toBe(RetentionDays.ONE_WEEK);
    expect(retentionAtLeast(5000)).toBe(RetentionDays.INFINITE);
  });

  it.each([
    [{ stage: 'Prod' }, /stage 'Prod'/],
    [{ stage: 'a-very-long-stage-name-indeed' }, /stage/],
    [{ corsOrigins: 'https://a.example/path' }, /corsOrigins/],
    [{ alarmEmail: 'not-an-email' }, /alarmEmail/],
    [{ throttleRate: '-1' }, /throttleRate/],
    [{ openSignup: 'yes' }, /openSignup/],
  ])('refuses invalid context %o', (context, message) => {
    expect(() => configOf(context)).toThrow(message);
  });
});

describe('a production stage with every option set', () => {
  let app: SynthesizedVigil;

  beforeAll(() => {
    app = synthesizeVigil(
      {
        stage: 'prod',
        corsOrigins: 'https://console.example.com',
        alarmEmail: 'ops@example.com',
        emailFrom: 'no-reply@example.com',
        appUrl: 'https://console.example.com',
        openSignup: 'true',
        webSocketAccessLogs: 'true',
        logRetentionDays: '365',
        throttleRate: '20',
        throttleBurst: '40',
      },
      { bundle: false },
    );
  });

  it('retains data and protects tables and the stateful stack from deletion', () => {
    for (const type of [
      'AWS::DynamoDB::Table',
      'AWS::KMS::Key',
      'AWS::SecretsManager::Secret',
      'AWS::SQS::Queue',
    ]) {
      const resources = Object.values(app.templates.stateful.findResources(type));
      expect(resources.length).toBeGreaterThan(0);
      for (const resource of resources)
        expect({ type, policy: resource.DeletionPolicy }).toEqual({ type, policy: 'Retain' });
    }
    app.templates.stateful.allResourcesProperties('AWS::DynamoDB::Table', {
      DeletionProtectionEnabled: true,
    });
    expect(app.built.stateful.terminationProtection).toBe(true);
  });

  it('keeps every log group for the configured retention, also after stack deletion', () => {
    const logGroups = Object.values(
      app.all.flatMap((t) => Object.values(t.findResources('AWS::Logs::LogGroup'))),
    );
    expect(logGroups.length).toBeGreaterThan(0);
    for (const group of logGroups) {
      expect(group).toMatchObject({ DeletionPolicy: 'Retain', Properties: { RetentionInDays: 365 } });
    }
  });

  it('allows the configured origins by CORS and passes them and open sign-up to route functions', () => {
    app.templates.api.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'HTTP',
      CorsConfiguration: Match.objectLike({ AllowOrigins: ['https://console.example.com'] }),
    });
    app.templates.api.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'vigil-prod-identity-auth',
      Environment: {
        Variables: Match.objectLike({
          CORS_ALLOWED_ORIGINS: 'https://console.example.com',
          OPEN_SIGNUP: 'true',
          EMAIL_FROM: 'no-reply@example.com',
          PUBLIC_APP_URL: 'https://console.example.com',
        }),
      },
    });
  });

  it('limits sending mail to the configured sender', () => {
    const senders = policyStatements(app.all).filter((s) => s.actions.includes('ses:SendEmail'));
    expect(senders.length).toBeGreaterThan(0);
    for (const policy of resourcesOf(app.all, 'AWS::IAM::Policy')) {
      for (const statement of (policy[1].PolicyDocument as { Statement: Array<Record<string, unknown>> })
        .Statement) {
        if ([statement.Action].flat().includes('ses:SendEmail')) {
          expect(statement.Condition).toEqual({
            StringEquals: { 'ses:FromAddress': 'no-reply@example.com' },
          });
        }
      }
    }
  });

  it('logs WebSocket access when the account role is declared, and throttles from config', () => {
    app.templates.api.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: 'live',
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('connectionId') },
      DefaultRouteSettings: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
    });
  });

  it('subscribes the alarm email to the alarm topic', () => {
    app.templates.observability.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
  });

  it('still passes cdk-nag without the WebSocket logging acknowledgement', () => {
    expect(app.violations).toEqual([]);
  });
});
