import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { sesEmailSender } from '../../../shared/adapters/aws/ses-email';

describe('SES v2 email sender', () => {
  it('sends plain-text mail from the configured sender to the one recipient', async () => {
    const client = new SESv2Client({ region: 'eu-west-1' });
    const mock = mockClient(client);
    mock.on(SendEmailCommand).resolves({ MessageId: 'm-1' });

    await sesEmailSender(client, 'Vigil <no-reply@soc.example>').send({
      to: 'alice@soc.example',
      subject: 'Hi',
      text: 'Body',
    });

    expect(mock.commandCalls(SendEmailCommand)[0]?.args[0].input).toEqual({
      FromEmailAddress: 'Vigil <no-reply@soc.example>',
      Destination: { ToAddresses: ['alice@soc.example'] },
      Content: {
        Simple: {
          Subject: { Data: 'Hi', Charset: 'UTF-8' },
          Body: { Text: { Data: 'Body', Charset: 'UTF-8' } },
        },
      },
    });
  });
});
