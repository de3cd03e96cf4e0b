import type { FakeHandler } from '../fake-http';

/**
 * IFTTT Webhooks as they answer (providers-actions.md §13): `POST|GET /trigger/:event/with/key/:key`
 * and `/trigger/:event/json/with/key/:key` → 200 text `Congratulations! You've fired the :event
 * event` (`… :event JSON event` for the JSON variant), for any event name. Key `invalid-key` → 401
 * `{"errors":[{"message":"You sent an invalid key."}]}`; other paths 404.
 */
export function fakeIfttt(): FakeHandler {
  return (request) => {
    const match = /^\/trigger\/([^/]+)(\/json)?\/with\/key\/([^/]+)$/.exec(request.path);
    if (!match || (request.method !== 'POST' && request.method !== 'GET')) {
      return { status: 404, headers: { 'content-type': 'text/plain' }, body: 'Not Found' };
    }
    if (decodeURIComponent(match[3] ?? '') === 'invalid-key') {
      return { status: 401, body: { errors: [{ message: 'You sent an invalid key.' }] } };
    }
    const event = decodeURIComponent(match[1] ?? '');
    return {
      status: 200,
      headers: { 'content-type': 'text/html; charset=utf-8' },
      body: `Congratulations! You've fired the ${event}${match[2] ? ' JSON' : ''} event`,
    };
  };
}
