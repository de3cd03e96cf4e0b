import { afterEach, describe, expect, it } from 'vitest';
import {
  OutboundAuthError,
  OutboundBadRequestError,
  OutboundNotFoundError,
  OutboundRateLimitedError,
  OutboundRedirectError,
  OutboundTimeoutError,
  QuotaExhaustedError,
  UpstreamError,
} from '../../../../shared/integrations/http/errors';
import {
  createOutboundClient,
  type OutboundClientOptions,
  retryAfterMs,
} from '../../../../shared/integrations/http/outbound';
import { type FakeServer, recordingLogger, startFakeServer } from './fake-server';

const servers: FakeServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function fake(handler: Parameters<typeof startFakeServer>[0]): Promise<FakeServer> {
  const server = await startFakeServer(handler);
  servers.push(server);
  return server;
}

/** A client that may reach 127.0.0.1 (the allow-list), never really sleeps, and records logs. */
function testClient(overrides: OutboundClientOptions = {}) {
  const logger = recordingLogger();
  const sleeps: number[] = [];
  const client = createOutboundClient({
    logger,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    retry: { attempts: 3, baseDelayMs: 100, maxDelayMs: 1_000 },
    ssrf: { allowHttp: true, allowList: ['127.0.0.1'] },
    ...overrides,
  });
  return { client, logger, sleeps };
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

describe('outbound client against a local server', () => {
  it('returns status, headers, body and parsed JSON of a successful call', async () => {
    const server = await fake((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-trace': 'abc' });
      res.end(JSON.stringify({ verdict: 'malicious' }));
    });
    const { client, logger } = testClient();

    const res = await client.request({
      method: 'post',
      url: `${server.url}/api/v2/check`,
      query: { ipAddress: '8.8.8.8', verbose: true, skip: undefined },
      headers: { accept: 'application/json' },
      body: { indicator: '8.8.8.8' },
      userSuppliedUrl: true,
    });

    expect(res.status).toBe(200);
    expect(res.attempts).toBe(1);
    expect(res.headers['x-trace']).toBe('abc');
    expect(res.json<{ verdict: string }>()).toEqual({ verdict: 'malicious' });
    expect(res.text()).toBe('{"verdict":"malicious"}');
    expect(server.requests).toHaveLength(1);
    const seen = server.requests[0];
    expect(seen?.method).toBe('POST');
    expect(seen?.url).toBe('/api/v2/check?ipAddress=8.8.8.8&verbose=true');
    expect(seen?.headers['content-type']).toBe('application/json');
    expect(seen?.headers['user-agent']).toMatch(/^Vigil\//);
    expect(seen?.headers.host).toBe(`127.0.0.1:${server.port}`);
    expect(JSON.parse(seen?.body ?? '')).toEqual({ indicator: '8.8.8.8' });
    expect(logger.lines).toEqual([
      {
        level: 'info',
        message: 'outbound request',
        attributes: expect.objectContaining({
          method: 'POST',
          host: `127.0.0.1:${server.port}`,
          path: '/api/v2/check?ipAddress=8.8.8.8&verbose=true',
          status: 200,
          attempt: 1,
        }),
      },
    ]);
  });

  it('times out when the server never answers', async () => {
    const server = await fake(() => {
      // Never respond.
    });
    const { client } = testClient();

    const error = await rejection(
      client.request({ method: 'GET', url: `${server.url}/slow`, timeoutMs: 100, retry: { attempts: 1 } }),
    );

    expect(error).toBeInstanceOf(OutboundTimeoutError);
    expect(error).toMatchObject({ kind: 'timeout', timeoutMs: 100 });
    expect(error.message).toContain('timed out after 100 ms');
  });

  it('counts the body read against the deadline', async () => {
    const server = await fake((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"partial":'); // ...and stall before the rest.
    });
    const { client } = testClient();

    const error = await rejection(
      client.request({ method: 'GET', url: server.url, timeoutMs: 150, retry: { attempts: 1 } }),
    );

    expect(error).toBeInstanceOf(OutboundTimeoutError);
  });

  it('aborts a body larger than the limit, declared or streamed', async () => {
    const declared = await fake((_req, res) => {
      res.writeHead(200, { 'content-length': '5000' });
      res.end('x'.repeat(5000));
    });
    const streamed = await fake((_req, res) => {
      res.writeHead(200); // chunked: no content-length to check up front
      for (let i = 0; i < 10; i += 1) res.write('y'.repeat(500));
      res.end();
    });
    const { client } = testClient();

    for (const server of [declared, streamed]) {
      const error = await rejection(
        client.request({ method: 'GET', url: server.url, maxResponseBytes: 1000, retry: { attempts: 1 } }),
      );
      expect(error).toBeInstanceOf(UpstreamError);
      expect(error.message).toContain('larger than the 1000-byte limit');
    }
  });

  it('waits out a short Retry-After in seconds and then succeeds', async () => {
    const server = await fake((_req, res, index) => {
      if (index === 0) res.writeHead(429, { 'retry-after': '2' }).end();
      else res.writeHead(200).end('ok');
    });
    const { client, sleeps } = testClient();

    const res = await client.request({ method: 'GET', url: server.url });

    expect(res.text()).toBe('ok');
    expect(res.attempts).toBe(2);
    expect(sleeps).toEqual([2000]);
    expect(server.requests).toHaveLength(2);
  });

  it('throws rate_limited instead of sleeping through a long Retry-After', async () => {
    const server = await fake((_req, res) => {
      res.writeHead(429, { 'retry-after': '3600' }).end();
    });
    const { client, sleeps } = testClient({ maxRetryWaitMs: 10_000 });

    const error = await rejection(client.request({ method: 'GET', url: server.url }));

    expect(error).toBeInstanceOf(OutboundRateLimitedError);
    expect(error).toMatchObject({ kind: 'rate_limited', retryAfterSeconds: 3600, status: 429, attempts: 1 });
    expect(sleeps).toEqual([]);
    expect(server.requests).toHaveLength(1);
  });

  it('honours Retry-After as an HTTP date: waits when short, defers when long', async () => {
    const fixedNow = Date.UTC(2025, 0, 15, 12, 0, 0);
    let waitSeconds = 3;
    const server = await fake((_req, res, index) => {
      if (index % 2 === 0) {
        res.writeHead(429, { 'retry-after': new Date(fixedNow + waitSeconds * 1000).toUTCString() }).end();
      } else res.writeHead(200).end('ok');
    });
    const { client, sleeps } = testClient({ now: () => fixedNow, maxRetryWaitMs: 60_000 });

    const res = await client.request({ method: 'GET', url: server.url });
    expect(res.status).toBe(200);
    expect(sleeps).toEqual([3000]);

    waitSeconds = 7200;
    const error = await rejection(client.request({ method: 'GET', url: server.url }));
    expect(error).toBeInstanceOf(OutboundRateLimitedError);
    expect((error as OutboundRateLimitedError).retryAfterSeconds).toBe(7200);
    expect(sleeps).toEqual([3000]);
  });

  it('reports rate_limited with the server-given wait when attempts run out', async () => {
    const server = await fake((_req, res) => {
      res.writeHead(429, { 'x-ratelimit-reset-after': '1.5' }).end();
    });
    const { client, sleeps } = testClient();

    const error = await rejection(client.request({ method: 'GET', url: server.url, retry: { attempts: 2 } }));

    expect(error).toBeInstanceOf(OutboundRateLimitedError);
    expect(error).toMatchObject({ retryAfterSeconds: 2, attempts: 2 });
    expect(sleeps).toEqual([1500]);
  });

  it('retries 502/503/504 with full-jitter exponential back-off, then raises upstream', async () => {
    const statuses = [502, 504, 503];
    const server = await fake((_req, res, index) => {
      res.writeHead(statuses[index] ?? 503).end();
    });
    const { client, sleeps } = testClient();

    const error = await rejection(client.request({ method: 'GET', url: server.url }));

    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ kind: 'upstream', status: 503, attempts: 3, retryable: true });
    expect(server.requests).toHaveLength(3);
    // random() = 0.5 of min(1000, 100 * 2^(n-1)).
    expect(sleeps).toEqual([50, 100]);
  });

  it('defers a 503 whose Retry-After is longer than the client waits', async () => {
    const server = await fake((_req, res) => {
      res.writeHead(503, { 'retry-after': '120' }).end();
    });
    const { client, sleeps } = testClient();

    const error = await rejection(client.request({ method: 'GET', url: server.url }));

    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ status: 503, retryAfterSeconds: 120, retryable: true });
    expect(sleeps).toEqual([]);
    expect(server.requests).toHaveLength(1);
  });

  it('does not retry a timed-out attempt (its effect upstream is unknown)', async () => {
    const server = await fake(() => {
      // Never respond.
    });
    const { client } = testClient();

    const error = await rejection(client.request({ method: 'POST', url: server.url, timeoutMs: 80 }));

    expect(error).toBeInstanceOf(OutboundTimeoutError);
    expect(server.requests).toHaveLength(1);
  });

  it('does not retry a plain 500', async () => {
    const server = await fake((_req, res) => {
      res.writeHead(500).end('boom');
    });
    const { client } = testClient();

    const error = await rejection(client.request({ method: 'GET', url: server.url }));

    expect(error).toBeInstanceOf(UpstreamError);
    expect(server.requests).toHaveLength(1);
  });

  it('retries a reset connection and succeeds on the next attempt', async () => {
    const server = await fake((req, res, index) => {
      if (index === 0) req.socket.destroy();
      else res.writeHead(200).end('recovered');
    });
    const { client, sleeps } = testClient();

    const res = await client.request({ method: 'GET', url: server.url });

    expect(res.text()).toBe('recovered');
    expect(res.attempts).toBe(2);
    expect(sleeps).toHaveLength(1);
  });

  it.each([
    [401, OutboundAuthError, 'auth'],
    [403, OutboundAuthError, 'auth'],
    [404, OutboundNotFoundError, 'not_found'],
    [400, OutboundBadRequestError, 'bad_request'],
    [422, OutboundBadRequestError, 'bad_request'],
  ])('maps %i to a %s without retrying', async (status, ErrorClass, kind) => {
    const server = await fake((_req, res) => {
      res.writeHead(status).end('{"error":"nope"}');
    });
    const { client } = testClient();

    const error = await rejection(client.request({ method: 'GET', url: server.url }));

    expect(error).toBeInstanceOf(ErrorClass);
    expect(error).toMatchObject({ kind, status, attempts: 1 });
    expect((error as UpstreamError).response?.body.toString()).toBe('{"error":"nope"}');
    expect(server.requests).toHaveLength(1);
  });

  it('raises upstream for a body that is not JSON', async () => {
    const server = await fake((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('<html>maintenance</html>');
    });
    const { client } = testClient();

    const res = await client.request({ method: 'GET', url: server.url });

    expect(() => res.json()).toThrow(UpstreamError);
    expect(() => res.json()).toThrow(/malformed JSON/);
  });

  it('does not follow redirects, even to an allowed host', async () => {
    const target = await fake((_req, res) => {
      res.writeHead(200).end('followed');
    });
    const server = await fake((_req, res) => {
      res.writeHead(302, { location: `${target.url}/elsewhere` }).end();
    });
    const { client } = testClient();

    const error = await rejection(client.request({ method: 'POST', url: server.url, body: 'hi' }));

    expect(error).toBeInstanceOf(OutboundRedirectError);
    expect(error).toBeInstanceOf(OutboundBadRequestError);
    expect(error.message).toContain('redirects are not followed');
    expect((error as OutboundRedirectError).location).toBe(`${target.url}/elsewhere`);
    expect(target.requests).toHaveLength(0);
  });

  it('lets the adapter classify a 200 as quota exhausted, without retrying', async () => {
    const server = await fake((_req, res) => {
      res.writeHead(200).end('{"success":false,"message":"You have exceeded your request quota"}');
    });
    const { client } = testClient();

    const error = await rejection(
      client.request({
        method: 'GET',
        url: server.url,
        classify: (res) => {
          const body = res.json<{ success: boolean }>();
          return body.success
            ? undefined
            : new QuotaExhaustedError('IPQS credits are used up', { status: res.status });
        },
      }),
    );

    expect(error).toBeInstanceOf(QuotaExhaustedError);
    expect(server.requests).toHaveLength(1);
  });

  it('retries a rate limit the adapter recognised in a 400 body, with the wait it read', async () => {
    const server = await fake((_req, res, index) => {
      if (index === 0) res.writeHead(400).end('{"errors":[{"extensions":{"code":"RATELIMITED"}}]}');
      else res.writeHead(200).end('{"data":{}}');
    });
    const { client, sleeps } = testClient();

    const res = await client.request({
      method: 'POST',
      url: server.url,
      body: { query: '{ viewer { id } }' },
      classify: (r) =>
        r.text().includes('RATELIMITED')
          ? new OutboundRateLimitedError('Linear says slow down', 3)
          : undefined,
    });

    expect(res.status).toBe(200);
    expect(sleeps).toEqual([3000]);
  });

  it('never logs or throws a secret from the query, headers, path or redact list', async () => {
    const server = await fake((_req, res) => {
      res.writeHead(503).end('Service Unavailable');
    });
    const { client, logger } = testClient();
    const secrets = ['QUERY-SECRET-123', 'HEADER-SECRET-456', 'BEARER-SECRET-789', 'PATHTOKEN-SECRET-000'];

    const error = await rejection(
      client.request({
        method: 'GET',
        url: `${server.url}/bot${secrets[3]}/sendMessage`,
        query: { ip: '1.2.3.4', api_key: secrets[0] },
        headers: { 'x-api-key': secrets[1], authorization: `Bearer ${secrets[2]}` },
        redact: [secrets[3]],
        retry: { attempts: 2 },
      }),
    );

    expect(server.requests[0]?.headers['x-api-key']).toBe(secrets[1]); // it was really sent
    const logged = JSON.stringify(logger.lines);
    const thrown = `${error.message} ${JSON.stringify(error)}`;
    for (const secret of secrets) {
      expect(logged).not.toContain(secret);
      expect(thrown).not.toContain(secret);
    }
    expect(logger.lines.map((line) => line.message)).toEqual([
      'outbound request retrying',
      'outbound request failed',
    ]);
    expect(logger.lines[0]?.attributes.path).toBe('/bot[redacted]/sendMessage?ip=1.2.3.4&api_key=[redacted]');
    expect(logged).not.toMatch(/authorization|x-api-key|Service Unavailable/i);
  });
});

