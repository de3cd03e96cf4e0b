import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration, WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { authorizerFunctionId, fallbackFunctionId, httpRoutes, wsRoutes } from '../../shared/api/route-table';
import type { VigilConfig } from '../config';
import { applyBinds, type BindResources, VigilFunction } from '../constructs/vigil-function';
import { lambdaById } from '../lambdas';

export interface ApiStackProps extends StackProps {
  config: VigilConfig;
  /** Stateful resources the functions bind to (the WebSocket API is this stack's own). */
  resources: Omit<BindResources, 'webSocket'>;
}

/** Name of the WebSocket API stage clients connect to (`wss://…/live`). */
export const webSocketStageName = 'live';

/** JSON access log line of the HTTP API: who, what, outcome, timing; never headers, tokens or bodies. */
const httpAccessLog = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTime',
  method: '$context.httpMethod',
  path: '$context.path',
  routeKey: '$context.routeKey',
  protocol: '$context.protocol',
  status: '$context.status',
  responseLength: '$context.responseLength',
  latencyMs: '$context.responseLatency',
  integrationLatencyMs: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
  errorMessage: '$context.error.message',
  userAgent: '$context.identity.userAgent',
};

/** JSON access log line of the WebSocket API. */
const webSocketAccessLog = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTime',
  eventType: '$context.eventType',
  routeKey: '$context.routeKey',
  connectionId: '$context.connectionId',
  status: '$context.status',
  integrationLatencyMs: '$context.integrationLatency',
  errorMessage: '$context.error.message',
};

/**
 * The HTTP API and the WebSocket API, both wired from the route table: one Lambda per function id
 * (however many routes it serves), one route per row not marked `local`, `$default` to the fallback
 * (JSON 404/405). `principal` routes go through the Lambda authorizer (`authorizerFunctionId`), which
 * attaches the verified tenant, principal and permissions; `public` routes have none, by declaration.
 */
export class ApiStack extends Stack {
  readonly httpApi: apigw.HttpApi;
  readonly httpStage: apigw.HttpStage;
  readonly webSocketApi: apigw.WebSocketApi;
  readonly webSocketStage: apigw.WebSocketStage;
  /** Every function of this stack, by catalog id. */
  readonly functions = new Map<string, VigilFunction>();

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { config } = props;
    const removalPolicy = config.production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.webSocketApi = new apigw.WebSocketApi(this, 'WebSocketApi', {
      apiName: `vigil-${config.stage}-ws`,
      description: 'Vigil realtime: job progress, platform events and notifications',
      routeSelectionExpression: '$request.body.action',
    });
    const resources: BindResources = {
      ...props.resources,
      webSocket: { apiId: this.webSocketApi.apiId, stageName: webSocketStageName },
    };
    const deployedRoutes = httpRoutes.filter((route) => route.target !== 'local');
    // Settings the shared HTTP handler stack reads, for the functions behind HTTP routes.
    const httpFunctionIds = new Set([fallbackFunctionId, ...deployedRoutes.map((route) => route.fn)]);
    const httpEnvironment: Record<string, string> = {
      OPEN_SIGNUP: String(config.openSignup),
      ...(config.corsOrigins.length > 0 ? { CORS_ALLOWED_ORIGINS: config.corsOrigins.join(',') } : {}),
    };
    const fnFor = (fnId: string): VigilFunction => {
      const existing = this.functions.get(fnId);
      if (existing) return existing;
      const def = lambdaById(fnId);
      if (def.target === 'local')
        throw new Error(`Lambda ${fnId} is local-only and cannot back an AWS route.`);
      const environment = httpFunctionIds.has(fnId) ? httpEnvironment : undefined;
      const fn = new VigilFunction(this, `Fn-${fnId}`, { def, config, environment });
      applyBinds(fn, def.binds, resources);
      this.functions.set(fnId, fn);
      return fn;
    };
    const integrations = new Map<string, HttpLambdaIntegration>();
    const integrationFor = (fnId: string): HttpLambdaIntegration => {
      let integration = integrations.get(fnId);
      if (!integration) {
        integration = new HttpLambdaIntegration(`Integration-${fnId}`, fnFor(fnId).function);
        integrations.set(fnId, integration);
      }
      return integration;
    };

