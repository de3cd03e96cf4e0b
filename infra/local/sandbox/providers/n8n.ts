import type { FakeHandler } from '../fake-http';

/**
 * An n8n instance with one active Webhook node, answering like n8n (providers-actions.md §14):
 * `POST /webhook/:path` → 200 `{"message":"Workflow was started"}`; another method → 404
 * "not registered for POST"-style JSON; an unknown path → 404 `The requested webhook "POST …" is
 * not registered.`; `/webhook-test/…` → 404 (nobody is listening for a test event). With
 * `headerAuth`, a missing header → 403 and the value `invalid-key` (or any value other than the
 * configured one) → 403 `Authorization data is wrong!` in plain text, as n8n's header auth does.
 */
export function fakeN8n(
  options: { path?: string; method?: string; headerAuth?: { name: string; value?: string } } = {},
): FakeHandler {
  const path = options.path ?? 'vigil-alerts';
  const method = options.method ?? 'POST';
  return (request) => {
    const match = /^\/(webhook|webhook-test)\/(.+)$/.exec(request.path);
    if (!match || match[1] === 'webhook-test' || match[2] !== path) {
      return {
        status: 404,
        body: {
          code: 404,
          message: `The requested webhook "${request.method} ${match?.[2] ?? request.path}" is not registered.`,
          hint: 'The workflow must be active for a production URL to run successfully.',
        },
      };
    }
    if (request.method !== method) {
      return {
        status: 404,
        body: {
          code: 404,
          message: `This webhook is not registered for ${request.method} requests. Did you mean to make a ${method} request?`,
        },
      };
    }
    if (options.headerAuth) {
      const sent = request.headers[options.headerAuth.name.toLowerCase()];
      const value = Array.isArray(sent) ? sent[0] : sent;
      const expected = options.headerAuth.value;
      if (!value || value === 'invalid-key' || (expected !== undefined && value !== expected)) {
        return {
          status: 403,
          headers: { 'content-type': 'text/plain' },
          body: 'Authorization data is wrong!',
        };
      }
    }
    return { status: 200, body: { message: 'Workflow was started' } };
  };
}
