import { createHash } from 'node:crypto';
import * as sesv2 from '@aws-sdk/client-sesv2';
import {
  IntegrationConfigError,
  optionalSetting,
  requireSetting,
  safeReason,
  testDelivery,
} from '../../integrations/adapters/notify-delivery';
import { emailContent } from '../../integrations/adapters/smtp';
import {
  OutboundAuthError,
  OutboundBadRequestError,
  type OutboundError,
  OutboundNotFoundError,
  OutboundRateLimitedError,
  OutboundTimeoutError,
  UpstreamError,
} from '../../integrations/http/errors';
import type {
  AdapterContext,
  CatalogEntry,
  NotificationAdapter,
  OutboundMessage,
} from '../../integrations/ports';

/**
 * Email through Amazon SES API v2 `SendEmail` (providers-actions.md §5b), for serverless
 * deployments: credentials come from the Lambda role unless the tenant supplies an access key.
 * Clients are built once per (region, key) and reused. SES errors map onto the outbound error
 * classes so workers treat email like every other integration: throttling is retryable, rejected
 * content and unverified identities are permanent, IAM and signature failures are auth errors.
 */

const MAX_RECIPIENTS = 50;
const REQUEST_TIMEOUT_MS = 10_000;

const catalog: CatalogEntry = {
  name: 'ses',
  displayName: 'Email (Amazon SES)',
  category: 'notification',
  description: 'Sends alert emails through Amazon SES v2 from a verified identity.',
  fields: [
    { name: 'region', label: 'AWS region', type: 'text', required: true, default: 'us-east-1' },
    {
      name: 'from',
      label: 'From address',
      type: 'text',
      required: true,
      placeholder: 'Vigil <alerts@example.com>',
    },
    {
      name: 'to',
      label: 'Recipients',
      type: 'text',
      required: true,
      help: `Comma-separated, at most ${MAX_RECIPIENTS}. In the SES sandbox, recipients must be verified too.`,
    },
    { name: 'configurationSet', label: 'Configuration set', type: 'text', required: false },
    {
      name: 'accessKeyId',
      label: 'Access key id',
      type: 'secret',
      required: false,
      help: 'Leave empty to use the role Vigil runs with.',
    },
    { name: 'secretAccessKey', label: 'Secret access key', type: 'secret', required: false },
  ],
  freeTier: {
    perSecond: 1,
    perDay: 200,
    summary:
      'SES sandbox: 200 messages/day at 1 message/s to verified recipients; production quotas per account.',
  },
  priority: 'medium',
  setupGuide: [
    'In the AWS console open Amazon SES → "Identities" → "Create identity" and verify the domain (DNS records) or the From address.',
    'While the account is in the SES sandbox, verify every recipient address too, or request production access under "Account dashboard".',
    'Either let Vigil use its own role (grant it ses:SendEmail on the identity) or create an IAM user with only ses:SendEmail and an access key.',
    'In Vigil, open Integrations → Email (Amazon SES), enter the region, From, recipients and (optionally) the access key, save, and click Test.',
  ],
  docsUrl: 'https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_SendEmail.html',
};

const clients = new Map<string, sesv2.SESv2Client>();

/** One client per region, endpoint and key (the key's secret only enters the cache key hashed). */
function clientFor(
  region: string,
  endpoint: string | undefined,
  keyId?: string,
  secret?: string,
): sesv2.SESv2Client {
  const fingerprint = secret ? createHash('sha256').update(secret).digest('hex').slice(0, 16) : '';
  const key = [region, endpoint ?? '', keyId ?? 'role', fingerprint].join('|');
  let client = clients.get(key);
  if (!client) {
    client = new sesv2.SESv2Client({
      region,
      ...(endpoint ? { endpoint } : {}),
      ...(keyId && secret ? { credentials: { accessKeyId: keyId, secretAccessKey: secret } } : {}),
      maxAttempts: 2,
      requestHandler: { connectionTimeout: 5_000, requestTimeout: REQUEST_TIMEOUT_MS },
    });
    clients.set(key, client);
  }
  return client;
}

function recipients(ctx: AdapterContext): string[] {
  const list = requireSetting(ctx, 'to', 'Recipients')
    .split(/[,;]/)
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (list.length > MAX_RECIPIENTS) {
    throw new IntegrationConfigError(`SES accepts at most ${MAX_RECIPIENTS} recipients per message.`);
  }
  return list;
}

