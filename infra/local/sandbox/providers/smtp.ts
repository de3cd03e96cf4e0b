import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';

/**
 * A local SMTP submission server (npm `smtp-server`) for the sandbox mailbox and the SMTP adapter
 * tests. With `tls` it offers STARTTLS and only allows AUTH after it; without, it offers no
 * STARTTLS and accepts mail without login. Conventions: password `invalid-key` → `535 5.7.8
 * Authentication credentials invalid`; recipient local part `unknown` → `550 5.1.1 user unknown`,
 * `busy` → `451 4.3.0 try again later`, `throttle` → `454 Throttling failure: Maximum sending rate
 * exceeded.` (the SES SMTP wording). Accepted messages are kept with their envelope and raw MIME.
 */

export interface ReceivedMail {
  from: string | undefined;
  to: string[];
  user: string | undefined;
  secure: boolean;
  raw: string;
}

export interface FakeSmtpServer {
  host: string;
  port: number;
  messages: ReceivedMail[];
  close(): Promise<void>;
}

function smtpError(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

export async function startFakeSmtp(
  options: { tls?: { key: string; cert: string }; port?: number; host?: string } = {},
): Promise<FakeSmtpServer> {
  const messages: ReceivedMail[] = [];
  const server = new SMTPServer({
    secure: false,
    ...(options.tls ? { key: options.tls.key, cert: options.tls.cert } : { disabledCommands: ['STARTTLS'] }),
    authMethods: ['PLAIN', 'LOGIN'],
    authOptional: !options.tls,
    allowInsecureAuth: false,
    banner: 'Vigil sandbox ESMTP ready',
    size: 10 * 1024 * 1024,
    logger: false,
    onAuth(auth, _session, callback) {
      if (!auth.username || auth.password === 'invalid-key') {
        callback(smtpError(535, '5.7.8 Authentication credentials invalid'));
        return;
      }
      callback(null, { user: auth.username });
    },
    onRcptTo(address: SMTPServerAddress, _session, callback) {
      const local = address.address.split('@')[0]?.toLowerCase();
      if (local === 'unknown') return callback(smtpError(550, '5.1.1 user unknown'));
      if (local === 'busy') return callback(smtpError(451, '4.3.0 try again later'));
      if (local === 'throttle')
        return callback(smtpError(454, 'Throttling failure: Maximum sending rate exceeded.'));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const from = session.envelope.mailFrom;
        messages.push({
          from: from === false ? undefined : from.address,
          to: session.envelope.rcptTo.map((r) => r.address),
          user: typeof session.user === 'string' ? session.user : undefined,
          secure: session.secure,
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback(null, `2.0.0 Ok: queued as ${messages.length.toString(16).padStart(6, '0').toUpperCase()}`);
      });
    },
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, host, () => resolve()));
  const address = server.server.address() as AddressInfo;
  return {
    host,
    port: address.port,
    messages,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
