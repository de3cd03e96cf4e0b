import type { Tracer } from '@aws-lambda-powertools/tracer';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AuthorizerDeps } from '../../identity/authorizer';
import type { IdentityRepository } from '../../identity/ports';
import { optionalEnv, platformConfig, requireEnv } from '../../platform/config';
import { stateTable } from '../../platform/tables';
import { dynamoApiKeyRepository } from './api-key-repository';
import { createDocumentClient } from './dynamodb';
import { dynamoIdentityRepository } from './identity-repository';
import { kmsTokenSigner } from './kms-token-signer';
import { dynamoRateLimiter } from './rate-limiter';

/**
 * Identity wiring shared by the auth and authorizer Lambdas, built once per cold start: the
 * repository, the KMS token signer and the token settings (`TOKEN_ISSUER`, `TOKEN_AUDIENCE`).
 */
export function identityDepsFromEnv(tracer: Tracer, shared?: DynamoDBDocumentClient) {
  const config = platformConfig();
  const documents = shared ?? createDocumentClient(tracer.captureAWSv3Client(new DynamoDBClient({})));
  const table = requireEnv(stateTable.envVar);
  return {
    documents,
    table,
    repo: dynamoIdentityRepository(documents, table),
    apiKeys: dynamoApiKeyRepository(documents, table),
    limiter: dynamoRateLimiter(documents, table),
    signer: kmsTokenSigner(tracer.captureAWSv3Client(new KMSClient({})), requireEnv('JWT_SIGNING_KEY_ARN')),
    settings: {
      issuer: optionalEnv('TOKEN_ISSUER', `urn:vigil:${config.stage}`),
      audience: optionalEnv('TOKEN_AUDIENCE', 'vigil-api'),
      ttlSeconds: 15 * 60,
    },
  };
}

/**
 * The stored-state checks behind every access-token decision (HTTP authorizer and WebSocket
 * `$connect`): denied token ids, the user's current status, roles, grants and session version, and
 * revoked sessions.
 */
export function accessTokenChecks(
  repo: IdentityRepository,
): Pick<AuthorizerDeps, 'isDenied' | 'currentUser' | 'isSessionRevoked'> {
  return {
    isDenied: (jti) => repo.isAccessTokenDenied(jti),
    currentUser: (tenantId, userId) => repo.getUser(tenantId, userId),
    isSessionRevoked: (tenantId, sessionId) => repo.isFamilyRevoked(tenantId, sessionId),
  };
}
