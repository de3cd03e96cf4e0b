import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';

/**
 * Everything that differs between deployments of Vigil, read once from CDK context
 * (`cdk.json` or `-c key=value`). Every stack and resource name carries the stage, so several
 * stages can live in one account.
 */
export interface VigilConfig {
  /** Deployment stage (`-c stage=prod`); part of every stack and resource name. Default `dev`. */
  stage: string;
  /**
   * Production keeps tables, keys, the secret, queues and logs when a stack is deleted and turns on
   * table deletion protection. Other stages are disposable. Default: `stage === 'prod'`.
   */
  production: boolean;
  /** Origins allowed by CORS on the HTTP API (`-c corsOrigins=https://a,https://b`); empty: no CORS. */
  corsOrigins: string[];
  /** Email address subscribed to the alarm topic; none: alarms only reach the topic. */
  alarmEmail?: string;
  /** Retention of Lambda, API access and state machine logs, rounded up to a value CloudWatch offers. */
  logRetentionDays: RetentionDays;
  /** HTTP and WebSocket default-stage throttling (`throttleRate` requests/s, `throttleBurst`). */
  throttle: { rateLimit: number; burstLimit: number };
  /** Whether anyone may create a tenant through `POST /v1/auth/register`. Off unless set (`openSignup=true`). */
  openSignup: boolean;
  /** Verified SES sender for platform mail (password reset, verification); none: mail is not sent. */
  emailFrom?: string;
  /** Public URL of the web console, for links in mail. */
  appUrl?: string;
  /**
   * WebSocket access logs. API Gateway writes WebSocket logs through the account-wide CloudWatch role
   * (`AWS::ApiGateway::Account`), which is account configuration this app does not own; turn this on
   * (`webSocketAccessLogs=true`) once that role is set in the target account.
   */
  webSocketAccessLogs: boolean;
  /** Application version (package.json), passed to every Lambda as `VIGIL_VERSION`. */
  version: string;
}

const stagePattern = /^[a-z][a-z0-9-]{0,19}$/;

/**
 * Reads and validates the stage configuration from the construct tree's context. Invalid values fail
 * synthesis with a message naming the key instead of producing a half-right deployment.
 */
export function configFromContext(node: Node, version: string): VigilConfig {
  const raw = (key: string): unknown => {
    const value: unknown = node.tryGetContext(key);
    return value === undefined || value === null || value === '' ? undefined : value;
  };
  const text = (key: string): string | undefined => {
    const value = raw(key);
    return value === undefined ? undefined : String(value).trim();
  };
  const flag = (key: string, fallback: boolean): boolean => {
    const value = raw(key);
    if (value === undefined) return fallback;
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    throw new Error(`context ${key} must be true or false, got '${String(value)}'.`);
  };
  const positive = (key: string, fallback: number): number => {
    const value = raw(key) === undefined ? fallback : Number(raw(key));
    if (!Number.isFinite(value) || value <= 0) throw new Error(`context ${key} must be a positive number.`);
    return value;
  };
  const list = (key: string): string[] => {
    const value = raw(key);
    const items = Array.isArray(value)
      ? value.map(String)
      : value === undefined
        ? []
        : String(value).split(',');
    return items.map((item) => item.trim()).filter(Boolean);
  };

  const stage = text('stage') ?? 'dev';
  if (!stagePattern.test(stage)) {
    throw new Error(
      `stage '${stage}' must be 1-20 lower-case letters, digits or dashes, starting with a letter.`,
    );
  }
  const corsOrigins = list('corsOrigins');
  for (const origin of corsOrigins) {
    if (origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin)) {
      throw new Error(`context corsOrigins: '${origin}' is not an origin (scheme://host[:port]).`);
    }
  }
  const alarmEmail = text('alarmEmail');
  const emailFrom = text('emailFrom');
  for (const [key, value] of [
    ['alarmEmail', alarmEmail],
    ['emailFrom', emailFrom],
  ] as const) {
    if (value !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value)) {
      throw new Error(`context ${key} must be an email address, got '${value}'.`);
    }
  }
  return {
    stage,
    production: flag('production', stage === 'prod'),
    corsOrigins,
    alarmEmail,
    logRetentionDays: retentionAtLeast(positive('logRetentionDays', 30)),
    throttle: { rateLimit: positive('throttleRate', 50), burstLimit: positive('throttleBurst', 100) },
    openSignup: flag('openSignup', false),
    emailFrom,
    appUrl: text('appUrl'),
    webSocketAccessLogs: flag('webSocketAccessLogs', false),
    version,
  };
}

/** The smallest retention CloudWatch Logs offers that keeps logs at least `days` days. */
export function retentionAtLeast(days: number): RetentionDays {
  const offered = Object.values(RetentionDays)
    .filter((value): value is RetentionDays => typeof value === 'number' && value !== RetentionDays.INFINITE)
    .sort((a, b) => a - b);
  return offered.find((value) => value >= days) ?? RetentionDays.INFINITE;
}
