import { type IPolicyValidationContext, type PolicyValidationPluginReport, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { httpRoutes } from '../../shared/api/route-table';

/**
 * One finding we accept: the rule (exact id, or the prefix of an id whose bracketed part names the
 * flagged action or resource), the construct paths it is accepted on, and why that is right for Vigil.
 */
export interface Acceptance {
  rule: string;
  /** Finding ids are `rule` exactly, or `rule` followed by a detail matching this. */
  detail?: RegExp;
  path: RegExp;
  reason: string;
}

/** Construct paths of the HTTP routes the route table declares public (CDK names them METHOD--path). */
function publicRoutePaths(): RegExp {
  const ids = httpRoutes
    .filter((route) => route.auth === 'public' && route.target !== 'local')
    .map((route) =>
      `${route.method}${route.path.replace(/\//g, '--')}`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    );
  return new RegExp(`/HttpApi/(${ids.join('|')})/Resource$`);
}

const fnRolePolicy = /^Vigil[A-Za-z]+-[a-z0-9-]+\/Fn-[a-z-]+\/Role\/DefaultPolicy\/Resource$/;

/**
 * Every cdk-nag finding Vigil accepts, each scoped to the resources it concerns. Anything not listed
 * here fails synthesis and the infra tests.
 */
export const acceptances: readonly Acceptance[] = [
  {
    rule: 'AwsSolutions-IAM5',
    detail: /^\[Resource::\*\]$/,
    path: fnRolePolicy,
    reason:
      'X-Ray active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions.',
  },
  {
    rule: 'AwsSolutions-IAM5',
    detail: /^\[Resource::<Fn[A-Za-z0-9]+Logs[A-F0-9]{8}\.Arn>:log-stream:\*\]$/,
    path: fnRolePolicy,
    reason:
      'Lambda names a log stream per execution environment at run time; scoped to the function’s own log group.',
  },
  {
    rule: 'AwsSolutions-IAM5',
    detail:
      /^\[Resource::VigilStateful-[a-z0-9-]+:ExportsOutputFnGetAtt(State|Audit)Table[A-F0-9]{8}Arn[A-F0-9]{8}\/index\/\*\]$/,
    path: fnRolePolicy,
    reason:
      'Single-table design: item reads query the table’s global secondary indexes; scoped to this stage’s table.',
  },
  {
    rule: 'AwsSolutions-IAM5',
    detail:
      /^\[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:[^/]+\/live\/(POST|DELETE)\/@connections\/\*\]$/,
    path: fnRolePolicy,
    reason:
      'API Gateway assigns WebSocket connection ids at connect time; scoped to one API stage and the POST/DELETE @connections calls.',
  },
  {
    rule: 'AwsSolutions-IAM5',
    detail: /^\[Resource::arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:identity\/\*\]$/,
    path: fnRolePolicy,
    reason:
      'SES authorizes SendEmail against the sender and every recipient identity; recipients are users’ own addresses, unknown in advance.',
  },
  {
    rule: 'AwsSolutions-IAM5',
    detail: /^\[Resource::<Fnplaybookstep[A-Za-z]+[A-F0-9]{8}\.Arn>:\*\]$/,
    path: /\/PlaybookRunner\/Role\/DefaultPolicy\/Resource$/,
    reason:
      'Step Functions may invoke versions and aliases of the one playbook-step function (`:*` qualifier).',
  },
  {
    rule: 'AwsSolutions-IAM5',
    detail: /^\[Resource::\*\]$/,
    path: /\/PlaybookRunner\/Role\/DefaultPolicy\/Resource$/,
    reason:
      'State machine X-Ray tracing and CloudWatch Logs delivery (logs:CreateLogDelivery and friends) support no resource-level permissions.',
  },
  {
    rule: 'AwsSolutions-L1',
    path: /\/Fn-[a-z-]+\/Function\/Resource$/,
    reason:
      'Node.js 22 is pinned on purpose: the code is tested on it, and moving to a newer runtime is a tested change, not an automatic one.',
  },
  {
    rule: 'AwsSolutions-APIG4',
    path: publicRoutePaths(),
    reason:
      'Declared public in the route table: health, the API description and reference page, sign-up, login, refresh (the refresh token is the credential) and token-verification metadata.',
  },
  {
    rule: 'AwsSolutions-APIG4',
    path: /\/HttpApi\/DefaultRoute\/Resource$/,
    reason: 'The $default route only answers 404/405 problem documents for unknown routes; it reads no data.',
  },
  {
    rule: 'AwsSolutions-APIG4',
    path: /\/WebSocketApi\/\$connect-Route\/Resource$/,
    reason:
      'The connect Lambda authenticates the access token itself (the same decision as the HTTP authorizer) and refuses the connection otherwise; a WebSocket Lambda authorizer would need IAM-policy responses that duplicate it.',
  },
  {
    rule: 'AwsSolutions-APIG4',
    path: /\/WebSocketApi\/\$(default|disconnect)-Route\/Resource$/,
    reason:
      'API Gateway supports authorizers on $connect only; these routes run on connections $connect admitted.',
  },
  {
    rule: 'AwsSolutions-APIG1',
    path: /\/WebSocketStage\/Resource$/,
    reason:
      'WebSocket access logging needs the account-wide API Gateway CloudWatch role, which is account configuration outside this app; connection events are logged by the connect and disconnect Lambdas.',
  },
  {
    rule: 'AwsSolutions-SMG4',
    path: /\/PlatformSecret\/Resource$/,
    reason:
      'The secret holds the password pepper, which is mixed into every stored hash: automatic rotation would lock every user out. Rotation is an operator procedure (re-hash on next login).',
  },
];

function accepted(ruleId: string, path: string): Acceptance | undefined {
  return acceptances.find((a) => {
    if (!a.path.test(path)) return false;
    if (ruleId === a.rule) return !a.detail;
    return ruleId.startsWith(a.rule) && (a.detail?.test(ruleId.slice(a.rule.length)) ?? false);
  });
}

/**
 * AwsSolutions checks that first acknowledge the accepted findings on their own resources (finding
 * ids include resolved logical ids, so they are only known once the app is prepared), then report
 * what remains.
 */
export class VigilAwsSolutionsChecks extends AwsSolutionsChecks {
  override validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const app = (context as { appConstruct?: IConstruct }).appConstruct;
    if (app) acknowledgeAccepted(this, app);
    return super.validate(context);
  }
}

/** Acknowledges accepted findings under `scope`; returns how many it acknowledged. */
export function acknowledgeAccepted(checks: AwsSolutionsChecks, scope: IConstruct): number {
  const byPath = new Map(scope.node.findAll().map((c) => [c.node.path, c]));
  let count = 0;
  for (const violation of checks.validateScope(scope).violations) {
    for (const resource of violation.violatingResources) {
      const path = resource.constructPath ?? '';
      const acceptance = accepted(violation.ruleName, path);
      const construct = byPath.get(path);
      if (!acceptance || !construct) continue;
      Validations.of(construct).acknowledge({ id: violation.ruleName, reason: acceptance.reason });
      count += 1;
    }
  }
  return count;
}
