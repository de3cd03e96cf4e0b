import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { OutboundNotFoundError } from '../http/errors';
import type { AdapterContext, CatalogEntry, WebhookAdapter } from '../ports';
import { IntegrationConfigError, requireCredential, requireSetting, testDelivery } from './notify-delivery';

/**
 * Custom webhook signed the Standard Webhooks way (providers-actions.md §15), so receivers can verify
 * with off-the-shelf libraries: `webhook-id` (one per delivery, the receiver's idempotency key),
 * `webhook-timestamp` (unix seconds) and `webhook-signature: v1,<base64 HMAC-SHA256 of
 * "{id}.{timestamp}.{body}">`, keyed with the base64-decoded part of a `whsec_` secret. The body is
 * serialized once and those exact bytes are signed and sent.
 */

const SECRET_PREFIX = 'whsec_';
const MIN_SECRET_BYTES = 24;
/** Receivers should reject timestamps further than this from their clock (Standard Webhooks). */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

/** Decodes a `whsec_` secret to its HMAC key, or throws a configuration error naming the problem. */
export function webhookSigningKey(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) {
    throw new IntegrationConfigError('The signing secret must start with "whsec_" followed by base64.');
  }
  const encoded = secret.slice(SECRET_PREFIX.length);
  const key = Buffer.from(encoded, 'base64');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || key.length < MIN_SECRET_BYTES) {
    throw new IntegrationConfigError(
      `The signing secret must be "whsec_" followed by the base64 of at least ${MIN_SECRET_BYTES} random bytes.`,
    );
  }
  return key;
}

/** A fresh secret in the form users are shown: `whsec_` + base64 of 32 random bytes. */
export function generateWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
}

/** `v1,<base64>` for one secret over `{id}.{timestamp}.{body}`. */
export function signWebhook(secret: string, id: string, timestamp: number, body: string | Buffer): string {
  const signature = createHmac('sha256', webhookSigningKey(secret))
    .update(`${id}.${timestamp}.`)
    .update(body)
    .digest('base64');
  return `v1,${signature}`;
}

export interface WebhookVerification {
  secret: string;
  /** Header values as received. */
  id: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
  /** The raw body bytes, before any JSON parsing. */
  body: string | Buffer;
  /** Receiver clock in epoch milliseconds. */
  now?: number;
  toleranceSeconds?: number;
}

export type VerificationResult =
  | { ok: true }
  | { ok: false; reason: 'missing_headers' | 'bad_timestamp' | 'stale_timestamp' | 'bad_signature' };

/**
 * Receiver-side check of a delivery: headers present, timestamp within the tolerance, and one of
 * the space-separated `v1,` signatures equal (constant time) to the expected one. Used by the tests
 * and the sandbox fake, and documented for customers as the reference verifier.
 */
export function verifyWebhookSignature(input: WebhookVerification): VerificationResult {
  const { id, timestamp, signature } = input;
  if (!id || !timestamp || !signature) return { ok: false, reason: 'missing_headers' };
  if (!/^\d+$/.test(timestamp)) return { ok: false, reason: 'bad_timestamp' };
  const now = Math.floor((input.now ?? Date.now()) / 1000);
  const tolerance = input.toleranceSeconds ?? WEBHOOK_TOLERANCE_SECONDS;
  if (Math.abs(now - Number(timestamp)) > tolerance) return { ok: false, reason: 'stale_timestamp' };

  let expected: Buffer;
  try {
    expected = Buffer.from(signWebhook(input.secret, id, Number(timestamp), input.body).slice(3), 'base64');
  } catch {
    return { ok: false, reason: 'bad_signature' };
  }
  for (const candidate of signature.split(' ')) {
    const [version, value] = candidate.split(',', 2);
    if (version !== 'v1' || value === undefined) continue;
    const actual = Buffer.from(value, 'base64');
    if (actual.length === expected.length && timingSafeEqual(actual, expected)) return { ok: true };
  }
  return { ok: false, reason: 'bad_signature' };
}

