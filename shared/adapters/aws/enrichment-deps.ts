import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { enrichmentEngine } from '../../enrichment/engine';
import { createGeoIpProvider } from '../../enrichment/offline/geo';
import { networkProvider } from '../../enrichment/offline/network';
import { circuitBreaker, quotaGovernor } from '../../enrichment/quota';
import { createIocService, iocStoreProvider } from '../../intel/iocs';
import { intEnv, requireEnv } from '../../platform/config';
import { publishAll } from '../../realtime/connections';
import { dynamoEnrichmentStore } from './enrichment-store';
import { eventBridgeBus } from './eventbridge-bus';
import { principalRouteDepsFromEnv } from './http-deps';
import { integrationDepsFromEnv } from './integration-deps';
import { dynamoIocRepository } from './ioc-repository';
import { sqsLookupQueue } from './lookup-queue';
import { dynamoQuotaStore } from './quota-store';
import { realtimeDepsFromEnv } from './realtime-deps';

/**
 * The enrichment engine of a Lambda, built once at cold start: the job store, the integration hub
 * (credentials, usage), the offline providers, the lookup queue, the shared quota governor and
 * circuit breaker, WebSocket progress and the event bus. The ASN database ships next to the bundle
 * (`geoip/`) in AWS and is read from the npm package locally.
 */
export function enrichmentDepsFromEnv(tracer: Tracer) {
  const http = principalRouteDepsFromEnv(tracer);
  const { documents, table, audit } = http;
  // One HTTP attempt per provider call: the engine retries, after asking the quota governor again,
  // so every call a provider sees was granted (client-side retries would spend unmetered quota).
  const { service: integrations } = integrationDepsFromEnv(documents, table, audit, tracer, process.env, {
    retry: { attempts: 1 },
    maxRetryWaitMs: 0,
  });
  const iocRepo = dynamoIocRepository(documents, table);
  const iocs = createIocService({ repo: iocRepo, now: Date.now, newId: () => randomUUID() });
  const bundled = join(dirname(fileURLToPath(import.meta.url)), 'geoip');
  const quotaStore = dynamoQuotaStore(documents, table);
  const engine = enrichmentEngine({
    store: dynamoEnrichmentStore(documents, table),
    integrations,
    offline: [
      networkProvider,
      iocStoreProvider(iocRepo),
      createGeoIpProvider(existsSync(bundled) ? { dataDir: bundled } : {}),
    ],
    lookupCategories: ['threat-intel', 'geolocation'],
    queue: sqsLookupQueue(
      tracer.captureAWSv3Client(new SQSClient({})),
      requireEnv('ENRICHMENT_QUEUE_URL'),
      requireEnv('ENRICHMENT_DLQ_URL'),
    ),
    quota: quotaGovernor({ store: quotaStore }),
    breaker: circuitBreaker({ store: quotaStore }),
    publish: publishAll(realtimeDepsFromEnv(tracer)),
    bus: eventBridgeBus(tracer.captureAWSv3Client(new EventBridgeClient({})), requireEnv('EVENT_BUS_NAME')),
    retryBudget: intEnv('ENRICHMENT_RETRY_BUDGET', 4),
    retryBaseSeconds: intEnv('ENRICHMENT_RETRY_BASE_SECONDS', 5),
    now: Date.now,
  });
  return { ...http, engine, integrations, iocs, quotaStore };
}
