import { createHash, randomBytes } from 'node:crypto';
import type { EmailSender } from '../platform/email';
import type { IdentityRepository, OneTimeTokenKind } from './ports';

/**
 * Single-use tokens sent by mail or handed to a client for one step (password reset, email
 * verification, invitation, the MFA step of a login): 256 random bits behind a readable prefix,
 * stored only as a SHA-256 hash with an expiry, and consumed by a conditional delete so each works
 * once.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export interface OneTimeTokenDeps {
  repo: IdentityRepository;
  email: EmailSender;
  /** Base URL of the app the links in mail point to; without one, mail carries the bare token. */
  appUrl?: string;
  /** Reports failures that must not change the answer (mail delivery). */
  onBackgroundError: (what: string, error: unknown) => void;
  now: () => number;
}

export interface TokenMail {
  to: string;
  subject: string;
  /** First paragraph: what the mail is about. */
  intro: string;
  /** App path of the link (`/reset-password`). */
  path: string;
  /** The API call to make with the token when there is no app URL. */
  endpoint: string;
  /** How long the token lasts, in words (`one hour`). */
  validity: string;
}

export function oneTimeTokens(deps: OneTimeTokenDeps) {
  return {
    /** Creates and stores a token of `kind`; returns the token itself (never stored). */
    async issue(
      kind: OneTimeTokenKind,
      prefix: string,
      record: { tenantId: string; userId: string; data?: Record<string, string> },
      lifetimeSeconds: number,
    ): Promise<{ token: string; expiresAt: number }> {
      const token = `${prefix}_${randomBytes(32).toString('base64url')}`;
      const expiresAt = Math.floor(deps.now() / 1000) + lifetimeSeconds;
      await deps.repo.putOneTimeToken(kind, { tokenHash: hashToken(token), ...record, expiresAt });
      return { token, expiresAt };
    },

    /** Mails a token with instructions; delivery failures are reported, never surfaced to the caller. */
    async mail(mail: TokenMail, token: string): Promise<void> {
      const how = deps.appUrl
        ? `Open this link within ${mail.validity}:\n${deps.appUrl}${mail.path}?token=${encodeURIComponent(token)}`
        : `Within ${mail.validity}, send this token to ${mail.endpoint}:\n${token}`;
      try {
        await deps.email.send({
          to: mail.to,
          subject: mail.subject,
          text: `${mail.intro}\n\n${how}\n\nIt works once. If you did not expect this, ignore this message.\n`,
        });
      } catch (error) {
        deps.onBackgroundError(mail.subject, error);
      }
    },
  };
}

export type OneTimeTokens = ReturnType<typeof oneTimeTokens>;