/** The SendEmail input for one alert. */
export function sendEmailInput(ctx: AdapterContext, message: OutboundMessage): sesv2.SendEmailCommandInput {
  const content = emailContent(message);
  const configurationSet = optionalSetting(ctx, 'configurationSet');
  return {
    FromEmailAddress: requireSetting(ctx, 'from', 'From address'),
    Destination: { ToAddresses: recipients(ctx) },
    Content: {
      Simple: {
        Subject: { Data: content.subject, Charset: 'UTF-8' },
        Body: {
          Text: { Data: content.text, Charset: 'UTF-8' },
          Html: { Data: content.html, Charset: 'UTF-8' },
        },
        Headers: [{ Name: 'X-Vigil-Severity', Value: message.severity }],
      },
    },
    EmailTags: [
      { Name: 'source', Value: 'vigil' },
      { Name: 'severity', Value: message.severity },
    ],
    ...(configurationSet ? { ConfigurationSetName: configurationSet } : {}),
  };
}

/** Maps an SDK failure onto the outbound error classes; messages carry SES's reason, never keys. */
function mapFailure(error: unknown, region: string, secrets: (string | undefined)[]): OutboundError {
  const host = `email.${region}.amazonaws.com`;
  const raw = error instanceof Error ? error.message : String(error);
  const reason = safeReason(
    secrets.reduce<string>((text, s) => (s ? text.split(s).join('[redacted]') : text), raw),
  );
  const name = error instanceof Error ? error.name : 'Error';
  const status = error instanceof sesv2.SESv2ServiceException ? error.$metadata.httpStatusCode : undefined;
  const what = `SES ${name}${reason ? ` (${reason})` : ''}`;
  const details = { host, ...(status ? { status } : {}), cause: error };
  if (error instanceof sesv2.TooManyRequestsException) return new OutboundRateLimitedError(what, 1, details);
  if (
    error instanceof sesv2.MessageRejected ||
    error instanceof sesv2.MailFromDomainNotVerifiedException ||
    error instanceof sesv2.AccountSuspendedException ||
    error instanceof sesv2.SendingPausedException
  ) {
    return new OutboundBadRequestError(what, details);
  }
  if (error instanceof sesv2.NotFoundException) return new OutboundNotFoundError(what, details);
  if (status === 401 || status === 403) return new OutboundAuthError(what, details);
  if (error instanceof sesv2.SESv2ServiceException) {
    return status !== undefined && status < 500
      ? new OutboundBadRequestError(what, details)
      : new UpstreamError(what, { ...details, retryable: true });
  }
  if (name === 'TimeoutError' || (error as { code?: string }).code === 'ETIMEDOUT') {
    return new OutboundTimeoutError(`SES timed out`, REQUEST_TIMEOUT_MS, details);
  }
  if (name === 'CredentialsProviderError') {
    return new OutboundAuthError('No AWS credentials are available for SES', details);
  }
  return new UpstreamError(`SES call failed: ${name}`, { ...details, retryable: true });
}

async function send(ctx: AdapterContext, message: OutboundMessage): Promise<{ id?: string }> {
  const region = requireSetting(ctx, 'region', 'AWS region');
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) {
    throw new IntegrationConfigError('The AWS region looks wrong; use a code such as eu-west-1.');
  }
  const keyId = ctx.credentials.accessKeyId?.trim() || undefined;
  const secret = ctx.credentials.secretAccessKey?.trim() || undefined;
  if ((keyId === undefined) !== (secret === undefined)) {
    throw new IntegrationConfigError('Give both the access key id and the secret access key, or neither.');
  }
  const input = sendEmailInput(ctx, message);
  try {
    const output = await clientFor(region, ctx.baseUrl, keyId, secret).send(
      new sesv2.SendEmailCommand(input),
    );
    if (!output.MessageId) throw new UpstreamError('SES answered without a MessageId', { status: 200 });
    return { id: output.MessageId };
  } catch (error) {
    if (error instanceof UpstreamError) throw error;
    throw mapFailure(error, region, [secret, keyId]);
  }
}

export const sesAdapter: NotificationAdapter = {
  kind: 'notification',
  catalog,
  send,
  test: (ctx) =>
    testDelivery(
      {
        service: 'Amazon SES',
        auth: 'SES refused the credentials. Check the access key, or that the role has ses:SendEmail on the identity.',
        badRequest:
          'SES rejected the email. Verify the From identity (and, in the SES sandbox, each recipient) in this region.',
        notFound: 'SES does not know the configuration set. Check its name or leave it empty.',
      },
      async () => {
        const { id } = await send(ctx, {
          title: 'Vigil test email',
          text: 'Vigil can send alert emails through Amazon SES.',
          severity: 'info',
        });
        return { message: 'SES accepted the test email.', details: { messageId: id } };
      },
    ),
};
