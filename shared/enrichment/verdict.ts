import * as z from 'zod';
import type { IntelResult, Verdict } from '../integrations/ports';

/**
 * The aggregate verdict of an indicator: every provider's normalized result folded into one verdict,
 * score and confidence, with a per-provider explanation of how much each answer counted and why.
 *
 * The rule, in order:
 * 1. **Allow-list override.** A result from the tenant's own store (`intel-store`, or a dedicated
 *    `allow-list` provider) with `details.allowListed === true` makes the indicator `benign`, score 0,
 *    confidence 100, whatever the other providers say: the tenant has vouched for it. Every other
 *    result is still listed, with contribution 0.
 * 2. **Informative results only.** `unknown` results (absence of data, context such as geolocation)
 *    never enter the score, so "nobody knows" cannot dilute a real signal; neither do results from a
 *    provider whose weight is 0 (Shodan, geolocation: context, not reputation). When no result is
 *    informative the verdict is `unknown`, score 0, confidence 0.
 * 3. **Score = evidence-weighted mean.** Each informative result counts with
 *    `evidence = weight(provider) × confidence / 100`; the score is `Σ evidence·score / Σ evidence`.
 *    A provider's weight is its reliability, 0–1 (the tenant's own IOC store 1, VirusTotal 0.9, …).
 * 4. **Strong evidence sets a floor.** A `malicious` or `suspicious` result with confidence ≥
 *    `strongEvidence.minConfidence` from a provider with weight ≥ `strongEvidence.minWeight` raises the
 *    score to at least that result's score. One confident malicious from a reliable source is
 *    therefore never averaged away by a crowd of weak benign answers (a benign answer usually means
 *    "nothing seen", which a fresh IOC also looks like). Benign results never set a ceiling: only the
 *    allow-list can clear an indicator.
 * 5. **Verdict by thresholds**: score ≥ `thresholds.malicious` → malicious, ≥ `thresholds.suspicious`
 *    → suspicious, else benign.
 * 6. **Confidence** says how well the evidence supports the verdict: the noisy-OR of the evidence of
 *    the results on the verdict's side (malicious/suspicious for a bad verdict, benign for a benign
 *    one), `1 − Π(1 − evidence)`, times the share of all evidence that is on that side. Two reliable
 *    sources that agree give more confidence than one; disagreement lowers it.
 *
 * Pure and deterministic: results are processed in a canonical order (provider, then verdict, score
 * and confidence), so the output does not depend on the order in which providers answered.
 */

/** Providers whose `details.allowListed === true` clears the indicator (rule 1). */
export const ALLOW_LIST_PROVIDERS: readonly string[] = ['intel-store', 'allow-list'];

/**
 * Default reliability per provider name, 0–1. Geolocation and exposure data are context (0); the
 * tenant's own IOC store is the most trusted source. A tenant setting overrides single entries.
 */
export const DEFAULT_PROVIDER_WEIGHTS: Readonly<Record<string, number>> = {
  'intel-store': 1,
  virustotal: 0.9,
  threatfox: 0.85,
  abuseipdb: 0.8,
  greynoise: 0.75,
  otx: 0.6,
  ipqualityscore: 0.6,
  nvd: 0.6,
  // Only give an opinion when the tenant turned on their security options.
  ipgeolocation: 0.4,
  'ip-api': 0.2,
  shodan: 0,
  ipinfo: 0,
  geoip: 0,
  network: 0,
};

const weightSchema = z.number().min(0).max(1);

/**
 * The tenant's verdict setting. Every field is optional in the input and takes the default; `weights`
 * overrides single providers on top of `DEFAULT_PROVIDER_WEIGHTS`. The output is a complete policy.
 */
export const verdictPolicySchema = z.strictObject({
  thresholds: z
    .object({
      malicious: z.number().int().min(1).max(100).default(70),
      suspicious: z.number().int().min(1).max(100).default(30),
    })
    .default({ malicious: 70, suspicious: 30 })
    .refine((t) => t.suspicious < t.malicious, {
      message: 'The suspicious threshold must be below the malicious threshold.',
      path: ['suspicious'],
    }),
  weights: z
    .record(z.string().min(1).max(64), weightSchema)
    .default({})
    .transform((overrides) => ({ ...DEFAULT_PROVIDER_WEIGHTS, ...overrides })),
  /** Weight of a provider that is neither in the defaults nor in the tenant's overrides. */
  defaultWeight: weightSchema.default(0.5),
  strongEvidence: z
    .object({
      minConfidence: z.number().int().min(0).max(100).default(80),
      minWeight: weightSchema.default(0.75),
    })
    .default({ minConfidence: 80, minWeight: 0.75 }),
});

