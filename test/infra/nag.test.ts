import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it, vi } from 'vitest';
import { acceptances, VigilAwsSolutionsChecks } from '../../infra/cdk/nag';
import { synthesize } from './support';

describe('cdk-nag AwsSolutions', () => {
  it('passes on the whole app with only the accepted, reasoned findings', () => {
    const app = synthesize({ stage: 'nag' });
    const acknowledged = app.built.app.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY));

    expect(acknowledged.length).toBeGreaterThan(0);
    for (const acceptance of acceptances) expect(acceptance.reason.length).toBeGreaterThan(40);
  });

  it('fails synthesis on a finding nobody accepted', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'vigil-nag-'));
    const app = new App({ outdir });
    new sqs.Queue(new Stack(app, 'Careless'), 'PlainQueue');
    Validations.of(app).addPlugins(new VigilAwsSolutionsChecks(app));
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);

    let failure = '';
    try {
      app.synth();
    } catch (error) {
      failure = String(error);
    } finally {
      quiet.mockRestore();
      log.mockRestore();
    }

    expect(failure).toMatch(/AwsSolutions-SQS3/);
    expect(failure).toMatch(/AwsSolutions-SQS4/);
  });
});
