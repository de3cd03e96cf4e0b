import { describe, expect, it } from 'vitest';
import { fakeIfttt } from '../../../../infra/local/sandbox/providers/ifttt';
import { iftttAdapter } from '../../../../shared/integrations/adapters/ifttt';
import { IntegrationConfigError } from '../../../../shared/integrations/adapters/notify-delivery';
import {
  OutboundAuthError,
  OutboundRateLimitedError,
  OutboundTimeoutError,
  UpstreamError,
} from '../../../../shared/integrations/http/errors';
import { context, expectNoSecrets, rejection, startFake, testClient, withDeadline } from './notify-harness';

const KEY = 'bX3kQ9vZ2mT7pL4nW8yB1c';
const event = { type: 'case.created', title: 'Case opened', text: 'Brute force on prod-db-1', caseId: 'c-1' };

async function setup(settings: Record<string, string> = {}, key = KEY) {
  const fake = await startFake(fakeIfttt());
  const { http, lines, sleeps } = testClient();
  const ctx = context(http, {
    credentials: { key },
    settings: { event: 'vigil_alert', ...settings },
    baseUrl: fake.url,
  });
  return { fake, http, lines, sleeps, ctx };
}

describe('IFTTT webhooks', () => {
  it('fires the event with value1-3 and checks the confirmation text', async () => {
    const { fake, ctx, lines } = await setup();

    const result = await iftttAdapter.deliver(ctx, event);

    expect(result).toMatchObject({ status: 200, id: expect.stringMatching(/^ifttt_/) });
    const seen = fake.requests[0];
    expect(seen?.method).toBe('POST');
    expect(seen?.path).toBe(`/trigger/vigil_alert/with/key/${KEY}`);
    expect(seen?.json()).toEqual({
      value1: 'Case opened',
      value2: 'Brute force on prod-db-1',
      value3: JSON.stringify(event),
    });
    expectNoSecrets([KEY], result, lines);
  });

  it('posts the whole payload to the JSON variant in json mode', async () => {
    const { fake, ctx } = await setup({ mode: 'json' });

    await iftttAdapter.deliver(ctx, event);

    expect(fake.requests[0]?.path).toBe(`/trigger/vigil_alert/json/with/key/${KEY}`);
    expect(fake.requests[0]?.json()).toEqual(event);
  });

  it('surfaces an invalid key as an auth error with IFTTT’s message and no key', async () => {
    const { ctx, lines } = await setup({}, 'invalid-key');

    const error = await rejection(iftttAdapter.deliver(ctx, event));

    expect(error).toBeInstanceOf(OutboundAuthError);
    expect(error.message).toContain('You sent an invalid key.');
    expectNoSecrets(['invalid-key'], error, lines);
  });

  it('waits out a short 429 and surfaces a long one as rate_limited', async () => {
    const { fake, ctx, sleeps } = await setup();
    fake.enqueue({ status: 429, headers: { 'retry-after': '1' }, body: '' });
    await iftttAdapter.deliver(ctx, event);
    expect(sleeps).toEqual([1000]);

    fake.enqueue({ status: 429, headers: { 'retry-after': '90' }, body: '' });
    expect(await rejection(iftttAdapter.deliver(ctx, event))).toBeInstanceOf(OutboundRateLimitedError);
  });

  it('retries a 5xx once, then fails as upstream', async () => {
    const { fake, ctx } = await setup();
    fake.enqueue({ status: 503, body: '' }, { status: 503, body: '' });

    expect(await rejection(iftttAdapter.deliver(ctx, event))).toBeInstanceOf(UpstreamError);
    expect(fake.requests).toHaveLength(2);
  });

  it('does not count a 200 without the confirmation as delivered', async () => {
    const { fake, ctx } = await setup();
    fake.enqueue({ status: 200, body: '<html>maintenance</html>' });

    expect(await rejection(iftttAdapter.deliver(ctx, event))).toBeInstanceOf(UpstreamError);
  });

  it('times out a slow answer', async () => {
    const { fake, http } = await setup();
    fake.enqueue({ status: 200, body: 'Congratulations!', delayMs: 300 });
    const ctx = context(withDeadline(http, 50), {
      credentials: { key: KEY },
      settings: { event: 'vigil_alert' },
      baseUrl: fake.url,
    });

    expect(await rejection(iftttAdapter.deliver(ctx, event))).toBeInstanceOf(OutboundTimeoutError);
  });

  it('refuses an event name that would change the path', async () => {
    const { fake, ctx } = await setup({ event: '../x' });

    expect(await rejection(iftttAdapter.deliver(ctx, event))).toBeInstanceOf(IntegrationConfigError);
    expect(fake.requests).toHaveLength(0);
  });

  describe('test()', () => {
    it('fires a test event and reminds that unknown event names also succeed', async () => {
      const { ctx } = await setup();

      expect(await iftttAdapter.test(ctx)).toMatchObject({
        ok: true,
        message: expect.stringContaining('applet ran'),
      });
    });

    it('asks to copy the key again when IFTTT rejects it', async () => {
      const { ctx } = await setup({}, 'invalid-key');

      const outcome = await iftttAdapter.test(ctx);

      expect(outcome).toMatchObject({ ok: false, details: { kind: 'auth' } });
      expect(outcome.message).toContain('Copy it again');
    });
  });
});
