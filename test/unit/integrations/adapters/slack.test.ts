import { describe, expect, it } from 'vitest';
import { fakeSlack } from '../../../../infra/local/sandbox/providers/slack';
import { IntegrationConfigError } from '../../../../shared/integrations/adapters/notify-delivery';
import { slackAdapter } from '../../../../shared/integrations/adapters/slack';
import {
  OutboundAuthError,
  OutboundBadRequestError,
  OutboundNotFoundError,
  OutboundRateLimitedError,
  OutboundTimeoutError,
  UpstreamError,
} from '../../../../shared/integrations/http/errors';
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

const SECRET = 'Xy7pQ2rT9sLk4mN8vB3cZ1wE';
const WEBHOOK = `https://hooks.slack.com/services/T0AAA1111/B0BBB2222/${SECRET}`;

async function setup(webhookUrl = WEBHOOK) {
  const fake = await startFake(fakeSlack());
  const { http, lines, sleeps } = testClient();
  const ctx = context(http, { credentials: { webhookUrl }, baseUrl: fake.url });
  return { fake, http, lines, sleeps, ctx };
}

describe('Slack incoming webhook', () => {
  it('posts a coloured Block Kit message with escaped text and fields', async () => {
    const { fake, ctx, lines } = await setup();

    const result = await slackAdapter.send(ctx, alert);

    expect(result).toEqual({});
    const seen = fake.requests[0];
    expect(seen?.method).toBe('POST');
    expect(seen?.path).toBe(`/services/T0AAA1111/B0BBB2222/${SECRET}`);
    expect(seen?.headers['content-type']).toBe('application/json; charset=utf-8');
    const body = seen?.json() as { text: string; attachments: { color: string; blocks: unknown[] }[] };
    expect(body.text).toBe('🟠 [HIGH] Suspicious login on prod-db-1');
    expect(body.attachments[0]?.color).toBe('#e8712a');
    expect(body.attachments[0]?.blocks).toEqual([
      {
        type: 'header',
        text: { type: 'plain_text', text: '🟠 [HIGH] Suspicious login on prod-db-1', emoji: true },
      },
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: '3 failed logins for admin@acme.io from 185.220.101.34 &lt;tor exit&gt; &amp; then success',
        },
      },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: '*Rule*\nbrute-force-ssh' },
          { type: 'mrkdwn', text: '*Source IP*\n185.220.101.34' },
        ],
      },
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'Severity: *HIGH* · sent by Vigil' }] },
      {
        type: 'actions',
        elements: [
          {
            type: 'button',
            text: { type: 'plain_text', text: 'Open in Vigil' },
            url: 'https://vigil.example.com/cases/123',
            style: 'danger',
          },
        ],
      },
    ]);
    expectNoSecrets([SECRET], lines);
  });

  it('shortens long text and drops fields beyond ten so Slack accepts the blocks', async () => {
    const { fake, ctx } = await setup();
    const fields = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`k${i}`, 'v'.repeat(3000)]));

    await slackAdapter.send(ctx, { title: 'T'.repeat(400), text: 'x'.repeat(5000), severity: 'low', fields });

    type Block = { text?: { text: string }; fields?: unknown[] };
    const blocks = sentJson<{ attachments: { blocks: Block[] }[] }>(fake).attachments[0]?.blocks ?? [];
    expect(blocks[0]?.text?.text).toMatch(/…$/);
    expect(blocks[0]?.text?.text).toHaveLength(150);
    expect(blocks[1]?.text?.text).toHaveLength(3000);
    expect(blocks[2]?.fields).toHaveLength(10);
  });

  it('surfaces a revoked token as an auth error without leaking the URL', async () => {
    const { ctx, lines } = await setup('https://hooks.slack.com/services/T0AAA1111/B0BBB2222/invalid-key');

    const error = await rejection(slackAdapter.send(ctx, alert));

    expect(error).toBeInstanceOf(OutboundAuthError);
    expect(error.message).toContain('invalid_token');
    expectNoSecrets(['invalid-key'], error, lines);
  });

  it('treats no_service and channel_is_archived as a destination that is gone', async () => {
    const { fake, ctx } = await setup();
    fake.enqueue(
      { status: 404, headers: { 'content-type': 'text/html' }, body: 'no_service' },
      { status: 410, headers: { 'content-type': 'text/html' }, body: 'channel_is_archived' },
    );

    const revoked = await rejection(slackAdapter.send(ctx, alert));
    const archived = await rejection(slackAdapter.send(ctx, alert));

    expect(revoked).toBeInstanceOf(OutboundNotFoundError);
    expect(revoked.message).toContain('no_service');
    expect(archived).toBeInstanceOf(OutboundNotFoundError);
    expect(archived.message).toContain('channel_is_archived');
    expectNoSecrets([SECRET], revoked, archived);
  });

  it('reports a refused payload as a bad request with Slack’s reason', async () => {
    const { fake, ctx } = await setup();
    fake.enqueue({ status: 400, body: 'invalid_blocks' });

    const error = await rejection(slackAdapter.send(ctx, alert));

    expect(error).toBeInstanceOf(OutboundBadRequestError);
    expect(error.message).toContain('invalid_blocks');
  });

  it('waits out a short Retry-After and succeeds', async () => {
    const { fake, ctx, sleeps } = await setup();
    fake.enqueue({ status: 429, headers: { 'retry-after': '1' }, body: 'rate_limited' });

    await slackAdapter.send(ctx, alert);

    expect(sleeps).toEqual([1000]);
    expect(fake.requests).toHaveLength(2);
  });

  it('surfaces a long Retry-After as rate_limited', async () => {
    const { fake, ctx } = await setup();
    fake.enqueue({ status: 429, headers: { 'retry-after': '30' }, body: 'rate_limited' });

    const error = await rejection(slackAdapter.send(ctx, alert));

    expect(error).toBeInstanceOf(OutboundRateLimitedError);
    expect((error as OutboundRateLimitedError).retryAfterSeconds).toBe(30);
    expect(fake.requests).toHaveLength(1);
  });

  it('retries rollup_error once, then fails as upstream', async () => {
    const { fake, ctx } = await setup();
    fake.enqueue({ status: 500, body: 'rollup_error' }, { status: 500, body: 'rollup_error' });

    const error = await rejection(slackAdapter.send(ctx, alert));

    expect(error).toBeInstanceOf(UpstreamError);
    expect(error.message).toContain('rollup_error');
    expect(fake.requests).toHaveLength(2);
  });

  it('times out a slow answer', async () => {
    const { fake, http } = await setup();
    fake.enqueue({ status: 200, body: 'ok', delayMs: 300 });
    const ctx = context(withDeadline(http, 50), { credentials: { webhookUrl: WEBHOOK }, baseUrl: fake.url });

    expect(await rejection(slackAdapter.send(ctx, alert))).toBeInstanceOf(OutboundTimeoutError);
  });

  it('does not count a 200 without "ok" as delivered', async () => {
    const { fake, ctx } = await setup();
    fake.enqueue({ status: 200, body: '<html>captive portal</html>' });

    expect(await rejection(slackAdapter.send(ctx, alert))).toBeInstanceOf(UpstreamError);
  });

  it('refuses a URL that is not a Slack webhook before sending', async () => {
    const { fake, http } = await setup();
    for (const webhookUrl of [
      'https://evil.example.com/services/T/B/x',
      'http://hooks.slack.com/services/T/B/x',
      'not a url',
    ]) {
      const ctx = context(http, { credentials: { webhookUrl } });
      const error = await rejection(slackAdapter.send(ctx, alert));
      expect(error).toBeInstanceOf(IntegrationConfigError);
      expect(error.message).not.toContain(webhookUrl);
    }
    expect(fake.requests).toHaveLength(0);
  });

  describe('test()', () => {
    it('sends a test message and says so', async () => {
      const { fake, ctx } = await setup();

      const outcome = await slackAdapter.test(ctx);

      expect(outcome.ok).toBe(true);
      expect(sentJson<{ text: string }>(fake).text).toContain('Vigil test message');
    });

    it('tells the user to create a new webhook when Slack no longer knows it', async () => {
      const { fake, ctx, lines } = await setup();
      fake.enqueue({ status: 404, body: 'no_service' });

      const outcome = await slackAdapter.test(ctx);

      expect(outcome).toMatchObject({ ok: false, details: { kind: 'not_found' } });
      expect(outcome.message).toContain('Create a new webhook URL');
      expectNoSecrets([SECRET], outcome, lines);
    });

    it('names the missing setting', async () => {
      const { http } = testClient();

      const outcome = await slackAdapter.test(context(http));

      expect(outcome).toEqual({
        ok: false,
        message: expect.stringContaining('Slack webhook URL is not set'),
      });
    });
  });
});
