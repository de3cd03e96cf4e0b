import { OutboundBadRequestError, OutboundRateLimitedError, UpstreamError } from '../http/errors';
import type { OutboundResponse } from '../http/outbound';
import type { AdapterContext, CatalogEntry, NotificationAdapter, OutboundMessage } from '../ports';
import {
  baseUrl,
  IntegrationConfigError,
  optionalSetting,
  reasonedError,
  requireCredential,
  requireSetting,
  testDelivery,
} from './notify-delivery';
import { escapeHtml, fieldEntries, headline, LIMITS, severityStyle, truncate } from './notify-format';

/**
 * Telegram Bot API `sendMessage` (providers-actions.md §3). The bot token is in the path, so it is
 * redacted everywhere. Text is HTML (default, safest for interpolated alert data) or MarkdownV2 with
 * every reserved character escaped; the 4096 limit counts text after entity parsing, so the budget
 * is spent on the unescaped text. Failures are `{ok:false, error_code, description, parameters}`:
 * `retry_after` on 429, and `migrate_to_chat_id` when a group became a supergroup, in which case the
 * message is re-sent once to the new chat.
 */

const catalog: CatalogEntry = {
  name: 'telegram',
  displayName: 'Telegram',
  category: 'notification',
  description: 'Sends alerts to a Telegram chat, group or channel through your own bot.',
  fields: [
    {
      name: 'botToken',
      label: 'Bot token',
      type: 'secret',
      required: true,
      placeholder: '123456789:AA…',
      help: 'From @BotFather. Anyone with the token controls the bot.',
    },
    {
      name: 'chatId',
      label: 'Chat id',
      type: 'text',
      required: true,
      placeholder: '-1001234567890 or @channelname',
      help: 'Numeric id of the chat or group (negative for groups), or @username of a public channel.',
    },
    {
      name: 'parseMode',
      label: 'Formatting',
      type: 'select',
      required: false,
      options: ['HTML', 'MarkdownV2'],
      default: 'HTML',
    },
  ],
  freeTier: {
    perSecond: 1,
    perMinute: 20,
    summary: 'Free. About 1 message/s per chat and 20 messages/min per group; honour retry_after exactly.',
  },
  priority: 'medium',
  setupGuide: [
    'In Telegram, open a chat with @BotFather, send /newbot and follow the prompts; copy the token it gives you.',
    'Add the bot to the group or channel that should receive alerts (for a channel, make it an administrator allowed to post).',
    'Send any message in that chat, then open https://api.telegram.org/bot<token>/getUpdates in a browser and copy "chat":{"id":…} (group ids are negative).',
    'In Vigil, open Integrations → Telegram, paste the bot token and the chat id, choose the formatting (HTML is recommended), save, and click Test.',
  ],
  docsUrl: 'https://core.telegram.org/bots/api#sendmessage',
};

