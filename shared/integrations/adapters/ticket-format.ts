/**
 * Formatting shared by the ticketing adapters (GitHub, GitLab, Jira, Linear, Trello): label clean-up,
 * truncation to each service's field limits, and the Atlassian Document Format that Jira's REST v3
 * requires for descriptions. Pure functions, no I/O.
 */

/**
 * Field limits per service, in UTF-16 code units. GitLab's and Jira's summary limits are documented;
 * the others are the limits the services enforce. Jira's 32,767-character text-field limit counts the
 * stored description, so the plain text is capped a little below it to leave room for ADF markup.
 */
export const TICKET_LIMITS = {
  github: { title: 256, body: 65_536, label: 50, labels: 100 },
  gitlab: { title: 255, body: 1_048_576, label: 255, labels: 100 },
  jira: { title: 255, body: 32_000, label: 255, labels: 100 },
  linear: { title: 255, body: 100_000, label: 80, labels: 50 },
  trello: { title: 16_384, body: 16_384, label: 100, labels: 50 },
} as const;

const ELLIPSIS = '…';
const TRUNCATION_NOTE = '\n\n[truncated by Vigil]';

/** Splits into code points so truncation never cuts a surrogate pair in half. */
function codePoints(text: string): string[] {
  return Array.from(text);
}

/**
 * Cuts `text` to at most `max` UTF-16 code units (what the services count), never splitting a
 * surrogate pair. A cut single-line value ends in `…`; a cut body ends in a note saying so.
 */
export function truncateText(text: string, max: number, kind: 'line' | 'body' = 'line'): string {
  if (text.length <= max) return text;
  const suffix = kind === 'body' && max > TRUNCATION_NOTE.length * 2 ? TRUNCATION_NOTE : ELLIPSIS;
  const budget = Math.max(0, max - suffix.length);
  let kept = '';
  for (const point of codePoints(text)) {
    if (kept.length + point.length > budget) break;
    kept += point;
  }
  return `${kept.trimEnd()}${suffix}`;
}

/** A title on one line: services that show titles in lists reject or mangle line breaks (Jira rejects them). */
export function singleLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

export interface LabelRules {
  /** Longest label the service accepts. */
  maxLength: number;
  /** Most labels sent on one ticket. */
  maxCount: number;
  /** Jira labels cannot contain spaces: they are replaced with `-`. */
  spaces?: 'keep' | 'dash';
  /** Characters the service uses as a separator (GitLab's comma-separated `labels`). */
  forbidden?: RegExp;
}

/**
 * Trims, collapses whitespace, applies the service's character rules, drops empties and
 * case-insensitive duplicates (first spelling wins) and caps length and count.
 */
export function normalizeLabels(labels: readonly string[] | undefined, rules: LabelRules): string[] {
  const seen = new Set<string>();
  const result: string[] = [];
  for (const raw of labels ?? []) {
    let label = raw.replace(/\s+/g, ' ').trim();
    if (rules.forbidden) label = label.replace(rules.forbidden, ' ').replace(/\s+/g, ' ').trim();
    if (rules.spaces === 'dash') label = label.replace(/ /g, '-');
    label = codePoints(label).slice(0, rules.maxLength).join('').trim();
    if (label === '') continue;
    const key = label.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    result.push(label);
    if (result.length >= rules.maxCount) break;
  }
  return result;
}

// --- Atlassian Document Format -------------------------------------------------------------------

export interface AdfMark {
  type: 'link' | 'strong' | 'em' | 'code';
  attrs?: { href: string };
}

export type AdfInline = { type: 'text'; text: string; marks?: AdfMark[] } | { type: 'hardBreak' };

export type AdfBlock =
  | { type: 'paragraph'; content: AdfInline[] }
  | { type: 'bulletList'; content: { type: 'listItem'; content: AdfBlock[] }[] }
  | { type: 'codeBlock'; content?: { type: 'text'; text: string }[] };

export interface AdfDocument {
  type: 'doc';
  version: 1;
  content: AdfBlock[];
}

const URL_PATTERN = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/g;
const BULLET = /^\s*[-*•]\s+(.*)$/;
const FENCE = /^\s*```/;

/** Text with `http(s)://` URLs turned into link marks; never emits an empty text node. */
function inline(text: string): AdfInline[] {
  const nodes: AdfInline[] = [];
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const start = match.index;
    if (start > last) nodes.push({ type: 'text', text: text.slice(last, start) });
    nodes.push({ type: 'text', text: match[0], marks: [{ type: 'link', attrs: { href: match[0] } }] });
    last = start + match[0].length;
  }
  if (last < text.length) nodes.push({ type: 'text', text: text.slice(last) });
  return nodes;
}

/** Lines joined by hard breaks, as one paragraph (undefined when all lines are blank). */
function paragraph(lines: readonly string[]): AdfBlock | undefined {
  const content: AdfInline[] = [];
  for (const line of lines) {
    const nodes = inline(line.trimEnd());
    if (nodes.length === 0) continue;
    if (content.length > 0) content.push({ type: 'hardBreak' });
    content.push(...nodes);
  }
  return content.length === 0 ? undefined : { type: 'paragraph', content };
}

/**
 * Builds an ADF document from plain text: blank lines separate paragraphs, single line breaks become
 * hard breaks, lines starting with `-`, `*` or `•` become a bullet list, ``` fences a code block, and
 * URLs links. Jira v3 refuses a plain-string description, and ADF forbids empty text nodes.
 */
export function plainTextToAdf(text: string): AdfDocument {
  const content: AdfBlock[] = [];
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  let pending: string[] = [];
  let bullets: string[] = [];
  const flushParagraph = () => {
    const block = paragraph(pending);
    if (block) content.push(block);
    pending = [];
  };
  const flushBullets = () => {
    const items = bullets
      .map((item) => paragraph([item]))
      .filter((block): block is AdfBlock => block !== undefined)
      .map((block) => ({ type: 'listItem' as const, content: [block] }));
    if (items.length > 0) content.push({ type: 'bulletList', content: items });
    bullets = [];
  };

  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index] ?? '';
    if (FENCE.test(line)) {
      flushParagraph();
      flushBullets();
      const code: string[] = [];
      index += 1;
      while (index < lines.length && !FENCE.test(lines[index] ?? '')) {
        code.push(lines[index] ?? '');
        index += 1;
      }
      const body = code.join('\n');
      content.push(
        body === '' ? { type: 'codeBlock' } : { type: 'codeBlock', content: [{ type: 'text', text: body }] },
      );
      continue;
    }
    const bullet = BULLET.exec(line);
    if (bullet) {
      flushParagraph();
      bullets.push(bullet[1] ?? '');
      continue;
    }
    flushBullets();
    if (line.trim() === '') flushParagraph();
    else pending.push(line);
  }
  flushParagraph();
  flushBullets();
  return { type: 'doc', version: 1, content };
}
