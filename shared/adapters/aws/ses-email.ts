import { type SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import type { EmailSender } from '../../platform/email';

/** EmailSender over SES v2 `SendEmail`, plain text, from the configured sender address. */
export function sesEmailSender(client: SESv2Client, from: string): EmailSender {
  return {
    async send(message) {
      await client.send(
        new SendEmailCommand({
          FromEmailAddress: from,
          Destination: { ToAddresses: [message.to] },
          Content: {
            Simple: {
              Subject: { Data: message.subject, Charset: 'UTF-8' },
              Body: { Text: { Data: message.text, Charset: 'UTF-8' } },
            },
          },
        }),
      );
    },
  };
}

/**
 * The Lambdas' mail sender: SES from `EMAIL_FROM` when it is set; otherwise a sender that fails, so a
 * deployment without a verified sender still answers (callers report the failure, never surface it).
 */
export function emailSenderFromEnv(
  client: SESv2Client,
  env: Record<string, string | undefined> = process.env,
): EmailSender {
  const from = env.EMAIL_FROM;
  if (from) return sesEmailSender(client, from);
  return {
    send: async () => {
      throw new Error('EMAIL_FROM is not configured; no mail can be sent.');
    },
  };
}
