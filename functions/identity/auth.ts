import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { envelopeEncryptionFromEnv } from '../../shared/adapters/aws/envelope-encryption';
import { principalRouteDepsFromEnv } from '../../shared/adapters/aws/http-deps';
import { identityDepsFromEnv } from '../../shared/adapters/aws/identity-deps';
import { loadPlatformSecret } from '../../shared/adapters/aws/platform-secret';
import { emailSenderFromEnv } from '../../shared/adapters/aws/ses-email';
import {
  createApiKeyRoute,
  deleteApiKeyRoute,
  listApiKeysRoute,
  rotateApiKeyRoute,
} from '../../shared/api/api-keys';
import {
  acceptInvitationRoute,
  jwksRoute,
  loginRoute,
  logoutRoute,
  meRoute,
  mfaDisableRoute,
  mfaLoginRoute,
  mfaRecoveryCodesRoute,
  mfaSetupRoute,
  mfaVerifyRoute,
  openIdConfigurationRoute,
  passwordResetConfirmRoute,
  passwordResetRequestRoute,
  refreshRoute,
  registerRoute,
  rolesRoute,
  verifyEmailConfirmRoute,
  verifyEmailRequestRoute,
} from '../../shared/api/identity';
import { apiKeyService } from '../../shared/identity/api-keys';
import { type AuthService, authService, defaultAuthLimits, signInThrottle } from '../../shared/identity/auth';
import commonPasswords from '../../shared/identity/data/common-passwords.json';
import { mfaService } from '../../shared/identity/mfa';
import { passwordPolicy } from '../../shared/identity/password-policy';
import { scryptHasher } from '../../shared/identity/passwords';
import { rolePermissions } from '../../shared/identity/permissions';
import type { Principal } from '../../shared/identity/principal';
import { issueAccessToken } from '../../shared/identity/tokens';
import { intEnv, optionalEnv, platformConfig, requireEnv } from '../../shared/platform/config';
import { ForbiddenError, UnauthorizedError } from '../../shared/platform/errors';
import { httpHandler, implement, reply } from '../../shared/platform/http/handler';
import { logger } from '../../shared/platform/observability';
import { tracer } from '../../shared/platform/tracing';

const config = platformConfig();
const { documents, audit, limiter, security } = principalRouteDepsFromEnv(tracer);
const { repo, apiKeys, signer, settings } = identityDepsFromEnv(tracer, documents);
const secrets = tracer.captureAWSv3Client(new SecretsManagerClient({}));
const secretId = requireEnv('PLATFORM_SECRET_ARN');
// Open sign-up is on by default locally and off by default in AWS.
const openSignup = optionalEnv('OPEN_SIGNUP', config.target === 'local' ? 'true' : 'false') === 'true';

const email = emailSenderFromEnv(tracer.captureAWSv3Client(new SESv2Client({})));
const securityEvents = security.events;
const keys = apiKeyService({
  repo: apiKeys,
  audit,
  now: () => new Date(),
  onEscalationAttempt: (principal, requested) =>
    security.events.record({
      type: 'permission.escalation_attempt',
      severity: 'high',
      tenantId: principal.tenantId,
      details: { principalId: principal.id, requested },
    }),
});
const caller = (principal: Principal | undefined): Principal => {
  if (!principal) throw new UnauthorizedError();
  return principal;
};
/** Second-factor settings belong to people: an API key has none. */
const userCaller = (principal: Principal | undefined, origin: { sourceIp: string; userAgent: string }) => {
  const who = caller(principal);
  if (who.type !== 'user') throw new ForbiddenError('Only a signed-in user can do this.', 'user_required');
  return { tenantId: who.tenantId, userId: who.id, ip: origin.sourceIp, userAgent: origin.userAgent };
};
const limits = {
  perAccountPerMinute: intEnv('AUTH_RATE_LIMIT_PER_ACCOUNT', defaultAuthLimits.perAccountPerMinute),
  perIpPerMinute: intEnv('AUTH_RATE_LIMIT_PER_IP', defaultAuthLimits.perIpPerMinute),
};
const throttle = signInThrottle({ limiter, limits, securityEvents });
const mfa = mfaService({
  repo,
  encryption: envelopeEncryptionFromEnv(tracer.captureAWSv3Client(new KMSClient({}))),
  audit,
  issuer: optionalEnv('TOTP_ISSUER', config.stage === 'prod' ? 'Vigil' : `Vigil (${config.stage})`),
  throttle: (account) => throttle('mfa', undefined, account),
  now: Date.now,
});

