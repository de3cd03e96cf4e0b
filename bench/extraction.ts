import { readFileSync } from 'node:fs';
import { extractIOC, type IOC } from 'ioc-extractor';
import { extractIndicators, MAX_EXTRACTION_BYTES } from '../shared/enrichment/extract';
import { type IndicatorType, normalizeIndicator } from '../shared/enrichment/indicators';

/**
 * Indicator extraction: our extractor against the npm package `ioc-extractor`, in the same run on
 * the same input. Throughput is measured on a few MB made by repeating the labelled corpus
 * (test/fixtures/extraction/corpus.json), fed to both in chunks under our 1 MiB limit, and on the
 * same corpus with its digits rotated per copy, so that IPs, hashes and ports do not repeat and our
 * per-call reuse of already classified tokens cannot flatter the figure; quality is
 * micro-averaged precision and recall over the corpus cases.
 *
 * ioc-extractor runs with `refang: true` (its default is off, which would be unfair on defanged
 * text). Its categories map onto ours as ipv4s→ipv4, ipv6s→ipv6, domains→domain, urls→url,
 * emails→email, md5s/sha1s/sha256s→md5/sha1/sha256, cves→cve; the categories we have no type for
 * (ASNs, BTC/ETH/XMR, MACs, SHA-512, SSDEEP, Google Analytics ids) are ignored, not counted as
 * false positives. Its `domains` already contain URL hosts and email domains, as ours do, so both
 * are scored on the same labels. Each of its values is passed through our normalizeIndicator before
 * comparison so that formatting (case, IPv6 compression, a URL's trailing slash) is not scored as
 * a miss; a value our model rejects is compared as written, and so counts as a false positive.
 */
interface CorpusCase {
  id: string;
  text: string;
  expected: Array<{ type: IndicatorType; value: string }>;
}

export interface ExtractorFigures {
  /** Throughput on the corpus repeated as is. */
  mbPerSecond: number;
  /** Throughput on the corpus repeated with its digits rotated per copy (new IPs, hashes, ports). */
  variedMbPerSecond: number;
  precision: number;
  recall: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
}

export interface ExtractionBench {
  inputBytes: number;
  cases: number;
  ours: ExtractorFigures;
  iocExtractor: ExtractorFigures;
  /** Our throughput divided by ioc-extractor's, on the repeated and on the varied input. */
  speedup: number;
  variedSpeedup: number;
}

const corpusPath = new URL('../test/fixtures/extraction/corpus.json', import.meta.url);

const iocCategories: ReadonlyArray<readonly [keyof IOC, IndicatorType]> = [
  ['ipv4s', 'ipv4'],
  ['ipv6s', 'ipv6'],
  ['domains', 'domain'],
  ['urls', 'url'],
  ['emails', 'email'],
  ['md5s', 'md5'],
  ['sha1s', 'sha1'],
  ['sha256s', 'sha256'],
  ['cves', 'cve'],
];

const key = (type: string, value: string) => `${type} ${value}`;

function ours(text: string): Set<string> {
  return new Set(extractIndicators(text).indicators.map((i) => key(i.type, i.value)));
}

function theirs(text: string): Set<string> {
  const ioc = extractIOC(text, { refang: true });
  const found = new Set<string>();
  for (const [category, type] of iocCategories) {
    for (const value of ioc[category]) {
      let canonical = value;
      try {
        canonical = normalizeIndicator(value, type).value;
      } catch {
        // Kept as written: a value our model rejects is scored as a false positive.
      }
      found.add(key(type, canonical));
    }
  }
  return found;
}

function score(cases: CorpusCase[], extract: (text: string) => Set<string>) {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (const c of cases) {
    const expected = new Set(c.expected.map((e) => key(e.type, e.value)));
    const found = extract(c.text);
    for (const f of found) {
      if (expected.has(f)) tp += 1;
      else fp += 1;
    }
    for (const e of expected) if (!found.has(e)) fn += 1;
  }
  return {
    precision: tp + fp === 0 ? 1 : tp / (tp + fp),
    recall: tp + fn === 0 ? 1 : tp / (tp + fn),
    truePositives: tp,
    falsePositives: fp,
    falseNegatives: fn,
  };
}

