import { describe, expect, it } from 'vitest';
import { fakeTelegram } from '../../../../infra/local/sandbox/providers/telegram';
import { IntegrationConfigError } from '../../../../shared/integrations/adapters/notify-delivery';
import { escapeMarkdownV2, telegramAdapter } from '../../../../shared/integrations/adapters/telegram';
import {
  OutboundAuthError,
  OutboundBadRequestError,
  OutboundNotFoundError,
  OutboundRateLimitedError,
  OutboundTimeoutError,
  UpstreamError,
} from '../../../../shared/integrations/http/errors';
import type { OutboundMessage } from '../../../../shared/integrations/ports';
import {
  alert,
  context,
  expectNoSecrets,
  rejection,
  sentJson,
  startFake,
  testClient,
  withDeadline,
} from './notify-harness';

const TOKEN = '7012345678:AAHk3xQ9vZ2mT7pL4nW8yB1cF6hJ0dS5gAq';

async function setup(settings: Record<string, string> = {}, botToken = TOKEN) {
  const fake = await startFake(fakeTelegram());
  const { http, lines, sleeps } = testClient();
  const ctx = context(http, {
    credentials: { botToken },
    settings: { chatId: '-1001234567890', ...settings },
    baseUrl: fake.url,
  });
  return { fake, http, lines, sleeps, ctx };
}

const tricky: OutboundMessage = {
  title: 'Hit on evil-site.example (v1.2)',
  text: 'a_b*c [x](y) ~z~ `q` > #1 + -2 = {3} | 4. done! back\\slash <b>&amp;',
  severity: 'critical',
  fields: { 'IOC.type': 'domain', Score: '95/100' },
  url: 'https://vigil.example.com/cases/1?a=(b)',
};

