import type { FakeHandler, FakeReply } from '../fake-http';

/**
 * Slack incoming webhooks as they answer (providers-actions.md §1): `POST /services/T…/B…/<secret>`
 * with JSON; `200 ok` as `text/html`; bare-string errors — `invalid_payload` for unparseable JSON,
 * `no_text` when neither text nor blocks/attachments carry content, `invalid_blocks` when Block Kit
 * limits are broken (header > 150, section text > 3000, > 10 fields, field > 2000, > 50 blocks),
 * `invalid_token` (403) for the secret `invalid-key`, `no_service` (404) for any other path.
 */

const text = (status: number, body: string): FakeReply => ({
  status,
  headers: { 'content-type': 'text/html' },
  body,
});

type Block = { type?: unknown; text?: { text?: unknown }; fields?: { text?: unknown }[] };

function blocksValid(blocks: Block[]): boolean {
  if (blocks.length > 50) return false;
  for (const block of blocks) {
    const own = typeof block.text?.text === 'string' ? block.text.text : '';
    if (block.type === 'header' && own.length > 150) return false;
    if (block.type === 'section' && own.length > 3000) return false;
    if (block.fields && (block.fields.length > 10 || block.fields.some((f) => String(f.text).length > 2000)))
      return false;
  }
  return true;
}

export function fakeSlack(): FakeHandler {
  return (request) => {
    const match = /^\/services\/([^/]+)\/([^/]+)\/([^/]+)\/?$/.exec(request.path);
    if (request.method !== 'POST' || !match) return text(404, 'no_service');
    if (match[3] === 'invalid-key') return text(403, 'invalid_token');
    const body = request.json() as
      | { text?: unknown; blocks?: Block[]; attachments?: { blocks?: Block[] }[] }
      | undefined;
    if (body === undefined || typeof body !== 'object' || body === null) return text(400, 'invalid_payload');
    const blocks = [...(body.blocks ?? []), ...(body.attachments ?? []).flatMap((a) => a.blocks ?? [])];
    const hasText = typeof body.text === 'string' && body.text.trim() !== '';
    if (!hasText && blocks.length === 0) return text(400, 'no_text');
    if ((body.attachments?.length ?? 0) > 100) return text(400, 'too_many_attachments');
    if (!blocksValid(body.blocks ?? []) || (body.attachments ?? []).some((a) => !blocksValid(a.blocks ?? [])))
      return text(400, 'invalid_blocks');
    return text(200, 'ok');
  };
}
