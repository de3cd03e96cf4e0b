import { defineConfig } from 'vitest/config';

/**
 * Four projects, all run by `npm test`:
 * - unit: pure logic, no I/O beyond loopback servers started by the test itself;
 * - integration: adapters against DynamoDB Local (started once per run, random table names);
 * - infra: CDK template assertions and cdk-nag;
 * - e2e: the local target started as a child process, driven over HTTP and WebSocket.
 */
const env = {
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  POWERTOOLS_METRICS_DISABLED: 'true',
  POWERTOOLS_TRACE_ENABLED: 'false',
};

export default defineConfig({
  test: {
    env,
    setupFiles: ['test/setup/polyfills.ts', 'test/setup/network-guard.ts'],
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/setup/dynamodb-local.ts'],
          testTimeout: 20_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'infra',
          include: ['test/infra/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