// The pepper comes from Secrets Manager on first use and is cached for the container's life.
let service: Promise<AuthService> | undefined;
const auth = (): Promise<AuthService> => {
  service ??= loadPlatformSecret(secrets, secretId).then(({ pepper }) =>
    authService({
      repo,
      hasher: scryptHasher(pepper),
      checkPassword: passwordPolicy(commonPasswords),
      issueAccessToken: issueAccessToken({ signer, settings, now: Date.now }),
      accessTokenTtlSeconds: settings.ttlSeconds,
      securityEvents,
      audit,
      email,
      appUrl: process.env.PUBLIC_APP_URL || undefined,
      onBackgroundError: (what, error) => logger.error(`${what} failed`, { err: error }),
      openSignup,
      limiter,
      limits,
      mfa,
      now: Date.now,
    }),
  );
  service.catch(() => {
    service = undefined;
  });
  return service;
};

export const handler = httpHandler(
  [
    implement(registerRoute, async ({ body, sourceIp }) =>
      reply(201, await (await auth()).register(body, { ip: sourceIp })),
    ),
    implement(loginRoute, async ({ body, sourceIp, userAgent }) =>
      (await auth()).login(body, { ip: sourceIp, userAgent }),
    ),
    implement(refreshRoute, async ({ body, sourceIp }) =>
      (await auth()).refresh(body.refreshToken, { ip: sourceIp }),
    ),
    implement(logoutRoute, async ({ body, principal, sourceIp, userAgent }) => {
      if (!principal?.token) throw new UnauthorizedError();
      await (await auth()).logout(
        {
          tenantId: principal.tenantId,
          userId: principal.id,
          ...principal.token,
          sessionId: principal.sessionId,
          refreshToken: body?.refreshToken,
        },
        { ip: sourceIp, userAgent },
      );
      return reply(204, undefined);
    }),
    implement(meRoute, async ({ principal }) => {
      const who = caller(principal);
      if (who.type === 'apiKey') {
        return {
          id: who.id,
          type: 'apiKey',
          tenantId: who.tenantId,
          roles: [],
          permissions: [...who.permissions].sort(),
        };
      }
      return (await auth()).me(who.tenantId, who.id);
    }),
    implement(createApiKeyRoute, async ({ body, principal }) =>
      reply(201, await keys.create(caller(principal), body)),
    ),
    implement(listApiKeysRoute, async ({ principal }) => ({ items: await keys.list(caller(principal)) })),
    implement(deleteApiKeyRoute, async ({ params, principal }) => {
      await keys.revoke(caller(principal), params.id);
      return reply(204, undefined);
    }),
    implement(rotateApiKeyRoute, async ({ params, principal }) => keys.rotate(caller(principal), params.id)),
    implement(passwordResetRequestRoute, async ({ body, sourceIp, userAgent }) => {
      await (await auth()).requestPasswordReset(body.email, { ip: sourceIp, userAgent });
      return reply(202, { status: 'accepted' });
    }),
    implement(passwordResetConfirmRoute, async ({ body, sourceIp, userAgent }) => {
      await (await auth()).confirmPasswordReset(body, { ip: sourceIp, userAgent });
      return reply(204, undefined);
    }),
    implement(mfaLoginRoute, async ({ body, sourceIp, userAgent }) =>
      (await auth()).completeMfa(body, { ip: sourceIp, userAgent }),
    ),
    implement(mfaSetupRoute, async (request) => mfa.setup(userCaller(request.principal, request))),
    implement(mfaVerifyRoute, async (request) =>
      mfa.enable(userCaller(request.principal, request), request.body.code),
    ),
    implement(mfaDisableRoute, async (request) => {
      await mfa.disable(userCaller(request.principal, request), request.body.code);
      return reply(204, undefined);
    }),
    implement(mfaRecoveryCodesRoute, async (request) =>
      mfa.regenerateRecoveryCodes(userCaller(request.principal, request), request.body.code),
    ),
    implement(verifyEmailRequestRoute, async (request) => {
      const who = userCaller(request.principal, request);
      await (await auth()).requestEmailVerification(who.tenantId, who.userId, {
        ip: request.sourceIp,
        userAgent: request.userAgent,
      });
      return reply(202, { status: 'accepted' });
    }),
    implement(verifyEmailConfirmRoute, async ({ body, sourceIp, userAgent }) => {
      await (await auth()).confirmEmailVerification(body.token, { ip: sourceIp, userAgent });
      return reply(204, undefined);
    }),
    implement(acceptInvitationRoute, async ({ body, sourceIp, userAgent }) =>
      reply(201, await (await auth()).acceptInvitation(body, { ip: sourceIp, userAgent })),
    ),
    implement(rolesRoute, async () => ({
      items: Object.entries(rolePermissions).map(([role, granted]) => ({ role, permissions: [...granted] })),
    })),
    implement(jwksRoute, async () => ({ keys: [await signer.publicJwk()] })),
    implement(openIdConfigurationRoute, async () => ({
      issuer: settings.issuer,
      jwks_uri: '/.well-known/jwks.json',
      token_endpoint: '/v1/auth/login',
      id_token_signing_alg_values_supported: ['ES256'],
      token_endpoint_auth_methods_supported: ['none'],
      response_types_supported: ['token'],
      subject_types_supported: ['public'],
    })),
  ],
  { tracer, limiter, audit, securityEvents },
);
