import type { FakeHandler, FakeReply } from '../fake-http';

/**
 * Microsoft Teams webhooks as they answer (providers-actions.md §6).
 * Workflows (Power Automate): `POST /workflows/:id/triggers/manual/paths/invoke?api-version=…&sig=…`
 * answers 202 with an empty body; a missing `sig` gets 401 `DirectApiAuthorizationRequired` and
 * `sig=invalid-key` 401 `DirectApiInvalidAuthorizationSignature` (Logic Apps error JSON). Like the
 * real service it accepts a body without `attachments` (the flow run fails later, invisibly).
 * Legacy connector: `POST /webhookb2/…` answers 200 with the text `1`, or 400
 * `Summary or Text is required.`; a path containing `invalid-key` gets 404 text — the exact answer
 * for a removed connector is not documented, so this is an assumption.
 */

const logicError = (status: number, code: string, message: string): FakeReply => ({
  status,
  body: { error: { code, message } },
});

export function fakeTeams(): FakeHandler {
  return (request) => {
    if (request.path.startsWith('/webhookb2/')) {
      if (request.path.includes('invalid-key')) {
        return { status: 404, headers: { 'content-type': 'text/plain' }, body: 'Webhook not found' };
      }
      const card = request.json() as { summary?: unknown; text?: unknown; type?: unknown } | undefined;
      if (card === undefined)
        return { status: 400, body: 'Bad payload received by generic incoming webhook.' };
      if (card.type !== 'message' && !card.summary && !card.text) {
        return {
          status: 400,
          headers: { 'content-type': 'text/plain' },
          body: 'Summary or Text is required.',
        };
      }
      return { status: 200, headers: { 'content-type': 'text/plain' }, body: '1' };
    }
    if (!/^\/workflows\/[^/]+\/triggers\/[^/]+\/paths\/invoke\/?$/.test(request.path)) {
      return logicError(404, 'WorkflowNotFound', 'The workflow could not be found.');
    }
    if (request.method !== 'POST') {
      return logicError(
        405,
        'TriggerRequestMethodNotValid',
        'The HTTP method for this request is not valid.',
      );
    }
    const sig = request.query.get('sig');
    if (!sig) {
      return logicError(
        401,
        'DirectApiAuthorizationRequired',
        'The request must be authenticated only by Shared Access scheme.',
      );
    }
    if (sig === 'invalid-key') {
      return logicError(
        401,
        'DirectApiInvalidAuthorizationSignature',
        'The provided authentication token is not valid.',
      );
    }
    if (request.json() === undefined) {
      return logicError(400, 'InvalidRequestContent', 'The request content is not valid JSON.');
    }
    return { status: 202 };
  };
}
