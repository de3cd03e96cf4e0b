import { describe, expect, it } from 'vitest';
import { fakeZapier } from '../../../../infra/local/sandbox/providers/zapier';
import { IntegrationConfigError } from '../../../../shared/integrations/adapters/notify-delivery';
import { zapierAdapter } from '../../../../shared/integrations/adapters/zapier';
import {
  OutboundNotFoundError,
  OutboundRateLimitedError,
  OutboundTimeoutError,
  UpstreamError,
} from '../../../../shared/integrations/http/errors';
import { context, expectNoSecrets, rejection, startFake, testClient, withDeadline } from './notify-harness';

const HOOK = 'k3x9q2v7zr';
const URL = `https://hooks.zapier.com/hooks/catch/1234567/${HOOK}/`;
const event = { type: 'case.created', caseId: 'c-1', severity: 'high', nested: { ioc: '185.220.101.34' } };

async function setup(webhookUrl = URL) {
  const fake = await startFake(fakeZapier());
  const { http, lines, sleeps } = testClient();
  const ctx = context(http, { credentials: { webhookUrl }, baseUrl: fake.url });
  return { fake, http, lines, sleeps, ctx };
}

describe('Zapier catch hook', () => {
  it('posts the event as JSON and returns Zapier’s request id', async () => {
    const { fake, ctx, lines } = await setup();

    const result = await zapierAdapter.deliver(ctx, event);

    expect(result.status).toBe(200);
    expect(result.id).toMatch(/^[0-9a-f-]{36}$/);
    const seen = fake.requests[0];
    expect(seen?.method).toBe('POST');
    expect(seen?.path).toBe(`/hooks/catch/1234567/${HOOK}/`);
    expect(seen?.headers['content-type']).toBe('application/json');
    expect(seen?.json()).toEqual(event);
    expectNoSecrets([HOOK], lines);
  });

  it('accepts the empty answer of the silent variant', async () => {
    const { ctx } = await setup(`https://hooks.zapier.com/hooks/catch/1234567/${HOOK}/silent/`);

    expect((await zapierAdapter.deliver(ctx, event)).id).toMatch(/^zap_/);
  });

  it('surfaces an unknown hook as not found without the hook id', async () => {
    const { ctx, lines } = await setup('https://hooks.zapier.com/hooks/catch/1234567/invalid-key/');

    const error = await rejection(zapierAdapter.deliver(ctx, event));

    expect(error).toBeInstanceOf(OutboundNotFoundError);
    expectNoSecrets(['invalid-key'], error, lines);
  });

  it('waits out a short 429 and surfaces a long one as rate_limited', async () => {
    const { fake, ctx, sleeps } = await setup();
    fake.enqueue({ status: 429, headers: { 'retry-after': '1' }, body: { status: 'throttled' } });
    await zapierAdapter.deliver(ctx, event);
    expect(sleeps).toEqual([1000]);

    fake.enqueue({ status: 429, headers: { 'retry-after': '300' }, body: { status: 'throttled' } });
    const error = await rejection(zapierAdapter.deliver(ctx, event));
    expect(error).toBeInstanceOf(OutboundRateLimitedError);
    expect((error as OutboundRateLimitedError).retryAfterSeconds).toBe(300);
  });

  it('retries a 5xx once, then fails as upstream', async () => {
    const { fake, ctx } = await setup();
    fake.enqueue({ status: 500, body: '' }, { status: 500, body: '' });

    expect(await rejection(zapierAdapter.deliver(ctx, event))).toBeInstanceOf(UpstreamError);
    expect(fake.requests).toHaveLength(2);
  });

  it('does not count a 200 without status "success" or with a malformed body as delivered', async () => {
    const { fake, ctx } = await setup();
    fake.enqueue({ status: 200, body: { status: 'error' } }, { status: 200, body: '{"status":' });

    expect(await rejection(zapierAdapter.deliver(ctx, event))).toBeInstanceOf(UpstreamError);
    expect(await rejection(zapierAdapter.deliver(ctx, event))).toBeInstanceOf(UpstreamError);
  });

  it('times out a slow answer', async () => {
    const { fake, http } = await setup();
    fake.enqueue({ status: 200, body: { status: 'success' }, delayMs: 300 });
    const ctx = context(withDeadline(http, 50), { credentials: { webhookUrl: URL }, baseUrl: fake.url });

    expect(await rejection(zapierAdapter.deliver(ctx, event))).toBeInstanceOf(OutboundTimeoutError);
  });

  it('refuses a URL that is not a Zapier catch hook', async () => {
    const { fake, http } = await setup();
    const ctx = context(http, {
      credentials: { webhookUrl: 'https://hooks.zapier.com.evil.io/hooks/catch/1/x/' },
    });

    expect(await rejection(zapierAdapter.deliver(ctx, event))).toBeInstanceOf(IntegrationConfigError);
    expect(fake.requests).toHaveLength(0);
  });

  describe('test()', () => {
    it('sends a sample event and warns that Zapier confirms even when the Zap is off', async () => {
      const { fake, ctx } = await setup();

      const outcome = await zapierAdapter.test(ctx);

      expect(outcome).toMatchObject({ ok: true, message: expect.stringContaining('Zap history') });
      expect(fake.requests[0]?.json()).toMatchObject({ type: 'vigil.test' });
    });

    it('asks to copy the hook URL again when Zapier does not know it', async () => {
      const { ctx } = await setup('https://hooks.zapier.com/hooks/catch/1234567/invalid-key/');

      const outcome = await zapierAdapter.test(ctx);

      expect(outcome).toMatchObject({ ok: false, details: { kind: 'not_found' } });
      expect(outcome.message).toContain('Copy it again');
    });
  });
});