/** Chunks of whole corpus texts, each under our extraction limit, adding up to about `targetBytes`. */
function buildInput(cases: CorpusCase[], targetBytes: number, vary: boolean): string[] {
  const chunkLimit = MAX_EXTRACTION_BYTES / 2;
  const chunks: string[] = [];
  let current: string[] = [];
  let currentBytes = 0;
  let total = 0;
  for (let copy = 0; total < targetBytes; copy += 1) {
    for (const c of cases) {
      const text = vary ? rotateDigits(c.text, copy) : c.text;
      const bytes = Buffer.byteLength(text) + 1;
      if (currentBytes + bytes > chunkLimit) {
        chunks.push(current.join('\n'));
        current = [];
        currentBytes = 0;
      }
      current.push(text);
      currentBytes += bytes;
      total += bytes;
    }
  }
  if (current.length > 0) chunks.push(current.join('\n'));
  return chunks;
}

/** Each digit d becomes (d + by) mod 10: the same shapes of text, with values that do not repeat. */
function rotateDigits(text: string, by: number): string {
  return text.replace(/\d/g, (d) => String((Number(d) + by) % 10));
}

/** MB/s (10^6 bytes) over at least `minMs` of passes over all chunks, after one warm-up pass. */
function throughput(
  chunks: string[],
  bytes: number,
  extract: (text: string) => unknown,
  minMs: number,
): number {
  for (const chunk of chunks) extract(chunk);
  let passes = 0;
  const started = performance.now();
  let elapsed = 0;
  do {
    for (const chunk of chunks) extract(chunk);
    passes += 1;
    elapsed = performance.now() - started;
  } while (elapsed < minMs);
  return (bytes * passes) / 1e6 / (elapsed / 1000);
}

export async function benchExtraction(
  options: { targetBytes?: number; minMs?: number; rounds?: number } = {},
): Promise<ExtractionBench> {
  const { targetBytes = 4 * 1024 * 1024, minMs = 1000, rounds = 3 } = options;
  const corpus = JSON.parse(readFileSync(corpusPath, 'utf8')) as { cases: CorpusCase[] };
  const repeated = buildInput(corpus.cases, targetBytes, false);
  const varied = buildInput(corpus.cases, targetBytes, true);
  const bytesOf = (chunks: string[]) => chunks.reduce((sum, chunk) => sum + Buffer.byteLength(chunk), 0);
  const oursExtract = (text: string) => extractIndicators(text);
  const theirExtract = (text: string) => extractIOC(text, { refang: true });
  // Interleaved rounds, best of each: the machine's other load hits both extractors alike.
  const best = { ours: [0, 0], theirs: [0, 0] };
  for (let round = 0; round < rounds; round += 1) {
    for (const [name, extract] of [
      ['ours', oursExtract],
      ['theirs', theirExtract],
    ] as const) {
      const figures = best[name];
      figures[0] = Math.max(figures[0] ?? 0, throughput(repeated, bytesOf(repeated), extract, minMs));
      figures[1] = Math.max(figures[1] ?? 0, throughput(varied, bytesOf(varied), extract, minMs));
    }
  }
  const oursFigures = {
    mbPerSecond: best.ours[0] ?? 0,
    variedMbPerSecond: best.ours[1] ?? 0,
    ...score(corpus.cases, ours),
  };
  const theirFigures = {
    mbPerSecond: best.theirs[0] ?? 0,
    variedMbPerSecond: best.theirs[1] ?? 0,
    ...score(corpus.cases, theirs),
  };
  return {
    inputBytes: bytesOf(repeated),
    cases: corpus.cases.length,
    ours: oursFigures,
    iocExtractor: theirFigures,
    speedup: oursFigures.mbPerSecond / theirFigures.mbPerSecond,
    variedSpeedup: oursFigures.variedMbPerSecond / theirFigures.variedMbPerSecond,
  };
}
