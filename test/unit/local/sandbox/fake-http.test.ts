import { afterEach, describe, expect, it } from 'vitest';
import { type FakeServer, startFakeServer } from '../../../../infra/local/sandbox/fake-http';
import { json } from '../../../support/http';

const normal = { status: 200, body: { ok: true } };

describe('sandbox fake control endpoint', () => {
  let fake: FakeServer | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });
  const start = async (options: Parameters<typeof startFakeServer>[1] = { control: true }) => {
    fake = await startFakeServer(() => normal, options);
    return fake;
  };
  const addRule = async (url: string, rule: unknown) =>
    fetch(`${url}/__sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(rule),
    });

  it('answers with a rule matching the query for `times` requests, then with the fake again', async () => {
    const { url } = await start();
    const added = await addRule(url, {
      match: '45.133.1.78',
      status: 429,
      headers: { 'retry-after': '2' },
      body: { errors: ['slow down'] },
      times: 2,
    });

    const answers = [];
    for (let i = 0; i < 3; i += 1) {
      const res = await fetch(`${url}/api/check?ipAddress=45.133.1.78`);
      answers.push({ status: res.status, retryAfter: res.headers.get('retry-after'), body: await json(res) });
    }
    const other = await fetch(`${url}/api/check?ipAddress=45.133.1.79`);

    expect(added.status).toBe(201);
    expect((await json(added)).id).toEqual(expect.any(String));
    expect(answers).toEqual([
      { status: 429, retryAfter: '2', body: { errors: ['slow down'] } },
      { status: 429, retryAfter: '2', body: { errors: ['slow down'] } },
      { status: 200, retryAfter: null, body: { ok: true } },
    ]);
    expect(other.status).toBe(200);
  });

  it('matches on the request body and, without `times`, keeps answering', async () => {
    const { url } = await start();
    await addRule(url, { match: 'evil.example.net', status: 503 });
    const post = (value: string) =>
      fetch(`${url}/api/v1/search`, { method: 'POST', body: JSON.stringify({ query: value }) });

    const statuses = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await post('evil.example.net')).status);
    const clean = await post('good.example.org');

    expect(statuses).toEqual([503, 503, 503, 503]);
    expect(clean.status).toBe(200);
  });

  it('lists rules with how often each fired, and clears them', async () => {
    const { url } = await start();
    await addRule(url, { match: '1.2.3.4', status: 500, times: 1 });
    await addRule(url, { match: '5.6.7.8', status: 502 });
    await fetch(`${url}/ip/1.2.3.4`);
    await fetch(`${url}/ip/1.2.3.4`);
    await fetch(`${url}/ip/5.6.7.8`);

    const listed = await json(await fetch(`${url}/__sandbox/faults`));
    const cleared = await fetch(`${url}/__sandbox/faults`, { method: 'DELETE' });
    const after = await json(await fetch(`${url}/__sandbox/faults`));
    const unfaulted = await fetch(`${url}/ip/5.6.7.8`);

    expect(listed.rules).toEqual([
      expect.objectContaining({ match: '1.2.3.4', status: 500, times: 1, fired: 1 }),
      expect.objectContaining({ match: '5.6.7.8', status: 502, fired: 1 }),
    ]);
    expect(cleared.status).toBe(204);
    expect(after.rules).toEqual([]);
    expect(unfaulted.status).toBe(200);
  });

  it('reports the requests seen for a match with their time, and never records control calls', async () => {
    const server = await start();
    const before = Date.now();
    await addRule(server.url, { match: '9.9.9.9', status: 503, times: 1 });
    await fetch(`${server.url}/ip/9.9.9.9`);
    await fetch(`${server.url}/lookup?q=9.9.9.9`);
    await fetch(`${server.url}/ip/8.8.8.8`);

    const seen = await json(await fetch(`${server.url}/__sandbox/requests?match=9.9.9.9`));

    expect(seen.count).toBe(2);
    expect(seen.requests).toEqual([
      { method: 'GET', path: '/ip/9.9.9.9', at: expect.any(Number) },
      { method: 'GET', path: '/lookup', query: '?q=9.9.9.9', at: expect.any(Number) },
    ]);
    expect(seen.requests[0].at).toBeGreaterThanOrEqual(before);
    expect(server.requests.map((r) => r.path)).toEqual(['/ip/9.9.9.9', '/lookup', '/ip/8.8.8.8']);
  });

  it('refuses a malformed rule and a rule past the limit', async () => {
    const { url } = await start();
    const malformed = await addRule(url, { match: '', status: 42 });
    const badHeader = await addRule(url, { match: 'x', status: 500, headers: { 'bad header': 'v' } });
    for (let i = 0; i < 1000; i += 1) await addRule(url, { match: `m${i}`, status: 500 });
    const over = await addRule(url, { match: 'one-too-many', status: 500 });

    expect(malformed.status).toBe(400);
    expect(badHeader.status).toBe(400);
    expect(over.status).toBe(409);
  });

  it('keeps only the most recent requests when maxRequests is set', async () => {
    const server = await start({ control: true, maxRequests: 2 });
    for (const n of [1, 2, 3]) await fetch(`${server.url}/n/${n}`);

    const seen = await json(await fetch(`${server.url}/__sandbox/requests`));

    expect(server.requests.map((r) => r.path)).toEqual(['/n/2', '/n/3']);
    expect(seen.count).toBe(2);
  });

  it('leaves /__sandbox paths to the fake itself when control is off', async () => {
    const server = await start({});
    const res = await fetch(`${server.url}/__sandbox/faults`, { method: 'POST', body: '{}' });

    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ ok: true });
    expect(server.requests).toHaveLength(1);
  });
});
