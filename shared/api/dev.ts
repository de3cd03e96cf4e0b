import * as z from 'zod';
import { defineRoute } from '../platform/http/route';

/**
 * Developer routes of the local target only (`target: 'local'`): never routed in AWS, never in the
 * deployed OpenAPI document.
 */
export const devPutEventRoute = defineRoute({
  operationId: 'devPutEvent',
  method: 'POST',
  path: '/dev/events',
  fn: 'dev-tools',
  auth: 'public',
  permission: null,
  target: 'local',
  summary: 'Put an event on the local bus (local target only)',
  description:
    'Puts one event on the platform bus, as a context or an AWS integration would, to try event-driven flows ' +
    '(WebSocket push, playbook triggers) without AWS.',
  tags: ['local development'],
  request: {
    body: z.object({
      source: z
        .string()
        .regex(/^[a-z0-9][a-z0-9.-]{0,255}$/, 'Sources look like `vigil.demo`')
        .refine((s) => !s.startsWith('aws.'), 'Sources starting with aws. are reserved for AWS'),
      detailType: z.string().min(1).max(128),
      detail: z.record(z.string(), z.unknown()),
    }),
  },
  responses: {
    202: {
      description: 'Accepted by the bus',
      schema: z.object({ eventId: z.string() }),
    },
  },
});

export const devMailboxRoute = defineRoute({
  operationId: 'devMailbox',
  method: 'GET',
  path: '/dev/mailbox',
  fn: 'dev-tools',
  auth: 'public',
  permission: null,
  target: 'local',
  summary: 'Mail the platform sent (local target only)',
  description:
    'Password reset, verification and invitation mail, newest first, as SES would have delivered it.',
  tags: ['local development'],
  responses: {
    200: {
      description: 'The local mailbox',
      schema: z.object({
        items: z.array(
          z.object({
            id: z.string(),
            at: z.string(),
            from: z.string(),
            to: z.array(z.string()),
            subject: z.string(),
            text: z.string(),
          }),
        ),
      }),
    },
  },
});

export const devRoutes = [devPutEventRoute, devMailboxRoute];
