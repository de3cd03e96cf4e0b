import { describe, expect, it } from 'vitest';
import { fakeJira } from '../../../../infra/local/sandbox/providers/jira';
import { jiraAdapter } from '../../../../shared/integrations/adapters/jira';
import {
  OutboundAuthError,
  OutboundBadRequestError,
  OutboundRateLimitedError,
  OutboundTimeoutError,
  SsrfBlockedError,
  UpstreamError,
} from '../../../../shared/integrations/http/errors';
import { bodyOf, expectNoSecrets, rejectionOf, ticketHarness } from './ticket-test-support';

const TOKEN = 'ATATT3xFfGF0SeCrEtJiRaToKeN';
const EMAIL = 'soc@acme.example';
const ticket = {
  title: '[HIGH] Suspicious login\non prod-db-1',
  body: 'Brute force detected.\nSee https://vigil.example/cases/42\n\n- rule: brute-force-ssh\n- ip: 203.0.113.7',
  labels: ['security', 'brute force'],
};

async function setup(overrides: Parameters<typeof ticketHarness>[1] = {}) {
  const h = await ticketHarness(fakeJira(), overrides);
  const settings = (extra: Record<string, string> = {}) => ({
    url: h.server.url,
    email: EMAIL,
    projectKey: 'sec',
    ...extra,
  });
  const ctxWith = (extra: Record<string, string> = {}, token = TOKEN) =>
    h.context({ token }, settings(extra), { baseUrl: null });
  return { ...h, ctx: ctxWith(), ctxWith };
}

describe('Jira Cloud adapter: creating an issue', () => {
  it('posts an ADF issue with Basic auth and returns the key and browse URL', async () => {
    const { server, ctx, logs } = await setup();

    const result = await jiraAdapter.create(ctx, ticket);

    expect(result).toEqual({ id: '10000', number: 'SEC-24', url: `${server.url}/browse/SEC-24` });
    const sent = server.requests[0];
    expect(sent?.method).toBe('POST');
    expect(sent?.path).toBe('/rest/api/3/issue');
    expect(sent?.headers.authorization).toBe(`Basic ${Buffer.from(`${EMAIL}:${TOKEN}`).toString('base64')}`);
    expect(sent?.json()).toEqual({
      fields: {
        project: { key: 'SEC' },
        issuetype: { name: 'Task' },
        summary: '[HIGH] Suspicious login on prod-db-1',
        labels: ['security', 'brute-force'],
        description: {
          type: 'doc',
          version: 1,
          content: [
            {
              type: 'paragraph',
              content: [
                { type: 'text', text: 'Brute force detected.' },
                { type: 'hardBreak' },
                { type: 'text', text: 'See ' },
                {
                  type: 'text',
                  text: 'https://vigil.example/cases/42',
                  marks: [{ type: 'link', attrs: { href: 'https://vigil.example/cases/42' } }],
                },
              ],
            },
            {
              type: 'bulletList',
              content: [
                {
                  type: 'listItem',
                  content: [
                    { type: 'paragraph', content: [{ type: 'text', text: 'rule: brute-force-ssh' }] },
                  ],
                },
                {
                  type: 'listItem',
                  content: [{ type: 'paragraph', content: [{ type: 'text', text: 'ip: 203.0.113.7' }] }],
                },
              ],
            },
          ],
        },
      },
    });
    expectNoSecrets([TOKEN], result, logs);
  });

  it('uses the site origin when a browser URL with a path was pasted, and omits an empty description', async () => {
    const { server, ctxWith } = await setup();

    const result = await jiraAdapter.create(
      ctxWith({ url: `${server.url}/jira/your-work`, issueType: 'Bug' }),
      {
        title: 'Empty',
        body: '  \n',
      },
    );

    expect(result.url).toBe(`${server.url}/browse/SEC-24`);
    expect(server.requests[0]?.path).toBe('/rest/api/3/issue');
    const fields = bodyOf<{ fields: Record<string, unknown> }>(server, 0).fields;
    expect(fields.description).toBeUndefined();
    expect(fields.issuetype).toEqual({ name: 'Bug' });
  });

  it('applies the SSRF policy to the site URL', async () => {
    const { server } = await setup();
    const strict = await ticketHarness(fakeJira(), { ssrf: { allowHttp: true } });

    const error = await rejectionOf(
      jiraAdapter.create(
        strict.context(
          { token: TOKEN },
          { url: server.url, email: EMAIL, projectKey: 'SEC' },
          { baseUrl: null },
        ),
        ticket,
      ),
    );

    expect(error).toBeInstanceOf(SsrfBlockedError);
  });

  it('reports rejected credentials, a missing permission, an unknown project and an unknown issue type', async () => {
    const { ctxWith } = await setup();

    const bad = await rejectionOf(jiraAdapter.create(ctxWith({}, 'invalid-token'), ticket));
    expect(bad).toBeInstanceOf(OutboundAuthError);
    expect(bad.message).toMatch(/rejected the e-mail and API token/);

    const readOnly = await rejectionOf(jiraAdapter.create(ctxWith({ projectKey: 'READONLY' }), ticket));
    expect(readOnly).toBeInstanceOf(OutboundAuthError);
    expect(readOnly.message).toMatch(/Create issues/);

    const missing = await rejectionOf(jiraAdapter.create(ctxWith({ projectKey: 'MISSING' }), ticket));
    expect(missing).toBeInstanceOf(OutboundBadRequestError);
    expect(missing.message).toMatch(/project MISSING was not found/);

    const type = await rejectionOf(jiraAdapter.create(ctxWith({ issueType: 'Incident' }), ticket));
    expect(type).toBeInstanceOf(OutboundBadRequestError);
    expect(type.message).toMatch(/Issue type "Incident" is not available/);
  });

  it('passes other Jira field errors through', async () => {
    const { ctx, server } = await setup();
    server.enqueue({
      status: 400,
      body: { errorMessages: [], errors: { priority: 'Priority name is invalid' } },
    });

    const error = await rejectionOf(jiraAdapter.create(ctx, ticket));

    expect(error).toBeInstanceOf(OutboundBadRequestError);
    expect(error.message).toMatch(/priority: Priority name is invalid/);
  });

  it('waits out a short 429 and surfaces a long one with the X-RateLimit-Reset time', async () => {
    const { ctx, server, sleeps } = await setup();
    server.enqueue({
      status: 429,
      headers: {
        'retry-after': '1',
        'x-ratelimit-reset': '2024-05-01T12:01Z',
        'ratelimit-reason': 'jira-burst-based',
      },
      body: { errorMessages: ['Rate limit exceeded.'], errors: {} },
    });
    expect((await jiraAdapter.create(ctx, ticket)).number).toBe('SEC-24');
    expect(sleeps).toEqual([1000]);

    server.enqueue({ status: 429, headers: { 'x-ratelimit-reset': '2024-05-01T12:10Z' }, body: '' });
    const error = await rejectionOf(jiraAdapter.create(ctx, ticket));
    expect(error).toBeInstanceOf(OutboundRateLimitedError);
    expect((error as OutboundRateLimitedError).retryAfterSeconds).toBe(600);
  });

  it('retries a 503 and does not retry a 504', async () => {
    const { ctx, server } = await setup();
    server.enqueue({ status: 503, headers: { 'retry-after': '1' }, body: '' });
    expect((await jiraAdapter.create(ctx, ticket)).number).toBe('SEC-24');
    expect(server.requests).toHaveLength(2);

    server.enqueue({ status: 504, body: '' });
    const error = await rejectionOf(jiraAdapter.create(ctx, ticket));
    expect(error).toBeInstanceOf(UpstreamError);
    expect(server.requests).toHaveLength(3);
  });

  it('times out a slow answer and rejects a malformed body', async () => {
    const { ctx, server } = await setup({ timeoutMs: 50 });
    server.enqueue({ status: 201, body: {}, delayMs: 300 });
    expect(await rejectionOf(jiraAdapter.create(ctx, ticket))).toBeInstanceOf(OutboundTimeoutError);

    server.enqueue({ status: 201, body: 'SEC-1' });
    expect(await rejectionOf(jiraAdapter.create(ctx, ticket))).toBeInstanceOf(UpstreamError);
    server.enqueue({ status: 201, body: { id: 10000 } });
    expect((await rejectionOf(jiraAdapter.create(ctx, ticket))).message).toMatch(/unexpected body/);
  });

  it('keeps the token and the Basic credential out of errors and logs', async () => {
    const { ctxWith, logs } = await setup();

    const error = await rejectionOf(jiraAdapter.create(ctxWith({}, 'invalid-token'), ticket));

    expectNoSecrets(['invalid-token', Buffer.from(`${EMAIL}:invalid-token`).toString('base64')], error, logs);
    const { ctx, logs: okLogs } = await setup();
    const result = await jiraAdapter.create(ctx, ticket);
    expectNoSecrets([TOKEN, Buffer.from(`${EMAIL}:${TOKEN}`).toString('base64')], result, okLogs);
  });
});

