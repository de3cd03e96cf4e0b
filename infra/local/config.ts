import { resolve } from 'node:path';
import { intEnv, listEnv, optionalEnv } from '../../shared/platform/config';

/**
 * Settings of the local target, all from environment variables (documented in the README). Port 0
 * means "any free port", which the e2e tests use to run several stacks side by side.
 */
export interface LocalConfig {
  host: string;
  httpPort: number;
  wsPort: number;
  dataDir: string;
  stage: string;
  corsOrigins: string[];
  logLevel: string;
  demoTenantId: string;
  /** Print one line per HTTP request. */
  accessLog: boolean;
  /** Visibility timeout of local queues: how long a failed message waits before its retry. */
  queueVisibilitySeconds: number;
  /** Point every integration adapter at local fakes (`VIGIL_PROVIDER_SANDBOX=1`). */
  providerSandbox: boolean;
}

export function localConfig(env: Record<string, string | undefined> = process.env): LocalConfig {
  return {
    host: optionalEnv('VIGIL_HOST', '127.0.0.1', env),
    httpPort: intEnv('VIGIL_PORT', 4000, env),
    wsPort: intEnv('VIGIL_WS_PORT', 4001, env),
    dataDir: resolve(optionalEnv('VIGIL_DATA_DIR', '.vigil', env)),
    stage: optionalEnv('VIGIL_STAGE', 'local', env),
    corsOrigins:
      env.CORS_ALLOWED_ORIGINS === undefined
        ? ['http://localhost:5173']
        : listEnv('CORS_ALLOWED_ORIGINS', env),
    logLevel: optionalEnv('VIGIL_LOG_LEVEL', 'WARN', env),
    demoTenantId: optionalEnv('VIGIL_LOCAL_TENANT_ID', 'demo', env),
    accessLog: optionalEnv('VIGIL_ACCESS_LOG', '1', env) !== '0',
    queueVisibilitySeconds: intEnv('VIGIL_QUEUE_VISIBILITY_SECONDS', 30, env),
    providerSandbox: optionalEnv('VIGIL_PROVIDER_SANDBOX', '0', env) === '1',
  };
}
