import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration, WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { authorizerFunctionId, fallbackFunctionId, httpRoutes, wsRoutes } from '../../shared/api/route-table';
import { lambdaById } from '../lambdas';
import type { StageConfig } from './config';
import { applyBinds, type BindTargets, VigilFunction } from './vigil-function';

/**
 * The HTTP API and the WebSocket API, both wired from the route table: one Lambda per function id,
 * one route per non-local row, `$default` to the fallback (JSON 404/405). Routes that need a
 * principal go through the access-token Lambda authorizer.
 */
export interface ApiStackProps extends StackProps {
  config: StageConfig;
  binds: Omit<BindTargets, 'webSocket'>;
}

export const webSocketStageName = 'live';

export class ApiStack extends Stack {
  readonly httpApi: apigw.HttpApi;
  readonly webSocketApi: apigw.WebSocketApi;
  readonly webSocketStage: apigw.WebSocketStage;
  readonly httpStage: apigw.HttpStage;
  readonly functions = new Map<string, VigilFunction>();

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { config } = props;
    const removalPolicy = config.production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.webSocketApi = new apigw.WebSocketApi(this, 'WebSocketApi', {
      apiName: `vigil-${config.stage}-ws`,
      description: 'Vigil realtime: job progress, events and notifications',
      routeSelectionExpression: '$request.body.action',
    });
    const webSocket = { apiId: this.webSocketApi.apiId, stageName: webSocketStageName };
    const fnFor = (fnId: string): VigilFunction => {
      let fn = this.functions.get(fnId);
      if (!fn) {
        const def = lambdaById(fnId);
        fn = new VigilFunction(this, `Fn-${fnId}`, {
          def,
          config,
          environment: config.corsOrigins.length
            ? { CORS_ALLOWED_ORIGINS: config.corsOrigins.join(',') }
            : {},
        });
        applyBinds(fn, def.binds, { ...props.binds, webSocket });
        this.functions.set(fnId, fn);
      }
      return fn;
    };

    const httpLogs = new logs.LogGroup(this, 'HttpApiAccessLogs', {
      logGroupName: `/vigil/${config.stage}/http-api-access`,
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy,
    });
    this.httpApi = new apigw.HttpApi(this, 'HttpApi', {
      apiName: `vigil-${config.stage}-http`,
      description: 'Vigil HTTP API',
      createDefaultStage: false,
      corsPreflight: config.corsOrigins.length
        ? {
            allowOrigins: config.corsOrigins,
            allowMethods: [apigw.CorsHttpMethod.ANY],
            allowHeaders: ['authorization', 'content-type', 'x-api-key', 'x-request-id'],
            exposeHeaders: ['x-request-id', 'retry-after', 'allow'],
          }
        : undefined,
      defaultIntegration: new HttpLambdaIntegration('Fallback', fnFor(fallbackFunctionId).fn),
    });
    this.httpStage = new apigw.HttpStage(this, 'HttpDefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: config.throttle,
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(httpLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            time: '$context.requestTime',
            method: '$context.httpMethod',
            path: '$context.path',
            routeKey: '$context.routeKey',
            status: '$context.status',
            latencyMs: '$context.responseLatency',
            integrationLatencyMs: '$context.integrationLatency',
            responseLength: '$context.responseLength',
            userAgent: '$context.identity.userAgent',
            errorMessage: '$context.error.message',
          }),
        ),
      },
    });

    // The authorizer admits every request and attaches its decision; the handler stack answers a bad
    // token with a 401 problem document. No result caching, so a revoked token or key stops at once,
    // and no identity source, so it also runs for `X-API-Key` and for requests with no credentials.
    const authorizer = new HttpLambdaAuthorizer('AccessTokenAuthorizer', fnFor(authorizerFunctionId).fn, {
      authorizerName: `vigil-${config.stage}-access-token`,
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      identitySource: [],
      resultsCacheTtl: Duration.seconds(0),
    });
    for (const route of httpRoutes) {
      if (route.target === 'local') continue;
      this.httpApi.addRoutes({
        path: route.path,
        methods: [apigw.HttpMethod[route.method]],
        integration: new HttpLambdaIntegration(`Route-${route.operationId}`, fnFor(route.fn).fn),
        authorizer: route.auth === 'principal' ? authorizer : undefined,
      });
    }

    const routeOptions = (fnId: string) => ({
      integration: new WebSocketLambdaIntegration(`Ws-${fnId}`, fnFor(fnId).fn),
    });
    for (const route of wsRoutes) {
      this.webSocketApi.addRoute(route.routeKey, routeOptions(route.fn));
    }
    // WebSocket access logging needs the account-wide API Gateway CloudWatch role (account settings,
    // outside this app); connections are logged by the connect and disconnect Lambdas instead.
    this.webSocketStage = new apigw.WebSocketStage(this, 'WebSocketStage', {
      webSocketApi: this.webSocketApi,
      stageName: webSocketStageName,
      autoDeploy: true,
      throttle: config.throttle,
    });

    new CfnOutput(this, 'HttpApiUrl', { value: this.httpApi.apiEndpoint });
    new CfnOutput(this, 'WebSocketUrl', { value: this.webSocketStage.url });
  }
}
