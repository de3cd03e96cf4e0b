import { describe, expect, it } from 'vitest';
import { fakeGithub } from '../../../../infra/local/sandbox/providers/github';
import { githubAdapter } from '../../../../shared/integrations/adapters/github';
import {
  OutboundAuthError,
  OutboundBadRequestError,
  OutboundNotFoundError,
  OutboundRateLimitedError,
  OutboundTimeoutError,
  SsrfBlockedError,
  UpstreamError,
} from '../../../../shared/integrations/http/errors';
import { expectNoSecrets, NOW, rejectionOf, ticketHarness } from './ticket-test-support';

const TOKEN = 'github_pat_11ABCDEF0sEcReT9zYx';
const settings = { owner: 'acme', repo: 'security-alerts' };
const ticket = {
  title: '[HIGH] Suspicious login\non prod-db-1',
  body: 'Host: prod-db-1\nSource: 203.0.113.7',
  labels: ['security', ' Alert ', 'SECURITY', ''],
};

async function setup(overrides: Parameters<typeof ticketHarness>[1] = {}) {
  const h = await ticketHarness(fakeGithub(), overrides);
  return { ...h, ctx: h.context({ token: TOKEN }, settings) };
}

describe('GitHub issues adapter: creating an issue', () => {
  it('posts the issue with GitHub headers and returns its number and html_url', async () => {
    const { server, ctx, logs } = await setup();

    const result = await githubAdapter.create(ctx, ticket);

    expect(result).toEqual({
      id: '2001346',
      number: 1346,
      url: 'https://github.com/acme/security-alerts/issues/1346',
    });
    expect(server.requests).toHaveLength(1);
    const sent = server.requests[0];
    expect(sent?.method).toBe('POST');
    expect(sent?.path).toBe('/repos/acme/security-alerts/issues');
    expect(sent?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(sent?.headers.accept).toBe('application/vnd.github+json');
    expect(sent?.headers['x-github-api-version']).toBe('2022-11-28');
    expect(sent?.headers['user-agent']).toMatch(/Vigil/);
    expect(sent?.json()).toEqual({
      title: '[HIGH] Suspicious login on prod-db-1',
      body: 'Host: prod-db-1\nSource: 203.0.113.7',
      labels: ['security', 'Alert'],
    });
    expectNoSecrets([TOKEN], result, logs);
  });

  it('truncates an over-long title and body to GitHub limits', async () => {
    const { server, ctx } = await setup();

    await githubAdapter.create(ctx, { title: 't'.repeat(400), body: 'b'.repeat(70_000) });

    const body = server.requests[0]?.json() as { title: string; body: string; labels?: unknown };
    expect(body.title).toHaveLength(256);
    expect(body.title.endsWith('…')).toBe(true);
    expect(body.body.length).toBeLessThanOrEqual(65_536);
    expect(body.body.endsWith('[truncated by Vigil]')).toBe(true);
    expect(body.labels).toBeUndefined();
  });

  it('uses the GitHub Enterprise Server API URL from settings, under the SSRF policy', async () => {
    const { server, context } = await setup();
    const ctx = context({ token: TOKEN }, { ...settings, url: server.url }, { baseUrl: null });

    const result = await githubAdapter.create(ctx, ticket);

    expect(result.number).toBe(1346);
    expect(server.requests[0]?.path).toBe('/api/v3/repos/acme/security-alerts/issues');

    const strict = await ticketHarness(fakeGithub(), { ssrf: { allowHttp: true } });
    const blocked = await rejectionOf(
      githubAdapter.create(strict.context({ token: TOKEN }, { ...settings, url: server.url }), ticket),
    );
    expect(blocked).toBeInstanceOf(SsrfBlockedError);
  });

  it('reports a rejected token as an auth error that says to replace it', async () => {
    const { context } = await setup();

    const error = await rejectionOf(
      githubAdapter.create(context({ token: 'invalid-token' }, settings), ticket),
    );

    expect(error).toBeInstanceOf(OutboundAuthError);
    expect(error.message).toMatch(/rejected the token \(Bad credentials\)/);
  });

  it('reports a token without issue permission as an auth error naming the permission', async () => {
    const { context } = await setup();

    const error = await rejectionOf(
      githubAdapter.create(context({ token: TOKEN }, { owner: 'acme', repo: 'read-only' }), ticket),
    );

    expect(error).toBeInstanceOf(OutboundAuthError);
    expect(error.message).toMatch(/Issues: Read and write/);
  });

  it('reports an unknown repository as not found', async () => {
    const { context, server } = await setup();

    const error = await rejectionOf(
      githubAdapter.create(context({ token: TOKEN }, { owner: 'acme', repo: 'missing' }), ticket),
    );

    expect(error).toBeInstanceOf(OutboundNotFoundError);
    expect(error.message).toMatch(/acme\/missing was not found/);
    expect(server.requests).toHaveLength(1);
  });

  it('reports disabled issues (410) and validation failures (422) as bad requests', async () => {
    const { context, server, ctx } = await setup();

    const gone = await rejectionOf(
      githubAdapter.create(context({ token: TOKEN }, { owner: 'acme', repo: 'issues-disabled' }), ticket),
    );
    expect(gone).toBeInstanceOf(OutboundBadRequestError);
    expect(gone.message).toMatch(/Issues are disabled/);

    server.enqueue({
      status: 422,
      body: {
        message: 'Validation Failed',
        errors: [{ resource: 'Issue', code: 'invalid', field: 'labels' }],
        documentation_url: 'https://docs.github.com/rest',
      },
    });
    const invalid = await rejectionOf(githubAdapter.create(ctx, ticket));
    expect(invalid).toBeInstanceOf(OutboundBadRequestError);
    expect(invalid.message).toMatch(/Validation Failed: labels invalid/);
  });

  it('waits out a primary rate limit whose reset is near, then creates the issue', async () => {
    const { ctx, server, sleeps } = await setup();
    server.enqueue({
      status: 403,
      headers: {
        'x-ratelimit-limit': '5000',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(NOW / 1000 + 1),
      },
      body: {
        message: 'API rate limit exceeded for user ID 1234.',
        documentation_url: 'https://docs.github.com',
      },
    });

    const result = await githubAdapter.create(ctx, ticket);

    expect(result.number).toBe(1346);
    expect(sleeps).toEqual([1000]);
    expect(server.requests).toHaveLength(2);
  });

  it('surfaces a long secondary rate limit as rate_limited with the retry-after time', async () => {
    const { ctx, server } = await setup();
    server.enqueue({
      status: 403,
      headers: { 'retry-after': '120', 'x-ratelimit-remaining': '4990' },
      body: {
        message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
      },
    });

    const error = await rejectionOf(githubAdapter.create(ctx, ticket));

    expect(error).toBeInstanceOf(OutboundRateLimitedError);
    expect((error as OutboundRateLimitedError).retryAfterSeconds).toBe(120);
    expect(server.requests).toHaveLength(1);
  });

  it('recognises a secondary limit by its message and waits at least a minute when no time is given', async () => {
    const { ctx, server } = await setup();
    server.enqueue({
      status: 403,
      headers: { 'x-ratelimit-remaining': '4990' },
      body: { message: 'You have exceeded a secondary rate limit.' },
    });

    const error = await rejectionOf(githubAdapter.create(ctx, ticket));

    expect(error).toBeInstanceOf(OutboundRateLimitedError);
    expect((error as OutboundRateLimitedError).retryAfterSeconds).toBe(60);
  });

  it("waits out the fake's secondary limit (403, retry-after: 2) when the client may sleep that long", async () => {
    const { context, server, sleeps } = await setup({ maxRetryWaitMs: 5_000 });

    const error = await rejectionOf(
      githubAdapter.create(context({ token: TOKEN }, { owner: 'acme', repo: 'throttled' }), ticket),
    );

    expect(sleeps).toEqual([2000]);
    expect(server.requests).toHaveLength(2);
    expect(error).toBeInstanceOf(OutboundRateLimitedError);
    expect(error.message).toMatch(/secondary rate limit/);
  });

  it('retries a 503 but not a 502, which may follow a created issue', async () => {
    const { ctx, server } = await setup();
    server.enqueue({ status: 503, body: { message: 'Service Unavailable' } });

    const result = await githubAdapter.create(ctx, ticket);
    expect(result.number).toBe(1346);
    expect(server.requests).toHaveLength(2);

    server.enqueue({ status: 502, body: 'Bad Gateway' });
    const error = await rejectionOf(githubAdapter.create(ctx, ticket));
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).retryable).toBe(false);
    expect(server.requests).toHaveLength(3);
  });

  it('times out a slow answer', async () => {
    const { ctx, server } = await setup({ timeoutMs: 50 });
    server.enqueue({ status: 201, body: {}, delayMs: 300 });

    const error = await rejectionOf(githubAdapter.create(ctx, ticket));

    expect(error).toBeInstanceOf(OutboundTimeoutError);
  });

  it('treats a body that is not JSON or lacks the issue fields as an upstream error', async () => {
    const { ctx, server } = await setup();
    server.enqueue({ status: 201, body: '<html>oops</html>' });
    expect(await rejectionOf(githubAdapter.create(ctx, ticket))).toBeInstanceOf(UpstreamError);

    server.enqueue({ status: 201, body: { id: 1, number: 2 } });
    const error = await rejectionOf(githubAdapter.create(ctx, ticket));
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error.message).toMatch(/unexpected body/);
  });

  it('keeps the token out of error messages and logs', async () => {
    const { ctx, server, logs } = await setup();
    server.enqueue({ status: 401, body: { message: `Bad credentials ${TOKEN}` } });

    const error = await rejectionOf(githubAdapter.create(ctx, ticket));

    expect(error).toBeInstanceOf(OutboundAuthError);
    expect(logs.length).toBeGreaterThan(0);
    expectNoSecrets([TOKEN], error, logs);
  });
});

