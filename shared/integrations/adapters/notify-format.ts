import type { OutboundMessage, Severity } from '../ports';

/**
 * Message formatting shared by the notification adapters: how a severity looks on each service
 * (colour, emoji, label, Pushover priority, Adaptive Card colour) and the length limits each service
 * enforces, so a long alert is shortened by us instead of being refused with a 400.
 */

export interface SeverityStyle {
  /** Upper-case label used in titles and fallbacks, e.g. `HIGH`. */
  label: string;
  /** 24-bit RGB; Discord takes it as an integer, Teams/Slack as hex. */
  color: number;
  emoji: string;
  /**
   * Pushover priority: -1 quiet, 0 normal, 1 bypasses quiet hours, 2 emergency (repeats until
   * acknowledged). Only `critical` pages like an emergency.
   */
  pushoverPriority: -1 | 0 | 1 | 2;
  /** Adaptive Card `TextBlock.color`. */
  adaptiveColor: 'Accent' | 'Good' | 'Warning' | 'Attention';
}

const STYLES: Record<Severity, SeverityStyle> = {
  info: { label: 'INFO', color: 0x439fe0, emoji: 'ℹ️', pushoverPriority: -1, adaptiveColor: 'Accent' },
  low: { label: 'LOW', color: 0x2eb67d, emoji: '🟢', pushoverPriority: 0, adaptiveColor: 'Good' },
  medium: { label: 'MEDIUM', color: 0xecb22e, emoji: '🟡', pushoverPriority: 0, adaptiveColor: 'Warning' },
  high: { label: 'HIGH', color: 0xe8712a, emoji: '🟠', pushoverPriority: 1, adaptiveColor: 'Attention' },
  critical: {
    label: 'CRITICAL',
    color: 0xe01e5a,
    emoji: '🔴',
    pushoverPriority: 2,
    adaptiveColor: 'Attention',
  },
};

/** How a severity is shown; unknown values (bad input from a playbook) fall back to `info`. */
export function severityStyle(severity: Severity): SeverityStyle {
  return STYLES[severity] ?? STYLES.info;
}

/** `#rrggbb` for services that take hex colours. */
export function hexColor(color: number): string {
  return `#${color.toString(16).padStart(6, '0')}`;
}

/** Length limits each service enforces (in UTF-16 code units, as the services count). */
export const LIMITS = {
  slack: { text: 4000, header: 150, section: 3000, fields: 10, field: 2000, buttonText: 75, url: 3000 },
  discord: {
    content: 2000,
    title: 256,
    description: 4096,
    fields: 25,
    fieldName: 256,
    fieldValue: 1024,
    footer: 2048,
    total: 6000,
  },
  telegram: { text: 4096 },
  pushover: { message: 1024, title: 250, url: 512, urlTitle: 100 },
  teams: { title: 400, text: 12_000, facts: 30, factValue: 2000 },
  email: { subject: 250 },
} as const;

const ELLIPSIS = '…';

/**
 * Shortens `text` to at most `max` UTF-16 code units, ending with an ellipsis when cut, and never
 * splits a surrogate pair (a split emoji is invalid text some services refuse).
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 0) return '';
  if (max === 1) return ELLIPSIS;
  let end = max - ELLIPSIS.length;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}${ELLIPSIS}`;
}

/** Escapes text for HTML bodies (email, Telegram HTML mode): `&`, `<`, `>` and quotes. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The message's fields as ordered pairs, empty keys and values dropped. */
export function fieldEntries(message: OutboundMessage): [string, string][] {
  return Object.entries(message.fields ?? {}).filter(([key, value]) => key !== '' && value !== '');
}

/** `[HIGH] title`: the one-line form used for fallbacks, subjects and push titles. */
export function headline(message: OutboundMessage): string {
  return `[${severityStyle(message.severity).label}] ${message.title}`;
}

/** A plain-text rendering (email text part, n8n/Zapier summaries): title, text, fields, link. */
export function plainText(message: OutboundMessage): string {
  const lines = [headline(message), '', message.text];
  const fields = fieldEntries(message);
  if (fields.length > 0) lines.push('', ...fields.map(([key, value]) => `${key}: ${value}`));
  if (message.url) lines.push('', message.url);
  return lines.join('\n');
}