const MARKDOWN_RESERVED = /([_*[\]()~`>#+\-=|{}.!\\])/g;

/** Escapes literal text for MarkdownV2: every reserved character gets a backslash. */
export function escapeMarkdownV2(text: string): string {
  return text.replace(MARKDOWN_RESERVED, '\\$1');
}

/** Escapes a link target inside MarkdownV2 `(...)`, where only `)` and `\` are special. */
function escapeMarkdownV2Url(url: string): string {
  return url.replace(/([)\\])/g, '\\$1');
}

type ParseMode = 'HTML' | 'MarkdownV2';

/**
 * The message text in the chosen mode. Title, fields and link are laid out first; the body text
 * gets whatever of the 4096 visible characters is left.
 */
export function telegramText(message: OutboundMessage, mode: ParseMode): string {
  const style = severityStyle(message.severity);
  const title = truncate(`${style.emoji} ${headline(message)}`, 256);
  const fields = fieldEntries(message).map(([k, v]) => [truncate(k, 100), truncate(v, 500)] as const);
  const linkLabel = 'Open in Vigil';
  const fixedVisible =
    title.length +
    fields.reduce((n, [k, v]) => n + k.length + v.length + 3, 0) +
    (message.url ? linkLabel.length + 2 : 0) +
    4;
  const text = truncate(message.text, Math.max(0, LIMITS.telegram.text - fixedVisible));
  const parts: string[] = [];
  if (mode === 'HTML') {
    parts.push(`<b>${escapeHtml(title)}</b>`);
    if (text !== '') parts.push(escapeHtml(text));
    if (fields.length > 0)
      parts.push(fields.map(([k, v]) => `<b>${escapeHtml(k)}:</b> ${escapeHtml(v)}`).join('\n'));
    if (message.url) parts.push(`<a href="${escapeHtml(message.url)}">${linkLabel}</a>`);
  } else {
    parts.push(`*${escapeMarkdownV2(title)}*`);
    if (text !== '') parts.push(escapeMarkdownV2(text));
    if (fields.length > 0)
      parts.push(fields.map(([k, v]) => `*${escapeMarkdownV2(k)}:* ${escapeMarkdownV2(v)}`).join('\n'));
    if (message.url) parts.push(`[${escapeMarkdownV2(linkLabel)}](${escapeMarkdownV2Url(message.url)})`);
  }
  return parts.join('\n\n');
}

interface TelegramReply {
  ok?: boolean;
  error_code?: number;
  description?: string;
  parameters?: { retry_after?: number; migrate_to_chat_id?: number };
  result?: { message_id?: number };
}

/** The chat a group moved to, carried on the error so `send` can re-target once. */
class ChatMigratedError extends OutboundBadRequestError {
  constructor(
    readonly newChatId: number,
    details: { status: number; attempts: number },
  ) {
    super('Telegram answered 400: the group was upgraded to a supergroup with a new chat id', details);
  }
}

function parse(res: OutboundResponse): TelegramReply | undefined {
  try {
    const body = JSON.parse(res.text()) as unknown;
    return typeof body === 'object' && body !== null ? (body as TelegramReply) : undefined;
  } catch {
    return undefined;
  }
}

function classify(res: OutboundResponse) {
  const body = parse(res);
  if (body === undefined) return res.status >= 400 ? reasonedError('Telegram', res, undefined) : undefined;
  if (body.ok === true) return undefined;
  const code = body.error_code ?? res.status;
  const details = { status: res.status, attempts: res.attempts };
  if (code === 429) {
    return new OutboundRateLimitedError(
      `Telegram answered 429 (${body.description ?? 'Too Many Requests'})`,
      body.parameters?.retry_after ?? 1,
      details,
    );
  }
  if (body.parameters?.migrate_to_chat_id !== undefined) {
    return new ChatMigratedError(body.parameters.migrate_to_chat_id, details);
  }
  // `ok:false` can arrive with HTTP 200; classify by the error code, not the status.
  const status = res.status >= 400 ? res.status : code >= 400 ? code : 502;
  return (
    reasonedError('Telegram', { ...res, status }, body.description) ??
    new UpstreamError('Telegram answered ok:false', details)
  );
}

function chatIdValue(chatId: string): string | number {
  if (/^-?\d+$/.test(chatId)) return Number(chatId);
  if (/^@[A-Za-z0-9_]{4,}$/.test(chatId)) return chatId;
  throw new IntegrationConfigError(
    'The Telegram chat id must be a number (e.g. -1001234567890) or @channelname.',
  );
}

async function post(ctx: AdapterContext, message: OutboundMessage): Promise<{ id?: string }> {
  const token = requireCredential(ctx, 'botToken', 'The Telegram bot token');
  const mode: ParseMode = optionalSetting(ctx, 'parseMode') === 'MarkdownV2' ? 'MarkdownV2' : 'HTML';
  const body = {
    chat_id: chatIdValue(requireSetting(ctx, 'chatId', 'The Telegram chat id')),
    text: telegramText(message, mode),
    parse_mode: mode,
    link_preview_options: { is_disabled: true },
    // Informational alerts arrive silently; anything from medium up makes a sound.
    disable_notification: message.severity === 'info' || message.severity === 'low',
  };
  const url = `${baseUrl(ctx, 'https://api.telegram.org')}/bot${token}/sendMessage`;
  const send = async (chatId: string | number) => {
    const response = await ctx.http.request({
      method: 'POST',
      url,
      body: { ...body, chat_id: chatId },
      redact: [token],
      classify,
    });
    const reply = response.json<TelegramReply>();
    const id = reply?.result?.message_id;
    if (typeof id !== 'number')
      throw new UpstreamError('Telegram answered without a message id', { status: 200 });
    return { id: String(id) };
  };
  try {
    return await send(body.chat_id);
  } catch (error) {
    if (error instanceof ChatMigratedError) return send(error.newChatId);
    throw error;
  }
}

export const telegramAdapter: NotificationAdapter = {
  kind: 'notification',
  catalog,
  send: post,
  test: (ctx) =>
    testDelivery(
      {
        service: 'Telegram',
        auth: 'Telegram refused the bot: the token is wrong, or the bot was blocked or removed from the chat. Check the token and that the bot is a member of the chat.',
        notFound: 'Telegram does not recognise the bot token. Copy it again from @BotFather.',
        badRequest:
          'Telegram refused the message. Check the chat id (the bot must have received a message in that chat first).',
      },
      async () => {
        const { id } = await post(ctx, {
          title: 'Vigil test message',
          text: 'Vigil can post to this chat.',
          severity: 'info',
        });
        return {
          message: 'Telegram delivered the test message; check the chat.',
          details: { messageId: id },
        };
      },
    ),
};
