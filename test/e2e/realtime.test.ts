import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type LocalStackProcess, startLocalStackProcess } from '../support/local-stack';

/** Collects a client's messages and waits for the first one matching `predicate`. */
function inbox(ws: WebSocket) {
  const messages: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  ws.on('message', (data) => {
    messages.push(JSON.parse(String(data)));
    for (const wake of waiters.splice(0)) wake();
  });
  return {
    messages,
    async next(predicate: (m: Record<string, unknown>) => boolean, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = messages.find(predicate);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no matching message; got ${JSON.stringify(messages)}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
    },
  };
}

async function open(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  return ws;
}

describe('local target: realtime', () => {
  let stack: LocalStackProcess;

  beforeAll(async () => {
    stack = await startLocalStackProcess();
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('delivers a bus event to a subscribed WebSocket client through queue, dispatcher and PostToConnection', async () => {
    const ws = await open(stack.wsUrl);
    const box = inbox(ws);
    ws.send(JSON.stringify({ action: 'subscribe', topics: ['events'] }));
    await box.next((m) => m.type === 'subscribed');

    const put = await fetch(`${stack.httpUrl}/dev/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        source: 'vigil.e2e',
        detailType: 'E2E Ping',
        detail: { tenantId: 'demo', n: 42 },
      }),
    });
    const pushed = await box.next((m) => m.type === 'message');
    ws.close();

    expect(put.status).toBe(202);
    expect(pushed).toMatchObject({
      topic: 'events',
      data: { source: 'vigil.e2e', detailType: 'E2E Ping', detail: { tenantId: 'demo', n: 42 } },
    });
  });

  it('does not deliver another tenant’s events', async () => {
    const ws = await open(stack.wsUrl);
    const box = inbox(ws);
    ws.send(JSON.stringify({ action: 'subscribe', topics: ['events'] }));
    await box.next((m) => m.type === 'subscribed');

    await fetch(`${stack.httpUrl}/dev/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        source: 'vigil.e2e',
        detailType: 'Other',
        detail: { tenantId: 'someone-else' },
      }),
    });
    await fetch(`${stack.httpUrl}/dev/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ source: 'vigil.e2e', detailType: 'Mine', detail: { tenantId: 'demo' } }),
    });
    await box.next((m) => m.type === 'message' && (m.data as { detailType: string }).detailType === 'Mine');
    ws.close();

    expect(
      box.messages
        .filter((m) => m.type === 'message')
        .map((m) => (m.data as { detailType: string }).detailType),
    ).toEqual(['Mine']);
  });

  it('answers ping and rejects malformed frames without dropping the connection', async () => {
    const ws = await open(stack.wsUrl);
    const box = inbox(ws);

    ws.send('{not json');
    const error = await box.next((m) => m.type === 'error');
    ws.send(JSON.stringify({ action: 'ping' }));
    const pong = await box.next((m) => m.type === 'pong');
    ws.close();

    expect(error.code).toBe('malformed_json');
    expect(pong.time).toBeTruthy();
  });

  it('authenticates $connect with an access token and delivers only that tenant’s events', async () => {
    const signup = await fetch(`${stack.httpUrl}/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        tenantName: 'WS Tenant',
        email: 'ws@tenant.test',
        password: 'correct horse battery staple',
        name: 'W',
      }),
    }).then((r) => r.json() as Promise<{ accessToken: string; tenantId: string }>);
    const refused = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${stack.wsUrl}?token=not.a.token`);
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('open', () => resolve(101));
    });
    const ws = new WebSocket(stack.wsUrl, ['vigil', signup.accessToken]);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const box = inbox(ws);
    ws.send(JSON.stringify({ action: 'subscribe', topics: ['events'] }));
    await box.next((m) => m.type === 'subscribed');

    for (const tenantId of ['demo', signup.tenantId]) {
      await fetch(`${stack.httpUrl}/dev/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ source: 'vigil.e2e', detailType: `For ${tenantId}`, detail: { tenantId } }),
      });
    }
    await box.next(
      (m) =>
        m.type === 'message' && (m.data as { detailType: string }).detailType === `For ${signup.tenantId}`,
    );
    ws.close();

    expect(refused).toBe(401);
    expect(ws.protocol).toBe('vigil');
    expect(
      box.messages
        .filter((m) => m.type === 'message')
        .map((m) => (m.data as { detailType: string }).detailType),
    ).toEqual([`For ${signup.tenantId}`]);
  });
});
