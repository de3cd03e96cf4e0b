import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { dynamoConnectionRegistry } from '../../shared/adapters/aws/connection-registry';
import { createDocumentClient } from '../../shared/adapters/aws/dynamodb';
import { identityDepsFromEnv } from '../../shared/adapters/aws/identity-deps';
import { decideAccess } from '../../shared/identity/authorizer';
import { accessTokenVerifier, type VerifiedAccessToken } from '../../shared/identity/tokens';
import { optionalEnv, platformConfig, requireEnv } from '../../shared/platform/config';
import { UnauthorizedError } from '../../shared/platform/errors';
import { stateTable } from '../../shared/platform/tables';
import { tracer } from '../../shared/platform/tracing';
import { wsHandler } from '../../shared/platform/ws';
import { connect } from '../../shared/realtime/connections';
import { connectToken } from '../../shared/realtime/identity';

const config = platformConfig();
const { repo, signer, settings } = identityDepsFromEnv(tracer);
const registry = dynamoConnectionRegistry(
  createDocumentClient(tracer.captureAWSv3Client(new DynamoDBClient({}))),
  requireEnv(stateTable.envVar),
);
const open = connect({ registry, now: Date.now });
let verifier: Promise<(token: string) => Promise<VerifiedAccessToken>> | undefined;
const decide = decideAccess({
  verify: async (token) => {
    verifier ??= signer.publicJwk().then((jwk) => accessTokenVerifier([jwk], settings));
    return (await verifier)(token);
  },
  isDenied: (jti) => repo.isAccessTokenDenied(jti),
});
// The local target also admits clients that offer no token at all, as the demo tenant, so the
// WebSocket can be tried without signing up. A token that is offered must be valid everywhere.
const anonymousIdentity =
  config.target === 'local'
    ? { tenantId: optionalEnv('VIGIL_LOCAL_TENANT_ID', 'demo'), principalId: 'local-anonymous' }
    : undefined;

/** `$connect`: authenticates the access token (same decision as the HTTP authorizer) and registers. */
export const handler = wsHandler(
  async (event) => {
    const token = connectToken(event.queryStringParameters, event.headers);
    const decision = token ? await decide(token) : undefined;
    if (decision && decision.authenticated !== 'true') {
      throw new UnauthorizedError('The access token is invalid, expired or revoked.', decision.reason);
    }
    await open({
      connectionId: event.requestContext.connectionId,
      identity: decision ? { tenantId: decision.tenantId, principalId: decision.principalId } : undefined,
      anonymousIdentity,
    });
    const offered = event.headers?.['sec-websocket-protocol'] ?? event.headers?.['Sec-WebSocket-Protocol'];
    return offered?.split(',').some((p) => p.trim() === 'vigil')
      ? { statusCode: 200, headers: { 'Sec-WebSocket-Protocol': 'vigil' } }
      : { statusCode: 200 };
  },
  { tracer },
);
