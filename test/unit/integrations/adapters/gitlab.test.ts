import { describe, expect, it } from 'vitest';
import { fakeGitlab } from '../../../../infra/local/sandbox/providers/gitlab';
import { gitlabAdapter } from '../../../../shared/integrations/adapters/gitlab';
import {
  OutboundAuthError,
  OutboundBadRequestError,
  OutboundNotFoundError,
  OutboundRateLimitedError,
  OutboundTimeoutError,
  SsrfBlockedError,
  UpstreamError,
} from '../../../../shared/integrations/http/errors';
import { bodyOf, expectNoSecrets, rejectionOf, ticketHarness } from './ticket-test-support';

const TOKEN = 'glpat-Zx9SeCrEt0kEnVaLuE';
const settings = { project: 'acme/security/alerts' };
const ticket = {
  title: '[HIGH] Suspicious login',
  body: 'Host: prod-db-1',
  labels: ['security', 'ioc,ip', 'Security'],
};

async function setup(overrides: Parameters<typeof ticketHarness>[1] = {}) {
  const h = await ticketHarness(fakeGitlab(), overrides);
  return { ...h, ctx: h.context({ token: TOKEN }, settings) };
}

describe('GitLab issues adapter: creating an issue', () => {
  it('posts to the URL-encoded project path with PRIVATE-TOKEN and returns iid and web_url', async () => {
    const { server, ctx, logs } = await setup();

    const result = await gitlabAdapter.create(ctx, ticket);

    expect(result).toEqual({
      id: '94',
      number: 14,
      url: 'https://gitlab.example.com/acme/security/alerts/-/issues/14',
    });
    const sent = server.requests[0];
    expect(sent?.method).toBe('POST');
    expect(sent?.path).toBe('/api/v4/projects/acme%2Fsecurity%2Falerts/issues');
    expect(sent?.headers['private-token']).toBe(TOKEN);
    expect(sent?.json()).toEqual({
      title: '[HIGH] Suspicious login',
      description: 'Host: prod-db-1',
      labels: 'security,ioc ip',
    });
    expectNoSecrets([TOKEN], result, logs);
  });

  it('accepts a numeric project id and a self-managed URL under the SSRF policy', async () => {
    const { server, context } = await setup();
    const ctx = context({ token: TOKEN }, { project: '4711', url: `${server.url}/` }, { baseUrl: null });

    const result = await gitlabAdapter.create(ctx, ticket);

    expect(result.url).toBe('https://gitlab.example.com/acme/project-4711/-/issues/14');
    expect(server.requests[0]?.path).toBe('/api/v4/projects/4711/issues');

    const strict = await ticketHarness(fakeGitlab(), { ssrf: {} });
    const blocked = await rejectionOf(
      gitlabAdapter.create(strict.context({ token: TOKEN }, { project: '1', url: server.url }), ticket),
    );
    expect(blocked).toBeInstanceOf(SsrfBlockedError);
  });

  it('reports a rejected token, a forbidden project and an unknown project with what to fix', async () => {
    const { context } = await setup();

    const bad = await rejectionOf(
      gitlabAdapter.create(context({ token: 'invalid-token' }, settings), ticket),
    );
    expect(bad).toBeInstanceOf(OutboundAuthError);
    expect(bad.message).toMatch(/rejected the token/);

    const forbidden = await rejectionOf(
      gitlabAdapter.create(context({ token: TOKEN }, { project: 'acme/issues-disabled' }), ticket),
    );
    expect(forbidden).toBeInstanceOf(OutboundAuthError);
    expect(forbidden.message).toMatch(/api scope/);

    const missing = await rejectionOf(
      gitlabAdapter.create(context({ token: TOKEN }, { project: 'acme/missing' }), ticket),
    );
    expect(missing).toBeInstanceOf(OutboundNotFoundError);
    expect(missing.message).toMatch(/acme\/missing was not found/);
  });

  it('passes GitLab validation messages through as a bad request', async () => {
    const { ctx, server } = await setup();
    server.enqueue({
      status: 400,
      body: { message: { title: ['is too long (maximum is 255 characters)'] } },
    });

    const error = await rejectionOf(gitlabAdapter.create(ctx, ticket));

    expect(error).toBeInstanceOf(OutboundBadRequestError);
    expect(error.message).toMatch(/title is too long/);
  });

  it('sends a title cut to 255 characters so GitLab accepts it', async () => {
    const { ctx, server } = await setup();

    const result = await gitlabAdapter.create(ctx, { title: 'x'.repeat(300), body: '' });

    expect(result.number).toBe(14);
    expect(bodyOf<{ title: string }>(server, 0).title).toHaveLength(255);
  });

  it('waits out a short 429 (plain-text body, Retry-After) and then creates the issue', async () => {
    const { ctx, server, sleeps } = await setup();
    server.enqueue({
      status: 429,
      headers: {
        'retry-after': '1',
        'ratelimit-name': 'throttle_authenticated_api',
        'ratelimit-remaining': '0',
      },
      body: 'Retry later\n',
    });

    const result = await gitlabAdapter.create(ctx, ticket);

    expect(result.number).toBe(14);
    expect(sleeps).toEqual([1000]);
  });

  it('surfaces a long 429 as rate_limited with the retry time, and a bare 429 with a minute', async () => {
    const { ctx, server } = await setup();
    server.enqueue({ status: 429, headers: { 'retry-after': '600' }, body: 'Retry later\n' });
    const long = await rejectionOf(gitlabAdapter.create(ctx, ticket));
    expect(long).toBeInstanceOf(OutboundRateLimitedError);
    expect((long as OutboundRateLimitedError).retryAfterSeconds).toBe(600);

    server.enqueue({ status: 429, body: 'Retry later\n' });
    const bare = await rejectionOf(gitlabAdapter.create(ctx, ticket));
    expect((bare as OutboundRateLimitedError).retryAfterSeconds).toBe(60);
  });

  it('retries a 503 and does not retry a 502', async () => {
    const { ctx, server } = await setup();
    server.enqueue({ status: 503, body: '' });
    expect((await gitlabAdapter.create(ctx, ticket)).number).toBe(14);
    expect(server.requests).toHaveLength(2);

    server.enqueue({ status: 502, body: { message: '502 Bad Gateway' } });
    const error = await rejectionOf(gitlabAdapter.create(ctx, ticket));
    expect(error).toBeInstanceOf(UpstreamError);
    expect(server.requests).toHaveLength(3);
  });

  it('times out a slow answer and rejects a malformed body', async () => {
    const { ctx, server } = await setup({ timeoutMs: 50 });
    server.enqueue({ status: 201, body: {}, delayMs: 300 });
    expect(await rejectionOf(gitlabAdapter.create(ctx, ticket))).toBeInstanceOf(OutboundTimeoutError);

    server.enqueue({ status: 201, body: '{"iid": 1' });
    expect(await rejectionOf(gitlabAdapter.create(ctx, ticket))).toBeInstanceOf(UpstreamError);
    server.enqueue({ status: 201, body: { id: 1, iid: 1 } });
    expect((await rejectionOf(gitlabAdapter.create(ctx, ticket))).message).toMatch(/unexpected body/);
  });

  it('keeps the token out of errors and logs', async () => {
    const { ctx, server, logs } = await setup();
    server.enqueue({ status: 401, body: { message: `401 Unauthorized ${TOKEN}` } });

    const error = await rejectionOf(gitlabAdapter.create(ctx, ticket));

    expectNoSecrets([TOKEN], error, logs);
  });
});

