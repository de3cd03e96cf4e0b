import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { extractIndicators, MAX_EXTRACTION_BYTES } from '../../../shared/enrichment/extract';
import type { IndicatorType } from '../../../shared/enrichment/indicators';
import { PayloadTooLargeError } from '../../../shared/platform/errors';

interface CorpusCase {
  id: string;
  text: string;
  expected: Array<{ type: IndicatorType; value: string }>;
}

const corpus = JSON.parse(
  readFileSync(new URL('../../fixtures/extraction/corpus.json', import.meta.url), 'utf8'),
) as { cases: CorpusCase[] };

const found = (text: string) => extractIndicators(text).indicators.map((i) => `${i.type} ${i.value}`);

describe('indicator extraction from free text', () => {
  it('reports offsets into the original text, defanged and entity-encoded forms included', () => {
    // Prepare
    const text = 'Beacon to hxxps://evil[.]com/a?x=1&amp;y=2 and mail&#46;ru, from 8.8.8[.]8.';

    // Act
    const { indicators } = extractIndicators(text);

    // Assess
    expect(indicators).toEqual([
      {
        type: 'url',
        value: 'https://evil.com/a?x=1&y=2',
        original: 'hxxps://evil[.]com/a?x=1&amp;y=2',
        start: 10,
        end: 42,
      },
      { type: 'domain', value: 'evil.com', original: 'evil[.]com', start: 18, end: 28 },
      { type: 'domain', value: 'mail.ru', original: 'mail&#46;ru', start: 47, end: 58 },
      { type: 'ipv4', value: '8.8.8.8', original: '8.8.8[.]8', start: 65, end: 74 },
    ]);
    for (const i of indicators) expect(text.slice(i.start, i.end)).toBe(i.original);
  });

  it('reports each indicator once, at its first occurrence', () => {
    // Prepare
    const text = 'see EVIL.com, then http://evil.com/x, then evil[.]com again';

    // Act
    const domains = extractIndicators(text).indicators.filter((i) => i.type === 'domain');

    // Assess
    expect(domains).toEqual([{ type: 'domain', value: 'evil.com', original: 'EVIL.com', start: 4, end: 12 }]);
  });

  it('keeps the earliest occurrence when a hash appears bare before it appears in a URL', () => {
    // Prepare
    const hash = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
    const text = `${hash} was on https://www.virustotal.com/gui/file/${hash}`;

    // Act
    const hit = extractIndicators(text).indicators.find((i) => i.type === 'sha256');

    // Assess
    expect(hit).toMatchObject({ value: hash, start: 0, end: 64 });
  });

  it('does not take file names, code or versions for indicators', () => {
    expect(
      found(
        'readme.md setup.py index.html config.json lib.rs install.sh taxes.zip user.name v1.2.3.4 ' +
          'version 10.0.19041.1 version 1.2.3.4 Build: 6.1.7601.1 11.2.3.4.5 a1.2.3.4 1.2.3.4.5.6 12.10.2023 ' +
          'done.It e.g. i.e. std::vector 10:30:45 00:1A:2B:3C:4D:5E root@server01',
      ),
    ).toEqual([]);
  });

  it('accepts a file-like TLD when the text makes it a host: defanged, URL host or email domain', () => {
    expect(found('evil[.]py http://tool.sh/x ops@team.rs')).toEqual([
      'domain evil.py',
      'url http://tool.sh/x',
      'domain tool.sh',
      'email ops@team.rs',
      'domain team.rs',
    ]);
  });

  it('strips trailing punctuation and unbalanced brackets from URLs and domains', () => {
    expect(
      found('(see https://a.com/x), [https://b.com/y]. "https://c.com/z", <https://d.com/w>; evil.com.'),
    ).toEqual([
      'url https://a.com/x',
      'domain a.com',
      'url https://b.com/y',
      'domain b.com',
      'url https://c.com/z',
      'domain c.com',
      'url https://d.com/w',
      'domain d.com',
      'domain evil.com',
    ]);
    expect(found('https://en.wikipedia.org/wiki/Emotet_(malware)')[0]).toBe(
      'url https://en.wikipedia.org/wiki/Emotet_(malware)',
    );
  });

  it('reports the host of a URL given by IP, IPv6 literal included', () => {
    expect(found('http://45.137.21.9:8080/bins and http://[2001:DB8::10]:3128/')).toEqual([
      'url http://45.137.21.9:8080/bins',
      'ipv4 45.137.21.9',
      'url http://[2001:db8::10]:3128/',
      'ipv6 2001:db8::10',
    ]);
  });

  it('inside a URL reports hashes and CVE ids standing alone, not names in the path', () => {
    expect(found('https://nvd.nist.gov/vuln/detail/CVE-2021-44228 http://x.com/1.2.3.4/a.exe')).toEqual([
      'url https://nvd.nist.gov/vuln/detail/CVE-2021-44228',
      'domain nvd.nist.gov',
      'cve CVE-2021-44228',
      'url http://x.com/1.2.3.4/a.exe',
      'domain x.com',
    ]);
  });

  it('finds indicators in JSON with escaped slashes and in HTML attributes', () => {
    expect(found('{"u":"https:\\/\\/paste.ee\\/r\\/x"} <a href="http://x.ru/p">x</a>')).toEqual([
      'url https://paste.ee/r/x',
      'domain paste.ee',
      'url http://x.ru/p',
      'domain x.ru',
    ]);
  });

  it('refuses text above 1 MiB with a typed error', () => {
    // Prepare
    const text = 'a'.repeat(MAX_EXTRACTION_BYTES + 1);
    const multiByte = 'é'.repeat(MAX_EXTRACTION_BYTES / 2 + 1);

    // Act / Assess
    expect(() => extractIndicators(text)).toThrow(PayloadTooLargeError);
    expect(() => extractIndicators(multiByte)).toThrow(PayloadTooLargeError);
    expect(() => extractIndicators('a'.repeat(MAX_EXTRACTION_BYTES))).not.toThrow();
  });
});

