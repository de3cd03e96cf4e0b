import { dynamoConnectionRegistry } from '../../shared/adapters/aws/connection-registry';
import { accessTokenChecks, identityDepsFromEnv } from '../../shared/adapters/aws/identity-deps';
import { decideAccess } from '../../shared/identity/authorizer';
import { cachedAccessTokenVerifier } from '../../shared/identity/tokens';
import { optionalEnv, platformConfig } from '../../shared/platform/config';
import { UnauthorizedError } from '../../shared/platform/errors';
import { tracer } from '../../shared/platform/tracing';
import { wsHandler } from '../../shared/platform/ws';
import { connect } from '../../shared/realtime/connections';
import { connectToken } from '../../shared/realtime/identity';

const config = platformConfig();
const { repo, signer, settings, documents, table } = identityDepsFromEnv(tracer);
const registry = dynamoConnectionRegistry(documents, table);
const open = connect({ registry, now: Date.now });
const decide = decideAccess({
  verify: cachedAccessTokenVerifier(signer, settings),
  ...accessTokenChecks(repo),
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
