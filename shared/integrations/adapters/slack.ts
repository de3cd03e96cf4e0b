import { UpstreamError } from '../http/errors';
import type { AdapterContext, CatalogEntry, NotificationAdapter, OutboundMessage } from '../ports';
import { reasonedError, requireCredential, serviceWebhookUrl, testDelivery } from './notify-delivery';
import { fieldEntries, headline, hexColor, LIMITS, severityStyle, truncate } from './notify-format';

/**
 * Slack incoming webhooks (providers-actions.md §1). The webhook URL is the credential. A message is
 * Block Kit (header, text, fields, context, a link button) inside one attachment, which is the only
 * way Slack draws the severity colour bar; top-level `text` is the push/accessibility fallback.
 * Slack answers with bare strings: `ok`, or an error code such as `no_service`.
 */

const catalog: CatalogEntry = {
  name: 'slack',
  displayName: 'Slack',
  category: 'notification',
  description:
    'Posts alerts to a Slack channel through an incoming webhook, with severity colour and fields.',
  fields: [
    {
      name: 'webhookUrl',
      label: 'Incoming webhook URL',
      type: 'secret',
      required: true,
      placeholder: 'https://hooks.slack.com/services/T…/B…/…',
      help: 'The URL is the credential: anyone who has it can post to the channel.',
    },
  ],
  freeTier: { perSecond: 1, summary: 'About 1 message per second per webhook; free on every Slack plan.' },
  priority: 'high',
  setupGuide: [
    'Go to https://api.slack.com/apps and click "Create New App" → "From scratch"; pick your workspace.',
    'Under "Features", open "Incoming Webhooks" and switch "Activate Incoming Webhooks" on.',
    'Click "Add New Webhook to Workspace", choose the channel for Vigil alerts and click "Allow".',
    'Copy the webhook URL (https://hooks.slack.com/services/…).',
    'In Vigil, open Integrations → Slack, paste the URL into "Incoming webhook URL", save, and click Test.',
  ],
  docsUrl: 'https://api.slack.com/messaging/webhooks',
};

const URL_SPEC = {
  service: 'Slack',
  hosts: ['hooks.slack.com', 'hooks.slack-gov.com'],
  path: /^\/services\/[^/]+\/[^/]+\/[^/]+\/?$/,
  example: 'https://hooks.slack.com/services/T…/B…/…',
};

/** Escapes user-derived text for mrkdwn, where `<…>` are links and mentions. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The webhook body for one message, within Block Kit's limits. */
export function slackPayload(message: OutboundMessage): Record<string, unknown> {
  const style = severityStyle(message.severity);
  const limits = LIMITS.slack;
  const blocks: Record<string, unknown>[] = [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        text: truncate(`${style.emoji} ${headline(message)}`, limits.header),
        emoji: true,
      },
    },
  ];
  if (message.text.trim() !== '') {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: truncate(escapeMrkdwn(message.text), limits.section) },
    });
  }
  const fields = fieldEntries(message).slice(0, limits.fields);
  if (fields.length > 0) {
    blocks.push({
      type: 'section',
      fields: fields.map(([key, value]) => ({
        type: 'mrkdwn',
        text: truncate(`*${escapeMrkdwn(key)}*\n${escapeMrkdwn(value)}`, limits.field),
      })),
    });
  }
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: `Severity: *${style.label}* · sent by Vigil` }],
  });
  if (message.url && message.url.length <= limits.url) {
    blocks.push({
      type: 'actions',
      elements: [
        {
          type: 'button',
          text: { type: 'plain_text', text: 'Open in Vigil' },
          url: message.url,
          ...(message.severity === 'high' || message.severity === 'critical' ? { style: 'danger' } : {}),
        },
      ],
    });
  }
  return {
    text: truncate(escapeMrkdwn(`${style.emoji} ${headline(message)}`), limits.text),
    attachments: [{ color: hexColor(style.color), blocks }],
    unfurl_links: false,
    unfurl_media: false,
  };
}

async function post(ctx: AdapterContext, message: OutboundMessage): Promise<{ id?: string }> {
  const raw = requireCredential(ctx, 'webhookUrl', 'The Slack webhook URL');
  const url = serviceWebhookUrl(ctx, raw, URL_SPEC);
  await ctx.http.request({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(slackPayload(message)),
    userSuppliedUrl: true,
    redact: [raw, url.toString(), url.pathname],
    classify: (res) => {
      const body = res.text().trim();
      if (res.status === 200) {
        return body === 'ok'
          ? undefined
          : new UpstreamError('Slack answered 200 without "ok"', { status: 200, attempts: res.attempts });
      }
      return reasonedError('Slack', res, body);
    },
  });
  // Incoming webhooks return no message id.
  return {};
}

export const slackAdapter: NotificationAdapter = {
  kind: 'notification',
  catalog,
  send: post,
  test: (ctx) =>
    testDelivery(
      {
        service: 'Slack',
        auth: 'Slack refused the webhook (invalid token or posting not allowed). Create a new webhook URL and paste it again.',
        notFound:
          'Slack says this webhook or its channel no longer exists (revoked, disabled or archived). Create a new webhook URL.',
      },
      async () => {
        await post(ctx, {
          title: 'Vigil test message',
          text: 'Vigil can post to this channel.',
          severity: 'info',
        });
        return { message: 'Slack accepted the test message; check the channel.' };
      },
    ),
};
