import { isIP } from 'node:net';
import nodemailer from 'nodemailer';
import {
  OutboundAuthError,
  OutboundBadRequestError,
  type OutboundError,
  OutboundRateLimitedError,
  OutboundTimeoutError,
  SsrfBlockedError,
  UpstreamError,
} from '../http/errors';
import { DEFAULT_BLOCKED_PORTS, pinUserUrl, type SsrfPolicy } from '../http/ssrf';
import type { AdapterContext, CatalogEntry, NotificationAdapter, OutboundMessage } from '../ports';
import {
  IntegrationConfigError,
  optionalSetting,
  requireSetting,
  safeReason,
  testDelivery,
} from './notify-delivery';
import {
  escapeHtml,
  fieldEntries,
  headline,
  LIMITS,
  plainText,
  severityStyle,
  truncate,
} from './notify-format';

/**
 * Email over SMTP with nodemailer (providers-actions.md §5a). The relay host is user-supplied, so it
 * goes through the same SSRF policy as webhook URLs (resolved once, refused unless public, and the
 * connection made to the checked address with the host name kept for TLS), except that port 25 is
 * a legitimate relay port here. STARTTLS is required by default (`requireTLS`, so a stripped
 * STARTTLS fails instead of downgrading), certificates are verified, and credentials are never
 * sent without TLS. SMTP replies map onto the outbound error classes: 4xx retryable, 5xx permanent.
 */

export type SmtpSecurity = 'starttls' | 'implicit' | 'none';

export interface SmtpAdapterOptions {
  /** Policy for the relay host; tests allow-list loopback. Defaults to the production policy. */
  ssrf?: SsrfPolicy;
  timeouts?: { connectionMs?: number; greetingMs?: number; socketMs?: number };
}

const MAX_RECIPIENTS = 50;
const ADDRESS = /^[^\s@<>,;]+@[^\s@<>,;]+\.[^\s@<>,;]+$/;

const catalog: CatalogEntry = {
  name: 'smtp',
  displayName: 'Email (SMTP)',
  category: 'notification',
  description: 'Sends alert emails through any SMTP relay or submission server (STARTTLS or implicit TLS).',
  fields: [
    { name: 'host', label: 'SMTP host', type: 'text', required: true, placeholder: 'smtp.example.com' },
    {
      name: 'port',
      label: 'Port',
      type: 'number',
      required: true,
      default: 587,
      help: '587 with STARTTLS (recommended), 465 with implicit TLS, 25 for a relay.',
    },
    {
      name: 'security',
      label: 'Security',
      type: 'select',
      required: true,
      options: ['starttls', 'implicit', 'none'],
      default: 'starttls',
      help: '"none" is only for relays that need no login; Vigil never sends a password without TLS.',
    },
    { name: 'username', label: 'User name', type: 'text', required: false },
    { name: 'password', label: 'Password', type: 'secret', required: false },
    {
      name: 'from',
      label: 'From address',
      type: 'text',
      required: true,
      placeholder: 'Vigil <alerts@example.com>',
    },
    {
      name: 'to',
      label: 'Recipients',
      type: 'text',
      required: true,
      placeholder: 'soc@example.com, oncall@example.com',
      help: `Comma-separated, at most ${MAX_RECIPIENTS}.`,
    },
    {
      name: 'caCertificate',
      label: 'CA certificate (PEM)',
      type: 'text',
      required: false,
      help: 'Only for a server whose certificate is issued by a private CA.',
    },
  ],
  freeTier: { summary: "Depends on your mail provider's sending limits." },
  priority: 'medium',
  setupGuide: [
    'Get the submission settings from your mail provider: host, port (587 with STARTTLS or 465 with TLS), and a user name and password or app password for sending.',
    'Make sure the From address is one the server lets you send as (SPF/DKIM alignment), e.g. alerts@yourdomain.',
    'In Vigil, open Integrations → Email (SMTP), enter host, port, security, user name, password, From and the recipients, and save.',
    'Click Test: Vigil sends a test email to the recipients and reports what the server answered.',
  ],
  docsUrl: 'https://nodemailer.com/smtp/',
  userSuppliedUrl: true,
};

