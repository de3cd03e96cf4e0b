import { describe, expect, it } from 'vitest';
import { fakeWebhook, SANDBOX_WEBHOOK_SECRET } from '../../../../infra/local/sandbox/providers/webhook';
import { IntegrationConfigError } from '../../../../shared/integrations/adapters/notify-delivery';
import {
  generateWebhookSecret,
  signWebhook,
  verifyWebhookSignature,
  webhookAdapter,
} from '../../../../shared/integrations/adapters/webhook';
import {
  OutboundAuthError,
  OutboundNotFoundError,
  OutboundRateLimitedError,
  OutboundTimeoutError,
  SsrfBlockedError,
  UpstreamError,
} from '../../../../shared/integrations/http/errors';
import {
  context,
  expectNoSecrets,
  FIXED_NOW,
  rejection,
  startFake,
  testClient,
  withDeadline,
} from './notify-harness';

const OLD_SECRET = 'whsec_b2xkLXNpZ25pbmcta2V5LWZvci1yb3RhdGlvbi10ZXN0cw==';

function setup(secret = SANDBOX_WEBHOOK_SECRET) {
  const { http, lines, sleeps } = testClient();
  return { http, lines, sleeps, creds: { secret } };
}

describe('signed custom webhook', () => {
  describe('signature helper', () => {
    it('matches the Standard Webhooks reference vector', () => {
      const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
      const body = '{"test": 2432232314}';
      expect(signWebhook(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, body)).toBe(
        'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
      );
    });

    it('rejects a tampered body, a stale timestamp, a wrong secret and missing headers', () => {
      const id = 'msg_1';
      const ts = Math.floor(FIXED_NOW / 1000);
      const signature = signWebhook(SANDBOX_WEBHOOK_SECRET, id, ts, '{"a":1}');
      const base = { secret: SANDBOX_WEBHOOK_SECRET, id, timestamp: String(ts), signature, now: FIXED_NOW };

      expect(verifyWebhookSignature({ ...base, body: '{"a":1}' })).toEqual({ ok: true });
      expect(verifyWebhookSignature({ ...base, body: '{"a":2}' })).toEqual({
        ok: false,
        reason: 'bad_signature',
      });
      expect(verifyWebhookSignature({ ...base, body: '{"a":1}', now: FIXED_NOW + 301_000 })).toEqual({
        ok: false,
        reason: 'stale_timestamp',
      });
      expect(verifyWebhookSignature({ ...base, secret: OLD_SECRET, body: '{"a":1}' })).toEqual({
        ok: false,
        reason: 'bad_signature',
      });
      expect(verifyWebhookSignature({ ...base, signature: undefined, body: '{"a":1}' })).toEqual({
        ok: false,
        reason: 'missing_headers',
      });
    });

    it('generates secrets the adapter accepts', () => {
      const secret = generateWebhookSecret();
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(() => signWebhook(secret, 'msg_1', 1, 'x')).not.toThrow();
    });
  });

  describe('delivery', () => {
    it('posts the event envelope with headers the receiver verifies', async () => {
      const fake = await startFake(fakeWebhook({ now: () => FIXED_NOW }));
      const { http, creds } = setup();
      const ctx = context(http, { credentials: creds, settings: { url: `${fake.url}/hooks/vigil` } });

      const result = await webhookAdapter.deliver(ctx, { type: 'case.created', caseId: 'c-1' });

      expect(result.status).toBe(200);
      expect(result.id).toMatch(/^msg_[0-9a-f]{32}$/);
      const seen = fake.requests[0];
      expect(seen?.method).toBe('POST');
      expect(seen?.path).toBe('/hooks/vigil');
      expect(seen?.headers['content-type']).toBe('application/json');
      expect(seen?.headers['webhook-id']).toBe(result.id);
      expect(seen?.headers['webhook-timestamp']).toBe(String(FIXED_NOW / 1000));
      expect(seen?.headers['webhook-signature']).toBe(
        signWebhook(SANDBOX_WEBHOOK_SECRET, result.id, FIXED_NOW / 1000, seen?.body ?? Buffer.alloc(0)),
      );
      expect(seen?.json()).toEqual({
        type: 'case.created',
        timestamp: '2025-05-01T12:00:00.000Z',
        data: { type: 'case.created', caseId: 'c-1' },
      });
    });

    it('sends a second signature with the previous secret during rotation', async () => {
      const fake = await startFake(fakeWebhook({ secret: OLD_SECRET, now: () => FIXED_NOW }));
      const { http } = setup();
      const ctx = context(http, {
        credentials: { secret: SANDBOX_WEBHOOK_SECRET, previousSecret: OLD_SECRET },
        settings: { url: fake.url },
      });

      const result = await webhookAdapter.deliver(ctx, { n: 1 });

      expect(result.status).toBe(200);
      expect(String(fake.requests[0]?.headers['webhook-signature']).split(' ')).toHaveLength(2);
      expect(fake.requests[0]?.json()).toMatchObject({ type: 'vigil.event', data: { n: 1 } });
    });

    it('surfaces a receiver that rejects the signature as an auth error', async () => {
      const fake = await startFake(fakeWebhook({ now: () => FIXED_NOW }));
      const { http, lines } = setup(OLD_SECRET);
      const ctx = context(http, { credentials: { secret: OLD_SECRET }, settings: { url: fake.url } });

      const error = await rejection(webhookAdapter.deliver(ctx, { n: 1 }));

      expect(error).toBeInstanceOf(OutboundAuthError);
      expect(fake.requests).toHaveLength(1);
      expectNoSecrets([OLD_SECRET, OLD_SECRET.slice(6)], error, lines);
    });

    it('refuses a malformed secret before sending anything', async () => {
      const fake = await startFake(fakeWebhook());
      const { http } = setup();
      for (const secret of ['invalid-key', 'whsec_c2hvcnQ=', 'whsec_not base64!']) {
        const ctx = context(http, { credentials: { secret }, settings: { url: fake.url } });
        const error = await rejection(webhookAdapter.deliver(ctx, {}));
        expect(error).toBeInstanceOf(IntegrationConfigError);
        expect(error.message).not.toContain(secret);
      }
      expect(fake.requests).toHaveLength(0);
    });

    it('treats 404 and 410 as a destination that is gone', async () => {
      const fake = await startFake(fakeWebhook({ now: () => FIXED_NOW }));
      fake.enqueue({ status: 404, body: 'no such route' }, { status: 410, body: '' });
      const { http, creds } = setup();
      const ctx = context(http, { credentials: creds, settings: { url: fake.url } });

      const notFound = await rejection(webhookAdapter.deliver(ctx, {}));
      const gone = await rejection(webhookAdapter.deliver(ctx, {}));

      expect(notFound).toBeInstanceOf(OutboundNotFoundError);
      expect(gone).toBeInstanceOf(OutboundNotFoundError);
      expect(gone.message).toContain('410 Gone');
      expect(fake.requests).toHaveLength(2);
    });

    it('waits out a short Retry-After and keeps the same webhook-id on the retry', async () => {
      const fake = await startFake(fakeWebhook({ now: () => FIXED_NOW }));
      fake.enqueue({ status: 429, headers: { 'retry-after': '1' }, body: '' });
      const { http, creds, sleeps } = setup();
      const ctx = context(http, { credentials: creds, settings: { url: fake.url } });

      const result = await webhookAdapter.deliver(ctx, {});

      expect(result.status).toBe(200);
      expect(sleeps).toEqual([1000]);
      expect(fake.requests.map((r) => r.headers['webhook-id'])).toEqual([result.id, result.id]);
    });

    it('surfaces a long Retry-After as rate_limited with the wait', async () => {
      const fake = await startFake(fakeWebhook({ now: () => FIXED_NOW }));
      fake.enqueue({ status: 503, headers: { 'retry-after': '600' }, body: '' });
      fake.enqueue({ status: 429, headers: { 'retry-after': '600' }, body: '' });
      const { http, creds } = setup();
      const ctx = context(http, { credentials: creds, settings: { url: fake.url } });

      const unavailable = await rejection(webhookAdapter.deliver(ctx, {}));
      const limited = await rejection(webhookAdapter.deliver(ctx, {}));

      expect(unavailable).toBeInstanceOf(UpstreamError);
      expect(unavailable).toMatchObject({ retryable: true, retryAfterSeconds: 600 });
      expect(limited).toBeInstanceOf(OutboundRateLimitedError);
      expect(limited).toMatchObject({ kind: 'rate_limited', retryAfterSeconds: 600 });
    });

    it('retries a 5xx once and then fails as upstream', async () => {
      const fake = await startFake(fakeWebhook({ now: () => FIXED_NOW }));
      fake.enqueue({ status: 502, body: 'bad gateway' }, { status: 502, body: 'bad gateway' });
      const { http, creds } = setup();
      const ctx = context(http, { credentials: creds, settings: { url: fake.url } });

      const error = await rejection(webhookAdapter.deliver(ctx, {}));

      expect(error).toBeInstanceOf(UpstreamError);
      expect(fake.requests).toHaveLength(2);
    });

    it('times out a receiver slower than the deadline', async () => {
      const fake = await startFake(fakeWebhook({ now: () => FIXED_NOW }));
      fake.enqueue({ status: 200, delayMs: 300 }, { status: 200, delayMs: 300 });
      const { http, creds } = setup();
      const ctx = context(withDeadline(http, 50), { credentials: creds, settings: { url: fake.url } });

      const error = await rejection(webhookAdapter.deliver(ctx, {}));

      expect(error).toBeInstanceOf(OutboundTimeoutError);
    });

    it('does not follow a redirect', async () => {
      const fake = await startFake(fakeWebhook({ now: () => FIXED_NOW }));
      fake.enqueue({ status: 302, headers: { location: 'http://169.254.169.254/latest/meta-data/' } });
      const { http, creds } = setup();
      const ctx = context(http, { credentials: creds, settings: { url: fake.url } });

      const error = await rejection(webhookAdapter.deliver(ctx, {}));

      expect(error).toMatchObject({ code: 'ssrf_blocked', reason: 'redirect' });
      expect(fake.requests).toHaveLength(1);
    });

    it('refuses loopback when the client has no allow-list, and the receiver gets nothing', async () => {
      const fake = await startFake(fakeWebhook({ now: () => FIXED_NOW }));
      const { http } = testClient({ ssrf: { allowHttp: true } });
      const ctx = context(http, {
        credentials: { secret: SANDBOX_WEBHOOK_SECRET },
        settings: { url: `${fake.url}/hooks/vigil` },
      });

      const error = await rejection(webhookAdapter.deliver(ctx, {}));

      expect(error).toBeInstanceOf(SsrfBlockedError);
      expect((error as SsrfBlockedError).code).toBe('ssrf_blocked');
      expect((error as SsrfBlockedError).reason).toBe('address');
      expect(fake.requests).toHaveLength(0);
    });
  });

  describe('test()', () => {
    it('reports the status of a verified test event', async () => {
      const fake = await startFake(fakeWebhook({ now: () => FIXED_NOW }));
      const { http, creds, lines } = setup();
      const ctx = context(http, { credentials: creds, settings: { url: fake.url } });

      const outcome = await webhookAdapter.test(ctx);

      expect(outcome).toMatchObject({ ok: true, message: expect.stringContaining('HTTP 200') });
      expect(fake.requests[0]?.json()).toMatchObject({ type: 'vigil.test' });
      expectNoSecrets([SANDBOX_WEBHOOK_SECRET], outcome, lines);
    });

    it('tells the user to check the secret when the receiver refuses the signature', async () => {
      const fake = await startFake(fakeWebhook({ now: () => FIXED_NOW }));
      const { http } = setup();
      const ctx = context(http, { credentials: { secret: OLD_SECRET }, settings: { url: fake.url } });

      const outcome = await webhookAdapter.test(ctx);

      expect(outcome.ok).toBe(false);
      expect(outcome.message).toContain('signing secret');
      expect(outcome.details).toEqual({ kind: 'auth' });
    });

    it('explains a blocked private address', async () => {
      const { http } = testClient({ ssrf: {} });
      const ctx = context(http, {
        credentials: { secret: SANDBOX_WEBHOOK_SECRET },
        settings: { url: 'https://10.0.0.5/hook' },
      });

      const outcome = await webhookAdapter.test(ctx);

      expect(outcome).toMatchObject({ ok: false, details: { kind: 'ssrf_blocked' } });
      expect(outcome.message).toContain('private address');
    });
  });
});