describe('GitHub issues adapter: testing the connection', () => {
  it('reads the repository without creating an issue', async () => {
    const { ctx, server, logs } = await setup();

    const outcome = await githubAdapter.test(ctx);

    expect(outcome.ok).toBe(true);
    expect(outcome.message).toMatch(/acme\/security-alerts; issues are enabled/);
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /repos/acme/security-alerts']);
    expectNoSecrets([TOKEN], outcome, logs);
  });

  it('says when a classic token lacks the repo scope', async () => {
    const { ctx, server } = await setup();
    server.enqueue({
      status: 200,
      headers: { 'x-oauth-scopes': 'read:user, gist' },
      body: { full_name: 'acme/security-alerts', private: true, has_issues: true, archived: false },
    });

    const outcome = await githubAdapter.test(ctx);

    expect(outcome.ok).toBe(false);
    expect(outcome.message).toMatch(/lacks the repo scope/);
  });

  it('says when the token is rejected, the repository is unknown or issues are disabled', async () => {
    const { context } = await setup();

    const bad = await githubAdapter.test(context({ token: 'invalid-token' }, settings));
    expect(bad).toMatchObject({ ok: false, details: { kind: 'auth', status: 401 } });
    expect(bad.message).toMatch(/Create a new token/);

    const missing = await githubAdapter.test(context({ token: TOKEN }, { owner: 'acme', repo: 'missing' }));
    expect(missing.ok).toBe(false);
    expect(missing.message).toMatch(/was not found/);

    const disabled = await githubAdapter.test(
      context({ token: TOKEN }, { owner: 'acme', repo: 'issues-disabled' }),
    );
    expect(disabled.ok).toBe(false);
    expect(disabled.message).toMatch(/Issues are disabled/);

    const unconfigured = await githubAdapter.test(context({}, settings));
    expect(unconfigured).toEqual({ ok: false, message: 'GitHub access token is not configured.' });
  });

  it('says to try later when GitHub does not answer in time', async () => {
    const { ctx, server } = await setup({ timeoutMs: 50 });
    server.enqueue({ status: 200, body: {}, delayMs: 300 });

    const outcome = await githubAdapter.test(ctx);

    expect(outcome.ok).toBe(false);
    expect(outcome.message).toMatch(/did not answer within 50 ms/);
  });
});

describe('GitHub fake', () => {
  it('answers a missing Authorization header with 401 Requires authentication', async () => {
    const { server } = await setup();

    const res = await fetch(`${server.url}/repos/acme/x/issues`, { method: 'POST', body: '{}' });

    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ message: 'Requires authentication' });
    expect(res.headers.get('x-ratelimit-limit')).toBe('5000');
  });
});
