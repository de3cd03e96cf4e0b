import { createDocumentClient } from '../../shared/adapters/aws/dynamodb';
import { dynamoDbProbe } from '../../shared/adapters/aws/dynamodb-probe';
import { healthRoute } from '../../shared/api/platform';
import { platformConfig, requireEnv } from '../../shared/platform/config';
import { checkHealth } from '../../shared/platform/health';
import { httpHandler, implement, reply } from '../../shared/platform/http/handler';
import { stateTable } from '../../shared/platform/tables';

const config = platformConfig();
const check = checkHealth({
  dynamodb: dynamoDbProbe(createDocumentClient(), requireEnv(stateTable.envVar)),
  version: config.version,
  stage: config.stage,
  startedAt: Date.now(),
  now: Date.now,
  timeoutMs: 2_000,
});

export const handler = httpHandler([
  implement(healthRoute, async () => {
    const report = await check();
    return reply(report.status === 'ok' ? 200 : 503, report);
  }),
]);
