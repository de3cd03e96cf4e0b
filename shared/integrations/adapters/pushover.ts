import { OutboundAuthError, QuotaExhaustedError, UpstreamError } from '../http/errors';
import type { OutboundResponse } from '../http/outbound';
import type { AdapterContext, CatalogEntry, NotificationAdapter, OutboundMessage } from '../ports';
import { baseUrl, optionalSetting, reasonedError, requireCredential, testDelivery } from './notify-delivery';
import { fieldEntries, headline, LIMITS, severityStyle, truncate } from './notify-format';

/**
 * Pushover `POST /1/messages.json` (providers-actions.md §4): form body with the application
 * `token` and the `user` (or group) key, priority from the severity (critical is an emergency that
 * repeats every 60 s for up to an hour until acknowledged). Failures are `status` ≠ 1 with an
 * `errors` array and a key per bad field; the monthly application quota ends in 429 and is
 * reported as `QuotaExhaustedError` with the reset time from `X-Limit-App-Reset`. Pushover asks
 * for at least 5 s between retries, which the client's jittered back-off cannot promise, so this
 * adapter makes one attempt and leaves retrying to the queue's delayed redelivery.
 */

const EMERGENCY_RETRY_SECONDS = 60;
const EMERGENCY_EXPIRE_SECONDS = 3600;

const catalog: CatalogEntry = {
  name: 'pushover',
  displayName: 'Pushover',
  category: 'notification',
  description:
    'Push notifications to phones and desktops; critical alerts are emergencies that repeat until acknowledged.',
  fields: [
    {
      name: 'token',
      label: 'Application API token',
      type: 'secret',
      required: true,
      help: '30 characters, from the application you register for Vigil.',
    },
    {
      name: 'user',
      label: 'User or group key',
      type: 'secret',
      required: true,
      help: '30 characters, shown on your Pushover dashboard (or a delivery group key).',
    },
    {
      name: 'device',
      label: 'Device name',
      type: 'text',
      required: false,
      help: 'Only send to this device.',
    },
    { name: 'sound', label: 'Sound', type: 'text', required: false, placeholder: 'siren' },
  ],
  freeTier: {
    perMonth: 10_000,
    summary:
      '10,000 messages per month per application (X-Limit-App-* headers); devices need a one-time licence.',
  },
  priority: 'medium',
  setupGuide: [
    'Sign in at https://pushover.net and copy "Your User Key" from the dashboard (or create a delivery group and copy its key).',
    'Click "Create an Application/API Token", name it Vigil, accept the terms and click "Create Application".',
    'Copy the application "API Token/Key".',
    'In Vigil, open Integrations → Pushover, paste the API token and the user key, optionally a device name, save, and click Test.',
  ],
  docsUrl: 'https://pushover.net/api',
};

/** The form parameters for one message (without credentials). */
export function pushoverParams(message: OutboundMessage, nowMs: number): Record<string, string> {
  const style = severityStyle(message.severity);
  const limits = LIMITS.pushover;
  const fields = fieldEntries(message).map(([key, value]) => `${key}: ${value}`);
  const body = [message.text, ...(fields.length > 0 ? ['', ...fields] : [])].join('\n').trim();
  const params: Record<string, string> = {
    title: truncate(`${style.emoji} ${headline(message)}`, limits.title),
    message: truncate(body === '' ? headline(message) : body, limits.message),
    priority: String(style.pushoverPriority),
    timestamp: String(Math.floor(nowMs / 1000)),
  };
  if (style.pushoverPriority === 2) {
    params.retry = String(EMERGENCY_RETRY_SECONDS);
    params.expire = String(EMERGENCY_EXPIRE_SECONDS);
  }
  if (message.url && message.url.length <= limits.url) {
    params.url = message.url;
    params.url_title = truncate('Open in Vigil', limits.urlTitle);
  }
  return params;
}

interface PushoverReply {
  status?: number;
  request?: string;
  receipt?: string;
  errors?: string[];
  token?: string;
  user?: string;
}

function header(res: { headers: Record<string, string | string[] | undefined> }, name: string) {
  const value = res.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function classify(res: OutboundResponse) {
  let body: PushoverReply | undefined;
  try {
    body = JSON.parse(res.text()) as PushoverReply;
  } catch {
    body = undefined;
  }
  if (res.status === 200 && body?.status === 1) return undefined;
  const reason = body?.errors?.join('; ');
  const details = { status: res.status, attempts: res.attempts, response: res };
  if (res.status === 429) {
    const reset = Number(header(res, 'x-limit-app-reset'));
    return new QuotaExhaustedError(`Pushover answered 429 (${reason ?? 'monthly message limit reached'})`, {
      ...details,
      ...(Number.isFinite(reset) && reset > 0 ? { resetsAt: new Date(reset * 1000) } : {}),
    });
  }
  // Bad credentials come back as 400 with the offending field marked "invalid".
  if (body?.token === 'invalid' || body?.user === 'invalid') {
    return new OutboundAuthError(
      `Pushover answered ${res.status} (${reason ?? 'invalid credentials'})`,
      details,
    );
  }
  if (res.status === 200) {
    return body === undefined
      ? undefined
      : new UpstreamError('Pushover answered 200 with status ≠ 1', details);
  }
  return reasonedError('Pushover', res, reason);
}

async function post(
  ctx: AdapterContext,
  message: OutboundMessage,
): Promise<{ id: string; limit?: number; remaining?: number }> {
  const token = requireCredential(ctx, 'token', 'The Pushover application token');
  const user = requireCredential(ctx, 'user', 'The Pushover user key');
  const params = new URLSearchParams({ token, user, ...pushoverParams(message, ctx.now()) });
  const device = optionalSetting(ctx, 'device');
  const sound = optionalSetting(ctx, 'sound');
  if (device) params.set('device', device);
  if (sound) params.set('sound', sound);
  const response = await ctx.http.request({
    method: 'POST',
    url: `${baseUrl(ctx, 'https://api.pushover.net')}/1/messages.json`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: params.toString(),
    retry: { attempts: 1 },
    redact: [token, user],
    classify,
  });
  const reply = response.json<PushoverReply>();
  const id = reply.receipt ?? reply.request;
  if (typeof id !== 'string')
    throw new UpstreamError('Pushover answered without a request id', { status: 200 });
  const limit = Number(header(response, 'x-limit-app-limit'));
  const remaining = Number(header(response, 'x-limit-app-remaining'));
  return {
    id,
    ...(Number.isFinite(limit) ? { limit } : {}),
    ...(Number.isFinite(remaining) ? { remaining } : {}),
  };
}

export const pushoverAdapter: NotificationAdapter = {
  kind: 'notification',
  catalog,
  send: async (ctx, message) => ({ id: (await post(ctx, message)).id }),
  test: (ctx) =>
    testDelivery(
      {
        service: 'Pushover',
        auth: 'Pushover rejected the application token or the user key. Copy both again from pushover.net.',
        badRequest: 'Pushover refused the test message. Check the device name, if you set one.',
      },
      async () => {
        const { limit, remaining } = await post(ctx, {
          title: 'Vigil test message',
          text: 'Vigil can send you push notifications.',
          severity: 'info',
        });
        const quota =
          remaining !== undefined && limit !== undefined
            ? ` ${remaining} of ${limit} messages left this month.`
            : '';
        return {
          message: `Pushover accepted the test message.${quota}`,
          details: { quotaLimit: limit, quotaRemaining: remaining },
        };
      },
    ),
};
