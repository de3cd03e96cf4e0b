import {
  type IPolicyValidationContext,
  type PolicyValidationPluginReport,
  Stack,
  Validations,
} from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
// The function cdk-nag itself uses to spell a policy resource inside an IAM5 finding id.
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import type { IConstruct } from 'constructs';

/**
 * cdk-nag's AwsSolutions pack as Vigil runs it. Findings are acknowledged where the resource is
 * declared, with `Validations.of(construct).acknowledge({ id, reason })`. One kind of finding cannot be
 * acknowledged there: an IAM5 wildcard whose resource embeds a reference (a WebSocket API id from
 * another stack becomes an `Fn::ImportValue` only once the app is prepared), because its finding id
 * spells that reference. Those are registered with {@link acknowledgeWildcardResource} and turned into
 * exact acknowledgements here, right before the checks run.
 */
export class VigilAwsSolutionsChecks extends AwsSolutionsChecks {
  override validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    acknowledgeRegisteredWildcards(context.appConstruct);
    return super.validate(context);
  }
}

interface WildcardAcknowledgement {
  scope: IConstruct;
  resource: string;
  reason: string;
}

const registered = new WeakMap<IConstruct, WildcardAcknowledgement[]>();

/**
 * Acknowledges AwsSolutions-IAM5 for one wildcard `resource` (an ARN, tokens allowed) in the policies
 * of `scope` (a role, or the policy itself) and nothing else: other wildcards in the same policy are
 * still reported.
 */
export function acknowledgeWildcardResource(scope: IConstruct, resource: string, reason: string): void {
  const root = scope.node.root;
  const list = registered.get(root) ?? [];
  list.push({ scope, resource, reason });
  registered.set(root, list);
}

/** The exact finding id AwsSolutions-IAM5 reports for a wildcard resource, as seen from `scope`'s stack. */
export function wildcardFindingId(scope: IConstruct, resource: string): string {
  return `AwsSolutions-IAM5[Resource::${flattenCfnReference(Stack.of(scope).resolve(resource))}]`;
}

function acknowledgeRegisteredWildcards(root: IConstruct): void {
  for (const { scope, resource, reason } of registered.get(root) ?? []) {
    Validations.of(scope).acknowledge({ id: wildcardFindingId(scope, resource), reason });
  }
}
