import { describe, expect, it } from 'vitest';
import type { FakeHandler } from '../../../../infra/local/sandbox/fake-http';
import { fakePushover } from '../../../../infra/local/sandbox/providers/pushover';
import { pushoverAdapter } from '../../../../shared/integrations/adapters/pushover';
import {
  OutboundAuthError,
  OutboundBadRequestError,
  OutboundTimeoutError,
  QuotaExhaustedError,
  UpstreamError,
} from '../../../../shared/integrations/http/errors';
import {
  alert,
  context,
  expectNoSecrets,
  FIXED_NOW,
  rejection,
  startFake,
  testClient,
  withDeadline,
} from './notify-harness';

const TOKEN = 'azGDORePK8gMaC0QOYAMyEEuzJnyUi';
const USER = 'uQiRzpo4DXghDmr9QzzfQu27cmVRsG';

async function setup(
  credentials: Record<string, string> = { token: TOKEN, user: USER },
  handler?: FakeHandler,
) {
  const fake = await startFake(handler ?? fakePushover());
  const { http, lines, sleeps } = testClient();
  const ctx = context(http, { credentials, settings: { device: 'soc-phone' }, baseUrl: fake.url });
  return { fake, http, lines, sleeps, ctx };
}

describe('Pushover messages.json', () => {
  it('posts a form with credentials, severity priority and link, and returns the request id', async () => {
    const { fake, ctx, lines } = await setup();

    const result = await pushoverAdapter.send(ctx, alert);

    expect(result.id).toMatch(/^[a-z0-9-]{36}$/);
    const seen = fake.requests[0];
    expect(seen?.method).toBe('POST');
    expect(seen?.path).toBe('/1/messages.json');
    expect(seen?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(seen?.form() ?? [])).toEqual({
      token: TOKEN,
      user: USER,
      title: '🟠 [HIGH] Suspicious login on prod-db-1',
      message: `${alert.text}\n\nRule: brute-force-ssh\nSource IP: 185.220.101.34`,
      priority: '1',
      timestamp: String(FIXED_NOW / 1000),
      url: 'https://vigil.example.com/cases/123',
      url_title: 'Open in Vigil',
      device: 'soc-phone',
    });
    expectNoSecrets([TOKEN, USER], result, lines);
  });

  it('sends critical alerts as emergencies with retry and expire, and returns the receipt', async () => {
    const { fake, ctx } = await setup();

    const result = await pushoverAdapter.send(ctx, {
      ...alert,
      severity: 'critical',
      text: 'x'.repeat(2000),
    });

    const form = fake.requests[0]?.form();
    expect(form?.get('priority')).toBe('2');
    expect(form?.get('retry')).toBe('60');
    expect(form?.get('expire')).toBe('3600');
    expect(form?.get('message')).toHaveLength(1024);
    expect(result.id).toMatch(/^[a-z0-9]{30}$/);
  });

  it('maps info to a quiet notification', async () => {
    const { fake, ctx } = await setup();

    await pushoverAdapter.send(ctx, { ...alert, severity: 'info' });

    expect(fake.requests[0]?.form().get('priority')).toBe('-1');
  });

  it('surfaces an invalid token or user key (HTTP 400) as an auth error', async () => {
    for (const credentials of [
      { token: 'invalid-key', user: USER },
      { token: TOKEN, user: 'invalid-key' },
    ]) {
      const { ctx, lines } = await setup(credentials);
      const error = await rejection(pushoverAdapter.send(ctx, alert));
      expect(error).toBeInstanceOf(OutboundAuthError);
      expect(error.message).toMatch(/is invalid|not a valid user/);
      expectNoSecrets(['invalid-key', TOKEN, USER], error, lines);
    }
  });

  it('reports the monthly quota as exhausted with the reset time, without retrying', async () => {
    const { fake, ctx } = await setup();
    fake.enqueue({
      status: 429,
      headers: {
        'x-limit-app-limit': '10000',
        'x-limit-app-remaining': '0',
        'x-limit-app-reset': '1748736000',
      },
      body: { errors: ['application reached monthly message limit'], status: 0, request: 'r-1' },
    });

    const error = await rejection(pushoverAdapter.send(ctx, alert));

    expect(error).toBeInstanceOf(QuotaExhaustedError);
    expect((error as QuotaExhaustedError).resetsAt?.toISOString()).toBe('2025-06-01T00:00:00.000Z');
    expect(fake.requests).toHaveLength(1);
  });

  it('counts the fake’s own quota down to a 429', async () => {
    const { ctx } = await setup(undefined, fakePushover({ monthlyLimit: 1 }));

    await pushoverAdapter.send(ctx, alert);

    expect(await rejection(pushoverAdapter.send(ctx, alert))).toBeInstanceOf(QuotaExhaustedError);
  });

  it('reports a field error as a bad request with Pushover’s reason', async () => {
    const { fake, ctx } = await setup();
    fake.enqueue({
      status: 400,
      body: { device: 'invalid', errors: ['device name is not valid'], status: 0 },
    });

    const error = await rejection(pushoverAdapter.send(ctx, alert));

    expect(error).toBeInstanceOf(OutboundBadRequestError);
    expect(error.message).toContain('device name is not valid');
  });

  it('fails a 5xx after one attempt so the queue retries no sooner than Pushover allows', async () => {
    const { fake, ctx } = await setup();
    fake.enqueue({ status: 503, body: '' });

    expect(await rejection(pushoverAdapter.send(ctx, alert))).toBeInstanceOf(UpstreamError);
    expect(fake.requests).toHaveLength(1);
  });

  it('treats status 0 or a malformed body inside an HTTP 200 as a failure', async () => {
    const { fake, ctx } = await setup();
    fake.enqueue({ status: 200, body: { status: 0, errors: ['odd'] } }, { status: 200, body: '<html>' });

    expect(await rejection(pushoverAdapter.send(ctx, alert))).toBeInstanceOf(UpstreamError);
    expect(await rejection(pushoverAdapter.send(ctx, alert))).toBeInstanceOf(UpstreamError);
  });

  it('times out a slow answer', async () => {
    const { fake, http } = await setup();
    fake.enqueue({ status: 200, body: { status: 1, request: 'r' }, delayMs: 300 });
    const ctx = context(withDeadline(http, 50), {
      credentials: { token: TOKEN, user: USER },
      baseUrl: fake.url,
    });

    expect(await rejection(pushoverAdapter.send(ctx, alert))).toBeInstanceOf(OutboundTimeoutError);
  });

  describe('test()', () => {
    it('reports success with the remaining monthly quota', async () => {
      const { ctx } = await setup();

      const outcome = await pushoverAdapter.test(ctx);

      expect(outcome).toMatchObject({
        ok: true,
        message: expect.stringContaining('9999 of 10000'),
        details: { quotaLimit: 10000, quotaRemaining: 9999 },
      });
    });

    it('asks to copy the keys again when Pushover rejects them', async () => {
      const { ctx, lines } = await setup({ token: 'invalid-key', user: USER });

      const outcome = await pushoverAdapter.test(ctx);

      expect(outcome).toMatchObject({ ok: false, details: { kind: 'auth' } });
      expect(outcome.message).toContain('Copy both again');
      expectNoSecrets([USER, 'invalid-key'], outcome, lines);
    });
  });
});
