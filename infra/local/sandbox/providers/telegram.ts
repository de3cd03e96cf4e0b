import type { FakeHandler, FakeReply } from '../fake-http';

/**
 * Telegram Bot API `sendMessage` as it answers (providers-actions.md §3):
 * `POST /bot<token>/sendMessage` (method name case-insensitive), JSON or form body. Envelope
 * `{ok:true,result:Message}` or `{ok:false,error_code,description,parameters?}` with the HTTP status
 * equal to `error_code`. Token `invalid-key` → 401 Unauthorized; no token → 404 Not Found; missing
 * chat → 400 `chat_id is empty`; chat id `0` → 400 `chat not found`; chat id `-100200300` →
 * 400 upgraded-to-supergroup with `migrate_to_chat_id` -1001002003000. Text is parsed like
 * Telegram does: HTML tags must be supported and balanced and `<`/`&` escaped; MarkdownV2 reserved
 * characters outside entities must be backslash-escaped; otherwise 400 `can't parse entities`.
 * The 4096 limit is checked on the parsed (visible) text.
 */

const HTML_TAGS = new Set([
  'b',
  'strong',
  'i',
  'em',
  'u',
  'ins',
  's',
  'strike',
  'del',
  'span',
  'tg-spoiler',
  'a',
  'code',
  'pre',
  'blockquote',
  'tg-emoji',
]);

const fail = (code: number, description: string, parameters?: Record<string, unknown>): FakeReply => ({
  status: code,
  body: { ok: false, error_code: code, description, ...(parameters ? { parameters } : {}) },
});

/** Visible text of an HTML message, or an error description. */
function parseHtml(text: string): string | { error: string } {
  const stack: string[] = [];
  let visible = '';
  const pattern = /<(\/?)([a-z-]+)([^>]*)>|&(lt|gt|amp|quot|#\d+);|[<>&]|[^<>&]+/gy;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    const [token, closing, tag, , entity] = match;
    if (tag !== undefined) {
      if (!HTML_TAGS.has(tag))
        return { error: `Unsupported start tag "${tag}" at byte offset ${match.index}` };
      if (closing) {
        if (stack.pop() !== tag) return { error: `Unexpected end tag at byte offset ${match.index}` };
      } else stack.push(tag);
    } else if (entity !== undefined) visible += ' ';
    else if (token === '<' || token === '&' || token === '>') {
      if (token !== '>') return { error: `Unexpected "${token}" at byte offset ${match.index}` };
      visible += token;
    } else visible += token;
  }
  if (stack.length > 0) return { error: `Can't find end tag corresponding to start tag "${stack.at(-1)}"` };
  return visible;
}

/** Visible text of a MarkdownV2 message, or an error description. */
function parseMarkdownV2(text: string): string | { error: string } {
  const open: string[] = [];
  let visible = '';
  let inLinkUrl = false;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i] as string;
    if (char === '\\') {
      visible += text[i + 1] ?? '';
      i += 1;
      continue;
    }
    if (inLinkUrl) {
      if (char === ')') inLinkUrl = false;
      continue;
    }
    if ('*_~`|'.includes(char)) {
      if (open.at(-1) === char) open.pop();
      else open.push(char);
      continue;
    }
    if (char === '[') {
      open.push('[');
      continue;
    }
    if (char === ']' && open.at(-1) === '[' && text[i + 1] === '(') {
      open.pop();
      inLinkUrl = true;
      i += 1;
      continue;
    }
    if ('[]()>#+-={}.!'.includes(char)) {
      return { error: `Character '${char}' is reserved and must be escaped with the preceding '\\'` };
    }
    visible += char;
  }
  if (open.length > 0 || inLinkUrl)
    return { error: `Can't find end of the entity starting at byte offset 0` };
  return visible;
}

export function fakeTelegram(): FakeHandler {
  let messageId = 800;
  return (request) => {
    const match = /^\/bot([^/]*)\/([A-Za-z]+)$/.exec(request.path);
    if (!match || match[1] === '') return fail(404, 'Not Found');
    if (match[1] === 'invalid-key') return fail(401, 'Unauthorized');
    if (match[2]?.toLowerCase() !== 'sendmessage') return fail(404, 'Not Found');
    const isJson = String(request.headers['content-type'] ?? '').includes('application/json');
    const params: Record<string, unknown> = isJson
      ? ((request.json() as Record<string, unknown> | undefined) ?? {})
      : Object.fromEntries(request.form());
    const chatId = params.chat_id;
    if (chatId === undefined || chatId === '') return fail(400, 'Bad Request: chat_id is empty');
    if (String(chatId) === '0') return fail(400, 'Bad Request: chat not found');
    if (String(chatId) === '-100200300') {
      return fail(400, 'Bad Request: group chat was upgraded to a supergroup chat', {
        migrate_to_chat_id: -1001002003000,
      });
    }
    const text = typeof params.text === 'string' ? params.text : '';
    const mode = params.parse_mode;
    const parsed = mode === 'HTML' ? parseHtml(text) : mode === 'MarkdownV2' ? parseMarkdownV2(text) : text;
    if (typeof parsed !== 'string') return fail(400, `Bad Request: can't parse entities: ${parsed.error}`);
    if (parsed.trim() === '') return fail(400, 'Bad Request: message text is empty');
    if (parsed.length > 4096) return fail(400, 'Bad Request: message is too long');
    messageId += 1;
    const numeric = /^-?\d+$/.test(String(chatId));
    return {
      status: 200,
      body: {
        ok: true,
        result: {
          message_id: messageId,
          from: { id: 123456, is_bot: true, first_name: 'VigilBot', username: 'vigil_alert_bot' },
          chat: numeric
            ? { id: Number(chatId), title: 'SOC', type: Number(chatId) < 0 ? 'supergroup' : 'private' }
            : { id: -1009876543210, title: 'SOC', username: String(chatId).slice(1), type: 'channel' },
          date: Math.floor(Date.now() / 1000),
          text: parsed,
        },
      },
    };
  };
}