describe('Jira Cloud adapter: testing the connection', () => {
  it('checks the account, the project and the create permission without creating an issue', async () => {
    const { ctx, server } = await setup();

    const outcome = await jiraAdapter.test(ctx);

    expect(outcome).toEqual({
      ok: true,
      message: 'Connected to Jira as Vigil Bot; issues of type Task can be created in project SEC.',
      details: { project: 'SEC', issueType: 'Task' },
    });
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /rest/api/3/myself',
      'GET /rest/api/3/project/SEC',
      'GET /rest/api/3/mypermissions',
    ]);
    expect(server.requests[2]?.query.get('permissions')).toBe('CREATE_ISSUES');
  });

  it('names the missing piece: credentials, project, issue type or permission', async () => {
    const { ctxWith, context } = await setup();

    expect((await jiraAdapter.test(ctxWith({}, 'invalid-token'))).message).toMatch(
      /rejected the e-mail and API token/,
    );
    expect((await jiraAdapter.test(ctxWith({ projectKey: 'MISSING' }))).message).toMatch(
      /MISSING was not found/,
    );
    const type = await jiraAdapter.test(ctxWith({ issueType: 'Incident' }));
    expect(type.ok).toBe(false);
    expect(type.message).toMatch(/use one of: Task, Bug, Story, Epic, Subtask/);
    const readOnly = await jiraAdapter.test(ctxWith({ projectKey: 'READONLY' }));
    expect(readOnly).toMatchObject({ ok: false });
    expect(readOnly.message).toMatch(/lacks the "Create issues" permission/);
    expect(
      await jiraAdapter.test(
        context({ token: TOKEN }, { email: EMAIL, projectKey: 'SEC' }, { baseUrl: null }),
      ),
    ).toEqual({
      ok: false,
      message: 'Jira site URL is not configured.',
    });
  });
});
