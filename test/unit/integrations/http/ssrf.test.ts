import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SsrfBlockedError, UpstreamError } from '../../../../shared/integrations/http/errors';
import { createOutboundClient } from '../../../../shared/integrations/http/outbound';
import {
  assertConnectedToPinned,
  createPinnedLookup,
  type PinnedTarget,
  pinUserUrl,
  type Resolver,
} from '../../../../shared/integrations/http/ssrf';
import { BadRequestError } from '../../../../shared/platform/errors';
import { registerTestHostname } from '../../../setup/network-guard';
import { type FakeServer, recordingLogger, startFakeServer } from './fake-server';

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

describe('SSRF policy for user-supplied URLs (no allow-list)', () => {
  let server: FakeServer;
  let unregister: () => void;
  beforeAll(async () => {
    server = await startFakeServer((_req, res) => {
      res.writeHead(200).end('reached');
    });
    unregister = registerTestHostname('innocent-looking.example', '127.0.0.1');
  });
  afterAll(async () => {
    unregister();
    await server.close();
  });

  const client = () =>
    createOutboundClient({ logger: recordingLogger(), ssrf: { allowHttp: true }, retry: { attempts: 1 } });

  it.each([
    ['loopback', (port: number) => `http://127.0.0.1:${port}/hook`],
    ['IPv6 loopback', (port: number) => `http://[::1]:${port}/hook`],
    ['cloud metadata', () => 'http://169.254.169.254/latest/meta-data/iam/'],
    ['IPv4-mapped metadata', () => 'http://[::ffff:169.254.169.254]/latest/meta-data/'],
    ['IPv4-mapped loopback', (port: number) => `http://[::ffff:127.0.0.1]:${port}/`],
    ['NAT64 loopback', () => 'http://[64:ff9b::7f00:1]/'],
    ['private', () => 'http://10.0.0.1/'],
    ['EC2 IPv6 metadata', () => 'http://[fd00:ec2::254]/latest/meta-data/'],
    ['CGNAT (Alibaba metadata)', () => 'http://100.100.100.200/'],
    ['multicast', () => 'http://224.0.0.1/'],
    ['unspecified', (port: number) => `http://0.0.0.0:${port}/`],
    ['decimal IPv4', (port: number) => `http://2130706433:${port}/`],
    ['hex IPv4', (port: number) => `http://0x7f000001:${port}/`],
    ['short hex IPv4', (port: number) => `http://0x7f.1:${port}/`],
    ['octal IPv4', (port: number) => `http://0177.0.0.1:${port}/`],
    ['shorthand IPv4', (port: number) => `http://127.1:${port}/`],
    ['localhost', (port: number) => `http://localhost:${port}/`],
    ['a name that resolves to loopback', (port: number) => `http://innocent-looking.example:${port}/`],
  ])('refuses %s before connecting', async (_label, url) => {
    const before = server.connections;
    const error = await rejection(
      client().request({ method: 'POST', url: url(server.port), userSuppliedUrl: true }),
    );

    expect(error).toBeInstanceOf(SsrfBlockedError);
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toMatchObject({ code: 'ssrf_blocked', status: 400, name: 'SsrfBlockedError' });
    expect(server.connections).toBe(before);
    expect(server.requests).toHaveLength(0);
  });

  it('refuses plain http unless allowed, other schemes always, and embedded credentials', async () => {
    const strict = createOutboundClient({ logger: recordingLogger() });
    const cases: [string, string][] = [
      ['http://hooks.example.com/x', 'scheme'],
      ['ftp://files.example.com/x', 'scheme'],
      ['file:///etc/passwd', 'scheme'],
      ['https://admin:hunter2-secret@hooks.example.com/x', 'userinfo'],
      ['not a url', 'invalid_url'],
    ];
    for (const [url, reason] of cases) {
      const error = await rejection(strict.request({ method: 'POST', url, userSuppliedUrl: true }));
      expect(error).toBeInstanceOf(SsrfBlockedError);
      expect((error as SsrfBlockedError).reason).toBe(reason);
      expect((error as SsrfBlockedError).extensions).toEqual({ reason });
      expect(error.message).not.toContain('hunter2');
    }
  });

  it('refuses internal service ports and internal names even when they resolve publicly', async () => {
    const resolve: Resolver = async () => [{ address: '93.184.216.34', family: 4 }];
    await expect(pinUserUrl(new URL('https://cache.example.com:6379/'), { resolve })).rejects.toMatchObject({
      reason: 'port',
    });
    await expect(pinUserUrl(new URL('https://metadata.google.internal/'), { resolve })).rejects.toMatchObject(
      {
        reason: 'hostname',
      },
    );
  });

  it('refuses a name if any of its addresses is not public', async () => {
    const resolve: Resolver = async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '::ffff:10.1.2.3', family: 6 },
    ];
    const error = await rejection(pinUserUrl(new URL('https://mixed.example.com/'), { resolve }));

    expect(error).toBeInstanceOf(SsrfBlockedError);
    expect(error.message).toBe(
      "The URL's host name resolves to a private address, which Vigil does not call. Use a public HTTPS endpoint.",
    );
  });

  it('pins a public resolution and connects to exactly that address, resolving once', async () => {
    const answers = ['93.184.216.34', '127.0.0.1']; // a rebinding server answers differently the second time
    const asked: string[] = [];
    const resolve: Resolver = async (hostname) => {
      asked.push(hostname);
      const address = answers[asked.length - 1] ?? '127.0.0.1';
      return [{ address, family: 4 }];
    };
    const outbound = createOutboundClient({
      logger: recordingLogger(),
      ssrf: { resolve },
      retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
    });

    const error = await rejection(
      outbound.request({ method: 'POST', url: 'https://hooks.example.com/deliver', userSuppliedUrl: true }),
    );

    // The only way out of this sandbox is the network guard, which names where the socket went.
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ attempts: 2 });
    expect(String((error.cause as Error).message)).toContain('refused a connection to 93.184.216.34:443');
    expect(asked).toEqual(['hooks.example.com']);
  });

  it('does not follow a redirect to loopback', async () => {
    const unregisterRedirector = registerTestHostname('redirector.test', '127.0.0.1');
    const redirector = await startFakeServer((_req, res) => {
      res.writeHead(302, { location: `http://127.0.0.1:${server.port}/internal` }).end();
    });
    try {
      // Only the redirector's name is allow-listed; the place it points to never is.
      const outbound = createOutboundClient({
        logger: recordingLogger(),
        ssrf: { allowHttp: true, allowList: ['redirector.test'] },
      });

      const error = await rejection(
        outbound.request({
          method: 'POST',
          url: `http://redirector.test:${redirector.port}/`,
          userSuppliedUrl: true,
        }),
      );

      expect(error).toBeInstanceOf(SsrfBlockedError);
      expect(error).toMatchObject({ code: 'ssrf_blocked', reason: 'redirect' });
      expect(redirector.requests).toHaveLength(1);
      expect(server.requests).toHaveLength(0);
    } finally {
      unregisterRedirector();
      await redirector.close();
    }
  });

  it('logs a blocked attempt without the URL path or query', async () => {
    const logger = recordingLogger();
    const outbound = createOutboundClient({ logger });

    await rejection(
      outbound.request({
        method: 'POST',
        url: 'https://169.254.169.254/hooks/T000/B000/AbCdEf1234567890XyZ?token=tok-secret-1',
        userSuppliedUrl: true,
      }),
    );

    expect(logger.lines).toEqual([
      {
        level: 'warn',
        message: 'outbound request blocked',
        attributes: {
          method: 'POST',
          host: '169.254.169.254',
          path: '/hooks/T000/B000/[redacted]?token=[redacted]',
          reason: 'address',
        },
      },
    ]);
  });
});

