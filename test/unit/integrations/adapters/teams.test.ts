import { describe, expect, it } from 'vitest';
import { fakeTeams } from '../../../../infra/local/sandbox/providers/teams';
import { IntegrationConfigError } from '../../../../shared/integrations/adapters/notify-delivery';
import { teamsAdapter } from '../../../../shared/integrations/adapters/teams';
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
  startFake,
  testClient,
  withDeadline,
} from './notify-harness';

const SIG = 'Zk8sQ2vN7pR4tL9mX1cB6wY3hJ0dF5gAeK';
const workflow = (sig: string) =>
  `https://prod-12.westeurope.logic.azure.com:443/workflows/4f2a1c9e8d7b/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${sig}`;
const LEGACY =
  'https://acme.webhook.office.com/webhookb2/1b2c@3d4e/IncomingWebhook/9f8e7d6c5b4a39281706/5a6b';

async function setup(webhookUrl = workflow(SIG)) {
  const fake = await startFake(fakeTeams());
  const { http, lines, sleeps } = testClient();
  const ctx = context(http, { credentials: { webhookUrl }, baseUrl: fake.url });
  return { fake, http, lines, sleeps, ctx };
}

describe('Microsoft Teams webhook', () => {
  it('posts an Adaptive Card envelope to the workflow and accepts 202', async () => {
    const { fake, ctx, lines } = await setup();

    const result = await teamsAdapter.send(ctx, alert);

    expect(result).toEqual({});
    const seen = fake.requests[0];
    expect(seen?.method).toBe('POST');
    expect(seen?.path).toBe('/workflows/4f2a1c9e8d7b/triggers/manual/paths/invoke');
    expect(seen?.query.get('sig')).toBe(SIG);
    expect(seen?.query.get('api-version')).toBe('2016-06-01');
    expect(seen?.json()).toEqual({
      type: 'message',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          contentUrl: null,
          content: {
            $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
            type: 'AdaptiveCard',
            version: '1.4',
            body: [
              {
                type: 'TextBlock',
                text: '🟠 [HIGH] Suspicious login on prod-db-1',
                weight: 'Bolder',
                size: 'Medium',
                color: 'Attention',
                wrap: true,
              },
              { type: 'TextBlock', text: alert.text, wrap: true },
              {
                type: 'FactSet',
                facts: [
                  { title: 'Rule', value: 'brute-force-ssh' },
                  { title: 'Source IP', value: '185.220.101.34' },
                ],
              },
            ],
            actions: [
              { type: 'Action.OpenUrl', title: 'Open in Vigil', url: 'https://vigil.example.com/cases/123' },
            ],
          },
        },
      ],
    });
    expectNoSecrets([SIG], lines);
  });

  it('sends a MessageCard with the severity colour to a legacy connector URL', async () => {
    const { fake, ctx } = await setup(LEGACY);

    await teamsAdapter.send(ctx, { ...alert, severity: 'critical' });

    expect(fake.requests[0]?.path).toBe('/webhookb2/1b2c@3d4e/IncomingWebhook/9f8e7d6c5b4a39281706/5a6b');
    expect(fake.requests[0]?.json()).toMatchObject({
      '@type': 'MessageCard',
      themeColor: 'e01e5a',
      summary: '[CRITICAL] Suspicious login on prod-db-1',
      sections: [{ facts: [{ name: 'Rule', value: 'brute-force-ssh' }, expect.anything()] }],
    });
  });

  it('treats a legacy 200 without "1" as a failure', async () => {
    const { fake, ctx } = await setup(LEGACY);
    fake.enqueue({ status: 200, body: 'Microsoft Teams endpoint returned HTTP error 413' });

    expect(await rejection(teamsAdapter.send(ctx, alert))).toBeInstanceOf(UpstreamError);
  });

  it('surfaces a bad signature as an auth error with the Logic Apps code and no sig', async () => {
    const { ctx, lines } = await setup(workflow('invalid-key'));

    const error = await rejection(teamsAdapter.send(ctx, alert));

    expect(error).toBeInstanceOf(OutboundAuthError);
    expect(error.message).toContain('DirectApiInvalidAuthorizationSignature');
    expectNoSecrets(['invalid-key'], error, lines);
  });

  it('surfaces a deleted workflow as not found', async () => {
    const { fake, ctx } = await setup();
    fake.enqueue({ status: 404, body: { error: { code: 'WorkflowNotFound', message: 'gone' } } });

    const error = await rejection(teamsAdapter.send(ctx, alert));

    expect(error).toBeInstanceOf(OutboundNotFoundError);
    expectNoSecrets([SIG], error);
  });

  it('reports a legacy text error as a bad request', async () => {
    const { fake, ctx } = await setup(LEGACY);
    fake.enqueue({ status: 400, body: 'Summary or Text is required.' });

    const error = await rejection(teamsAdapter.send(ctx, alert));

    expect(error).toBeInstanceOf(OutboundBadRequestError);
    expect(error.message).toContain('Summary or Text is required.');
  });

  it('waits out a short throttle and surfaces a long one as rate_limited', async () => {
    const { fake, ctx, sleeps } = await setup();
    const throttled = (seconds: string) => ({
      status: 429,
      headers: { 'retry-after': seconds },
      body: { error: { code: 'WorkflowRequestsThrottled', message: 'Rate limit' } },
    });
    fake.enqueue(throttled('1'));
    await teamsAdapter.send(ctx, alert);
    expect(sleeps).toEqual([1000]);

    fake.enqueue(throttled('120'));
    const error = await rejection(teamsAdapter.send(ctx, alert));
    expect(error).toBeInstanceOf(OutboundRateLimitedError);
    expect((error as OutboundRateLimitedError).retryAfterSeconds).toBe(120);
  });

  it('retries a 5xx once, then fails as upstream', async () => {
    const { fake, ctx } = await setup();
    fake.enqueue({ status: 503, body: '' }, { status: 503, body: '' });

    expect(await rejection(teamsAdapter.send(ctx, alert))).toBeInstanceOf(UpstreamError);
    expect(fake.requests).toHaveLength(2);
  });

  it('times out a slow answer', async () => {
    const { fake, http } = await setup();
    fake.enqueue({ status: 202, delayMs: 300 });
    const ctx = context(withDeadline(http, 50), {
      credentials: { webhookUrl: workflow(SIG) },
      baseUrl: fake.url,
    });

    expect(await rejection(teamsAdapter.send(ctx, alert))).toBeInstanceOf(OutboundTimeoutError);
  });

  it('refuses a URL that is not a Teams or Power Automate webhook', async () => {
    const { http } = testClient();
    const ctx = context(http, {
      credentials: { webhookUrl: 'https://example.com/workflows/x/triggers/y/paths/invoke' },
    });

    expect(await rejection(teamsAdapter.send(ctx, alert))).toBeInstanceOf(IntegrationConfigError);
  });

  describe('test()', () => {
    it('reports that the card was accepted', async () => {
      const { ctx } = await setup();

      expect(await teamsAdapter.test(ctx)).toMatchObject({
        ok: true,
        message: expect.stringContaining('accepted'),
      });
    });

    it('asks for the URL with its sig parameter when the signature is refused', async () => {
      const { ctx } = await setup(workflow('invalid-key'));

      const outcome = await teamsAdapter.test(ctx);

      expect(outcome).toMatchObject({ ok: false, details: { kind: 'auth' } });
      expect(outcome.message).toContain('sig parameter');
    });
  });
});
