import { describe, expect, it } from 'vitest';
import {
  normalizeLabels,
  plainTextToAdf,
  singleLine,
  truncateText,
} from '../../../../shared/integrations/adapters/ticket-format';

describe('ticket text truncation', () => {
  it('leaves text within the limit untouched', () => {
    expect(truncateText('short', 5)).toBe('short');
  });

  it('ends a cut line with an ellipsis within the limit', () => {
    const cut = truncateText('abcdefghij', 6);
    expect(cut).toBe('abcde…');
    expect(cut).toHaveLength(6);
  });

  it('ends a cut body with a note and never splits a surrogate pair', () => {
    const cut = truncateText('😀'.repeat(100), 61, 'body');
    expect(cut.length).toBeLessThanOrEqual(61);
    expect(cut.endsWith('\n\n[truncated by Vigil]')).toBe(true);
    expect(cut.replace('\n\n[truncated by Vigil]', '')).toMatch(/^(😀)+$/u);
  });

  it('puts a multi-line title on one line', () => {
    expect(singleLine('  [HIGH]\n  login\tfailure ')).toBe('[HIGH] login failure');
  });
});

describe('ticket label normalization', () => {
  it('trims, drops empties and case-insensitive duplicates, keeping the first spelling', () => {
    expect(
      normalizeLabels(['  Security ', 'security', '', '  ', 'IOC'], { maxLength: 50, maxCount: 10 }),
    ).toEqual(['Security', 'IOC']);
  });

  it('replaces spaces for Jira, strips separators for GitLab and caps length and count', () => {
    expect(normalizeLabels(['brute  force'], { maxLength: 50, maxCount: 10, spaces: 'dash' })).toEqual([
      'brute-force',
    ]);
    expect(normalizeLabels(['a,b', 'c'], { maxLength: 50, maxCount: 10, forbidden: /,/g })).toEqual([
      'a b',
      'c',
    ]);
    expect(normalizeLabels(['abcdef', 'x', 'y'], { maxLength: 3, maxCount: 2 })).toEqual(['abc', 'x']);
    expect(normalizeLabels(undefined, { maxLength: 3, maxCount: 2 })).toEqual([]);
  });
});

describe('plain text to Atlassian Document Format', () => {
  it('builds paragraphs, hard breaks, bullet lists, code blocks and links', () => {
    const doc = plainTextToAdf(
      'Line one\nLine two\n\n* first\n- second\n\n```\n{"ip":"203.0.113.7"}\n```\nOpen https://vigil.example/x.',
    );

    expect(doc).toEqual({
      type: 'doc',
      version: 1,
      content: [
        {
          type: 'paragraph',
          content: [
            { type: 'text', text: 'Line one' },
            { type: 'hardBreak' },
            { type: 'text', text: 'Line two' },
          ],
        },
        {
          type: 'bulletList',
          content: [
            {
              type: 'listItem',
              content: [{ type: 'paragraph', content: [{ type: 'text', text: 'first' }] }],
            },
            {
              type: 'listItem',
              content: [{ type: 'paragraph', content: [{ type: 'text', text: 'second' }] }],
            },
          ],
        },
        { type: 'codeBlock', content: [{ type: 'text', text: '{"ip":"203.0.113.7"}' }] },
        {
          type: 'paragraph',
          content: [
            { type: 'text', text: 'Open ' },
            {
              type: 'text',
              text: 'https://vigil.example/x',
              marks: [{ type: 'link', attrs: { href: 'https://vigil.example/x' } }],
            },
            { type: 'text', text: '.' },
          ],
        },
      ],
    });
  });

  it('never emits empty text nodes', () => {
    const doc = plainTextToAdf('\n\n   \n-  \n```\n```\r\n');
    const texts: string[] = [];
    const walk = (node: unknown) => {
      const n = node as { type?: string; text?: string; content?: unknown[] };
      if (n.type === 'text') texts.push(n.text ?? '');
      for (const child of n.content ?? []) walk(child);
    };
    walk(doc);
    expect(texts.every((text) => text !== '')).toBe(true);
    expect(doc.content).toEqual([{ type: 'codeBlock' }]);
  });
});
