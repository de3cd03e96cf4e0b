import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { acknowledgeWildcardResource, VigilAwsSolutionsChecks } from '../../infra/stacks/nag';
import { acknowledgementsIn, readViolations, type SynthesizedVigil, synthesizeVigil } from './support';

/** A throwaway app checked by the Vigil pack, reporting instead of throwing. */
function throwawayApp(): App {
  const app = new App({
    outdir: mkdtempSync(join(tmpdir(), 'vigil-nag-')),
    context: { '@aws-cdk/core:failSynthOnValidationErrors': false },
  });
  Validations.of(app).addPlugins(new VigilAwsSolutionsChecks(app));
  return app;
}

/** Every AwsSolutions finding in `scope`, acknowledged or not (cdk-nag's acknowledgement check disabled). */
function rawFindings(scope: IConstruct): Array<{ rule: string; path: string }> {
  const checks = new AwsSolutionsChecks();
  Object.defineProperty(checks, 'isAcknowledged', { value: () => false });
  return checks
    .validateScope(scope)
    .violations.flatMap((v) =>
      v.violatingResources.map((r) => ({ rule: v.ruleName, path: r.constructPath ?? '' })),
    );
}

describe('cdk-nag AwsSolutions on the Vigil app', () => {
  let app: SynthesizedVigil;

  beforeAll(() => {
    app = synthesizeVigil({ stage: 'nag' }, { bundle: false });
  });

  it('reports no unacknowledged finding', () => {
    expect(app.violations).toEqual([]);
  });

  it('acknowledges findings on resources only, never on a stack or the app, each with a reason', () => {
    const acknowledgements = acknowledgementsIn(app.built.app);
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const { scope, id, reason } of acknowledgements) {
      expect({
        id,
        path: scope.node.path,
        onStack: Stack.isStack(scope) || scope === app.built.app,
      }).toMatchObject({
        onStack: false,
      });
      expect(reason.length, `${id} on ${scope.node.path}`).toBeGreaterThanOrEqual(60);
    }
  });

  it('has no stale acknowledgement: each one covers a finding the pack raises there', () => {
    const findings = rawFindings(app.built.app);
    for (const { scope, id } of acknowledgementsIn(app.built.app)) {
      const covered = findings.some((f) => f.rule === id && `${f.path}/`.startsWith(`${scope.node.path}/`));
      expect({ id, path: scope.node.path, covered }).toMatchObject({ covered: true });
    }
  });

  it('acknowledges IAM5 wildcards only for X-Ray/log delivery "*", @connections and SES identities', () => {
    const wildcards = acknowledgementsIn(app.built.app)
      .map((a) => a.id)
      .filter((id) => id.startsWith('AwsSolutions-IAM5'));
    for (const id of wildcards) {
      expect(id).toMatch(
        /^AwsSolutions-IAM5\[Resource::(\*|arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:[^/*]+\/live\/POST\/@connections\/\*|arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:identity\/\*)\]$/,
      );
    }
  });
});

describe('the Vigil AwsSolutions checks', () => {
  it('report a non-compliant construct', () => {
    const app = throwawayApp();
    new sqs.Queue(new Stack(app, 'Careless'), 'PlainQueue');

    const assembly = app.synth();

    const rules = readViolations(assembly.directory).map((v) => v.rule);
    expect(rules).toContain('AwsSolutions-SQS3');
    expect(rules).toContain('AwsSolutions-SQS4');
  });

  it('fail synthesis on an unacknowledged finding by default', () => {
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'vigil-nag-')) });
    Validations.of(app).addPlugins(new VigilAwsSolutionsChecks(app));
    new sqs.Queue(new Stack(app, 'Careless'), 'PlainQueue');

    expect(() => app.synth()).toThrow(/AwsSolutions-SQS4/);
  });

  it('acknowledge exactly the registered wildcard, even when it refers to another stack', () => {
    const build = (acknowledge: boolean) => {
      const app = throwawayApp();
      const api = new apigw.WebSocketApi(new Stack(app, 'Producer'), 'Api');
      const consumer = new Stack(app, 'Consumer');
      const role = new iam.Role(consumer, 'Role', {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      });
      const connections = consumer.formatArn({
        service: 'execute-api',
        resource: api.apiId,
        resourceName: 'live/POST/@connections/*',
      });
      const other = consumer.formatArn({ service: 'execute-api', resource: api.apiId, resourceName: '*' });
      role.addToPolicy(
        new iam.PolicyStatement({ actions: ['execute-api:ManageConnections'], resources: [connections] }),
      );
      role.addToPolicy(new iam.PolicyStatement({ actions: ['execute-api:Invoke'], resources: [other] }));
      if (acknowledge)
        acknowledgeWildcardResource(role, connections, 'connection ids are only known at run time');
      return readViolations(app.synth().directory).filter((v) => v.rule.startsWith('AwsSolutions-IAM5'));
    };

    const without = build(false).map((v) => v.rule);
    const withAck = build(true).map((v) => v.rule);

    expect(without).toHaveLength(2);
    expect(
      without.some((rule) => rule.includes('@connections') && rule.includes('Producer:ExportsOutput')),
    ).toBe(true);
    expect(withAck).toEqual(without.filter((rule) => !rule.includes('@connections')));
    expect(withAck).toHaveLength(1);
  });
});
