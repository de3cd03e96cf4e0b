import { SESv2Client } from '@aws-sdk/client-sesv2';
import { principalRouteDepsFromEnv } from '../../shared/adapters/aws/http-deps';
import { dynamoIdentityRepository } from '../../shared/adapters/aws/identity-repository';
import { emailSenderFromEnv } from '../../shared/adapters/aws/ses-email';
import {
  deleteSessionRoute,
  deleteUserRoute,
  getUserRoute,
  inviteUserRoute,
  listSessionsRoute,
  listUsersRoute,
  putGrantsRoute,
  securityMetricsRoute,
  updateUserRoute,
} from '../../shared/api/users';
import { oneTimeTokens } from '../../shared/identity/one-time-tokens';
import type { Principal } from '../../shared/identity/principal';
import { userService } from '../../shared/identity/users';
import { UnauthorizedError } from '../../shared/platform/errors';
import { httpHandler, implement, reply } from '../../shared/platform/http/handler';
import { logger } from '../../shared/platform/observability';
import { tracer } from '../../shared/platform/tracing';

const { documents, table, audit, limiter, security } = principalRouteDepsFromEnv(tracer);
const repo = dynamoIdentityRepository(documents, table);
const users = userService({
  repo,
  audit,
  tokens: oneTimeTokens({
    repo,
    email: emailSenderFromEnv(tracer.captureAWSv3Client(new SESv2Client({}))),
    appUrl: process.env.PUBLIC_APP_URL || undefined,
    onBackgroundError: (what, error) => logger.error(`${what} failed`, { err: error }),
    now: Date.now,
  }),
  securityEvents: security.events,
  now: Date.now,
});
const caller = (principal: Principal | undefined): Principal => {
  if (!principal) throw new UnauthorizedError();
  return principal;
};

export const handler = httpHandler(
  [
    implement(listUsersRoute, async ({ principal }) => ({ items: await users.list(caller(principal)) })),
    implement(getUserRoute, async ({ params, principal }) => users.get(caller(principal), params.id)),
    implement(updateUserRoute, async ({ params, body, principal }) =>
      users.update(caller(principal), params.id, body),
    ),
    implement(deleteUserRoute, async ({ params, principal }) => {
      await users.remove(caller(principal), params.id);
      return reply(204, undefined);
    }),
    implement(putGrantsRoute, async ({ params, body, principal }) =>
      users.setGrants(caller(principal), params.id, body.permissions),
    ),
    implement(inviteUserRoute, async ({ body, principal }) =>
      reply(201, await users.invite(caller(principal), body)),
    ),
    implement(listSessionsRoute, async ({ query, principal }) => ({
      items: await users.sessions(caller(principal), { userId: query.userId, all: query.all }),
    })),
    implement(deleteSessionRoute, async ({ params, principal }) => {
      await users.revokeSession(caller(principal), params.id);
      return reply(204, undefined);
    }),
    implement(securityMetricsRoute, async ({ principal }) => {
      const who = caller(principal);
      const sessions = await repo.listSessions(who.tenantId, Math.floor(Date.now() / 1000));
      return security.metrics(who.tenantId, sessions.length);
    }),
  ],
  { tracer, limiter, audit, securityEvents: security.events },
);
