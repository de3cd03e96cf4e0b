import { describe, expect, it } from 'vitest';
import { FAKE_LINEAR_TEAM_ID, fakeLinear } from '../../../../infra/local/sandbox/providers/linear';
import { linearAdapter } from '../../../../shared/integrations/adapters/linear';
import {
  OutboundAuthError,
  OutboundBadRequestError,
  OutboundNotFoundError,
  OutboundRateLimitedError,
  OutboundTimeoutError,
  QuotaExhaustedError,
  UpstreamError,
} from '../../../../shared/integrations/http/errors';
import { bodyOf, expectNoSecrets, NOW, rejectionOf, ticketHarness } from './ticket-test-support';

const KEY = 'lin_api_S3cr3tK3yV4lu3xyz';
const ticket = {
  title: '[HIGH] Suspicious login',
  body: 'Host: prod-db-1',
  labels: ['Security', 'phishing', 'alert', 'nope'],
};

async function setup(overrides: Parameters<typeof ticketHarness>[1] = {}) {
  const h = await ticketHarness(fakeLinear(), overrides);
  return { ...h, ctx: h.context({ apiKey: KEY }, { teamId: FAKE_LINEAR_TEAM_ID }) };
}

function rateLimited(resetMs: number) {
  return {
    status: 400,
    headers: {
      'x-ratelimit-requests-limit': '1500',
      'x-ratelimit-requests-remaining': '0',
      'x-ratelimit-requests-reset': String(resetMs),
    },
    body: {
      errors: [
        {
          message: 'Rate limit exceeded',
          extensions: { type: 'ratelimited', code: 'RATELIMITED', statusCode: 429, userError: true },
        },
      ],
      data: null,
    },
  };
}

