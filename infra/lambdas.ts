/**
 * Catalog of every Lambda: entry file, sizing and the resources it is bound to. CDK creates one
 * function per entry (`infra/constructs/vigil-function.ts`) and applies each bind (grant + environment
 * variable together); the local target imports the same entry files; the bundle benchmark measures them.
 */
export type Bind =
  | 'stateTableRead'
  | 'stateTableWrite'
  | 'auditTableWrite'
  | 'auditTableRead'
  | 'eventBus'
  | 'wsManagement'
  | 'platformSecret'
  | 'tokenSigning'
  | 'dataKey'
  | 'enrichmentQueue'
  | 'email'
  | 'tokenVerification';

export interface LambdaDef {
  id: string;
  /** Entry file relative to the project root; exports `handler`. */
  entry: string;
  description: string;
  memoryMb?: number;
  timeoutSeconds?: number;
  binds: readonly Bind[];
  /** `local` functions exist only on the local target and are never deployed. Default `all`. */
  target?: 'all' | 'local';
  /** Extra files copied next to the bundle (source dir relative to node_modules → target dir). */
  assets?: { fromPackage: string; files: readonly string[]; to: string };
}

export const lambdas = [
  {
    id: 'platform-health',
    entry: 'functions/platform/health.ts',
    description: 'GET /health: version, uptime, DynamoDB round trip',
    binds: ['stateTableRead'],
  },
  {
    id: 'platform-docs',
    entry: 'functions/platform/docs.ts',
    description: 'GET /openapi.json and the /docs API reference page',
    binds: [],
    assets: {
      fromPackage: 'swagger-ui-dist',
      files: ['swagger-ui-bundle.js', 'swagger-ui.css', 'favicon-32x32.png'],
      to: 'docs-assets',
    },
  },
  {
    id: 'platform-fallback',
    entry: 'functions/platform/fallback.ts',
    description: '$default HTTP route: JSON 404/405 problems for unknown routes and methods',
    binds: [],
  },
  {
    id: 'realtime-connect',
    entry: 'functions/realtime/connect.ts',
    description: 'WebSocket $connect: authenticates the access token and registers the connection',
    binds: ['stateTableWrite', 'tokenVerification'],
  },
  {
    id: 'realtime-disconnect',
    entry: 'functions/realtime/disconnect.ts',
    description: 'WebSocket $disconnect: removes the connection and its subscriptions',
    binds: ['stateTableWrite'],
  },
  {
    id: 'realtime-message',
    entry: 'functions/realtime/message.ts',
    description: 'WebSocket $default: subscribe, unsubscribe, ping',
    binds: ['stateTableWrite', 'wsManagement'],
  },
  {
    id: 'events-dispatcher',
    entry: 'functions/events/dispatcher.ts',
    description:
      'SQS consumer of platform events from the bus: pushes them to WebSocket topic subscribers; security alerts become admin notifications',
    timeoutSeconds: 30,
    binds: ['stateTableWrite', 'wsManagement'],
  },
  {
    id: 'playbook-step',
    entry: 'functions/playbooks/step.ts',
    description: 'Step Functions task: runs one playbook step action and records its outcome',
    timeoutSeconds: 60,
    binds: ['stateTableWrite', 'eventBus', 'wsManagement'],
  },
  {
    id: 'identity-auth',
    entry: 'functions/identity/auth.ts',
    description:
      'Sign-up, login with TOTP, refresh rotation, logout, password reset, email verification, invitations, 2FA, API keys, profile, JWKS',
    memoryMb: 1024,
    binds: [
      'stateTableWrite',
      'auditTableWrite',
      'platformSecret',
      'tokenSigning',
      'email',
      'dataKey',
      'eventBus',
    ],
  },
  {
    id: 'identity-users',
    entry: 'functions/identity/users.ts',
    description: 'User administration, invitations, per-user grants, sessions and security metrics',
    binds: ['stateTableWrite', 'auditTableWrite', 'email', 'eventBus'],
  },
  {
    id: 'identity-authorizer',
    entry: 'functions/identity/authorizer.ts',
    description:
      'Lambda authorizer: verifies access tokens and API keys, attaches tenant, principal and permissions',
    binds: ['stateTableWrite', 'tokenVerification'],
  },
  {
    id: 'realtime-notifications',
    entry: 'functions/realtime/notifications.ts',
    description: 'GET/PUT /v1/notifications: the caller’s notifications, read state',
    binds: ['stateTableWrite', 'auditTableWrite', 'eventBus'],
  },
  {
    id: 'integrations-api',
    entry: 'functions/integrations/api.ts',
    description: 'Integration catalog, configuration, tests, usage, export/import, and direct actions',
    memoryMb: 512,
    timeoutSeconds: 30,
    binds: ['stateTableWrite', 'auditTableWrite', 'dataKey', 'eventBus'],
  },
  {
    id: 'integrations-health',
    entry: 'functions/integrations/health.ts',
    description: 'Scheduled: health check of every enabled integration of every tenant',
    memoryMb: 512,
    timeoutSeconds: 300,
    binds: ['stateTableWrite', 'auditTableWrite', 'dataKey', 'eventBus'],
  },
  {
    id: 'enrichment-api',
    entry: 'functions/enrichment/api.ts',
    description: 'Extraction, enrichment jobs, verdicts, providers, the IOC store and the allow-list',
    memoryMb: 1024,
    timeoutSeconds: 29,
    binds: ['stateTableWrite', 'auditTableWrite', 'dataKey', 'eventBus', 'enrichmentQueue', 'wsManagement'],
    assets: {
      fromPackage: '@ip-location-db/asn',
      files: ['asn-ipv4-num.csv', 'asn-ipv6-num.csv', 'package.json'],
      to: 'geoip',
    },
  },
  {
    id: 'enrichment-worker',
    entry: 'functions/enrichment/worker.ts',
    description: 'SQS consumer: one provider lookup per message through the breaker and the quota governor',
    memoryMb: 512,
    timeoutSeconds: 60,
    binds: ['stateTableWrite', 'auditTableWrite', 'dataKey', 'eventBus', 'enrichmentQueue', 'wsManagement'],
  },
  {
    id: 'audit-api',
    entry: 'functions/audit/api.ts',
    description: 'GET /v1/audit: query the audit trail and verify its hash chain',
    binds: ['auditTableRead', 'auditTableWrite', 'stateTableWrite', 'eventBus'],
  },
  {
    id: 'dev-tools',
    entry: 'functions/dev/tools.ts',
    description: 'Local target only: developer routes such as putting an event on the local bus',
    binds: ['eventBus'],
    target: 'local',
  },
] as const satisfies readonly LambdaDef[];

export type LambdaId = (typeof lambdas)[number]['id'];

export function lambdaById(id: string): LambdaDef {
  const def = (lambdas as readonly LambdaDef[]).find((l) => l.id === id);
  if (!def) throw new Error(`Unknown Lambda id '${id}'`);
  return def;
}