const catalog: CatalogEntry = {
  name: 'webhook',
  displayName: 'Custom webhook (signed)',
  category: 'webhook',
  description:
    'POSTs JSON events to your HTTPS endpoint, signed with HMAC-SHA256 per the Standard Webhooks specification.',
  fields: [
    {
      name: 'url',
      label: 'Endpoint URL',
      type: 'url',
      required: true,
      placeholder: 'https://hooks.example.com/vigil',
      help: 'Public HTTPS endpoint. Private, loopback and cloud-metadata addresses are refused; redirects are not followed.',
    },
    {
      name: 'secret',
      label: 'Signing secret',
      type: 'secret',
      required: true,
      placeholder: 'whsec_…',
      help: '"whsec_" + base64 of at least 24 random bytes. Your receiver verifies webhook-signature with it.',
    },
    {
      name: 'previousSecret',
      label: 'Previous signing secret (rotation)',
      type: 'secret',
      required: false,
      help: 'While set, each delivery carries a second signature made with it, so receivers can switch secrets without downtime.',
    },
  ],
  freeTier: { summary: 'No provider quota: limited only by your endpoint.' },
  priority: 'medium',
  setupGuide: [
    'Create an HTTPS endpoint that accepts POST requests with a JSON body and answers 2xx within 15 seconds.',
    'Generate a secret: "whsec_" followed by the base64 of 32 random bytes (for example `openssl rand -base64 32`).',
    'In Vigil, open Integrations → Custom webhook, paste the endpoint URL and the secret, and save.',
    'In your receiver, verify each request before parsing it: HMAC-SHA256 over "{webhook-id}.{webhook-timestamp}.{raw body}" with the base64-decoded secret must equal one of the "v1," values in webhook-signature (compare in constant time); reject timestamps more than 5 minutes off; de-duplicate on webhook-id.',
    'Click Test: Vigil sends a signed "vigil.test" event and reports the HTTP status your endpoint returned.',
  ],
  docsUrl: 'https://www.standardwebhooks.com/',
  userSuppliedUrl: true,
};

const DELIVERY_TIMEOUT_MS = 15_000;
/** Receivers' bodies are never shown to users; reading little of them limits blind-SSRF leakage. */
const MAX_RESPONSE_BYTES = 64 * 1024;

async function send(
  ctx: AdapterContext,
  type: string,
  data: Readonly<Record<string, unknown>>,
): Promise<{ status: number; id: string }> {
  const url = requireSetting(ctx, 'url', 'Endpoint URL');
  const secret = requireCredential(ctx, 'secret', 'Signing secret');
  const previous = ctx.credentials.previousSecret?.trim() || undefined;
  const id = `msg_${randomUUID().replace(/-/g, '')}`;
  const timestamp = Math.floor(ctx.now() / 1000);
  const body = Buffer.from(
    JSON.stringify({ type, timestamp: new Date(timestamp * 1000).toISOString(), data }),
    'utf8',
  );
  const signatures = [signWebhook(secret, id, timestamp, body)];
  if (previous !== undefined) signatures.push(signWebhook(previous, id, timestamp, body));

  const response = await ctx.http.request({
    method: 'POST',
    url,
    userSuppliedUrl: true,
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signatures.join(' '),
    },
    body,
    timeoutMs: DELIVERY_TIMEOUT_MS,
    maxResponseBytes: MAX_RESPONSE_BYTES,
    redact: [secret, previous, url],
    classify: (res) =>
      // Standard Webhooks: 410 Gone means the receiver wants no more deliveries.
      res.status === 410
        ? new OutboundNotFoundError(
            'The webhook endpoint answered 410 Gone: it no longer accepts deliveries',
            {
              status: 410,
              attempts: res.attempts,
            },
          )
        : undefined,
  });
  return { status: response.status, id };
}

/** Delivers `{type, timestamp, data}`; `type` is the payload's own `type` when it is a string. */
export const webhookAdapter: WebhookAdapter = {
  kind: 'webhook',
  catalog,
  deliver: (ctx, payload) =>
    send(ctx, typeof payload.type === 'string' ? payload.type : 'vigil.event', payload),
  test: (ctx) =>
    testDelivery(
      {
        service: 'The webhook endpoint',
        auth: 'The endpoint refused the delivery (401/403). Check that it verifies with the same signing secret.',
        notFound:
          'The endpoint answered 404 or 410. Check the URL path and that the receiver still accepts deliveries.',
      },
      async () => {
        const { status, id } = await send(ctx, 'vigil.test', {
          message: 'Test delivery from Vigil. If you can read this, signature verification worked.',
        });
        return {
          message: `The endpoint accepted a signed test event (HTTP ${status}).`,
          details: { status, id },
        };
      },
    ),
};