describe('Linear adapter: creating an issue', () => {
  it('resolves label names to ids, sends issueCreate with the raw API key and returns identifier and url', async () => {
    const { server, ctx, logs } = await setup();

    const result = await linearAdapter.create(ctx, ticket);

    expect(result.number).toBe('SEC-123');
    expect(result.url).toBe('https://linear.app/acme/issue/SEC-123/high-suspicious-login');
    expect(result.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(server.requests).toHaveLength(2);
    const [labels, create] = server.requests;
    expect(labels?.headers.authorization).toBe(KEY);
    expect(bodyOf<{ variables: unknown }>(server, 0).variables).toEqual({
      names: ['Security', 'security', 'phishing', 'alert', 'nope'],
    });
    expect(create?.method).toBe('POST');
    expect(create?.path).toBe('/graphql');
    expect(create?.headers.authorization).toBe(KEY);
    const sent = create?.json() as { query: string; variables: unknown };
    expect(sent.query).toMatch(/mutation VigilIssueCreate\(\$input: IssueCreateInput!\)/);
    expect(sent.variables).toEqual({
      input: {
        teamId: FAKE_LINEAR_TEAM_ID,
        title: '[HIGH] Suspicious login',
        description: 'Host: prod-db-1',
        labelIds: ['6b3f1e0a-0c1d-4d5e-8f90-1a2b3c4d5e01', '6b3f1e0a-0c1d-4d5e-8f90-1a2b3c4d5e02'],
      },
    });
    expectNoSecrets([KEY], result, logs);
  });

  it('skips the label lookup when the ticket has no labels', async () => {
    const { server, ctx } = await setup();

    await linearAdapter.create(ctx, { title: 'No labels', body: '' });

    expect(server.requests).toHaveLength(1);
    expect(bodyOf<{ variables: { input: object } }>(server, 0).variables.input).not.toHaveProperty(
      'labelIds',
    );
  });

  it('classifies authentication errors on HTTP 400 and 401 alike', async () => {
    const { context, server } = await setup();

    const invalid = await rejectionOf(
      linearAdapter.create(context({ apiKey: 'invalid-key' }, { teamId: FAKE_LINEAR_TEAM_ID }), {
        title: 't',
        body: '',
      }),
    );
    expect(invalid).toBeInstanceOf(OutboundAuthError);
    expect(invalid.message).toMatch(/rejected the API key/);

    server.enqueue({
      status: 400,
      body: {
        errors: [
          {
            message: 'Authentication required',
            extensions: { code: 'AUTHENTICATION_ERROR', type: 'authentication error' },
          },
        ],
      },
    });
    expect(
      await rejectionOf(
        linearAdapter.create(context({ apiKey: KEY }, { teamId: FAKE_LINEAR_TEAM_ID }), {
          title: 't',
          body: '',
        }),
      ),
    ).toBeInstanceOf(OutboundAuthError);
  });

  it('reports an unknown team as not found and a forbidden key as an auth error, both from HTTP 200 bodies', async () => {
    const { context, server, ctx } = await setup();

    const missing = await rejectionOf(
      linearAdapter.create(context({ apiKey: KEY }, { teamId: '00000000-0000-0000-0000-000000000000' }), {
        title: 't',
        body: '',
      }),
    );
    expect(missing).toBeInstanceOf(OutboundNotFoundError);
    expect(missing.message).toMatch(/team 00000000-0000-0000-0000-000000000000 was not found/);

    server.enqueue({
      status: 200,
      body: {
        errors: [
          {
            message: 'Forbidden',
            extensions: {
              code: 'FORBIDDEN',
              type: 'forbidden',
              userPresentableMessage: 'You do not have access to this team.',
            },
          },
        ],
        data: null,
      },
    });
    const forbidden = await rejectionOf(linearAdapter.create(ctx, { title: 't', body: '' }));
    expect(forbidden).toBeInstanceOf(OutboundAuthError);
    expect(forbidden.message).toMatch(/You do not have access to this team/);
  });

  it('reports invalid input as a bad request and a plan usage limit as quota exhausted', async () => {
    const { context, server, ctx } = await setup();

    const invalid = await rejectionOf(
      linearAdapter.create(context({ apiKey: KEY }, { teamId: 'SEC' }), { title: 't', body: '' }),
    );
    expect(invalid).toBeInstanceOf(OutboundBadRequestError);
    expect(invalid.message).toMatch(/INVALID_INPUT: teamId must be a UUID/);

    server.enqueue({
      status: 200,
      body: {
        errors: [
          {
            message: 'Usage limit exceeded',
            extensions: { type: 'usage limit exceeded', code: 'INVALID_INPUT' },
          },
        ],
        data: null,
      },
    });
    expect(await rejectionOf(linearAdapter.create(ctx, { title: 't', body: '' }))).toBeInstanceOf(
      QuotaExhaustedError,
    );
  });

  it('waits out a RATELIMITED error that resets soon, and surfaces a long one with the reset time', async () => {
    const { ctx, server, sleeps } = await setup();
    server.enqueue(rateLimited(NOW + 1_000));

    const result = await linearAdapter.create(ctx, { title: 't', body: '' });
    expect(result.number).toBe('SEC-123');
    expect(sleeps).toEqual([1000]);

    server.enqueue(rateLimited(NOW + 1_800_000));
    const error = await rejectionOf(linearAdapter.create(ctx, { title: 't', body: '' }));
    expect(error).toBeInstanceOf(OutboundRateLimitedError);
    expect((error as OutboundRateLimitedError).retryAfterSeconds).toBe(1800);
  });

  it('does not retry an internal error during creation, nor treat success: false as success', async () => {
    const { ctx, server } = await setup();
    server.enqueue({
      status: 200,
      body: {
        errors: [{ message: 'Internal error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }],
        data: null,
      },
    });
    const internal = await rejectionOf(linearAdapter.create(ctx, { title: 't', body: '' }));
    expect(internal).toBeInstanceOf(UpstreamError);
    expect(server.requests).toHaveLength(1);

    server.enqueue({ status: 200, body: { data: { issueCreate: { success: false, issue: null } } } });
    const failed = await rejectionOf(linearAdapter.create(ctx, { title: 't', body: '' }));
    expect(failed).toBeInstanceOf(UpstreamError);
    expect(failed.message).toMatch(/success: false/);
  });

  it('retries a 503 without a GraphQL body', async () => {
    const { ctx, server } = await setup();
    server.enqueue({ status: 503, body: 'upstream connect error' });

    expect((await linearAdapter.create(ctx, { title: 't', body: '' })).number).toBe('SEC-123');
    expect(server.requests).toHaveLength(2);
  });

  it('times out a slow answer and rejects a malformed body', async () => {
    const { ctx, server } = await setup({ timeoutMs: 50 });
    server.enqueue({ status: 200, body: {}, delayMs: 300 });
    expect(await rejectionOf(linearAdapter.create(ctx, { title: 't', body: '' }))).toBeInstanceOf(
      OutboundTimeoutError,
    );

    server.enqueue({ status: 200, body: 'not json' });
    expect(await rejectionOf(linearAdapter.create(ctx, { title: 't', body: '' }))).toBeInstanceOf(
      UpstreamError,
    );
    server.enqueue({ status: 200, body: { data: { issueCreate: { success: true, issue: { id: 'x' } } } } });
    expect((await rejectionOf(linearAdapter.create(ctx, { title: 't', body: '' }))).message).toMatch(
      /unexpected body/,
    );
  });

  it('keeps the API key out of errors and logs', async () => {
    const { ctx, server, logs } = await setup();
    server.enqueue({
      status: 401,
      body: { errors: [{ message: `bad key ${KEY}`, extensions: { code: 'AUTHENTICATION_ERROR' } }] },
    });

    const error = await rejectionOf(linearAdapter.create(ctx, { title: 't', body: '' }));

    expect(error).toBeInstanceOf(OutboundAuthError);
    expectNoSecrets([KEY], error, logs);
  });
});

describe('Linear adapter: testing the connection', () => {
  it('reads the viewer and the team without creating an issue', async () => {
    const { ctx, server } = await setup();

    const outcome = await linearAdapter.test(ctx);

    expect(outcome.ok).toBe(true);
    expect(outcome.message).toMatch(/as Vigil Bot; team SEC \(Security\) found/);
    expect(server.requests).toHaveLength(1);
    expect(bodyOf<{ query: string }>(server, 0).query).not.toMatch(/mutation/);
  });

  it('says when the key is rejected or the team is unknown', async () => {
    const { context } = await setup();

    const bad = await linearAdapter.test(context({ apiKey: 'invalid-key' }, { teamId: FAKE_LINEAR_TEAM_ID }));
    expect(bad).toMatchObject({ ok: false, details: { kind: 'auth' } });
    expect(bad.message).toMatch(/Create a new personal API key/);

    const missing = await linearAdapter.test(
      context({ apiKey: KEY }, { teamId: '00000000-0000-0000-0000-000000000000' }),
    );
    expect(missing).toMatchObject({ ok: false, details: { kind: 'not_found' } });

    expect(await linearAdapter.test(context({ apiKey: KEY }, {}))).toEqual({
      ok: false,
      message: 'Linear team ID is not configured.',
    });
  });
});

describe('Linear fake', () => {
  it('refuses a personal key sent as a Bearer token, as Linear does', async () => {
    const { server } = await setup();

    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ viewer { id } }' }),
    });

    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]?.extensions.code).toBe('AUTHENTICATION_ERROR');
  });
});
