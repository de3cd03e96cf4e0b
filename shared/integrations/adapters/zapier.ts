import { randomUUID } from 'node:crypto';
import { UpstreamError } from '../http/errors';
import type { AdapterContext, CatalogEntry, WebhookAdapter } from '../ports';
import { reasonedError, requireCredential, serviceWebhookUrl, testDelivery } from './notify-delivery';

/**
 * Zapier "Catch Hook" (providers-actions.md §12): the hook URL is the credential and any JSON body
 * becomes the Zap's trigger fields. Zapier answers `{"status":"success", "request_id", …}` even when
 * the Zap is off or deleted, so a success only proves Zapier received the event; the `…/silent/`
 * variant answers with an empty body. 429 and 5xx are retried with back-off, as Zapier advises.
 */

const catalog: CatalogEntry = {
  name: 'zapier',
  displayName: 'Zapier',
  category: 'webhook',
  description: 'Starts a Zap with each Vigil event through a "Webhooks by Zapier" Catch Hook.',
  fields: [
    {
      name: 'webhookUrl',
      label: 'Catch Hook URL',
      type: 'secret',
      required: true,
      placeholder: 'https://hooks.zapier.com/hooks/catch/123456/abcdef/',
      help: 'Anyone with this URL can trigger the Zap.',
    },
  ],
  freeTier: {
    perSecond: 30,
    summary:
      'About 30 requests/s per hook and 10,000 requests per 5 minutes per account; task limits depend on your Zapier plan.',
  },
  priority: 'low',
  setupGuide: [
    'In Zapier, click "Create" → "Zaps" and choose the trigger app "Webhooks by Zapier" with the event "Catch Hook".',
    'Continue; Zapier shows the webhook URL (https://hooks.zapier.com/hooks/catch/…). Copy it.',
    'In Vigil, open Integrations → Zapier, paste the URL into "Catch Hook URL", save, and click Test.',
    'Back in Zapier, click "Test trigger": the Vigil test event appears with its fields. Add your actions and publish the Zap.',
  ],
  docsUrl: 'https://help.zapier.com/hc/en-us/articles/8496288690317-Trigger-Zaps-from-webhooks',
};

const URL_SPEC = {
  service: 'Zapier',
  hosts: ['hooks.zapier.com'],
  path: /^\/hooks\/catch\/(\d+\/)?[^/]+\/?(silent\/?)?$/,
  example: 'https://hooks.zapier.com/hooks/catch/123456/abcdef/',
};

async function deliver(
  ctx: AdapterContext,
  payload: Readonly<Record<string, unknown>>,
): Promise<{ status: number; id: string }> {
  const raw = requireCredential(ctx, 'webhookUrl', 'The Zapier hook URL');
  const url = serviceWebhookUrl(ctx, raw, URL_SPEC);
  const segments = url.pathname.split('/').filter(Boolean);
  const response = await ctx.http.request({
    method: 'POST',
    url,
    body: payload,
    userSuppliedUrl: true,
    redact: [raw, ...segments.slice(2).filter((s) => s !== 'silent')],
    classify: (res) => reasonedError('Zapier', res, undefined),
  });
  const silent = url.pathname.replace(/\/$/, '').endsWith('/silent');
  if (silent && response.body.length === 0) return { status: response.status, id: `zap_${randomUUID()}` };
  const body = response.json<{ status?: string; request_id?: string; id?: string }>();
  if (body?.status !== 'success') {
    throw new UpstreamError('Zapier answered without status "success"', { status: response.status });
  }
  return { status: response.status, id: body.request_id ?? body.id ?? `zap_${randomUUID()}` };
}

export const zapierAdapter: WebhookAdapter = {
  kind: 'webhook',
  catalog,
  deliver,
  test: (ctx) =>
    testDelivery(
      {
        service: 'Zapier',
        notFound: 'Zapier does not know this hook URL. Copy it again from the Catch Hook trigger.',
      },
      async () => {
        const { id } = await deliver(ctx, {
          type: 'vigil.test',
          title: 'Vigil test event',
          severity: 'info',
          text: 'Use this event to map fields in your Zap.',
        });
        return {
          message:
            'Zapier received the test event. Zapier confirms receipt even when the Zap is off, so check the Zap history.',
          details: { requestId: id },
        };
      },
    ),
};
