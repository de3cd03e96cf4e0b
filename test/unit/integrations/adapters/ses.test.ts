import {
  MessageRejected,
  NotFoundException,
  SESv2Client,
  SESv2ServiceException,
  SendEmailCommand,
  TooManyRequestsException,
} from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { sesAdapter } from '../../../../shared/adapters/aws/ses-notification';
import { IntegrationConfigError } from '../../../../shared/integrations/adapters/notify-delivery';
import {
  OutboundAuthError,
  OutboundBadRequestError,
  OutboundNotFoundError,
  OutboundRateLimitedError,
  OutboundTimeoutError,
  UpstreamError,
} from '../../../../shared/integrations/http/errors';
import { alert, context, expectNoSecrets, rejection, testClient } from './notify-harness';

const ses = mockClient(SESv2Client);
afterEach(() => {
  ses.reset();
});

const KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

function ctx(settings: Record<string, string> = {}, credentials: Record<string, string> = {}) {
  return context(testClient().http, {
    credentials,
    settings: {
      region: 'eu-west-1',
      from: 'Vigil <alerts@example.com>',
      to: 'soc@example.com, oncall@example.com',
      ...settings,
    },
  });
}

const meta = (httpStatusCode: number) => ({ $metadata: { httpStatusCode } });

describe('email over Amazon SES v2', () => {
  it('sends a simple email with subject, both bodies, tags and recipients', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: '0100018f-abc-000000' });

    const result = await sesAdapter.send(ctx({ configurationSet: 'alerts' }), alert);

    expect(result).toEqual({ id: '0100018f-abc-000000' });
    const calls = ses.commandCalls(SendEmailCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]?.args[0].input;
    expect(input).toMatchObject({
      FromEmailAddress: 'Vigil <alerts@example.com>',
      Destination: { ToAddresses: ['soc@example.com', 'oncall@example.com'] },
      ConfigurationSetName: 'alerts',
      EmailTags: [
        { Name: 'source', Value: 'vigil' },
        { Name: 'severity', Value: 'high' },
      ],
      Content: {
        Simple: {
          Subject: { Data: '[HIGH] Suspicious login on prod-db-1', Charset: 'UTF-8' },
          Headers: [{ Name: 'X-Vigil-Severity', Value: 'high' }],
        },
      },
    });
    expect(input?.Content?.Simple?.Body?.Text?.Data).toContain('Rule: brute-force-ssh');
    expect(input?.Content?.Simple?.Body?.Html?.Data).toContain('&lt;tor exit&gt; &amp; then success');
  });

  it('uses the supplied access key, or the role when none is given', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'm-1' });

    await sesAdapter.send(ctx({}, { accessKeyId: KEY_ID, secretAccessKey: SECRET }), alert);
    const withKey = ses.commandCalls(SendEmailCommand)[0]?.thisValue as SESv2Client;
    await sesAdapter.send(ctx(), alert);
    const withRole = ses.commandCalls(SendEmailCommand)[1]?.thisValue as SESv2Client;

    const credentials = await withKey.config.credentials();
    expect(credentials).toMatchObject({ accessKeyId: KEY_ID, secretAccessKey: SECRET });
    expect(await withKey.config.region()).toBe('eu-west-1');
    expect(withRole).not.toBe(withKey);
  });

  it('maps a rejected message (unverified identity) to a bad request with SES’s reason', async () => {
    ses.on(SendEmailCommand).rejects(
      new MessageRejected({
        message: 'Email address is not verified. The following identities failed the check',
        ...meta(400),
      }),
    );

    const error = await rejection(sesAdapter.send(ctx(), alert));

    expect(error).toBeInstanceOf(OutboundBadRequestError);
    expect(error.message).toContain('Email address is not verified');
  });

  it('maps throttling to rate_limited', async () => {
    ses
      .on(SendEmailCommand)
      .rejects(new TooManyRequestsException({ message: 'Maximum sending rate exceeded.', ...meta(429) }));

    const error = await rejection(sesAdapter.send(ctx(), alert));

    expect(error).toBeInstanceOf(OutboundRateLimitedError);
    expect(error).toMatchObject({ kind: 'rate_limited', retryable: true });
  });

  it('maps a missing configuration set to not found', async () => {
    ses
      .on(SendEmailCommand)
      .rejects(new NotFoundException({ message: 'Configuration set <x> does not exist.', ...meta(404) }));

    expect(await rejection(sesAdapter.send(ctx({ configurationSet: 'x' }), alert))).toBeInstanceOf(
      OutboundNotFoundError,
    );
  });

  it('maps signature and IAM failures to auth errors without the keys', async () => {
    ses.on(SendEmailCommand).rejects(
      new SESv2ServiceException({
        name: 'UnrecognizedClientException',
        $fault: 'client',
        message: 'The security token included in the request is invalid.',
        ...meta(403),
      }),
    );

    const error = await rejection(
      sesAdapter.send(ctx({}, { accessKeyId: KEY_ID, secretAccessKey: 'invalid-key' }), alert),
    );

    expect(error).toBeInstanceOf(OutboundAuthError);
    expectNoSecrets([KEY_ID, 'invalid-key'], error);
  });

  it('maps a 5xx to a retryable upstream error and a timeout to a timeout', async () => {
    ses
      .on(SendEmailCommand)
      .rejectsOnce(
        new SESv2ServiceException({ name: 'InternalFailure', $fault: 'server', message: 'x', ...meta(500) }),
      )
      .rejectsOnce(Object.assign(new Error('Connection timed out after 10000 ms'), { name: 'TimeoutError' }));

    const upstream = await rejection(sesAdapter.send(ctx(), alert));
    const timeout = await rejection(sesAdapter.send(ctx(), alert));

    expect(upstream).toBeInstanceOf(UpstreamError);
    expect((upstream as UpstreamError).retryable).toBe(true);
    expect(timeout).toBeInstanceOf(OutboundTimeoutError);
  });

  it('treats a response without MessageId as malformed', async () => {
    ses.on(SendEmailCommand).resolves({});

    expect(await rejection(sesAdapter.send(ctx(), alert))).toBeInstanceOf(UpstreamError);
  });

  it('validates region, key pairs and recipient count before calling SES', async () => {
    const many = Array.from({ length: 51 }, (_, i) => `r${i}@example.com`).join(',');

    for (const context of [
      ctx({ region: 'Ireland' }),
      ctx({}, { accessKeyId: KEY_ID }),
      ctx({ to: many }),
      ctx({ from: '' }),
    ]) {
      expect(await rejection(sesAdapter.send(context, alert))).toBeInstanceOf(IntegrationConfigError);
    }
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(0);
  });

  describe('test()', () => {
    it('sends a test email', async () => {
      ses.on(SendEmailCommand).resolves({ MessageId: 'm-test' });

      const outcome = await sesAdapter.test(ctx());

      expect(outcome).toEqual({
        ok: true,
        message: 'SES accepted the test email.',
        details: { messageId: 'm-test' },
      });
      expect(ses.commandCalls(SendEmailCommand)[0]?.args[0].input.Content?.Simple?.Subject?.Data).toBe(
        '[INFO] Vigil test email',
      );
    });

    it('tells the user to verify the identity when SES rejects the message', async () => {
      ses
        .on(SendEmailCommand)
        .rejects(new MessageRejected({ message: 'Email address is not verified.', ...meta(400) }));

      const outcome = await sesAdapter.test(ctx());

      expect(outcome).toMatchObject({ ok: false, details: { kind: 'bad_request' } });
      expect(outcome.message).toContain('Verify the From identity');
    });
  });
});
