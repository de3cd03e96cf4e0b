import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { buildApp, type VigilApp } from '../../infra/build-app';

/** One violation left in CDK's validation report after acknowledgements. */
export interface ReportedViolation {
  rule: string;
  severity: string;
  paths: string[];
}

export interface SynthesizedVigil {
  built: VigilApp;
  outdir: string;
  templates: { stateful: Template; api: Template; workers: Template; observability: Template };
  all: Template[];
  /** What the validation plugins (cdk-nag) reported and nobody acknowledged. */
  violations: ReportedViolation[];
}

/**
 * Synthesizes the Vigil app once into a fresh directory. `bundle: false` skips esbuild (templates are
 * identical apart from asset hashes), for suites that do not look at bundles. Validation failures do not
 * throw here; they are returned in `violations` so a test can show them.
 */
export function synthesizeVigil(
  context: Record<string, unknown>,
  options: { bundle: boolean },
): SynthesizedVigil {
  const outdir = mkdtempSync(join(tmpdir(), 'vigil-cdk-'));
  const built = buildApp({
    outdir,
    context: {
      ...context,
      '@aws-cdk/core:failSynthOnValidationErrors': false,
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
    },
  });
  const assembly = built.app.synth();
  const template = (stackName: string) => Template.fromJSON(assembly.getStackByName(stackName).template);
  const templates = {
    stateful: template(built.stateful.stackName),
    api: template(built.api.stackName),
    workers: template(built.workers.stackName),
    observability: template(built.observability.stackName),
  };
  return { built, outdir, templates, all: Object.values(templates), violations: readViolations(outdir) };
}

/** The unacknowledged violations in the validation report of a synthesized assembly. */
export function readViolations(outdir: string): ReportedViolation[] {
  const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
    pluginReports: Array<{
      violations: Array<{
        ruleName: string;
        severity: string;
        violatingConstructs: Array<{ constructPath: string }>;
      }>;
    }>;
  };
  return report.pluginReports.flatMap((plugin) =>
    plugin.violations.map((v) => ({
      rule: v.ruleName,
      severity: v.severity,
      paths: v.violatingConstructs.map((c) => c.constructPath),
    })),
  );
}

/** Every resource of a type across templates, as `[logicalId, properties]`. */
export function resourcesOf(templates: Template[], type: string): Array<[string, Record<string, unknown>]> {
  return templates.flatMap((t) =>
    Object.entries(t.findResources(type)).map(
      ([id, r]) => [id, (r as { Properties?: Record<string, unknown> }).Properties ?? {}] as const,
    ),
  ) as Array<[string, Record<string, unknown>]>;
}

/** An IAM policy statement, flattened for assertions. */
export interface Statement {
  policy: string;
  effect: string;
  actions: string[];
  resources: unknown[];
  /** The resources as JSON, for matching references by logical id. */
  resourceText: string;
}

/** Every statement of every identity policy (`AWS::IAM::Policy`) in the templates. */
export function policyStatements(templates: Template[]): Statement[] {
  return resourcesOf(templates, 'AWS::IAM::Policy').flatMap(([policy, props]) => {
    const document = props.PolicyDocument as { Statement: Array<Record<string, unknown>> };
    return document.Statement.map((s) => {
      const resources = [s.Resource].flat();
      return {
        policy,
        effect: String(s.Effect),
        actions: [s.Action].flat() as string[],
        resources,
        resourceText: JSON.stringify(resources),
      };
    });
  });
}

/** Acknowledgements (`Validations.of(x).acknowledge`) found in a construct tree, with where they sit. */
export function acknowledgementsIn(
  root: IConstruct,
): Array<{ scope: IConstruct; id: string; reason: string }> {
  return root.node.findAll().flatMap((scope) =>
    scope.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          scope,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}
