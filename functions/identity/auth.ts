import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { dynamoAuditLog } from '../../shared/adapters/aws/audit-store';
import { identityDepsFromEnv } from '../../shared/adapters/aws/identity-deps';
import { loadPlatformSecret } from '../../shared/adapters/aws/platform-secret';
import { sesEmailSender } from '../../shared/adapters/aws/ses-email';
import {
  createApiKeyRoute,
  deleteApiKeyRoute,
  listApiKeysRoute,
  rotateApiKeyRoute,
} from '../../shared/api/api-keys';
import {
  jwksRoute,
  loginRoute,
  logoutRoute,
  meRoute,
  openIdConfigurationRoute,
  passwordResetConfirmRoute,
  passwordResetRequestRoute,
  refreshRoute,
  registerRoute,
  rolesRoute,
} from '../../shared/api/identity';
import { apiKeyService } from '../../shared/identity/api-keys';
import { type AuthService, authService, defaultAuthLimits } from '../../shared/identity/auth';
import commonPasswords from '../../shared/identity/data/common-passwords.json';
import { passwordPolicy } from '../../shared/identity/password-policy';
import { scryptHasher } from '../../shared/identity/passwords';
import { rolePermissions } from '../../shared/identity/permissions';
import type { Principal } from '../../shared/identity/principal';
import { issueAccessToken } from '../../shared/identity/tokens';
import { intEnv, optionalEnv, platformConfig, requireEnv } from '../../shared/platform/config';
import type { EmailSender } from '../../shared/platform/email';
import { UnauthorizedError } from '../../shared/platform/errors';
import { httpHandler, implement, reply } from '../../shared/platform/http/handler';
import { logger } from '../../shared/platform/observability';
import { auditTable } from '../../shared/platform/tables';
import { tracer } from '../../shared/platform/tracing';

const config = platformConfig();
const { repo, apiKeys, signer, settings, limiter, documents, table } = identityDepsFromEnv(tracer);
const audit = dynamoAuditLog(documents, {
  stateTable: table,
  auditTable: requireEnv(auditTable.envVar),
  retentionDays: intEnv('AUDIT_RETENTION_DAYS', 90),
});
const secrets = tracer.captureAWSv3Client(new SecretsManagerClient({}));
const secretId = requireEnv('PLATFORM_SECRET_ARN');
// Open sign-up is on by default locally and off by default in AWS.
const openSignup = optionalEnv('OPEN_SIGNUP', config.target === 'local' ? 'true' : 'false') === 'true';

const emailFrom = process.env.EMAIL_FROM;
const email: EmailSender = emailFrom
  ? sesEmailSender(tracer.captureAWSv3Client(new SESv2Client({})), emailFrom)
  : {
      send: async () => {
        throw new Error('EMAIL_FROM is not configured; no mail can be sent.');
      },
    };
const keys = apiKeyService({
  repo: apiKeys,
  audit,
  now: () => new Date(),
  onEscalationAttempt: async (principal, requested) => {
    logger.warn('security event', {
      securityEvent: {
        type: 'permission.escalation_attempt',
        severity: 'high',
        tenantId: principal.tenantId,
        details: { principalId: principal.id, requested },
      },
    });
  },
});
const caller = (principal: Principal | undefined): Principal => {
  if (!principal) throw new UnauthorizedError();
  return principal;
};

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
      securityEvents: {
        async record(event) {
          logger.warn('security event', { securityEvent: event });
        },
      },
      audit,
      email,
      appUrl: process.env.PUBLIC_APP_URL || undefined,
      onBackgroundError: (what, error) => logger.error(`${what} failed`, { err: error }),
      openSignup,
      limiter,
      limits: {
        perAccountPerMinute: intEnv('AUTH_RATE_LIMIT_PER_ACCOUNT', defaultAuthLimits.perAccountPerMinute),
        perIpPerMinute: intEnv('AUTH_RATE_LIMIT_PER_IP', defaultAuthLimits.perIpPerMinute),
      },
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
  { tracer, limiter, audit },
);
