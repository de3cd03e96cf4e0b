import './polyfills';
import { localConfig } from './config';
import { JavaMissingError } from './dynamodb-local';
import { startLocalStack } from './stack';

/**
 * `npm start`: runs the local target until Ctrl-C or SIGTERM, then stops everything it started
 * (including the DynamoDB Local Java process) before exiting.
 */
// The SDK warns about Node 20 (Lambda runs 22); the local target is supported on both.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const log = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  const config = localConfig();
  const started = performance.now();
  log(`Vigil local target starting (data in ${config.dataDir}) ...`);
  const stack = await startLocalStack(config, log);
  log('');
  log(`  HTTP API    ${stack.httpUrl}`);
  log(`  Health      ${stack.httpUrl}/health`);
  log(`  API docs    ${stack.httpUrl}/docs`);
  log(`  OpenAPI     ${stack.httpUrl}/openapi.json`);
  log(`  WebSocket   ${stack.wsUrl}`);
  log(`  DynamoDB    ${stack.dynamodbEndpoint}`);
  log(`  AWS APIs    ${stack.awsEndpoint}  (SQS, EventBridge, Step Functions, KMS, Secrets Manager, SES)`);
  if (stack.sandbox) {
    log('');
    log(
      `  Provider sandbox: ${Object.keys(stack.sandbox.baseUrls).length} integrations answer from local fakes (any key works; \`invalid-key\` is refused).`,
    );
    log(`    Custom webhook secret  ${stack.sandbox.webhookSecret}`);
    log(`    Velociraptor config    ${stack.sandbox.velociraptorApiClientFile}`);
    log(`    Fake service URLs      ${stack.sandbox.urlsFile}`);
  }
  log('');
  log(`Ready in ${((performance.now() - started) / 1000).toFixed(1)} s. Press Ctrl-C to stop.`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal} received, stopping ...`);
    stack
      .stop()
      .then(() => {
        log('Stopped.');
        process.exit(0);
      })
      .catch((err) => {
        log(`Stop failed: ${String(err)}`);
        process.exit(1);
      });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGHUP', () => shutdown('SIGHUP'));
  // When whatever started us (npm, a shell, a process manager) dies without passing on a signal, we
  // are re-parented: stop too, rather than leave DynamoDB Local running.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) shutdown('parent exit');
  }, 1_000).unref();
}

main().catch((err) => {
  if (err instanceof JavaMissingError) log(`\n${err.message}\n`);
  else
    log(
      `Vigil local target failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
    );
  process.exit(1);
});
