import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FakeSmtpServer, startFakeSmtp } from '../../../../infra/local/sandbox/providers/smtp';
import { IntegrationConfigError } from '../../../../shared/integrations/adapters/notify-delivery';
import { createSmtpAdapter, smtpAdapter } from '../../../../shared/integrations/adapters/smtp';
import {
  OutboundAuthError,
  OutboundBadRequestError,
  OutboundRateLimitedError,
  OutboundTimeoutError,
  SsrfBlockedError,
  UpstreamError,
} from '../../../../shared/integrations/http/errors';
import { alert, context, expectNoSecrets, rejection, testClient } from './notify-harness';

const PASSWORD = 'smtp-Pa55word-for-tests';
let tls: { key: string; cert: string };
let certDir: string;

beforeAll(() => {
  // A throwaway self-signed certificate for 127.0.0.1, trusted through the adapter's CA setting.
  certDir = mkdtempSync(join(tmpdir(), 'vigil-smtp-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout',
      join(certDir, 'key.pem'),
      '-out',
      join(certDir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  tls = {
    key: readFileSync(join(certDir, 'key.pem'), 'utf8'),
    cert: readFileSync(join(certDir, 'cert.pem'), 'utf8'),
  };
});
afterAll(() => rmSync(certDir, { recursive: true, force: true }));

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function smtp(withTls = true): Promise<FakeSmtpServer> {
  const server = await startFakeSmtp(withTls ? { tls } : {});
  servers.push(server);
  return server;
}

const adapter = createSmtpAdapter({
  ssrf: { allowList: ['127.0.0.1'] },
  timeouts: { connectionMs: 2_000, greetingMs: 300, socketMs: 2_000 },
});

function ctxFor(
  server: { port: number },
  settings: Record<string, string | number> = {},
  password = PASSWORD,
) {
  return context(testClient().http, {
    credentials: { password },
    settings: {
      host: '127.0.0.1',
      port: server.port,
      security: 'starttls',
      username: 'alerts',
      from: 'Vigil <alerts@example.com>',
      to: 'soc@example.com, oncall@example.com',
      caCertificate: tls.cert,
      ...settings,
    },
  });
}

describe('email over SMTP', () => {
  it('delivers over STARTTLS with login, both parts and the envelope', async () => {
    const server = await smtp();

    const result = await adapter.send(ctxFor(server), alert);

    expect(result.id).toMatch(/^<.+@.+>$/);
    const mail = server.messages[0];
    expect(mail).toMatchObject({
      from: 'alerts@example.com',
      to: ['soc@example.com', 'oncall@example.com'],
      user: 'alerts',
      secure: true,
    });
    expect(mail?.raw).toContain('Subject: [HIGH] Suspicious login on prod-db-1');
    expect(mail?.raw).toContain('X-Vigil-Severity: high');
    expect(mail?.raw).toContain('text/plain');
    expect(mail?.raw.replace(/=\r\n/g, '')).toContain('&lt;tor exit&gt; &amp; then success');
    expect(mail?.raw).not.toContain(PASSWORD);
  });

  it('surfaces rejected credentials as an auth error without the password', async () => {
    const server = await smtp();

    const error = await rejection(adapter.send(ctxFor(server, {}, 'invalid-key'), alert));

    expect(error).toBeInstanceOf(OutboundAuthError);
    expect(error.message).toContain('535');
    expectNoSecrets(['invalid-key'], error);
    expect(server.messages).toHaveLength(0);
  });

  it('maps 5xx recipient refusals to bad request, 4xx to retryable and 454 to rate limited', async () => {
    const server = await smtp();

    const unknown = await rejection(adapter.send(ctxFor(server, { to: 'unknown@example.com' }), alert));
    const busy = await rejection(adapter.send(ctxFor(server, { to: 'busy@example.com' }), alert));
    const throttled = await rejection(adapter.send(ctxFor(server, { to: 'throttle@example.com' }), alert));

    expect(unknown).toBeInstanceOf(OutboundBadRequestError);
    expect(unknown.message).toContain('550');
    expect(busy).toBeInstanceOf(UpstreamError);
    expect(busy).toMatchObject({ retryable: true, status: 451 });
    expect(throttled).toBeInstanceOf(OutboundRateLimitedError);
    expect(server.messages).toHaveLength(0);
  });

  it('refuses to continue when the server does not offer STARTTLS', async () => {
    const server = await smtp(false);

    const error = await rejection(adapter.send(ctxFor(server), alert));

    expect(error).toBeInstanceOf(OutboundBadRequestError);
    expect(error.message).toContain('does not support STARTTLS');
    expect(server.messages).toHaveLength(0);
  });

  it('refuses a certificate it cannot verify, without retrying', async () => {
    const server = await smtp();

    const error = await rejection(adapter.send(ctxFor(server, { caCertificate: '' }), alert));

    expect(error).toBeInstanceOf(UpstreamError);
    expect(error.message).toContain('TLS failed');
    expect((error as UpstreamError).retryable).toBe(false);
  });

  it('sends to a login-less relay without TLS, but never a password in clear', async () => {
    const server = await smtp(false);

    await adapter.send(ctxFor(server, { security: 'none', username: '' }, ''), alert);
    const error = await rejection(adapter.send(ctxFor(server, { security: 'none' }), alert));

    expect(server.messages).toHaveLength(1);
    expect(server.messages[0]?.secure).toBe(false);
    expect(error).toBeInstanceOf(IntegrationConfigError);
  });

  it('times out a server that never greets', async () => {
    const silent: Server = createServer(() => {
      // Accept the connection and say nothing.
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    servers.push({
      close: () =>
        new Promise<void>((resolve) => {
          silent.close(() => resolve());
        }),
    });
    const port = (silent.address() as { port: number }).port;

    const error = await rejection(adapter.send(ctxFor({ port }), alert));

    expect(error).toBeInstanceOf(OutboundTimeoutError);
  });

  it('refuses a loopback relay under the production SSRF policy', async () => {
    const server = await smtp();

    const error = await rejection(smtpAdapter.send(ctxFor(server), alert));

    expect(error).toBeInstanceOf(SsrfBlockedError);
    expect((error as SsrfBlockedError).code).toBe('ssrf_blocked');
    expect(server.messages).toHaveLength(0);
  });

  it('validates recipients before connecting', async () => {
    const server = await smtp();
    const many = Array.from({ length: 51 }, (_, i) => `r${i}@example.com`).join(',');

    expect(await rejection(adapter.send(ctxFor(server, { to: 'not-an-address' }), alert))).toBeInstanceOf(
      IntegrationConfigError,
    );
    expect(await rejection(adapter.send(ctxFor(server, { to: many }), alert))).toBeInstanceOf(
      IntegrationConfigError,
    );
    expect(server.messages).toHaveLength(0);
  });

  describe('test()', () => {
    it('sends a test email', async () => {
      const server = await smtp();

      const outcome = await adapter.test(ctxFor(server));

      expect(outcome.ok).toBe(true);
      expect(server.messages[0]?.raw).toContain('Subject: [INFO] Vigil test email');
    });

    it('points at the login when the server rejects it', async () => {
      const server = await smtp();

      const outcome = await adapter.test(ctxFor(server, {}, 'invalid-key'));

      expect(outcome).toMatchObject({ ok: false, details: { kind: 'auth' } });
      expect(outcome.message).toContain('user name or password');
      expectNoSecrets(['invalid-key'], outcome);
    });
  });
});
