import { describe, expect, it } from 'vitest';
import { fakeDiscord } from '../../../../infra/local/sandbox/providers/discord';
import { discordAdapter } from '../../../../shared/integrations/adapters/discord';
import { IntegrationConfigError } from '../../../../shared/integrations/adapters/notify-delivery';
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
  FIXED_NOW,
  rejection,
  sentJson,
  startFake,
  testClient,
  withDeadline,
} from './notify-harness';

const TOKEN = 'kQ3vX9zR2mT7pL4nW8yB1cF6hJ0dS5gA';
const WEBHOOK = `https://discord.com/api/webhooks/112233445566778899/${TOKEN}`;

async function setup(webhookUrl = WEBHOOK) {
  const fake = await startFake(fakeDiscord());
  const { http, lines, sleeps } = testClient();
  const ctx = context(http, { credentials: { webhookUrl }, baseUrl: fake.url });
  return { fake, http, lines, sleeps, ctx };
}

describe('Discord webhook', () => {
  it('posts a coloured embed with wait=true and returns the saved message id', async () => {
    const { fake, ctx, lines } = await setup();

    const result = await discordAdapter.send(ctx, { ...alert, text: 'bad *bold* @everyone' });

    expect(result.id).toMatch(/^\d{19}$/);
    const seen = fake.requests[0];
    expect(seen?.method).toBe('POST');
    expect(seen?.path).toBe(`/api/webhooks/112233445566778899/${TOKEN}`);
    expect(seen?.query.get('wait')).toBe('true');
    expect(seen?.headers.authorization).toBeUndefined();
    expect(seen?.json()).toEqual({
      embeds: [
        {
          title: '🟠 [HIGH] Suspicious login on prod-db-1',
          description: 'bad \\*bold\\* @everyone',
          url: 'https://vigil.example.com/cases/123',
          color: 0xe8712a,
          timestamp: new Date(FIXED_NOW).toISOString(),
          footer: { text: 'Vigil · severity HIGH' },
          fields: [
            { name: 'Rule', value: 'brute-force-ssh', inline: true },
            { name: 'Source IP', value: '185.220.101.34', inline: true },
          ],
        },
      ],
      allowed_mentions: { parse: [] },
    });
    expectNoSecrets([TOKEN], result, lines);
  });

  it('keeps embeds within the 6000-character total so Discord accepts them', async () => {
    const { fake, ctx } = await setup();
    const fields = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`field ${i}`, 'v'.repeat(300)]));

    const result = await discordAdapter.send(ctx, { ...alert, text: 'x'.repeat(9000), fields });

    expect(result.id).toBeDefined();
    const embed = sentJson<{
      embeds: {
        title: string;
        footer: { text: string };
        fields: { name: string; value: string }[];
        description: string;
      }[];
    }>(fake).embeds[0];
    const total =
      (embed?.title.length ?? 0) +
      (embed?.footer.text.length ?? 0) +
      (embed?.description.length ?? 0) +
      (embed?.fields ?? []).reduce((n, f) => n + f.name.length + f.value.length, 0);
    expect(total).toBeLessThanOrEqual(6000);
    expect(embed?.fields.length).toBeGreaterThan(5);
    expect(embed?.description.length).toBeGreaterThanOrEqual(2000);
    expect(embed?.description.endsWith('…')).toBe(true);
  });

  it('surfaces an invalid token as an auth error with Discord’s reason and no token', async () => {
    const { ctx, lines } = await setup('https://discord.com/api/webhooks/112233445566778899/invalid-key');

    const error = await rejection(discordAdapter.send(ctx, alert));

    expect(error).toBeInstanceOf(OutboundAuthError);
    expect(error.message).toContain('Invalid Webhook Token, code 50027');
    expectNoSecrets(['invalid-key'], error, lines);
  });

  it('surfaces an unknown webhook as not found', async () => {
    const { fake, ctx } = await setup();
    fake.enqueue({ status: 404, body: { message: 'Unknown Webhook', code: 10015 } });

    const error = await rejection(discordAdapter.send(ctx, alert));

    expect(error).toBeInstanceOf(OutboundNotFoundError);
    expect(error.message).toContain('Unknown Webhook');
    expectNoSecrets([TOKEN], error);
  });

  it('reports an invalid form body as a bad request', async () => {
    const { fake, ctx } = await setup();
    fake.enqueue({ status: 400, body: { code: 50035, message: 'Invalid Form Body', errors: {} } });

    const error = await rejection(discordAdapter.send(ctx, alert));

    expect(error).toBeInstanceOf(OutboundBadRequestError);
    expect(error.message).toContain('Invalid Form Body, code 50035');
  });

  it('waits the float retry_after of a short 429 and succeeds', async () => {
    const { fake, ctx, sleeps } = await setup();
    fake.enqueue({
      status: 429,
      headers: {
        'x-ratelimit-reset-after': '0.350',
        'x-ratelimit-scope': 'user',
        'x-ratelimit-remaining': '0',
      },
      body: { message: 'You are being rate limited.', retry_after: 0.35, global: false },
    });

    const result = await discordAdapter.send(ctx, alert);

    expect(result.id).toBeDefined();
    expect(sleeps).toEqual([350]);
  });

  it('surfaces a long 429 as rate_limited with the wait from the body when no header says', async () => {
    const { fake, ctx } = await setup();
    fake.enqueue({
      status: 429,
      body: { message: 'You are being rate limited.', retry_after: 64.57, global: false },
    });

    const error = await rejection(discordAdapter.send(ctx, alert));

    expect(error).toBeInstanceOf(OutboundRateLimitedError);
    expect((error as OutboundRateLimitedError).retryAfterSeconds).toBe(65);
    expect(fake.requests).toHaveLength(1);
  });

  it('retries a Cloudflare 5xx once, then fails as upstream', async () => {
    const { fake, ctx } = await setup();
    fake.enqueue({ status: 502, body: '<html>502</html>' }, { status: 502, body: '<html>502</html>' });

    expect(await rejection(discordAdapter.send(ctx, alert))).toBeInstanceOf(UpstreamError);
    expect(fake.requests).toHaveLength(2);
  });

  it('times out a slow answer', async () => {
    const { fake, http } = await setup();
    fake.enqueue({ status: 200, body: { id: '1' }, delayMs: 300 });
    const ctx = context(withDeadline(http, 50), { credentials: { webhookUrl: WEBHOOK }, baseUrl: fake.url });

    expect(await rejection(discordAdapter.send(ctx, alert))).toBeInstanceOf(OutboundTimeoutError);
  });

  it('fails on a malformed success body instead of inventing an id', async () => {
    const { fake, ctx } = await setup();
    fake.enqueue({ status: 200, body: '{"id":' }, { status: 200, body: { type: 0 } });

    expect(await rejection(discordAdapter.send(ctx, alert))).toBeInstanceOf(UpstreamError);
    expect(await rejection(discordAdapter.send(ctx, alert))).toBeInstanceOf(UpstreamError);
  });

  it('refuses a URL that is not a Discord webhook', async () => {
    const { http } = testClient();
    const ctx = context(http, {
      credentials: { webhookUrl: 'https://discord.com.evil.io/api/webhooks/1/x' },
    });

    expect(await rejection(discordAdapter.send(ctx, alert))).toBeInstanceOf(IntegrationConfigError);
  });

  describe('test()', () => {
    it('reports the saved test message id', async () => {
      const { ctx } = await setup();

      const outcome = await discordAdapter.test(ctx);

      expect(outcome).toMatchObject({ ok: true, details: { messageId: expect.stringMatching(/^\d+$/) } });
    });

    it('tells the user to copy the URL again when the token is rejected', async () => {
      const { ctx } = await setup('https://discord.com/api/webhooks/112233445566778899/invalid-key');

      const outcome = await discordAdapter.test(ctx);

      expect(outcome).toMatchObject({ ok: false, details: { kind: 'auth' } });
      expect(outcome.message).toContain('Copy the webhook URL again');
      expectNoSecrets(['invalid-key'], outcome);
    });
  });
});
