import type { FakeHandler, FakeReply } from '../fake-http';

/**
 * Discord's Execute Webhook as it answers (providers-actions.md §2): `POST /api/webhooks/:id/:token`
 * (also `/api/v10/…`), 204 by default or 200 with the saved Message when `?wait=true`. Tokens
 * `invalid-key` get 401 `50027 Invalid Webhook Token`; a non-numeric id 404 `10015 Unknown Webhook`;
 * no content 400 `50006`; broken embed or content limits 400 `50035 Invalid Form Body` with the
 * `errors` tree. Every answer carries the `X-RateLimit-*` headers of a per-webhook bucket of 5.
 */

interface Embed {
  title?: string;
  description?: string;
  fields?: { name?: string; value?: string }[];
  footer?: { text?: string };
}

function rateHeaders(remaining: number): Record<string, string> {
  return {
    'x-ratelimit-limit': '5',
    'x-ratelimit-remaining': String(Math.max(0, remaining)),
    'x-ratelimit-reset': ((Date.now() + 2000) / 1000).toFixed(3),
    'x-ratelimit-reset-after': '2.000',
    'x-ratelimit-bucket': 'fake0webhook0bucket',
  };
}

function tooLong(path: string, max: number): Record<string, unknown> {
  const leaf = { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: `Must be ${max} or fewer in length.` }] };
  const tree: Record<string, unknown> = {};
  let node = tree;
  const parts = path.split('.');
  parts.forEach((part, index) => {
    const next = index === parts.length - 1 ? leaf : {};
    node[part] = next;
    node = next as Record<string, unknown>;
  });
  return tree;
}

/** The first limit an embed list breaks, as a dotted path and the limit. */
function embedViolation(embeds: Embed[]): [string, number] | undefined {
  if (embeds.length > 10) return ['embeds', 10];
  let total = 0;
  for (const [i, embed] of embeds.entries()) {
    if ((embed.title ?? '').length > 256) return [`embeds.${i}.title`, 256];
    if ((embed.description ?? '').length > 4096) return [`embeds.${i}.description`, 4096];
    if ((embed.fields ?? []).length > 25) return [`embeds.${i}.fields`, 25];
    for (const [j, field] of (embed.fields ?? []).entries()) {
      if ((field.name ?? '').length > 256) return [`embeds.${i}.fields.${j}.name`, 256];
      if ((field.value ?? '').length > 1024) return [`embeds.${i}.fields.${j}.value`, 1024];
      total += (field.name ?? '').length + (field.value ?? '').length;
    }
    total +=
      (embed.title ?? '').length + (embed.description ?? '').length + (embed.footer?.text ?? '').length;
  }
  return total > 6000 ? ['embeds', 6000] : undefined;
}

export function fakeDiscord(): FakeHandler {
  let nextId = 1_234_567_890_123_456_789n;
  return (request) => {
    const headers = rateHeaders(4);
    const reply = (status: number, body?: unknown): FakeReply => ({ status, headers, body });
    const match = /^\/api\/(?:v\d+\/)?webhooks\/([^/]+)\/([^/]+)\/?$/.exec(request.path);
    if (!match || !/^\d+$/.test(match[1] ?? ''))
      return reply(404, { message: 'Unknown Webhook', code: 10015 });
    if (request.method !== 'POST') return reply(405, { message: '405: Method Not Allowed', code: 0 });
    if (match[2] === 'invalid-key') return reply(401, { message: 'Invalid Webhook Token', code: 50027 });
    const body = request.json() as { content?: string; embeds?: Embed[] } | undefined;
    if (body === undefined) return reply(400, { message: 'Cannot send an empty message', code: 50006 });
    const embeds = body.embeds ?? [];
    if (!body.content && embeds.length === 0)
      return reply(400, { message: 'Cannot send an empty message', code: 50006 });
    const violation =
      (body.content ?? '').length > 2000 ? (['content', 2000] as [string, number]) : embedViolation(embeds);
    if (violation) {
      return reply(400, { code: 50035, message: 'Invalid Form Body', errors: tooLong(...violation) });
    }
    if (request.query.get('wait') !== 'true') return reply(204);
    nextId += 1n;
    return reply(200, {
      id: String(nextId),
      type: 0,
      content: body.content ?? '',
      channel_id: '1111111111111111111',
      author: { id: match[1], username: 'Vigil', avatar: null, discriminator: '0000', bot: true },
      attachments: [],
      embeds: embeds.map((e) => ({ type: 'rich', ...e })),
      mentions: [],
      mention_roles: [],
      pinned: false,
      mention_everyone: false,
      tts: false,
      timestamp: new Date().toISOString().replace('Z', '000+00:00'),
      edited_timestamp: null,
      flags: 0,
      components: [],
      webhook_id: match[1],
    });
  };
}
