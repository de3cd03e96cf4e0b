import type { App } from 'aws-cdk-lib';

/**
 * Stage configuration, from CDK context (`-c key=value` or `cdk.json`). Everything that differs
 * between a developer's `dev` stage and `prod` is here; names of every resource carry the stage.
 */
export interface StageConfig {
  stage: string;
  /** Production keeps data on stack deletion and turns on deletion protection. */
  production: boolean;
  /** Origins allowed by CORS on the HTTP API; empty disables CORS. */
  corsOrigins: string[];
  /** Email subscribed to the alarm topic, if any. */
  alarmEmail?: string;
  logRetentionDays: number;
  /** Verified SES sender for platform mail (password reset, invitations); none: mail is not sent. */
  emailFrom?: string;
  /** Base URL of the web app, for links in mail. */
  appUrl?: string;
  throttle: { rateLimit: number; burstLimit: number };
  version: string;
}

export function stageConfig(app: App, version: string): StageConfig {
  const ctx = (key: string): string | undefined => {
    const value = app.node.tryGetContext(key);
    return value === undefined || value === null || value === '' ? undefined : String(value);
  };
  const stage = ctx('stage') ?? 'dev';
  if (!/^[a-z][a-z0-9-]{0,19}$/.test(stage)) {
    throw new Error(
      `stage '${stage}' must be 1-20 lower-case letters, digits or dashes, starting with a letter.`,
    );
  }
  const number = (key: string, fallback: number): number => {
    const raw = ctx(key);
    const value = raw === undefined ? fallback : Number(raw);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`context ${key} must be a positive number.`);
    return value;
  };
  return {
    stage,
    production: stage === 'prod' || ctx('production') === 'true',
    corsOrigins: (ctx('corsOrigins') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    alarmEmail: ctx('alarmEmail'),
    emailFrom: ctx('emailFrom'),
    appUrl: ctx('appUrl'),
    logRetentionDays: number('logRetentionDays', 30),
    throttle: { rateLimit: number('throttleRate', 50), burstLimit: number('throttleBurst', 100) },
    version,
  };
}
