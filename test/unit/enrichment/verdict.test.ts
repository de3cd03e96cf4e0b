import { describe, expect, it } from 'vitest';
import {
  aggregateVerdict,
  defaultVerdictPolicy,
  type ProviderResult,
  verdictPolicySchema,
} from '../../../shared/enrichment/verdict';
import type { IntelResult, Verdict } from '../../../shared/integrations/ports';

const result = (
  provider: string,
  verdict: Verdict,
  score: number,
  confidence: number,
  details: Record<string, unknown> = {},
): ProviderResult => ({
  provider,
  result: { verdict, score, confidence, tags: [], details } satisfies IntelResult,
});

/** What AbuseIPDB, OTX and IPQS typically say about a fresh C2 address nobody has reported yet. */
const weakBenignCrowd = [
  result('abuseipdb', 'benign', 0, 50),
  result('otx', 'benign', 10, 30),
  result('ipqualityscore', 'benign', 15, 40),
];

describe('aggregate verdict', () => {
  it('is unknown with score and confidence 0 when every provider has nothing', () => {
    // Prepare
    const results = [
      result('virustotal', 'unknown', 0, 20),
      result('greynoise', 'unknown', 0, 10),
      result('geoip', 'unknown', 0, 0),
    ];

    // Act
    const aggregate = aggregateVerdict(results);

    // Assess
    expect(aggregate).toMatchObject({ verdict: 'unknown', score: 0, confidence: 0 });
    expect(aggregate.explanation).toHaveLength(3);
    expect(aggregate.explanation.every((row) => row.contribution === 0)).toBe(true);
    expect(aggregate.summary).toContain('none of 3 provider(s)');
  });

  it('is unknown when there are no results at all', () => {
    expect(aggregateVerdict([])).toMatchObject({
      verdict: 'unknown',
      score: 0,
      confidence: 0,
      explanation: [],
    });
  });

  it('does not let unknown results dilute a real signal', () => {
    const signal = result('threatfox', 'malicious', 85, 60);
    const alone = aggregateVerdict([signal]);

    const withUnknowns = aggregateVerdict([
      signal,
      result('virustotal', 'unknown', 0, 30),
      result('otx', 'unknown', 0, 20),
      result('abuseipdb', 'unknown', 0, 20),
      result('greynoise', 'unknown', 0, 10),
    ]);

    expect(withUnknowns.verdict).toBe('malicious');
    expect(withUnknowns.score).toBe(alone.score);
    expect(withUnknowns.confidence).toBe(alone.confidence);
    expect(alone).toMatchObject({ verdict: 'malicious', score: 85, confidence: 51 });
  });

  it('keeps one confident malicious from a reliable source over several weak benign answers', () => {
    const results = [result('virustotal', 'malicious', 90, 90), ...weakBenignCrowd];

    const aggregate = aggregateVerdict(results);

    expect(aggregate.verdict).toBe('malicious');
    expect(aggregate.score).toBe(90);
    const vt = aggregate.explanation[0];
    expect(vt?.provider).toBe('virustotal');
    expect(vt?.note).toContain('Strong evidence');
    expect(vt?.contribution).toBe(90);
    // Disagreement lowers confidence below VirusTotal's own 81 (0.9 weight × 90): 81 × 0.81 / 1.63.
    expect(aggregate.confidence).toBe(40);
    expect(aggregate.summary).toMatch(
      /^malicious \(score 90, confidence \d+\): strong evidence from virustotal/,
    );
  });

  it('averages a malicious answer that is not strong evidence with the benign ones', () => {
    // VirusTotal 90 at confidence 50 (evidence 0.45) vs abuseipdb 0/0.4, otx 10/0.18, ipqs 15/0.24.
    const aggregate = aggregateVerdict([result('virustotal', 'malicious', 90, 50), ...weakBenignCrowd]);

    const expected = (0.45 * 90 + 0.4 * 0 + 0.18 * 10 + 0.24 * 15) / (0.45 + 0.4 + 0.18 + 0.24);
    expect(aggregate.score).toBe(Math.round(expected));
    expect(aggregate.verdict).toBe('suspicious');
    const contributions = aggregate.explanation.reduce((sum, row) => sum + row.contribution, 0);
    expect(contributions).toBeCloseTo(expected, 0);
  });

  it('is benign when reliable providers agree there is nothing bad', () => {
    const aggregate = aggregateVerdict([
      result('greynoise', 'benign', 0, 90, { riot: true }),
      result('abuseipdb', 'benign', 5, 70),
      result('virustotal', 'unknown', 0, 20),
    ]);

    expect(aggregate.verdict).toBe('benign');
    expect(aggregate.score).toBe(2);
    // noisy-OR of 0.675 and 0.56, all evidence on the benign side.
    expect(aggregate.confidence).toBe(86);
  });

  it('gives more confidence when two reliable sources agree than when one speaks alone', () => {
    const one = aggregateVerdict([result('virustotal', 'malicious', 85, 80)]);
    const two = aggregateVerdict([
      result('virustotal', 'malicious', 85, 80),
      result('threatfox', 'malicious', 100, 75),
    ]);

    expect(one.confidence).toBe(72);
    expect(two.confidence).toBeGreaterThan(one.confidence);
    expect(two.verdict).toBe('malicious');
  });

  it('ignores context providers with weight 0 even when they give an opinion', () => {
    const aggregate = aggregateVerdict([
      result('shodan', 'malicious', 80, 60),
      result('geoip', 'unknown', 0, 0, { asn: 15169 }),
    ]);

    expect(aggregate.verdict).toBe('unknown');
    expect(aggregate.explanation.find((row) => row.provider === 'shodan')?.note).toContain('weight 0');
  });

  it('lets the tenant allow-list override every other result', () => {
    const aggregate = aggregateVerdict([
      result('virustotal', 'malicious', 95, 95),
      result('threatfox', 'malicious', 100, 90),
      result('intel-store', 'benign', 0, 100, { allowListed: true, reason: 'our mail relay' }),
    ]);

    expect(aggregate).toMatchObject({ verdict: 'benign', score: 0, confidence: 100 });
    expect(aggregate.explanation[0]).toMatchObject({ provider: 'intel-store', contribution: 0 });
    expect(aggregate.explanation[0]?.note).toContain('our mail relay');
    expect(aggregate.explanation.slice(1).every((row) => row.note === 'Overridden by the allow-list.')).toBe(
      true,
    );
    expect(aggregate.summary).toContain('allow-list: our mail relay');
  });

  it('does not take allowListed from a third-party provider as an override', () => {
    const aggregate = aggregateVerdict([
      result('virustotal', 'malicious', 95, 95),
      result('otx', 'benign', 0, 60, { allowListed: true }),
    ]);

    expect(aggregate.verdict).toBe('malicious');
  });

  it('treats an IOC in the tenant store as strong evidence', () => {
    const aggregate = aggregateVerdict([
      result('intel-store', 'malicious', 90, 90),
      result('virustotal', 'benign', 0, 60),
      result('abuseipdb', 'benign', 0, 70),
    ]);

    expect(aggregate).toMatchObject({ verdict: 'malicious', score: 90 });
  });

  it('gives the same answer whatever order providers answered in', () => {
    const results = [
      result('virustotal', 'malicious', 75, 60),
      result('otx', 'suspicious', 40, 50),
      result('abuseipdb', 'benign', 10, 40),
      result('geoip', 'unknown', 0, 0),
      result('greynoise', 'unknown', 0, 10),
    ];

    const forward = aggregateVerdict(results);
    const backward = aggregateVerdict([...results].reverse());
    const shuffled = aggregateVerdict([
      results[2],
      results[4],
      results[0],
      results[3],
      results[1],
    ] as ProviderResult[]);

    expect(backward).toEqual(forward);
    expect(shuffled).toEqual(forward);
  });

  it('applies a tenant policy: thresholds and provider weights', () => {
    const results = [result('otx', 'suspicious', 55, 70), result('abuseipdb', 'benign', 0, 80)];
    const strict = verdictPolicySchema.parse({
      thresholds: { malicious: 60, suspicious: 20 },
      weights: { otx: 1, abuseipdb: 0.2 },
    });

    const byDefault = aggregateVerdict(results);
    const byTenant = aggregateVerdict(results, strict);

    // Default: otx 0.6 × 0.7 = 0.42 vs abuseipdb 0.8 × 0.8 = 0.64 → 55·0.42/1.06 ≈ 22 → benign.
    expect(byDefault).toMatchObject({ verdict: 'benign', score: 22 });
    // Tenant: otx 0.7 vs abuseipdb 0.16 → 55·0.7/0.86 ≈ 45 → suspicious (≥ 20), not malicious (< 60).
    expect(byTenant).toMatchObject({ verdict: 'suspicious', score: 45 });
    // Providers the tenant did not mention keep their defaults.
    expect(strict.weights.virustotal).toBe(0.9);
  });

  it('does not let a strong suspicious answer be averaged down to benign', () => {
    const aggregate = aggregateVerdict([
      result('greynoise', 'suspicious', 50, 85),
      result('abuseipdb', 'benign', 0, 80),
      result('otx', 'benign', 0, 80),
    ]);

    expect(aggregate).toMatchObject({ verdict: 'suspicious', score: 50 });
  });

  it('scores an unknown provider name with the default weight', () => {
    const aggregate = aggregateVerdict([result('some-new-feed', 'malicious', 80, 100)]);

    expect(aggregate.explanation[0]?.weight).toBe(defaultVerdictPolicy.defaultWeight);
    expect(aggregate).toMatchObject({ verdict: 'malicious', score: 80, confidence: 50 });
  });
});

describe('verdict policy setting', () => {
  it('fills every default from an empty setting', () => {
    expect(verdictPolicySchema.parse({})).toEqual(defaultVerdictPolicy);
    expect(defaultVerdictPolicy.thresholds).toEqual({ malicious: 70, suspicious: 30 });
    expect(defaultVerdictPolicy.weights['intel-store']).toBe(1);
    expect(defaultVerdictPolicy.weights.shodan).toBe(0);
  });

  it('rejects a suspicious threshold at or above the malicious one', () => {
    const parsed = verdictPolicySchema.safeParse({ thresholds: { malicious: 50, suspicious: 50 } });

    expect(parsed.success).toBe(false);
  });

  it('rejects weights outside 0–1 and unknown keys', () => {
    expect(verdictPolicySchema.safeParse({ weights: { virustotal: 2 } }).success).toBe(false);
    expect(verdictPolicySchema.safeParse({ threshold: 10 }).success).toBe(false);
  });
});
