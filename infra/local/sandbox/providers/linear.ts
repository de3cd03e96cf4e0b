import { createHash } from 'node:crypto';
import type { FakeHandler, FakeReply, FakeRequest } from '../fake-http';

/**
 * Linear GraphQL API fake: `POST /graphql` answering the operations Vigil sends — `issueCreate`,
 * `issueLabels` (filtered by name) and `viewer` + `team(id)` — in Linear's wire format: `data` on
 * success; GraphQL `errors[]` with Linear's `extensions` (`code`, `type`, `statusCode`,
 * `userPresentableMessage`) on failure; `X-RateLimit-Requests-*` (reset in epoch ms) and
 * `X-Complexity` headers on every answer. Auth is the raw API key in `Authorization`: a missing key →
 * HTTP 400 AUTHENTICATION_ERROR, `invalid-key` → HTTP 401 AUTHENTICATION_ERROR, a personal key sent
 * with `Bearer` → HTTP 400 with Linear's hint; any other key is accepted. Team ids must be UUIDs
 * (else INVALID_INPUT, HTTP 200); the all-zero UUID is an unknown team ("Entity not found", HTTP 200).
 * Labels: `security` (workspace-wide) and `phishing` (team `FAKE_LINEAR_TEAM_ID`) exist; `alert`
 * belongs to another team.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UNKNOWN_TEAM = '00000000-0000-0000-0000-000000000000';
const LIMIT = 1500;
/** The team the fixture labels belong to; any other UUID is accepted as a team too. */
export const FAKE_LINEAR_TEAM_ID = '9cfb482a-81e3-4154-b5b9-2c805e70a02d';

interface Label {
  id: string;
  name: string;
  teamId: string | null;
}

const LABELS: Label[] = [
  { id: '6b3f1e0a-0c1d-4d5e-8f90-1a2b3c4d5e01', name: 'security', teamId: null },
  { id: '6b3f1e0a-0c1d-4d5e-8f90-1a2b3c4d5e02', name: 'phishing', teamId: FAKE_LINEAR_TEAM_ID },
  { id: '6b3f1e0a-0c1d-4d5e-8f90-1a2b3c4d5e03', name: 'alert', teamId: 'another-team' },
];

function graphqlError(
  message: string,
  code: string,
  type: string,
  statusCode: number,
  userPresentableMessage: string,
): { errors: unknown[]; data: null } {
  return {
    errors: [{ message, extensions: { type, code, statusCode, userError: true, userPresentableMessage } }],
    data: null,
  };
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 60);
}

export function fakeLinear(): FakeHandler {
  let remaining = LIMIT;
  let nextNumber = 123;
  const resetAt = Date.now() + 3_600_000;

  const headers = (complexity: number): Record<string, string> => ({
    'x-ratelimit-requests-limit': String(LIMIT),
    'x-ratelimit-requests-remaining': String(remaining),
    'x-ratelimit-requests-reset': String(resetAt),
    'x-complexity': String(complexity),
    'x-ratelimit-complexity-limit': '250000',
    'x-ratelimit-complexity-remaining': String(250_000 - (LIMIT - remaining) * 10),
    'x-ratelimit-complexity-reset': String(resetAt),
  });
  const reply = (status: number, body: unknown, complexity = 1): FakeReply => ({
    status,
    headers: headers(complexity),
    body,
  });

  return (request: FakeRequest): FakeReply => {
    if (request.path !== '/graphql') return { status: 404, body: 'Not Found' };
    if (request.method !== 'POST') {
      return reply(
        400,
        graphqlError('GET query missing.', 'BAD_USER_INPUT', 'invalid input', 400, 'Bad request.'),
      );
    }
    const key = request.headers.authorization ?? '';
    if (key === '') {
      return reply(
        400,
        graphqlError(
          'Authentication required, not authenticated',
          'AUTHENTICATION_ERROR',
          'authentication error',
          401,
          'You need to authenticate to access this operation.',
        ),
      );
    }
    if (/^Bearer\s+lin_api_/i.test(key)) {
      return reply(
        400,
        graphqlError(
          "It looks like you're trying to use an API key as a Bearer token. Remove the Bearer prefix from the Authorization header.",
          'AUTHENTICATION_ERROR',
          'authentication error',
          401,
          'Remove the Bearer prefix from the Authorization header.',
        ),
      );
    }
    if (key === 'invalid-key') {
      return reply(
        401,
        graphqlError(
          'Authentication required, not authenticated',
          'AUTHENTICATION_ERROR',
          'authentication error',
          401,
          'You need to authenticate to access this operation.',
        ),
      );
    }
    remaining = Math.max(0, remaining - 1);

    const body = request.json() as { query?: unknown; variables?: Record<string, unknown> } | undefined;
    const query = typeof body?.query === 'string' ? body.query : '';
    const variables = body?.variables ?? {};
    if (query === '') {
      return reply(
        400,
        graphqlError(
          'Must provide query string.',
          'GRAPHQL_VALIDATION_FAILED',
          'graphql error',
          400,
          'Invalid query.',
        ),
      );
    }

    const teamError = (teamId: unknown): FakeReply | undefined => {
      if (typeof teamId !== 'string' || !UUID.test(teamId)) {
        return reply(
          200,
          graphqlError(
            'Argument Validation Error',
            'INVALID_INPUT',
            'invalid input',
            400,
            'teamId must be a UUID.',
          ),
        );
      }
      if (teamId === UNKNOWN_TEAM) {
        return reply(
          200,
          graphqlError(
            'Entity not found: Team',
            'INVALID_INPUT',
            'invalid input',
            404,
            'Could not find referenced Team.',
          ),
        );
      }
      return undefined;
    };

    if (query.includes('issueCreate')) {
      const input = (variables.input ?? {}) as Record<string, unknown>;
      const failure = teamError(input.teamId);
      if (failure) return failure;
      const title = typeof input.title === 'string' && input.title !== '' ? input.title : 'Untitled';
      const number = nextNumber++;
      const identifier = `SEC-${number}`;
      const id = createHash('sha256').update(`${identifier}`).digest('hex');
      return reply(
        200,
        {
          data: {
            issueCreate: {
              success: true,
              issue: {
                id: `${id.slice(0, 8)}-${id.slice(8, 12)}-4${id.slice(13, 16)}-8${id.slice(17, 20)}-${id.slice(20, 32)}`,
                identifier,
                title,
                url: `https://linear.app/acme/issue/${identifier}/${slug(title)}`,
              },
            },
          },
        },
        5,
      );
    }

    if (query.includes('issueLabels')) {
      const names = Array.isArray(variables.names) ? variables.names : [];
      return reply(200, {
        data: {
          issueLabels: {
            nodes: LABELS.filter((label) => names.includes(label.name)).map((label) => ({
              id: label.id,
              name: label.name,
              team: label.teamId === null ? null : { id: label.teamId },
            })),
          },
        },
      });
    }

    if (query.includes('viewer')) {
      const failure = teamError(variables.teamId);
      if (failure) return failure;
      return reply(200, {
        data: {
          viewer: { id: '2b6f6f4e-5d0b-4c5e-9a35-7d7b3e0f0a11', name: 'Vigil Bot' },
          team: { id: variables.teamId, key: 'SEC', name: 'Security' },
        },
      });
    }

    return reply(
      400,
      graphqlError(
        'Cannot query field on type "Query".',
        'GRAPHQL_VALIDATION_FAILED',
        'graphql error',
        400,
        'Invalid query.',
      ),
    );
  };
}
