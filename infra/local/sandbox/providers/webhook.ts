import { verifyWebhookSignature } from '../../../../shared/integrations/adapters/webhook';
import type { FakeHandler } from '../fake-http';

/**
 * A receiver of Vigil's signed custom webhooks that verifies every delivery the way customers are
 * told to (Standard Webhooks): POST only, the three `webhook-*` headers, a timestamp within 5
 * minutes and a `v1,` signature made with the configured secret. A good delivery gets 200
 * `{"received":true}`; a missing header 400, a bad or stale signature 401 — what a typical
 * verifying receiver answers. The sandbox uses `SANDBOX_WEBHOOK_SECRET` unless told otherwise, so
 * a demo configured with that secret succeeds and any other secret (e.g. `invalid-key`) is refused.
 */
export const SANDBOX_WEBHOOK_SECRET = 'whsec_dmlnaWwtc2FuZGJveC13ZWJob29rLXNpZ25pbmcta2V5';

export function fakeWebhook(options: { secret?: string; now?: () => number } = {}): FakeHandler {
  const secret = options.secret ?? SANDBOX_WEBHOOK_SECRET;
  return (request) => {
    if (request.method !== 'POST') {
      return { status: 405, headers: { allow: 'POST' }, body: { error: 'method not allowed' } };
    }
    const header = (name: string): string | undefined => {
      const value = request.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const result = verifyWebhookSignature({
      secret,
      id: header('webhook-id'),
      timestamp: header('webhook-timestamp'),
      signature: header('webhook-signature'),
      body: request.body,
      now: (options.now ?? Date.now)(),
    });
    if (!result.ok) {
      const status = result.reason === 'missing_headers' || result.reason === 'bad_timestamp' ? 400 : 401;
      return { status, body: { error: result.reason } };
    }
    if (request.json() === undefined) return { status: 400, body: { error: 'body is not JSON' } };
    return { status: 200, body: { received: true } };
  };
}
