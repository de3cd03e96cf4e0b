import { UpstreamError } from '../http/errors';
import type { OutboundResponse } from '../http/outbound';
import type { AdapterContext, CatalogEntry, NotificationAdapter, OutboundMessage } from '../ports';
import { reasonedError, requireCredential, serviceWebhookUrl, testDelivery } from './notify-delivery';
import { fieldEntries, headline, LIMITS, severityStyle, truncate } from './notify-format';

/**
 * Microsoft Teams (providers-actions.md §6). New setups use a Workflows (Power Automate) webhook:
 * the `sig` query parameter is the credential, the body is an Adaptive Card in a `message`
 * envelope, and success is usually 202 (delivery into the channel is asynchronous and invisible to
 * us). Legacy Office 365 connector URLs (`…webhook.office.com/webhookb2/…`) still work until
 * Microsoft retires them: they get a MessageCard and answer 200 with the text `1`.
 */

const catalog: CatalogEntry = {
  name: 'teams',
  displayName: 'Microsoft Teams',
  category: 'notification',
  description: 'Posts alerts to a Teams channel as an Adaptive Card through a Workflows webhook.',
  fields: [
    {
      name: 'webhookUrl',
      label: 'Workflow webhook URL',
      type: 'secret',
      required: true,
      placeholder: 'https://….logic.azure.com:443/workflows/…/triggers/manual/paths/invoke?…&sig=…',
      help: 'The sig parameter in the URL is the credential. Legacy webhook.office.com connector URLs are accepted too.',
    },
  ],
  freeTier: {
    perSecond: 4,
    summary:
      'Included with Teams; Power Automate throttles busy flows (429), legacy connectors about 4 requests/s.',
  },
  priority: 'medium',
  setupGuide: [
    'In Teams, open the channel, click "…" (More options) → "Workflows".',
    'Choose the template "Post to a channel when a webhook request is received", name it (e.g. Vigil alerts) and click Next.',
    'Confirm the team and channel, then click "Add workflow".',
    'Copy the URL shown when the workflow is created (it contains "sig=").',
    'In Vigil, open Integrations → Microsoft Teams, paste the URL into "Workflow webhook URL", save, and click Test; the card appears in the channel within a few seconds.',
  ],
  docsUrl:
    'https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook',
};

const URL_SPEC = {
  service: 'Teams',
  hosts: ['.logic.azure.com', '.api.powerplatform.com', '.webhook.office.com'],
  path: /(\/workflows\/[^/]+\/triggers\/[^/]+\/paths\/invoke\/?$)|(^\/webhookb2\/.+)/,
  example: 'https://prod-00.westus.logic.azure.com:443/workflows/…/triggers/manual/paths/invoke?…&sig=…',
};

/** The Adaptive Card envelope the Workflows templates post to the channel. */
export function adaptiveCardPayload(message: OutboundMessage): Record<string, unknown> {
  const style = severityStyle(message.severity);
  const limits = LIMITS.teams;
  const facts = fieldEntries(message)
    .slice(0, limits.facts)
    .map(([title, value]) => ({ title, value: truncate(value, limits.factValue) }));
  const body: Record<string, unknown>[] = [
    {
      type: 'TextBlock',
      text: truncate(`${style.emoji} ${headline(message)}`, limits.title),
      weight: 'Bolder',
      size: 'Medium',
      color: style.adaptiveColor,
      wrap: true,
    },
  ];
  if (message.text.trim() !== '') {
    body.push({ type: 'TextBlock', text: truncate(message.text, limits.text), wrap: true });
  }
  if (facts.length > 0) body.push({ type: 'FactSet', facts });
  const content: Record<string, unknown> = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    body,
  };
  if (message.url) content.actions = [{ type: 'Action.OpenUrl', title: 'Open in Vigil', url: message.url }];
  return {
    type: 'message',
    attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content }],
  };
}

/** The legacy connector's MessageCard, with the severity as the theme colour. */
export function messageCardPayload(message: OutboundMessage): Record<string, unknown> {
  const style = severityStyle(message.severity);
  const facts = fieldEntries(message).map(([name, value]) => ({ name, value }));
  return {
    '@type': 'MessageCard',
    '@context': 'http://schema.org/extensions',
    summary: truncate(headline(message), 200),
    themeColor: style.color.toString(16).padStart(6, '0'),
    title: truncate(`${style.emoji} ${headline(message)}`, LIMITS.teams.title),
    text: truncate(message.text, LIMITS.teams.text) || headline(message),
    ...(facts.length > 0 ? { sections: [{ facts }] } : {}),
    ...(message.url
      ? {
          potentialAction: [
            { '@type': 'OpenUri', name: 'Open in Vigil', targets: [{ os: 'default', uri: message.url }] },
          ],
        }
      : {}),
  };
}

function classify(legacy: boolean) {
  return (res: OutboundResponse) => {
    if (res.status >= 200 && res.status < 300) {
      // The legacy connector signals success with the text "1"; anything else is an error text.
      if (legacy && res.text().trim() !== '1') {
        return new UpstreamError('Teams connector answered 200 without "1"', {
          status: res.status,
          attempts: res.attempts,
        });
      }
      return undefined;
    }
    let reason: string | undefined = res.text();
    try {
      const body = JSON.parse(reason) as { error?: { code?: string; message?: string } };
      if (body.error) reason = [body.error.code, body.error.message].filter(Boolean).join(': ');
    } catch {
      // Legacy connectors answer in plain text.
    }
    return reasonedError('Teams', res, reason);
  };
}

async function post(ctx: AdapterContext, message: OutboundMessage): Promise<{ id?: string }> {
  const raw = requireCredential(ctx, 'webhookUrl', 'The Teams webhook URL');
  const url = serviceWebhookUrl(ctx, raw, URL_SPEC);
  const legacy = url.pathname.startsWith('/webhookb2/');
  await ctx.http.request({
    method: 'POST',
    url,
    body: legacy ? messageCardPayload(message) : adaptiveCardPayload(message),
    userSuppliedUrl: true,
    redact: [raw, url.searchParams.get('sig') ?? undefined, url.pathname],
    classify: classify(legacy),
  });
  // Neither Workflows nor connectors return a message id.
  return {};
}

export const teamsAdapter: NotificationAdapter = {
  kind: 'notification',
  catalog,
  send: post,
  test: (ctx) =>
    testDelivery(
      {
        service: 'Teams',
        auth: 'Teams (Power Automate) refused the webhook signature. Copy the workflow URL again, including its sig parameter.',
        notFound:
          'Teams does not know this workflow (deleted or turned off). Turn the workflow on or create a new one.',
      },
      async () => {
        await post(ctx, {
          title: 'Vigil test message',
          text: 'Vigil can post to this channel.',
          severity: 'info',
        });
        return {
          message:
            'Teams accepted the test card. It appears in the channel once the workflow has run; if it does not, check the workflow run history.',
        };
      },
    ),
};
