import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { accessTokenChecks, identityDepsFromEnv } from '../../shared/adapters/aws/identity-deps';
import { resolveApiKey } from '../../shared/identity/api-keys';
import { bearerToken, decideAccess } from '../../shared/identity/authorizer';
import { cachedAccessTokenVerifier } from '../../shared/identity/tokens';
import { taskHandler } from '../../shared/platform/task';
import { tracer } from '../../shared/platform/tracing';

const { repo, apiKeys, signer, settings } = identityDepsFromEnv(tracer);
// The public key is fetched from KMS once per container and kept: verification is then local.
const verify = cachedAccessTokenVerifier(signer, settings);
let sourceIp = '';
const decide = decideAccess({
  verify,
  ...accessTokenChecks(repo),
  resolveApiKey: async (presented) => {
    const now = new Date();
    const key = await resolveApiKey(apiKeys, presented, now);
    if (!key) return undefined;
    await apiKeys.recordUse(key.id, now.toISOString(), sourceIp);
    return { tenantId: key.tenantId, id: key.id, permissions: key.permissions };
  },
});

/** HTTP API Lambda authorizer (simple responses): admits the request and attaches the decision. */
export const handler = taskHandler(
  async (event) => {
    const request = event as APIGatewayRequestAuthorizerEventV2;
    sourceIp = request.requestContext?.http?.sourceIp ?? '';
    const context = await decide(bearerToken(request.headers?.authorization, request.headers?.['x-api-key']));
    return { isAuthorized: true, context };
  },
  { tracer },
);
