import { describe, expect, it } from 'vitest';
import {
  FAKE_TRELLO_ARCHIVED_LIST,
  FAKE_TRELLO_BOARD_ID,
  FAKE_TRELLO_UNKNOWN_LIST,
  fakeTrello,
} from '../../../../infra/local/sandbox/providers/trello';
import { trelloAdapter } from '../../../../shared/integrations/adapters/trello';
import {
  OutboundAuthError,
  OutboundBadRequestError,
  OutboundNotFoundError,
  OutboundRateLimitedError,
  OutboundTimeoutError,
  UpstreamError,
} from '../../../../shared/integrations/http/errors';
import { expectNoSecrets, rejectionOf, ticketHarness } from './ticket-test-support';

const KEY = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const TOKEN = 'ATTAf00dcafe0123456789abcdefSeCrEt';
const LIST = '5abbe4b7ddc1b351ef961414';
const ticket = { title: '[HIGH] Suspicious login', body: 'Host: prod-db-1', labels: ['Security', 'unknown'] };

async function setup(overrides: Parameters<typeof ticketHarness>[1] = {}) {
  const h = await ticketHarness(fakeTrello(), overrides);
  const ctxWith = (creds: Record<string, string> = {}, listId = LIST) =>
    h.context({ apiKey: KEY, token: TOKEN, ...creds }, { listId });
  return { ...h, ctx: ctxWith(), ctxWith };
}

