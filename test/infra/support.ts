import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp, type VigilApp } from '../../infra/cdk/app';

export interface SynthesizedApp {
  built: VigilApp;
  templates: { stateful: Template; api: Template; workers: Template; observability: Template };
  all: Template[];
}

/**
 * Synthesizes the whole app once (with real bundling and the cdk-nag validation, which throws on
 * any unaccepted finding) and returns each stack's template.
 */
export function synthesize(context: Record<string, string> = {}): SynthesizedApp {
  const built = buildApp({ outdir: mkdtempSync(join(tmpdir(), 'vigil-cdk-')), context });
  const assembly = built.app.synth();
  const template = (stackName: string) => Template.fromJSON(assembly.getStackByName(stackName).template);
  const templates = {
    stateful: template(built.stateful.stackName),
    api: template(built.api.stackName),
    workers: template(built.workers.stackName),
    observability: template(built.observability.stackName),
  };
  return { built, templates, all: Object.values(templates) };
}

/** Every resource of a type across templates, as `[logicalId, properties]`. */
export function resourcesOf(templates: Template[], type: string): Array<[string, Record<string, unknown>]> {
  return templates.flatMap((t) =>
    Object.entries(t.findResources(type)).map(
      ([id, r]) =>
        [id, (r as { Properties?: Record<string, unknown> }).Properties ?? {}] as [
          string,
          Record<string, unknown>,
        ],
    ),
  );
}