function security(ctx: AdapterContext): SmtpSecurity {
  const value = optionalSetting(ctx, 'security') ?? 'starttls';
  if (value === 'starttls' || value === 'implicit' || value === 'none') return value;
  throw new IntegrationConfigError('Security must be "starttls", "implicit" or "none".');
}

function recipients(ctx: AdapterContext): string[] {
  const list = requireSetting(ctx, 'to', 'Recipients')
    .split(/[,;]/)
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (list.length > MAX_RECIPIENTS) {
    throw new IntegrationConfigError(`At most ${MAX_RECIPIENTS} recipients are allowed per message.`);
  }
  const bad = list.find((entry) => !ADDRESS.test(entry));
  if (bad !== undefined) throw new IntegrationConfigError(`"${bad}" is not an email address.`);
  return list;
}

/** Subject, text and HTML bodies for an alert email. */
export function emailContent(message: OutboundMessage): { subject: string; text: string; html: string } {
  const style = severityStyle(message.severity);
  const color = `#${style.color.toString(16).padStart(6, '0')}`;
  const rows = fieldEntries(message)
    .map(
      ([key, value]) =>
        `<tr><th align="left" style="padding:2px 12px 2px 0">${escapeHtml(key)}</th><td>${escapeHtml(value)}</td></tr>`,
    )
    .join('');
  const html = [
    `<div style="border-left:6px solid ${color};padding:8px 16px;font-family:sans-serif">`,
    `<h2 style="margin:0 0 8px">${escapeHtml(headline(message))}</h2>`,
    `<p style="white-space:pre-wrap">${escapeHtml(message.text)}</p>`,
    rows === '' ? '' : `<table>${rows}</table>`,
    message.url ? `<p><a href="${escapeHtml(message.url)}">Open in Vigil</a></p>` : '',
    '</div>',
  ].join('');
  return { subject: truncate(headline(message), LIMITS.email.subject), text: plainText(message), html };
}

interface SmtpFailure extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
  command?: string;
}

/** Maps a nodemailer failure to the outbound error classes, with the server's reply but no secrets. */
function mapFailure(
  error: unknown,
  host: string,
  timeoutMs: number,
  secrets: (string | undefined)[],
): OutboundError {
  const failure = error as SmtpFailure;
  const scrub = (text: string) =>
    secrets.reduce<string>((acc, s) => (s ? acc.split(s).join('[redacted]') : acc), text);
  const reply = safeReason(failure.response ? scrub(failure.response) : undefined);
  const what = `SMTP ${host}${reply ? ` answered "${reply}"` : ''}`;
  const details = { host, ...(failure.responseCode ? { status: failure.responseCode } : {}) };
  const code = failure.responseCode;
  if (failure.code === 'EAUTH' || code === 535 || code === 534 || code === 530) {
    return new OutboundAuthError(`${what}: authentication failed`, details);
  }
  if (failure.command === 'STARTTLS') {
    return new OutboundBadRequestError(
      `SMTP ${host} does not support STARTTLS, which this integration requires; use implicit TLS (port 465) or another port`,
      details,
    );
  }
  if (failure.code === 'ETIMEDOUT') {
    return new OutboundTimeoutError(`SMTP ${host} timed out`, timeoutMs, details);
  }
  if (code === 421 || code === 454) {
    return new OutboundRateLimitedError(`${what}: try again later`, 60, details);
  }
  if (code !== undefined && code >= 400 && code < 500) {
    return new UpstreamError(`${what}: temporary failure`, { ...details, retryable: true });
  }
  if (code !== undefined && code >= 500)
    return new OutboundBadRequestError(`${what}: message refused`, details);
  const tls = /CERT|TLS|SSL|self.signed|altnames/i.test(`${failure.code ?? ''} ${failure.message}`);
  if (tls) {
    return new UpstreamError(`SMTP ${host}: TLS failed (${safeReason(scrub(failure.message))})`, details);
  }
  return new UpstreamError(`SMTP ${host}: ${failure.code ?? 'connection failed'}`, {
    ...details,
    retryable: true,
  });
}

