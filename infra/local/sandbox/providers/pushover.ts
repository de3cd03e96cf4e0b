import type { FakeHandler, FakeReply } from '../fake-http';

/**
 * Pushover `POST /1/messages.json` as it answers (providers-actions.md §4): form (or JSON) body;
 * 200 `{status:1, request}` (plus `receipt` for priority 2); 400 `{<field>:"invalid"|…, errors:[…],
 * status:0, request}` for a missing/`invalid-key` token or user, a blank or too-long message, and
 * priority 2 without valid `retry` (≥ 30) and `expire` (≤ 10800). Every answer carries
 * `X-Limit-App-Limit/Remaining/Reset`; the fake counts down from `monthlyLimit` (10,000) and answers
 * 429 "application reached monthly message limit" once it is used up.
 */

const randomId = (length: number) =>
  Array.from({ length }, () => 'abcdefghijklmnopqrstuvwxyz0123456789'[Math.floor(Math.random() * 36)]).join(
    '',
  );

export function fakePushover(options: { monthlyLimit?: number } = {}): FakeHandler {
  const limit = options.monthlyLimit ?? 10_000;
  let remaining = limit;
  return (request) => {
    const now = new Date();
    const reset = Math.floor(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1) / 1000);
    const headers = {
      'x-limit-app-limit': String(limit),
      'x-limit-app-remaining': String(remaining),
      'x-limit-app-reset': String(reset),
    };
    const requestId = `${randomId(8)}-${randomId(4)}-${randomId(4)}-${randomId(4)}-${randomId(12)}`;
    const fail = (status: number, field: string, value: string, error: string): FakeReply => ({
      status,
      headers,
      body: { [field]: value, errors: [error], status: 0, request: requestId },
    });
    if (request.path !== '/1/messages.json' || request.method !== 'POST') {
      return { status: 404, headers, body: { errors: ['not found'], status: 0, request: requestId } };
    }
    const isJson = String(request.headers['content-type'] ?? '').includes('application/json');
    const params = new Map<string, string>(
      isJson
        ? Object.entries((request.json() as Record<string, unknown>) ?? {}).map(([k, v]) => [k, String(v)])
        : [...request.form()],
    );
    const token = params.get('token') ?? '';
    const user = params.get('user') ?? '';
    const message = params.get('message') ?? '';
    if (token === '' || token === 'invalid-key')
      return fail(400, 'token', 'invalid', 'application token is invalid');
    if (user === '' || user === 'invalid-key') {
      return fail(
        400,
        'user',
        'invalid',
        'user identifier is not a valid user, group, or subscribed user key',
      );
    }
    if (message.trim() === '') return fail(400, 'message', 'cannot be blank', 'message cannot be blank');
    if (message.length > 1024) {
      return fail(400, 'message', 'is too long', 'message cannot be longer than 1024 characters');
    }
    if ((params.get('title') ?? '').length > 250) {
      return fail(400, 'title', 'is too long', 'title cannot be longer than 250 characters');
    }
    const priority = Number(params.get('priority') ?? '0');
    if (priority === 2) {
      const retry = Number(params.get('retry'));
      const expire = Number(params.get('expire'));
      if (!Number.isFinite(retry) || retry < 30) {
        return fail(
          400,
          'retry',
          'invalid',
          'retry is required and must be at least 30 seconds for priority 2',
        );
      }
      if (!Number.isFinite(expire) || expire > 10_800 || expire <= 0) {
        return fail(
          400,
          'expire',
          'invalid',
          'expire is required and must be at most 10800 seconds for priority 2',
        );
      }
    }
    if (remaining <= 0) {
      return {
        status: 429,
        headers,
        body: { errors: ['application reached monthly message limit'], status: 0, request: requestId },
      };
    }
    remaining -= 1;
    headers['x-limit-app-remaining'] = String(remaining);
    return {
      status: 200,
      headers,
      body: { status: 1, request: requestId, ...(priority === 2 ? { receipt: randomId(30) } : {}) },
    };
  };
}