describe('Trello adapter: creating a card', () => {
  it('resolves board labels, posts the card with key and token as query parameters and returns its short URL', async () => {
    const { server, ctx, logs } = await setup();

    const result = await trelloAdapter.create(ctx, ticket);

    expect(result).toEqual({
      id: '6630f0c1a1b2c3d4e5f6002a',
      number: 42,
      url: 'https://trello.com/c/AbCd0016',
    });
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /1/lists/${LIST}`,
      `GET /1/boards/${FAKE_TRELLO_BOARD_ID}/labels`,
      'POST /1/cards',
    ]);
    const card = server.requests[2];
    expect(card?.query.get('key')).toBe(KEY);
    expect(card?.query.get('token')).toBe(TOKEN);
    expect(card?.json()).toEqual({
      idList: LIST,
      name: '[HIGH] Suspicious login',
      desc: 'Host: prod-db-1',
      pos: 'top',
      idLabels: ['5abbe4b7ddc1b351ef9614a1'],
    });
    expectNoSecrets([KEY, TOKEN], result, logs);
  });

  it('creates the card with one request when there are no labels', async () => {
    const { server, ctx } = await setup();

    await trelloAdapter.create(ctx, { title: 'x', body: '' });

    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.json()).not.toHaveProperty('idLabels');
  });

  it('tells a bad key, a bad token and a token without write access apart', async () => {
    const { ctxWith, server } = await setup();

    const key = await rejectionOf(
      trelloAdapter.create(ctxWith({ apiKey: 'invalid-key' }), { title: 'x', body: '' }),
    );
    expect(key).toBeInstanceOf(OutboundAuthError);
    expect(key.message).toMatch(/rejected the API key/);

    const token = await rejectionOf(
      trelloAdapter.create(ctxWith({ token: 'invalid-token' }), { title: 'x', body: '' }),
    );
    expect(token.message).toMatch(/rejected the token/);

    server.enqueue({ status: 401, body: 'unauthorized card permission requested' });
    const scope = await rejectionOf(trelloAdapter.create(ctxWith(), { title: 'x', body: '' }));
    expect(scope).toBeInstanceOf(OutboundAuthError);
    expect(scope.message).toMatch(/lacks write access/);
  });

  it('reports an unknown list as not found and a malformed list id as a bad request', async () => {
    const { ctxWith } = await setup();

    const missing = await rejectionOf(
      trelloAdapter.create(ctxWith({}, FAKE_TRELLO_UNKNOWN_LIST), { title: 'x', body: '' }),
    );
    expect(missing).toBeInstanceOf(OutboundNotFoundError);
    expect(missing.message).toMatch(/could not find the board/);

    const malformed = await rejectionOf(
      trelloAdapter.create(ctxWith({}, 'my-list'), { title: 'x', body: '' }),
    );
    expect(malformed).toBeInstanceOf(OutboundBadRequestError);
    expect(malformed.message).toMatch(/24-character list id/);
  });

  it('surfaces a 429 as rate_limited for the 10-second window', async () => {
    const { ctx, server } = await setup();
    server.enqueue({
      status: 429,
      headers: { 'x-rate-limit-api-token-interval-ms': '10000', 'x-rate-limit-api-token-remaining': '0' },
      body: { error: 'API_TOKEN_LIMIT_EXCEEDED', message: 'Rate limit exceeded' },
    });

    const error = await rejectionOf(trelloAdapter.create(ctx, { title: 'x', body: '' }));

    expect(error).toBeInstanceOf(OutboundRateLimitedError);
    expect((error as OutboundRateLimitedError).retryAfterSeconds).toBe(10);
    expect(error.message).toMatch(/API_TOKEN_LIMIT_EXCEEDED/);
  });

  it('waits out a 429 when the client may sleep through the window', async () => {
    const { ctx, server, sleeps } = await setup({ maxRetryWaitMs: 15_000 });
    server.enqueue({
      status: 429,
      body: { error: 'API_KEY_LIMIT_EXCEEDED', message: 'Rate limit exceeded' },
    });

    const result = await trelloAdapter.create(ctx, { title: 'x', body: '' });

    expect(result.number).toBe(42);
    expect(sleeps).toEqual([10_000]);
  });

  it('retries a 503 and does not retry a 504', async () => {
    const { ctx, server } = await setup();
    server.enqueue({ status: 503, body: 'Service Unavailable' });
    expect((await trelloAdapter.create(ctx, { title: 'x', body: '' })).number).toBe(42);

    server.enqueue({ status: 504, body: 'Gateway Timeout' });
    expect(await rejectionOf(trelloAdapter.create(ctx, { title: 'x', body: '' }))).toBeInstanceOf(
      UpstreamError,
    );
    expect(server.requests).toHaveLength(3);
  });

  it('times out a slow answer and rejects a malformed body', async () => {
    const { ctx, server } = await setup({ timeoutMs: 50 });
    server.enqueue({ status: 200, body: {}, delayMs: 300 });
    expect(await rejectionOf(trelloAdapter.create(ctx, { title: 'x', body: '' }))).toBeInstanceOf(
      OutboundTimeoutError,
    );

    server.enqueue({ status: 200, body: 'ok' });
    expect(await rejectionOf(trelloAdapter.create(ctx, { title: 'x', body: '' }))).toBeInstanceOf(
      UpstreamError,
    );
    server.enqueue({ status: 200, body: { name: 'x' } });
    expect((await rejectionOf(trelloAdapter.create(ctx, { title: 'x', body: '' }))).message).toMatch(
      /unexpected body/,
    );
  });

  it('keeps key and token out of errors and logs', async () => {
    const { ctx, server, logs } = await setup();
    server.enqueue({ status: 400, body: `invalid value for name (token ${TOKEN})` });

    const error = await rejectionOf(trelloAdapter.create(ctx, ticket));

    expect(logs.some((line) => String(line.attributes.path).includes('token=[redacted]'))).toBe(true);
    expectNoSecrets([KEY, TOKEN], error, logs);
  });
});

describe('Trello adapter: testing the connection', () => {
  it('reads the list and the token permissions without creating a card', async () => {
    const { ctx, server, logs } = await setup();

    const outcome = await trelloAdapter.test(ctx);

    expect(outcome).toEqual({
      ok: true,
      message: 'Connected to Trello; cards will be added to list "Security alerts".',
      details: { list: 'Security alerts', board: FAKE_TRELLO_BOARD_ID },
    });
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /1/lists/${LIST}`,
      `GET /1/tokens/${TOKEN}`,
    ]);
    expectNoSecrets([KEY, TOKEN], outcome, logs);
  });

  it('says when the token is read-only, the list is archived or unknown, or the key is wrong', async () => {
    const { ctxWith, ctx, server } = await setup();
    server.enqueue(
      {
        status: 200,
        body: { id: LIST, name: 'Security alerts', closed: false, idBoard: FAKE_TRELLO_BOARD_ID },
      },
      {
        status: 200,
        body: { id: 't', permissions: [{ idModel: '*', modelType: 'Board', read: true, write: false }] },
      },
    );
    const readOnly = await trelloAdapter.test(ctx);
    expect(readOnly.ok).toBe(false);
    expect(readOnly.message).toMatch(/read-only.*scope read,write/);

    expect((await trelloAdapter.test(ctxWith({}, FAKE_TRELLO_ARCHIVED_LIST))).message).toMatch(/archived/);
    expect((await trelloAdapter.test(ctxWith({}, FAKE_TRELLO_UNKNOWN_LIST))).message).toMatch(
      /was not found/,
    );
    const key = await trelloAdapter.test(ctxWith({ apiKey: 'invalid-key' }));
    expect(key).toMatchObject({ ok: false, details: { kind: 'auth', status: 401 } });
  });
});