describe('extraction on adversarial input', () => {
  const timed = (text: string) => {
    const started = performance.now();
    const result = extractIndicators(text);
    return { ms: performance.now() - started, result };
  };

  it.each([
    ['a long dotted chain', 'a.'.repeat(100_000)],
    ['1 MB of hex', '0123456789abcdef'.repeat(65_536)],
    ['digits and dots', '1.2.3.4.'.repeat(100_000)],
    ['digits only', '9'.repeat(1_000_000)],
    ['colons and hex', 'a:'.repeat(400_000)],
    ['at signs', 'a@b.'.repeat(200_000)],
    ['brackets and entities', '[.(&#4'.repeat(150_000)],
    ['an endless URL', `http://a.com/${'(a'.repeat(400_000)}`],
    ['many short URLs', 'http://a.b/ '.repeat(80_000)],
  ])('finishes %s quickly', (_name, text) => {
    // Act
    const { ms } = timed(text);

    // Assess
    expect(ms).toBeLessThan(2000);
  });

  it('reports the host, not the URL, when a URL is longer than an indicator may be', () => {
    // Act
    const { result } = timed(`http://a.com/${'(a'.repeat(400_000)}`);

    // Assess
    expect(result.indicators.map((i) => `${i.type} ${i.value}`)).toEqual(['domain a.com']);
  });

  it('still finds the indicator after a pathological run', () => {
    // Act
    const { result } = timed(`${'a.'.repeat(100_000)} 8.8.8.8 ${'f'.repeat(500_000)} evil.com`);

    // Assess
    expect(result.indicators.map((i) => i.value)).toEqual(['8.8.8.8', 'evil.com']);
  });
});

describe('extraction quality on the labelled corpus', () => {
  it('has enough realistic cases', () => {
    expect(corpus.cases.length).toBeGreaterThanOrEqual(60);
    expect(new Set(corpus.cases.map((c) => c.id)).size).toBe(corpus.cases.length);
  });

  it.each(corpus.cases.map((c) => [c.id, c] as const))(
    'extracts exactly the labelled set from %s',
    (_id, c) => {
      // Act
      const actual = new Set(found(c.text));

      // Assess
      expect(actual).toEqual(new Set(c.expected.map((e) => `${e.type} ${e.value}`)));
    },
  );

  it('reaches precision and recall of 1.0 over the whole corpus', () => {
    // Prepare
    let truePositives = 0;
    let falsePositives = 0;
    let falseNegatives = 0;

    // Act
    for (const c of corpus.cases) {
      const expected = new Set(c.expected.map((e) => `${e.type} ${e.value}`));
      const actual = new Set(found(c.text));
      for (const a of actual) {
        if (expected.has(a)) truePositives += 1;
        else falsePositives += 1;
      }
      for (const e of expected) if (!actual.has(e)) falseNegatives += 1;
    }

    // Assess
    expect(truePositives / (truePositives + falsePositives)).toBe(1);
    expect(truePositives / (truePositives + falseNegatives)).toBe(1);
  });
});