export type VerdictPolicy = z.output<typeof verdictPolicySchema>;
export type VerdictPolicyInput = z.input<typeof verdictPolicySchema>;

/** The platform default, used when a tenant has not configured anything. */
export const defaultVerdictPolicy: VerdictPolicy = verdictPolicySchema.parse({});

export interface ProviderResult {
  provider: string;
  result: IntelResult;
}

/** How one provider's answer counted. */
export interface VerdictExplanation {
  provider: string;
  verdict: Verdict;
  score: number;
  confidence: number;
  /** The provider's reliability weight under the policy, 0–1. */
  weight: number;
  /** Points of the aggregate score this answer contributed (0 when it did not count). */
  contribution: number;
  note: string;
}

export interface AggregateVerdict {
  verdict: Verdict;
  score: number;
  confidence: number;
  /** One entry per result, the ones that counted most first. */
  explanation: VerdictExplanation[];
  summary: string;
}

const BAD: ReadonlySet<Verdict> = new Set(['malicious', 'suspicious']);

const clamp100 = (value: number) => (Number.isFinite(value) ? Math.min(100, Math.max(0, value)) : 0);
const round1 = (value: number) => Math.round(value * 10) / 10;

/** The policy weight of a provider. */
export function providerWeight(policy: VerdictPolicy, provider: string): number {
  return policy.weights[provider] ?? policy.defaultWeight;
}

/** True when the result is the tenant's allow-list vouching for the indicator (rule 1). */
export function isAllowListHit(entry: ProviderResult): boolean {
  return ALLOW_LIST_PROVIDERS.includes(entry.provider) && entry.result.details.allowListed === true;
}

const verdictRank: Readonly<Record<Verdict, number>> = { malicious: 0, suspicious: 1, benign: 2, unknown: 3 };

function canonicalOrder(a: ProviderResult, b: ProviderResult): number {
  if (a.provider !== b.provider) return a.provider < b.provider ? -1 : 1;
  return (
    verdictRank[a.result.verdict] - verdictRank[b.result.verdict] ||
    b.result.score - a.result.score ||
    b.result.confidence - a.result.confidence
  );
}

function verdictFor(score: number, policy: VerdictPolicy): Verdict {
  if (score >= policy.thresholds.malicious) return 'malicious';
  if (score >= policy.thresholds.suspicious) return 'suspicious';
  return 'benign';
}

/**
 * Folds provider results into one verdict (see the module comment for the rule). `policy` is the
 * tenant's resolved setting; omit it for the platform default.
 */
