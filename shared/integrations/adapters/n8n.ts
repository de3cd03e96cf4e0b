import { randomUUID } from 'node:crypto';
import { OutboundAuthError, OutboundNotFoundError } from '../http/errors';
import type { OutboundResponse } from '../http/outbound';
import type { AdapterContext, CatalogEntry, WebhookAdapter } from '../ports';
import {
  IntegrationConfigError,
  optionalSetting,
  requireSetting,
  safeReason,
  testDelivery,
} from './notify-delivery';

/**
 * n8n Webhook trigger node (providers-actions.md §14) on a self-hosted or cloud n8n: the URL is the
 * user's (SSRF policy applies) and its random path acts as a secret, so path segments are redacted.
 * Optional header auth sends the configured header name and value. n8n answers 200
 * `{"message":"Workflow was started"}` by default; 404 means the workflow is inactive, the path is
 * wrong or the node expects another method; 401/403 are header-auth failures.
 */

const catalog: CatalogEntry = {
  name: 'n8n',
  displayName: 'n8n',
  category: 'webhook',
  description: 'Starts an n8n workflow with each Vigil event through a Webhook trigger node.',
  fields: [
    {
      name: 'url',
      label: 'Production webhook URL',
      type: 'url',
      required: true,
      placeholder: 'https://n8n.example.com/webhook/…',
      help: 'Public HTTPS URL of the Webhook node (the workflow must be active).',
    },
    {
      name: 'headerName',
      label: 'Auth header name',
      type: 'text',
      required: false,
      placeholder: 'X-Vigil-Token',
      help: 'Only if the Webhook node uses Header Auth.',
    },
    { name: 'headerValue', label: 'Auth header value', type: 'secret', required: false },
  ],
  freeTier: { summary: 'No built-in limit; your n8n instance or its proxy may throttle.' },
  priority: 'low',
  setupGuide: [
    'In n8n, create a workflow and add a "Webhook" trigger node; set "HTTP Method" to POST.',
    'Optionally set "Authentication" to "Header Auth" and create a credential with a header name and a long random value.',
    'Copy the node\'s "Production URL" (…/webhook/…), finish the workflow and activate it (the production URL only works while it is active).',
    'In Vigil, open Integrations → n8n, paste the production URL and, if used, the header name and value; save, and click Test.',
  ],
  docsUrl: 'https://docs.n8n.io/integrations/builtin/core-nodes/n8n-nodes-base.webhook/',
  userSuppliedUrl: true,
};

const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

function classify(res: OutboundResponse) {
  if (res.status !== 401 && res.status !== 403 && res.status !== 404) return undefined;
  let reason: string | undefined = res.text();
  try {
    reason = (JSON.parse(reason) as { message?: string }).message ?? reason;
  } catch {
    // Auth failures are plain text.
  }
  const details = { status: res.status, attempts: res.attempts, response: res };
  const what = `n8n answered ${res.status}${reason ? ` (${safeReason(reason)})` : ''}`;
  return res.status === 404
    ? new OutboundNotFoundError(`${what}: workflow not active or webhook not registered`, details)
    : new OutboundAuthError(`${what}: header auth rejected`, details);
}

async function deliver(
  ctx: AdapterContext,
  payload: Readonly<Record<string, unknown>>,
): Promise<{ status: number; id: string }> {
  const url = requireSetting(ctx, 'url', 'The n8n webhook URL');
  const headerName = optionalSetting(ctx, 'headerName');
  const headerValue = ctx.credentials.headerValue || undefined;
  if ((headerName === undefined) !== (headerValue === undefined)) {
    throw new IntegrationConfigError('Give both the auth header name and its value, or neither.');
  }
  if (headerName !== undefined && !HEADER_NAME.test(headerName)) {
    throw new IntegrationConfigError('The auth header name may not contain spaces or special characters.');
  }
  let segments: string[] = [];
  try {
    segments = new URL(url).pathname.split('/').filter((s) => s.length >= 8);
  } catch {
    // The client rejects an invalid URL with a user-facing SSRF error.
  }
  const response = await ctx.http.request({
    method: 'POST',
    url,
    headers: headerName !== undefined ? { [headerName.toLowerCase()]: headerValue } : {},
    body: payload,
    userSuppliedUrl: true,
    redact: [headerValue, url, ...segments],
    classify,
  });
  // n8n returns no delivery id by default; this one identifies the delivery in Vigil's records.
  return { status: response.status, id: `n8n_${randomUUID()}` };
}

export const n8nAdapter: WebhookAdapter = {
  kind: 'webhook',
  catalog,
  deliver,
  test: (ctx) =>
    testDelivery(
      {
        service: 'n8n',
        auth: 'n8n rejected the auth header. Check the header name and value match the Webhook node credential.',
        notFound:
          'n8n says this webhook is not registered. Activate the workflow, use the production URL (not webhook-test) and set the node method to POST.',
      },
      async () => {
        const { status } = await deliver(ctx, { type: 'vigil.test', text: 'n8n can receive Vigil events.' });
        return { message: `n8n accepted the test event (HTTP ${status}).` };
      },
    ),
};