describe('address pinning', () => {
  const pinned: PinnedTarget = { hostname: 'hooks.example.com', address: '93.184.216.34', family: 4 };

  it('answers every lookup shape with the pinned address only', async () => {
    const lookup = createPinnedLookup(pinned);
    const single = await new Promise<unknown[]>((resolve) =>
      lookup('hooks.example.com', {}, (...args) => resolve(args)),
    );
    const all = await new Promise<unknown[]>((resolve) =>
      lookup('hooks.example.com', { all: true }, (...args) => resolve(args)),
    );
    const other = await new Promise<unknown[]>((resolve) =>
      lookup('evil.example', {}, (...args) => resolve(args)),
    );

    expect(single).toEqual([null, '93.184.216.34', 4]);
    expect(all).toEqual([null, [{ address: '93.184.216.34', family: 4 }]]);
    expect(other[0]).toBeInstanceOf(Error);
  });

  it('refuses a socket whose peer is not the pinned address', () => {
    expect(() => assertConnectedToPinned('127.0.0.1', pinned)).toThrow(SsrfBlockedError);
    expect(() => assertConnectedToPinned(undefined, pinned)).toThrow(SsrfBlockedError);
    expect(() => assertConnectedToPinned('::ffff:93.184.216.34', pinned)).not.toThrow();
    expect(() => assertConnectedToPinned('93.184.216.34', pinned)).not.toThrow();
  });

  it('returns the validated address of a public literal and keeps the host name', async () => {
    await expect(pinUserUrl(new URL('https://[2606:4700:4700::1111]/'))).resolves.toEqual({
      hostname: '2606:4700:4700::1111',
      address: '2606:4700:4700::1111',
      family: 6,
    });
  });
});
