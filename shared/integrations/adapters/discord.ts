import { OutboundRateLimitedError, UpstreamError } from '../http/errors';
import type { OutboundResponse } from '../http/outbound';
import type { AdapterContext, CatalogEntry, NotificationAdapter, OutboundMessage } from '../ports';
import { reasonedError, requireCredential, serviceWebhookUrl, testDelivery } from './notify-delivery';
import { fieldEntries, headline, LIMITS, severityStyle, truncate } from './notify-format';

/**
 * Discord webhooks (providers-actions.md §2): one rich embed per message with the severity colour,
 * fields and a footer, `allowed_mentions.parse: []` so alert text can never ping @everyone, and
 * `?wait=true` so Discord confirms the save and returns the message id (without it a message that
 * fails to save still answers 204). Errors are JSON `{code, message}`; 429 carries `retry_after`.
 */

const catalog: CatalogEntry = {
  name: 'discord',
  displayName: 'Discord',
  category: 'notification',
  description: 'Posts alerts to a Discord channel through a channel webhook, as a coloured embed.',
  fields: [
    {
      name: 'webhookUrl',
      label: 'Webhook URL',
      type: 'secret',
      required: true,
      placeholder: 'https://discord.com/api/webhooks/{id}/{token}',
      help: 'The token in the URL is the credential.',
    },
  ],
  freeTier: {
    summary:
      'Free. Limits are per webhook and announced in X-RateLimit-* headers on every answer; 50 requests/s global cap.',
  },
  priority: 'medium',
  setupGuide: [
    'In Discord, open the channel settings (gear icon) → "Integrations" → "Webhooks".',
    'Click "New Webhook", name it (e.g. Vigil) and check the channel.',
    'Click "Copy Webhook URL".',
    'In Vigil, open Integrations → Discord, paste the URL into "Webhook URL", save, and click Test.',
  ],
  docsUrl: 'https://discord.com/developers/docs/resources/webhook#execute-webhook',
};

const URL_SPEC = {
  service: 'Discord',
  hosts: ['discord.com', 'discordapp.com', 'ptb.discord.com', 'canary.discord.com'],
  path: /^\/api\/(v\d+\/)?webhooks\/\d+\/[^/]+\/?$/,
  example: 'https://discord.com/api/webhooks/{id}/{token}',
};

/** Escapes Discord markdown so alert text renders literally. */
export function escapeDiscordMarkdown(text: string): string {
  return text.replace(/([\\*_~`|>])/g, '\\$1');
}

/** The webhook body for one message; embed texts stay within Discord's per-field and 6000 total limits. */
export function discordPayload(message: OutboundMessage, nowMs: number): Record<string, unknown> {
  const style = severityStyle(message.severity);
  const limits = LIMITS.discord;
  const title = truncate(`${style.emoji} ${headline(message)}`, limits.title);
  const footer = `Vigil · severity ${style.label}`;
  const text = escapeDiscordMarkdown(message.text);
  // The 6000 total covers every embed text: fields may use what the title, footer and (up to 2000
  // characters of) description leave, and the description gets the rest.
  let budget = limits.total - title.length - footer.length;
  const reserve = Math.min(text.length, 2000);
  const fields: { name: string; value: string; inline: boolean }[] = [];
  for (const [name, value] of fieldEntries(message).slice(0, limits.fields)) {
    const field = {
      name: truncate(name, limits.fieldName),
      value: truncate(escapeDiscordMarkdown(value), limits.fieldValue),
      inline: true,
    };
    const size = field.name.length + field.value.length;
    if (size > budget - reserve) break;
    fields.push(field);
    budget -= size;
  }
  const description = truncate(text, Math.min(limits.description, budget));
  const embed: Record<string, unknown> = {
    title,
    color: style.color,
    timestamp: new Date(nowMs).toISOString(),
    footer: { text: footer },
  };
  if (description !== '') embed.description = description;
  if (fields.length > 0) embed.fields = fields;
  if (message.url) embed.url = message.url;
  return { embeds: [embed], allowed_mentions: { parse: [] } };
}

interface DiscordError {
  code?: number;
  message?: string;
  retry_after?: number;
}

function classify(res: OutboundResponse) {
  if (res.status === 200 || res.status === 204) return undefined;
  let body: DiscordError = {};
  try {
    body = JSON.parse(res.text()) as DiscordError;
  } catch {
    // Cloudflare HTML on 5xx; the status decides.
  }
  if (res.status === 429) {
    return typeof body.retry_after === 'number'
      ? new OutboundRateLimitedError('Discord answered 429: rate limited', body.retry_after, {
          status: 429,
          attempts: res.attempts,
        })
      : undefined;
  }
  const reason = body.message ? `${body.message}${body.code ? `, code ${body.code}` : ''}` : undefined;
  return reasonedError('Discord', res, reason);
}

async function post(ctx: AdapterContext, message: OutboundMessage): Promise<{ id?: string }> {
  const raw = requireCredential(ctx, 'webhookUrl', 'The Discord webhook URL');
  const url = serviceWebhookUrl(ctx, raw, URL_SPEC);
  const token = url.pathname.split('/').filter(Boolean).at(-1);
  const response = await ctx.http.request({
    method: 'POST',
    url,
    query: { wait: true },
    body: discordPayload(message, ctx.now()),
    userSuppliedUrl: true,
    redact: [raw, token],
    classify,
  });
  const saved = response.json<{ id?: unknown }>();
  if (typeof saved?.id !== 'string') {
    throw new UpstreamError('Discord answered without a message id', { status: response.status });
  }
  return { id: saved.id };
}

export const discordAdapter: NotificationAdapter = {
  kind: 'notification',
  catalog,
  send: post,
  test: (ctx) =>
    testDelivery(
      {
        service: 'Discord',
        auth: 'Discord says the webhook token is invalid. Copy the webhook URL again from the channel settings.',
        notFound: 'Discord does not know this webhook (it was deleted). Create a new one and paste its URL.',
      },
      async () => {
        const { id } = await post(ctx, {
          title: 'Vigil test message',
          text: 'Vigil can post to this channel.',
          severity: 'info',
        });
        return { message: 'Discord saved the test message; check the channel.', details: { messageId: id } };
      },
    ),
};