describe('rate-limit header heuristics', () => {
  const now = Date.UTC(2025, 5, 1, 0, 0, 0);

  it.each([
    [{ 'retry-after': '30' }, 30_000],
    [{ 'retry-after': '0.5' }, 500],
    [{ 'retry-after': new Date(now + 90_000).toUTCString() }, 90_000],
    [{ 'retry-after': new Date(now - 5_000).toUTCString() }, 0],
    [{ 'x-ratelimit-reset': String(now / 1000 + 120) }, 120_000], // epoch seconds (GitHub, AbuseIPDB)
    [{ 'x-ratelimit-reset': String(now + 45_000) }, 45_000], // epoch milliseconds (Linear)
    [{ 'ratelimit-reset': '17' }, 17_000], // seconds from now (IETF draft)
    [{ 'x-rate-limit-reset': new Date(now + 60_000).toISOString() }, 60_000], // ISO-8601 (Jira)
    [{ 'x-ratelimit-reset-after': '64.57' }, 64_570], // Discord
    [{ 'x-ttl': '12' }, 12_000], // ip-api
    [{ 'retry-after': '10', 'x-ratelimit-reset': String(now / 1000 + 999) }, 10_000],
  ])('reads %o as %i ms', (headers, expected) => {
    expect(retryAfterMs(headers, now)).toBeCloseTo(expected, 0);
  });

  it('says nothing for absent or unreadable headers', () => {
    expect(retryAfterMs({}, now)).toBeUndefined();
    expect(retryAfterMs({ 'retry-after': 'soon' }, now)).toBeUndefined();
  });
});
