import { randomUUID } from 'node:crypto';
import { UpstreamError } from '../http/errors';
import type { AdapterContext, CatalogEntry, WebhookAdapter } from '../ports';
import {
  baseUrl,
  IntegrationConfigError,
  optionalSetting,
  reasonedError,
  requireCredential,
  requireSetting,
  testDelivery,
} from './notify-delivery';

/**
 * IFTTT Webhooks ("Maker") service (providers-actions.md §13). Classic mode posts
 * `{value1, value2, value3}` — the only ingredients applets see — taken from the payload's own
 * `value1..3` when present, else its title/type, its text and the whole payload as JSON. JSON mode
 * posts the payload unchanged to `/json/with/key/…` for applets with a JSON-payload trigger. The key
 * is in the path and redacted. Success is a text body starting "Congratulations!"; a wrong event
 * name still "succeeds" (no applet runs), which the test outcome says.
 */

const catalog: CatalogEntry = {
  name: 'ifttt',
  displayName: 'IFTTT',
  category: 'webhook',
  description: 'Fires an IFTTT Webhooks event, so any applet can react to Vigil alerts.',
  fields: [
    { name: 'key', label: 'Webhooks key', type: 'secret', required: true },
    {
      name: 'event',
      label: 'Event name',
      type: 'text',
      required: true,
      placeholder: 'vigil_alert',
      help: 'Must match the event name in the applet trigger.',
    },
    {
      name: 'mode',
      label: 'Payload',
      type: 'select',
      required: false,
      options: ['values', 'json'],
      default: 'values',
      help: '"values" sends value1-3 (any applet); "json" sends the whole event (JSON-payload trigger only).',
    },
  ],
  freeTier: { summary: 'No published request limit; some IFTTT plans restrict the Webhooks service.' },
  priority: 'low',
  setupGuide: [
    'Sign in at https://ifttt.com, open https://ifttt.com/maker_webhooks and click "Connect" if needed.',
    'Click "Documentation" on that page and copy your key (the part after /use/).',
    'Create an applet: "If This" → Webhooks → "Receive a web request", and enter an event name such as vigil_alert; then add the "Then That" action (Value1 is the title, Value2 the text, Value3 the full event).',
    'In Vigil, open Integrations → IFTTT, paste the key, enter the same event name, save, and click Test.',
  ],
  docsUrl: 'https://ifttt.com/maker_webhooks',
};

function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The three ingredients for classic mode. */
export function iftttValues(payload: Readonly<Record<string, unknown>>): Record<string, string> {
  return {
    value1: text(payload.value1 ?? payload.title ?? payload.type ?? 'Vigil event'),
    value2: text(payload.value2 ?? payload.text ?? payload.summary),
    value3: text(payload.value3 ?? payload),
  };
}

async function deliver(
  ctx: AdapterContext,
  payload: Readonly<Record<string, unknown>>,
): Promise<{ status: number; id: string }> {
  const key = requireCredential(ctx, 'key', 'The IFTTT Webhooks key');
  const event = requireSetting(ctx, 'event', 'The IFTTT event name');
  if (!/^[A-Za-z0-9_-]{1,100}$/.test(event)) {
    throw new IntegrationConfigError('The IFTTT event name may only contain letters, digits, "_" and "-".');
  }
  const json = optionalSetting(ctx, 'mode') === 'json';
  const path = `/trigger/${event}${json ? '/json' : ''}/with/key/${encodeURIComponent(key)}`;
  const response = await ctx.http.request({
    method: 'POST',
    url: `${baseUrl(ctx, 'https://maker.ifttt.com')}${path}`,
    body: json ? payload : iftttValues(payload),
    redact: [key],
    classify: (res) => {
      if (res.status < 400) return undefined;
      let reason: string | undefined;
      try {
        reason = (JSON.parse(res.text()) as { errors?: { message?: string }[] }).errors?.[0]?.message;
      } catch {
        reason = undefined;
      }
      return reasonedError('IFTTT', res, reason);
    },
  });
  if (!response.text().startsWith('Congratulations!')) {
    throw new UpstreamError('IFTTT answered without its "Congratulations!" confirmation', {
      status: response.status,
    });
  }
  // IFTTT returns no id; this one identifies the delivery in Vigil's records.
  return { status: response.status, id: `ifttt_${randomUUID()}` };
}

export const iftttAdapter: WebhookAdapter = {
  kind: 'webhook',
  catalog,
  deliver,
  test: (ctx) =>
    testDelivery(
      {
        service: 'IFTTT',
        auth: 'IFTTT says the Webhooks key is invalid. Copy it again from the Webhooks documentation page.',
      },
      async () => {
        await deliver(ctx, {
          type: 'vigil.test',
          title: 'Vigil test event',
          text: 'IFTTT can receive Vigil events.',
        });
        return {
          message:
            'IFTTT accepted the event. IFTTT also accepts event names no applet uses, so check that your applet ran.',
        };
      },
    ),
};
