import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { beforeAll, describe, expect, it } from 'vitest';
import { configFromContext } from '../../infra/config';
import { applyBinds, type BindResources, VigilFunction } from '../../infra/constructs/vigil-function';
import type { LambdaDef } from '../../infra/lambdas';
import { policyStatements } from './support';

/**
 * No catalog function binds `dataKey` yet, so this builds the smallest stack that does: a key and one
 * function bound to it through `applyBinds`, as the API and workers stacks do.
 */
describe('dataKey bind', () => {
  let template: Template;
  let keyLogicalId: string;

  beforeAll(() => {
    const app = new App({ context: { stage: 'ci', 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'DataKeyBindTest');
    const key = new kms.Key(stack, 'DataKey');
    const def: LambdaDef = {
      id: 'secret-keeper',
      entry: 'functions/platform/health.ts',
      description: 'binds the data key',
      binds: ['dataKey'],
    };
    const fn = new VigilFunction(stack, 'SecretKeeper', {
      def,
      config: configFromContext(app.node, '0.0.0'),
    });
    // `dataKey` reads nothing else from the resources.
    applyBinds(fn, def.binds, { dataKey: key } as Partial<BindResources> as BindResources);
    template = Template.fromStack(stack);
    keyLogicalId = stack.getLogicalId(key.node.defaultChild as kms.CfnKey);
  });

  const keyStatements = () =>
    policyStatements([template]).filter((s) => s.actions.some((action) => action.startsWith('kms:')));

  it('grants GenerateDataKey and Decrypt, and nothing else, on the data key only', () => {
    const statements = keyStatements();
    expect(statements).toHaveLength(1);
    const [statement] = statements;
    expect(statement?.effect).toBe('Allow');
    expect([...(statement?.actions ?? [])].sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(statement?.resources).toEqual([{ 'Fn::GetAtt': [keyLogicalId, 'Arn'] }]);
  });

  it('requires both tenantId and purpose in the encryption context of every call', () => {
    const documents = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (policy) =>
        (policy as { Properties: { PolicyDocument: { Statement: unknown[] } } }).Properties.PolicyDocument
          .Statement,
    ) as Array<{ Action: string | string[]; Condition?: unknown }>;
    const kmsStatement = documents.find((s) => [s.Action].flat().some((a) => a.startsWith('kms:')));
    expect(kmsStatement?.Condition).toEqual({
      Null: { 'kms:EncryptionContext:tenantId': 'false', 'kms:EncryptionContext:purpose': 'false' },
    });
  });

  it('names the key in DATA_KEY_ARN', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function')) as Array<{
      Properties: { Environment: { Variables: Record<string, unknown> } };
    }>;
    expect(functions).toHaveLength(1);
    expect(functions[0]?.Properties.Environment.Variables.DATA_KEY_ARN).toEqual({
      'Fn::GetAtt': [keyLogicalId, 'Arn'],
    });
  });
});