/** Builds the SMTP adapter; `smtpAdapter` is the production instance. */
export function createSmtpAdapter(options: SmtpAdapterOptions = {}): NotificationAdapter {
  const connectionMs = options.timeouts?.connectionMs ?? 10_000;
  const greetingMs = options.timeouts?.greetingMs ?? 10_000;
  const socketMs = options.timeouts?.socketMs ?? 30_000;

  async function send(ctx: AdapterContext, message: OutboundMessage): Promise<{ id?: string }> {
    const host = requireSetting(ctx, 'host', 'SMTP host');
    const port = Number(optionalSetting(ctx, 'port') ?? 587);
    if (!Number.isInteger(port) || port < 1 || port > 65_535) {
      throw new IntegrationConfigError('The SMTP port must be a number between 1 and 65535.');
    }
    const mode = security(ctx);
    const from = requireSetting(ctx, 'from', 'From address');
    const to = recipients(ctx);
    const user = optionalSetting(ctx, 'username');
    const password = ctx.credentials.password || undefined;
    if (mode === 'none' && (user !== undefined || password !== undefined)) {
      throw new IntegrationConfigError(
        'Vigil does not send a user name and password without TLS. Choose "starttls" or "implicit", or remove the login.',
      );
    }

    const literal = isIP(host) === 6 ? `[${host}]` : host;
    let pinned: Awaited<ReturnType<typeof pinUserUrl>>;
    try {
      pinned = await pinUserUrl(new URL(`https://${literal}:${port}`), {
        ...options.ssrf,
        blockedPorts: options.ssrf?.blockedPorts ?? DEFAULT_BLOCKED_PORTS.filter((p) => p !== 25),
      });
    } catch (error) {
      if (error instanceof SsrfBlockedError || error instanceof UpstreamError) throw error;
      throw new IntegrationConfigError('The SMTP host is not a valid host name or address.');
    }

    const ca = optionalSetting(ctx, 'caCertificate');
    const transport = nodemailer.createTransport({
      host: pinned.address,
      port,
      secure: mode === 'implicit',
      requireTLS: mode === 'starttls',
      ignoreTLS: mode === 'none',
      ...(user !== undefined ? { auth: { user, pass: password ?? '' } } : {}),
      tls: {
        rejectUnauthorized: true,
        minVersion: 'TLSv1.2',
        ...(isIP(pinned.hostname) === 0 ? { servername: pinned.hostname } : {}),
        ...(ca ? { ca } : {}),
      },
      name: 'vigil.local',
      connectionTimeout: connectionMs,
      greetingTimeout: greetingMs,
      socketTimeout: socketMs,
      logger: false,
      debug: false,
    });
    const content = emailContent(message);
    try {
      const info = await transport.sendMail({
        from,
        to,
        subject: content.subject,
        text: content.text,
        html: content.html,
        headers: { 'X-Vigil-Severity': message.severity },
      });
      if (info.accepted.length === 0) {
        throw new OutboundBadRequestError(`SMTP ${host} accepted none of the recipients`, { host });
      }
      return { id: info.messageId };
    } catch (error) {
      if (error instanceof OutboundBadRequestError) throw error;
      throw mapFailure(error, host, Math.max(connectionMs, greetingMs, socketMs), [password]);
    } finally {
      transport.close();
    }
  }

  return {
    kind: 'notification',
    catalog,
    send,
    test: (ctx) =>
      testDelivery(
        {
          service: 'The SMTP server',
          auth: 'The SMTP server rejected the user name or password. Check them (some providers need an app password).',
          badRequest:
            'The SMTP server refused the test email. Check that the From address may be used with this login and that the recipients exist.',
        },
        async () => {
          const { id } = await send(ctx, {
            title: 'Vigil test email',
            text: 'Vigil can send alert emails through this server.',
            severity: 'info',
          });
          return { message: 'The SMTP server accepted the test email.', details: { messageId: id } };
        },
      ),
  };
}

export const smtpAdapter: NotificationAdapter = createSmtpAdapter();