export function aggregateVerdict(
  results: readonly ProviderResult[],
  policy: VerdictPolicy = defaultVerdictPolicy,
): AggregateVerdict {
  const ordered = [...results].sort(canonicalOrder);
  const rows = ordered.map((entry) => {
    const score = Math.round(clamp100(entry.result.score));
    const confidence = Math.round(clamp100(entry.result.confidence));
    const weight = providerWeight(policy, entry.provider);
    const informative = entry.result.verdict !== 'unknown' && weight > 0 && confidence > 0;
    return {
      entry,
      provider: entry.provider,
      verdict: entry.result.verdict,
      score,
      confidence,
      weight,
      evidence: informative ? (weight * confidence) / 100 : 0,
      informative,
    };
  });

  const allow = ordered.find(isAllowListHit);
  if (allow) {
    const reason = typeof allow.result.details.reason === 'string' ? `: ${allow.result.details.reason}` : '';
    const explanation = rows.map((row) => ({
      provider: row.provider,
      verdict: row.verdict,
      score: row.score,
      confidence: row.confidence,
      weight: row.weight,
      contribution: 0,
      note:
        row.entry === allow
          ? `On the tenant's allow-list${reason}; overrides every other result.`
          : 'Overridden by the allow-list.',
    }));
    return {
      verdict: 'benign',
      score: 0,
      confidence: 100,
      explanation: sortExplanation(explanation, allow.provider),
      summary: `benign: on the tenant's allow-list${reason} (${rows.length - 1} other result(s) overridden).`,
    };
  }

  const informative = rows.filter((row) => row.informative);
  const totalEvidence = informative.reduce((sum, row) => sum + row.evidence, 0);
  if (informative.length === 0 || totalEvidence === 0) {
    return {
      verdict: 'unknown',
      score: 0,
      confidence: 0,
      explanation: sortExplanation(
        rows.map((row) => ({
          provider: row.provider,
          verdict: row.verdict,
          score: row.score,
          confidence: row.confidence,
          weight: row.weight,
          contribution: 0,
          note: uninformativeNote(row),
        })),
      ),
      summary:
        rows.length === 0
          ? 'unknown: no provider has answered.'
          : `unknown: none of ${rows.length} provider(s) has reputation data on this indicator.`,
    };
  }

  const mean = informative.reduce((sum, row) => sum + row.evidence * row.score, 0) / totalEvidence;
  const strong = informative.filter(
    (row) =>
      BAD.has(row.verdict) &&
      row.confidence >= policy.strongEvidence.minConfidence &&
      row.weight >= policy.strongEvidence.minWeight,
  );
  const floorRow = strong.reduce<(typeof strong)[number] | undefined>(
    (best, row) => (best === undefined || row.score > best.score ? row : best),
    undefined,
  );
  const floored = floorRow !== undefined && floorRow.score > mean;
  const score = Math.round(floored ? floorRow.score : mean);
  const verdict = verdictFor(score, policy);

  const onSide = informative.filter((row) =>
    verdict === 'benign' ? row.verdict === 'benign' : BAD.has(row.verdict),
  );
  const sideEvidence = onSide.reduce((sum, row) => sum + row.evidence, 0);
  const noisyOr = 1 - onSide.reduce((product, row) => product * (1 - row.evidence), 1);
  const confidence = Math.round(100 * noisyOr * (sideEvidence / totalEvidence));

  const explanation = rows.map((row) => {
    if (!row.informative) {
      return {
        provider: row.provider,
        verdict: row.verdict,
        score: row.score,
        confidence: row.confidence,
        weight: row.weight,
        contribution: 0,
        note: uninformativeNote(row),
      };
    }
    const share = (row.evidence * row.score) / totalEvidence;
    const isFloor = floored && row === floorRow;
    return {
      provider: row.provider,
      verdict: row.verdict,
      score: row.score,
      confidence: row.confidence,
      weight: row.weight,
      // With a floor the score is that result's own score: it accounts for all of it.
      contribution: floored ? (isFloor ? score : 0) : round1(share),
      note: isFloor
        ? `Strong evidence (confidence ${row.confidence}, weight ${row.weight}): sets the score to at least ${row.score}.`
        : `Counts with evidence ${round1(row.evidence * 100) / 100} (weight × confidence)${floored ? '; outweighed by strong evidence' : ''}.`,
    };
  });

  const bad = informative.filter((row) => BAD.has(row.verdict)).length;
  const benign = informative.length - bad;
  const basis = floored
    ? `strong evidence from ${floorRow.provider} (${floorRow.verdict}, score ${floorRow.score})`
    : `weighted mean of ${informative.length} informative result(s)`;
  return {
    verdict,
    score,
    confidence,
    explanation: sortExplanation(explanation),
    summary:
      `${verdict} (score ${score}, confidence ${confidence}): ${basis}; ` +
      `${bad} malicious/suspicious, ${benign} benign, ${rows.length - informative.length} without reputation data.`,
  };
}

function uninformativeNote(row: { verdict: Verdict; weight: number; confidence: number }): string {
  if (row.verdict === 'unknown') return 'No reputation data: does not count.';
  if (row.weight === 0) return 'Context only (weight 0): does not count.';
  return 'Confidence 0: does not count.';
}

/** Most contributing first; ties by provider name, so the order is stable. */
function sortExplanation(rows: VerdictExplanation[], first?: string): VerdictExplanation[] {
  return rows.sort(
    (a, b) =>
      Number(b.provider === first) - Number(a.provider === first) ||
      b.contribution - a.contribution ||
      (a.provider < b.provider ? -1 : a.provider > b.provider ? 1 : 0),
  );
}