describe('GitLab issues adapter: testing the connection', () => {
  it('reads the project and the token scopes without creating an issue', async () => {
    const { ctx, server } = await setup();

    const outcome = await gitlabAdapter.test(ctx);

    expect(outcome).toMatchObject({ ok: true, details: { project: 'acme/security/alerts' } });
    expect(outcome.message).toMatch(/has the api scope/);
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /api/v4/projects/acme%2Fsecurity%2Falerts',
      'GET /api/v4/personal_access_tokens/self',
    ]);
  });

  it('says when the token only has read scopes', async () => {
    const { ctx, server } = await setup();
    server.enqueue(
      { status: 200, body: { id: 4, path_with_namespace: 'acme/security/alerts', issues_enabled: true } },
      { status: 200, body: { id: 1, scopes: ['read_api', 'read_repository'], active: true } },
    );

    const outcome = await gitlabAdapter.test(ctx);

    expect(outcome.ok).toBe(false);
    expect(outcome.message).toMatch(/lacks the api scope.*read_api, read_repository/);
  });

  it('still passes when the instance cannot report token scopes', async () => {
    const { ctx, server } = await setup();
    server.enqueue(
      { status: 200, body: { id: 4, path_with_namespace: 'acme/security/alerts', issues_enabled: true } },
      { status: 404, body: { error: '404 Not Found' } },
    );

    const outcome = await gitlabAdapter.test(ctx);

    expect(outcome.ok).toBe(true);
    expect(outcome.message).not.toMatch(/api scope/);
  });

  it('says when the token is rejected, the project is unknown or issues are disabled', async () => {
    const { context } = await setup();

    const bad = await gitlabAdapter.test(context({ token: 'invalid-token' }, settings));
    expect(bad).toMatchObject({ ok: false, details: { kind: 'auth' } });

    const missing = await gitlabAdapter.test(context({ token: TOKEN }, { project: 'acme/missing' }));
    expect(missing.message).toMatch(/not found/);

    const disabled = await gitlabAdapter.test(context({ token: TOKEN }, { project: 'acme/issues-disabled' }));
    expect(disabled).toMatchObject({ ok: false });
    expect(disabled.message).toMatch(/Issues are disabled/);
  });
});
