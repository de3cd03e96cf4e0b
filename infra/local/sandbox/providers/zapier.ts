import { randomUUID } from 'node:crypto';
import type { FakeHandler } from '../fake-http';

/**
 * Zapier Catch Hooks as they answer (providers-actions.md §12): `POST /hooks/catch/:account/:hook/`
 * with any JSON, form or query data → 200 `{attempt, id, request_id, status:"success"}`, returned
 * whether or not a Zap is listening (as Zapier does); the `…/silent/` variant → 200 with an empty
 * body. A hook id `invalid-key` gets 404 (the closest a hook URL has to bad credentials; Zapier does
 * not document it, so this is an assumption); other paths 404.
 */
export function fakeZapier(): FakeHandler {
  return (request) => {
    const match = /^\/hooks\/catch\/(?:(\d+)\/)?([^/]+)\/?(silent\/?)?$/.exec(request.path);
    if (!match || match[2] === 'invalid-key' || match[2] === 'silent') {
      return { status: 404, headers: { 'content-type': 'text/html' }, body: '<h1>Not Found</h1>' };
    }
    if (match[3]) return { status: 200 };
    const id = randomUUID();
    return { status: 200, body: { attempt: id, id, request_id: id, status: 'success' } };
  };
}