    this.httpApi = new apigw.HttpApi(this, 'HttpApi', {
      apiName: `vigil-${config.stage}-http`,
      description: 'Vigil HTTP API',
      createDefaultStage: false,
      corsPreflight:
        config.corsOrigins.length > 0
          ? {
              allowOrigins: config.corsOrigins,
              allowMethods: [apigw.CorsHttpMethod.ANY],
              allowHeaders: ['authorization', 'content-type', 'x-api-key', 'x-request-id'],
              exposeHeaders: ['x-request-id', 'retry-after', 'allow', 'location'],
              maxAge: Duration.hours(1),
            }
          : undefined,
      defaultIntegration: integrationFor(fallbackFunctionId),
    });
    const defaultRoute = this.httpApi.node.tryFindChild('DefaultRoute');
    if (defaultRoute) {
      Validations.of(defaultRoute).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'The $default route only answers 404/405 problem documents for paths and methods the route table does not know; it reads and returns no data.',
      });
    }

    const accessLogs = new logs.LogGroup(this, 'HttpApiAccessLogs', {
      logGroupName: `/vigil/${config.stage}/http-api-access`,
      retention: config.logRetentionDays,
      removalPolicy,
    });
    this.httpStage = new apigw.HttpStage(this, 'HttpDefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: config.throttle,
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(httpAccessLog)),
      },
    });

    // Admits every request and attaches its decision; the handler stack answers a missing or bad
    // credential with a 401 problem document. No result cache, so a revoked token or key stops at once,
    // and no identity source, so it also runs for `X-API-Key` and for requests without credentials.
    const principalAuthorizer = deployedRoutes.some((route) => route.auth === 'principal')
      ? new HttpLambdaAuthorizer('PrincipalAuthorizer', fnFor(authorizerFunctionId).function, {
          authorizerName: `vigil-${config.stage}-principal`,
          responseTypes: [HttpLambdaResponseType.SIMPLE],
          identitySource: [],
          resultsCacheTtl: Duration.seconds(0),
        })
      : undefined;

    for (const route of deployedRoutes) {
      const [created] = this.httpApi.addRoutes({
        path: route.path,
        methods: [apigw.HttpMethod[route.method]],
        integration: integrationFor(route.fn),
        authorizer: route.auth === 'principal' ? principalAuthorizer : undefined,
      });
      if (created && route.auth === 'public') {
        Validations.of(created).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: `Declared public in the route table (${route.operationId}): it either carries its own credential (password, refresh or reset token) or serves public metadata (health, API description, JWKS).`,
        });
      }
    }

    for (const route of wsRoutes) {
      const created = this.webSocketApi.addRoute(route.routeKey, {
        integration: new WebSocketLambdaIntegration(`Ws-${route.fn}`, fnFor(route.fn).function),
      });
      Validations.of(created).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          route.routeKey === '$connect'
            ? 'The connect Lambda verifies the access token itself (the same check as the HTTP authorizer) and refuses the connection otherwise; a WebSocket authorizer would need IAM-policy responses duplicating that check.'
            : 'API Gateway runs authorizers on $connect only; this route only ever sees connections that $connect admitted.',
      });
    }

    const webSocketLogs = config.webSocketAccessLogs
      ? new logs.LogGroup(this, 'WebSocketAccessLogs', {
          logGroupName: `/vigil/${config.stage}/ws-api-access`,
          retention: config.logRetentionDays,
          removalPolicy,
        })
      : undefined;
    this.webSocketStage = new apigw.WebSocketStage(this, 'WebSocketStage', {
      webSocketApi: this.webSocketApi,
      stageName: webSocketStageName,
      autoDeploy: true,
      throttle: config.throttle,
      accessLogSettings: webSocketLogs
        ? {
            destination: new apigw.LogGroupLogDestination(webSocketLogs),
            format: AccessLogFormat.custom(JSON.stringify(webSocketAccessLog)),
          }
        : undefined,
    });
    if (!webSocketLogs) {
      Validations.of(this.webSocketStage).acknowledge({
        id: 'AwsSolutions-APIG1',
        reason:
          'WebSocket access logs need the account-wide API Gateway CloudWatch role, account configuration this app does not own; enable them with -c webSocketAccessLogs=true once it is set. Connects and disconnects are logged by their Lambdas meanwhile.',
      });
    }

    new CfnOutput(this, 'HttpApiUrl', { value: this.httpStage.url, description: 'Base URL of the HTTP API' });
    new CfnOutput(this, 'WebSocketUrl', {
      value: this.webSocketStage.url,
      description: 'WebSocket endpoint',
    });
  }
}
