import type { Tracer } from '@aws-lambda-powertools/tracer';
import { KMSClient } from '@aws-sdk/client-kms';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AuditLog } from '../../audit/chain';
import { integrationActions } from '../../integrations/actions';
import { createOutboundClient, type OutboundClientOptions } from '../../integrations/http/outbound';
import { integrationService } from '../../integrations/service';
import { ConfigError, listEnv, platformConfig } from '../../platform/config';
import { integrationAdapters } from '../integration-registry';
import { envelopeEncryptionFromEnv } from './envelope-encryption';
import { dynamoIntegrationStore } from './integration-store';

/**
 * The integration hub for a Lambda, built once at cold start. Only the local target may point
 * adapters at the provider sandbox (`VIGIL_PROVIDER_BASE_URLS`, a JSON map of integration name to
 * base URL) and let user-supplied URLs reach loopback fakes (`VIGIL_OUTBOUND_ALLOW_LIST`); in AWS
 * both are ignored, so the SSRF policy always applies in full. `outbound` tunes the client's own
 * retries (the enrichment engine retries provider calls itself, through the quota governor).
 */
export function integrationDepsFromEnv(
  documents: DynamoDBDocumentClient,
  table: string,
  audit: AuditLog,
  tracer: Tracer,
  env: Record<string, string | undefined> = process.env,
  outbound: Pick<OutboundClientOptions, 'retry' | 'maxRetryWaitMs'> = {},
) {
  const local = platformConfig(env).target === 'local';
  const allowList = local ? listEnv('VIGIL_OUTBOUND_ALLOW_LIST', env) : [];
  let baseUrls: Record<string, string> | undefined;
  if (local && env.VIGIL_PROVIDER_BASE_URLS) {
    try {
      baseUrls = JSON.parse(env.VIGIL_PROVIDER_BASE_URLS) as Record<string, string>;
    } catch (error) {
      throw new ConfigError('VIGIL_PROVIDER_BASE_URLS must be a JSON object of name to URL.', {
        cause: error,
      });
    }
  }
  const ssrf = allowList.length > 0 ? { allowList, allowHttp: true } : undefined;
  const http = createOutboundClient({ ...outbound, ...(ssrf ? { ssrf } : {}) });
  const service = integrationService({
    store: dynamoIntegrationStore(documents, table),
    encryption: envelopeEncryptionFromEnv(tracer.captureAWSv3Client(new KMSClient({})), env),
    adapters: integrationAdapters({ ssrf }),
    http,
    baseUrls,
    audit,
    now: Date.now,
  });
  return { service, actions: integrationActions(service) };
}