describe('Telegram sendMessage', () => {
  it('sends escaped HTML to the chat and returns the message id', async () => {
    const { fake, ctx, lines } = await setup();

    const result = await telegramAdapter.send(ctx, alert);

    expect(result).toEqual({ id: '801' });
    const seen = fake.requests[0];
    expect(seen?.method).toBe('POST');
    expect(seen?.path).toBe(`/bot${TOKEN}/sendMessage`);
    expect(seen?.json()).toEqual({
      chat_id: -1001234567890,
      parse_mode: 'HTML',
      link_preview_options: { is_disabled: true },
      disable_notification: false,
      text: [
        '<b>🟠 [HIGH] Suspicious login on prod-db-1</b>',
        '3 failed logins for admin@acme.io from 185.220.101.34 &lt;tor exit&gt; &amp; then success',
        '<b>Rule:</b> brute-force-ssh\n<b>Source IP:</b> 185.220.101.34',
        '<a href="https://vigil.example.com/cases/123">Open in Vigil</a>',
      ].join('\n\n'),
    });
    expectNoSecrets([TOKEN], result, lines);
  });

  it('escapes every MarkdownV2 reserved character so Telegram parses the message', async () => {
    const { fake, ctx } = await setup({ parseMode: 'MarkdownV2', chatId: '@soc_alerts' });

    const result = await telegramAdapter.send(ctx, tricky);

    expect(result.id).toBeDefined();
    const body = fake.requests[0]?.json() as {
      text: string;
      chat_id: unknown;
      disable_notification: boolean;
    };
    expect(body.chat_id).toBe('@soc_alerts');
    expect(body.text).toContain('[Open in Vigil](https://vigil.example.com/cases/1?a=(b\\))');
    expect(escapeMarkdownV2('1.2-3!')).toBe('1\\.2\\-3\\!');
  });

  it('escapes the same message for HTML mode, which the fake parser accepts', async () => {
    const { ctx } = await setup();

    expect((await telegramAdapter.send(ctx, tricky)).id).toBeDefined();
  });

  it('keeps the visible text within 4096 characters', async () => {
    const { fake, ctx } = await setup();

    await telegramAdapter.send(ctx, { ...alert, text: '<&>'.repeat(3000) });

    const { text } = sentJson<{ text: string }>(fake);
    expect(text.length).toBeGreaterThan(4096);
    expect(fake.requests).toHaveLength(1);
  });

  it('sends informational alerts silently', async () => {
    const { fake, ctx } = await setup();

    await telegramAdapter.send(ctx, { ...alert, severity: 'info' });

    expect(fake.requests[0]?.json()).toMatchObject({ disable_notification: true });
  });

  it('re-sends once to the new chat when the group became a supergroup', async () => {
    const { fake, ctx } = await setup({ chatId: '-100200300' });

    const result = await telegramAdapter.send(ctx, alert);

    expect(result.id).toBeDefined();
    expect(fake.requests.map((r) => (r.json() as { chat_id: number }).chat_id)).toEqual([
      -100200300, -1001002003000,
    ]);
  });

  it('surfaces a bad token as an auth error without the token', async () => {
    const { ctx, lines } = await setup({}, 'invalid-key');

    const error = await rejection(telegramAdapter.send(ctx, alert));

    expect(error).toBeInstanceOf(OutboundAuthError);
    expect(error.message).toContain('Unauthorized');
    expectNoSecrets(['invalid-key'], error, lines);
  });

  it('surfaces an unknown chat as a bad request with the description', async () => {
    const { ctx } = await setup({ chatId: '0' });

    const error = await rejection(telegramAdapter.send(ctx, alert));

    expect(error).toBeInstanceOf(OutboundBadRequestError);
    expect(error.message).toContain('chat not found');
  });

  it('surfaces a 404 for a broken token path as not found', async () => {
    const { fake, ctx } = await setup();
    fake.enqueue({ status: 404, body: { ok: false, error_code: 404, description: 'Not Found' } });

    expect(await rejection(telegramAdapter.send(ctx, alert))).toBeInstanceOf(OutboundNotFoundError);
  });

  it('waits parameters.retry_after of a short flood wait and succeeds', async () => {
    const { fake, ctx, sleeps } = await setup();
    fake.enqueue({
      status: 429,
      body: {
        ok: false,
        error_code: 429,
        description: 'Too Many Requests: retry after 1',
        parameters: { retry_after: 1 },
      },
    });

    expect((await telegramAdapter.send(ctx, alert)).id).toBeDefined();
    expect(sleeps).toEqual([1000]);
  });

  it('surfaces a long flood wait as rate_limited with the exact retry_after', async () => {
    const { fake, ctx } = await setup();
    fake.enqueue({
      status: 429,
      body: {
        ok: false,
        error_code: 429,
        description: 'Too Many Requests: retry after 35',
        parameters: { retry_after: 35 },
      },
    });

    const error = await rejection(telegramAdapter.send(ctx, alert));

    expect(error).toBeInstanceOf(OutboundRateLimitedError);
    expect((error as OutboundRateLimitedError).retryAfterSeconds).toBe(35);
    expect(fake.requests).toHaveLength(1);
  });

  it('treats ok:false inside an HTTP 200 as a failure', async () => {
    const { fake, ctx } = await setup();
    fake.enqueue({
      status: 200,
      body: { ok: false, error_code: 400, description: 'Bad Request: message text is empty' },
    });

    const error = await rejection(telegramAdapter.send(ctx, alert));

    expect(error).toBeInstanceOf(OutboundBadRequestError);
    expect(error.message).toContain('message text is empty');
  });

  it('retries a 502 once, then fails as upstream', async () => {
    const { fake, ctx } = await setup();
    const bad = { status: 502, body: { ok: false, error_code: 502, description: 'Bad Gateway' } };
    fake.enqueue(bad, bad);

    expect(await rejection(telegramAdapter.send(ctx, alert))).toBeInstanceOf(UpstreamError);
    expect(fake.requests).toHaveLength(2);
  });

  it('fails on a malformed body and on a success without message id', async () => {
    const { fake, ctx } = await setup();
    fake.enqueue({ status: 200, body: '<html>' }, { status: 200, body: { ok: true, result: {} } });

    expect(await rejection(telegramAdapter.send(ctx, alert))).toBeInstanceOf(UpstreamError);
    expect(await rejection(telegramAdapter.send(ctx, alert))).toBeInstanceOf(UpstreamError);
  });

  it('times out a slow answer', async () => {
    const { fake, http } = await setup();
    fake.enqueue({ status: 200, body: { ok: true, result: { message_id: 1 } }, delayMs: 300 });
    const ctx = context(withDeadline(http, 50), {
      credentials: { botToken: TOKEN },
      settings: { chatId: '1' },
      baseUrl: fake.url,
    });

    expect(await rejection(telegramAdapter.send(ctx, alert))).toBeInstanceOf(OutboundTimeoutError);
  });

  it('refuses a chat id that is neither a number nor @channel', async () => {
    const { fake, ctx } = await setup({ chatId: 'soc room' });

    expect(await rejection(telegramAdapter.send(ctx, alert))).toBeInstanceOf(IntegrationConfigError);
    expect(fake.requests).toHaveLength(0);
  });

  describe('test()', () => {
    it('delivers a test message', async () => {
      const { ctx } = await setup();

      expect(await telegramAdapter.test(ctx)).toMatchObject({ ok: true, details: { messageId: '801' } });
    });

    it('points at the token when Telegram refuses the bot', async () => {
      const { ctx, lines } = await setup({}, 'invalid-key');

      const outcome = await telegramAdapter.test(ctx);

      expect(outcome).toMatchObject({ ok: false, details: { kind: 'auth' } });
      expect(outcome.message).toContain('Check the token');
      expectNoSecrets(['invalid-key'], outcome, lines);
    });
  });
});
