import { describe, expect, it } from 'vitest';
import { fakeN8n } from '../../../../infra/local/sandbox/providers/n8n';
import { n8nAdapter } from '../../../../shared/integrations/adapters/n8n';
import { IntegrationConfigError } from '../../../../shared/integrations/adapters/notify-delivery';
import {
  OutboundAuthError,
  OutboundNotFoundError,
  OutboundRateLimitedError,
  OutboundTimeoutError,
  SsrfBlockedError,
  UpstreamError,
} from '../../../../shared/integrations/http/errors';
import { context, expectNoSecrets, rejection, startFake, testClient, withDeadline } from './notify-harness';

const PATH = '6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f';
const TOKEN = 'n8n-header-secret-value-123';
const event = { type: 'case.created', caseId: 'c-1' };

async function setup(settings: Record<string, string> = {}, headerValue = TOKEN) {
  const fake = await startFake(fakeN8n({ path: PATH, headerAuth: { name: 'X-Vigil-Token', value: TOKEN } }));
  const { http, lines, sleeps } = testClient();
  const ctx = context(http, {
    credentials: { headerValue },
    settings: { url: `${fake.url}/webhook/${PATH}`, headerName: 'X-Vigil-Token', ...settings },
  });
  return { fake, http, lines, sleeps, ctx };
}

describe('n8n webhook', () => {
  it('posts the event with the auth header', async () => {
    const { fake, ctx, lines } = await setup();

    const result = await n8nAdapter.deliver(ctx, event);

    expect(result).toMatchObject({ status: 200, id: expect.stringMatching(/^n8n_/) });
    const seen = fake.requests[0];
    expect(seen?.method).toBe('POST');
    expect(seen?.path).toBe(`/webhook/${PATH}`);
    expect(seen?.headers['x-vigil-token']).toBe(TOKEN);
    expect(seen?.json()).toEqual(event);
    expectNoSecrets([TOKEN, PATH], lines);
  });

  it('surfaces a wrong header value as an auth error without the value', async () => {
    const { ctx, lines } = await setup({}, 'invalid-key');

    const error = await rejection(n8nAdapter.deliver(ctx, event));

    expect(error).toBeInstanceOf(OutboundAuthError);
    expect(error.message).toContain('Authorization data is wrong!');
    expectNoSecrets(['invalid-key'], error, lines);
  });

  it('surfaces an inactive workflow as not found, with the path redacted', async () => {
    const { fake, ctx } = await setup({});
    const inactive = { ...ctx, settings: { ...ctx.settings, url: `${fake.url}/webhook-test/${PATH}` } };

    const error = await rejection(n8nAdapter.deliver(inactive, event));

    expect(error).toBeInstanceOf(OutboundNotFoundError);
    expect(error.message).toContain('is not registered');
    expectNoSecrets([PATH], error);
  });

  it('waits out a short proxy 429 and surfaces a long one as rate_limited', async () => {
    const { fake, ctx, sleeps } = await setup();
    fake.enqueue({ status: 429, headers: { 'retry-after': '1' }, body: '' });
    await n8nAdapter.deliver(ctx, event);
    expect(sleeps).toEqual([1000]);

    fake.enqueue({ status: 429, headers: { 'retry-after': '60' }, body: '' });
    expect(await rejection(n8nAdapter.deliver(ctx, event))).toBeInstanceOf(OutboundRateLimitedError);
  });

  it('fails a workflow error and retries a 502 from the proxy once', async () => {
    const { fake, ctx } = await setup();
    fake.enqueue({ status: 500, body: { message: 'Error in workflow' } });
    expect(await rejection(n8nAdapter.deliver(ctx, event))).toBeInstanceOf(UpstreamError);
    expect(fake.requests).toHaveLength(1);

    fake.enqueue({ status: 502, body: '' }, { status: 502, body: '' });
    expect(await rejection(n8nAdapter.deliver(ctx, event))).toBeInstanceOf(UpstreamError);
    expect(fake.requests).toHaveLength(3);
  });

  it('times out a slow answer', async () => {
    const { fake, ctx } = await setup();
    fake.enqueue({ status: 200, body: {}, delayMs: 300 });

    const error = await rejection(n8nAdapter.deliver({ ...ctx, http: withDeadline(ctx.http, 50) }, event));

    expect(error).toBeInstanceOf(OutboundTimeoutError);
  });

  it('refuses loopback without the test allow-list, sending nothing', async () => {
    const { fake, ctx } = await setup();

    const error = await rejection(
      n8nAdapter.deliver({ ...ctx, http: testClient({ ssrf: { allowHttp: true } }).http }, event),
    );

    expect(error).toBeInstanceOf(SsrfBlockedError);
    expect(fake.requests).toHaveLength(0);
  });

  it('requires header name and value together', async () => {
    const { fake, ctx } = await setup({}, '');

    expect(await rejection(n8nAdapter.deliver(ctx, event))).toBeInstanceOf(IntegrationConfigError);
    expect(fake.requests).toHaveLength(0);
  });

  describe('test()', () => {
    it('reports the accepted test event', async () => {
      const { ctx } = await setup();

      expect(await n8nAdapter.test(ctx)).toEqual({
        ok: true,
        message: 'n8n accepted the test event (HTTP 200).',
      });
    });

    it('explains how to register the webhook when n8n answers 404', async () => {
      const { fake, ctx } = await setup();
      fake.enqueue({
        status: 404,
        body: { code: 404, message: 'This webhook is not registered for POST requests.' },
      });

      const outcome = await n8nAdapter.test(ctx);

      expect(outcome).toMatchObject({ ok: false, details: { kind: 'not_found' } });
      expect(outcome.message).toContain('Activate the workflow');
    });
  });
});
