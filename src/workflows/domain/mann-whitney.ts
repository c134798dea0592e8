/*
 * The Mann–Whitney U test (Wilcoxon rank-sum), as Kayenta judges a canary against its baseline:
 * two independent samples, no assumption on their distribution. Exact p-values for small samples
 * without ties (the distribution of U counted), the normal approximation with tie and continuity
 * corrections otherwise, and the Hodges–Lehmann estimate of the shift between the two.
 */
import type { CheckResult, MetricFault, RoundVerdict } from './analysis';

/** A range query's answer: the finite values of its one series, oldest first (windows without requests left out), or why there are none. */
export type SamplesOutcome = { kind: 'samples'; values: number[] } | MetricFault;

export interface MannWhitneyResult {
  /** U of the first sample (the canary): how often one of its values lies above one of the other's, ties counting half. */
  u: number;
  /** U of the second sample: n1·n2 − u. */
  uOther: number;
  /** Two-sided p-value: how likely samples this far apart are when both come from one distribution. */
  pValue: number;
  /** One-sided p-values: the first sample greater (`pGreater`) or less (`pLess`) than the second. */
  pGreater: number;
  pLess: number;
  /** Hodges–Lehmann: the median of all differences canary − other; the shift in the check's unit. */
  shift: number;
  exact: boolean;
}

/** Samples at most this large (n1·n2) without ties get the exact distribution of U. */
const EXACT_LIMIT = 2_500;

/** Average ranks (1-based) of `values`, ties sharing the mean of their ranks, and the tie correction Σ(t³ − t). */
function ranks(values: readonly number[]): { ranks: number[]; tieTerm: number } {
  const order = values.map((value, index) => ({ value, index })).sort((a, b) => a.value - b.value);
  const result = new Array<number>(values.length);
  let tieTerm = 0;
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && order[end + 1]!.value === order[start]!.value) end += 1;
    const rank = (start + end + 2) / 2;
    for (let k = start; k <= end; k += 1) result[order[k]!.index] = rank;
    const t = end - start + 1;
    tieTerm += t ** 3 - t;
    start = end + 1;
  }
  return { ranks: result, tieTerm };
}

/** P(U ≤ u) for samples of n1 and n2 without ties: the number of arrangements with U = k, counted by recursion on the largest value. */
function exactCdf(n1: number, n2: number): (u: number) => number {
  // counts[i][j][k]: arrangements of i and j values with U = k (the largest value belongs to one sample or the other).
  const memo = new Map<string, number[]>();
  const counts = (i: number, j: number): number[] => {
    if (i === 0 || j === 0) return [1];
    const key = `${i},${j}`;
    const cached = memo.get(key);
    if (cached) return cached;
    const result = new Array<number>(i * j + 1).fill(0);
    // The largest value is the first sample's: it lies above all j values of the second.
    counts(i - 1, j).forEach((count, k) => (result[k + j]! += count));
    counts(i, j - 1).forEach((count, k) => (result[k]! += count));
    memo.set(key, result);
    return result;
  };
  const distribution = counts(n1, n2);
  const total = distribution.reduce((sum, count) => sum + count, 0);
  return (u) => distribution.slice(0, Math.floor(u + 1e-9) + 1).reduce((sum, count) => sum + count, 0) / total;
}

/** The standard normal CDF (Abramowitz & Stegun 7.1.26 through erf; absolute error below 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The test on two non-empty samples of finite numbers. */
export function mannWhitney(sample: readonly number[], other: readonly number[]): MannWhitneyResult {
  const n1 = sample.length;
  const n2 = other.length;
  if (!n1 || !n2) throw new Error('the Mann–Whitney test needs at least one value in each sample');
  const all = [...sample, ...other];
  const { ranks: ranked, tieTerm } = ranks(all);
  const rankSum = ranked.slice(0, n1).reduce((sum, rank) => sum + rank, 0);
  const u = rankSum - (n1 * (n1 + 1)) / 2;
  const uOther = n1 * n2 - u;
  const differences = sample.flatMap((a) => other.map((b) => a - b));
  const shift = median(differences);
  if (tieTerm === 0 && n1 * n2 <= EXACT_LIMIT) {
    const cdf = exactCdf(n1, n2);
    const pLess = cdf(u);
    const pGreater = cdf(uOther);
    return { u, uOther, pValue: Math.min(1, 2 * Math.min(pLess, pGreater)), pGreater, pLess, shift, exact: true };
  }
  const n = n1 + n2;
  const mean = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (variance <= 0) return { u, uOther, pValue: 1, pGreater: 1, pLess: 1, shift, exact: false };
  const sd = Math.sqrt(variance);
  // Continuity correction of half a step toward the mean, as R's wilcox.test(correct = TRUE).
  const pGreater = 1 - normalCdf((u - mean - 0.5) / sd);
  const pLess = normalCdf((u - mean + 0.5) / sd);
  return { u, uOther, pValue: Math.min(1, 2 * Math.min(pLess, pGreater)), pGreater, pLess, shift, exact: false };
}

/** What one comparison needs: the check's direction, and each track's samples over the round (finite values only). */
export interface SampledCheck {
  name: string;
  /** `min`: lower is worse (a success rate); `max`: higher is worse (a latency). */
  bound: 'min' | 'max';
  unit: string;
  canary: number[];
  primary: number[];
}

/**
 * Kayenta's defaults: a 98% confidence, a round passes at a score of 75 and is marginal from 50.
 * Five samples a track at least: with four or fewer the smallest one-sided p-value (1/70 for 4
 * against 4, 1/20 for 3) leaves almost no room under 1 − confidence, and with 3 none at 98%.
 */
export const MANN_WHITNEY_DEFAULTS = { confidence: 0.98, pass: 75, marginal: 50, minSamples: 5 } as const;

/** A comparison judged: the check result, with the p-value a person reads. */
export interface Comparison {
  check: CheckResult;
  pValue: number | null;
}

const shownNumber = (value: number, unit: string) => `${Number.isInteger(value) ? value : value.toFixed(2)}${unit}`;

/**
 * One check compared, canary against primary: it fails when the canary is worse with a p-value
 * below 1 − confidence (one-sided, in the check's bad direction). A canary with fewer than
 * `minSamples` values fails (nothing to judge); a primary with fewer (all traffic on the canary:
 * blue-green after the switch) leaves nothing to compare: shown, left out of the score.
 */
export function compareTracks(sampled: SampledCheck, confidence: number = MANN_WHITNEY_DEFAULTS.confidence, minSamples: number = MANN_WHITNEY_DEFAULTS.minSamples): Comparison {
  const name = `${sampled.name}-mann-whitney`;
  const alpha = 1 - confidence;
  if (sampled.canary.length < minSamples) {
    return {
      check: { name, value: null, threshold: alpha, passed: false, reason: `${name}: ${sampled.canary.length} canary samples, at least ${minSamples} needed (no requests in most windows?); counted as a failed check` },
      pValue: null,
    };
  }
  if (sampled.primary.length < minSamples) {
    return {
      check: { name, value: median(sampled.canary), threshold: alpha, passed: true, reference: null, reason: `${name}: ${sampled.primary.length} primary samples (the primary served too few requests): nothing to compare; the other checks decide` },
      pValue: null,
    };
  }
  const test = mannWhitney(sampled.canary, sampled.primary);
  const pWorse = sampled.bound === 'min' ? test.pLess : test.pGreater;
  const passed = pWorse >= alpha;
  const canaryMedian = median(sampled.canary);
  const primaryMedian = median(sampled.primary);
  const direction = sampled.bound === 'min' ? 'lower' : 'higher';
  return {
    check: {
      name,
      value: canaryMedian,
      threshold: alpha,
      passed,
      reference: primaryMedian,
      reason:
        `${name}: canary median ${shownNumber(canaryMedian, sampled.unit)}, primary ${shownNumber(primaryMedian, sampled.unit)} (${sampled.canary.length}/${sampled.primary.length} samples), ` +
        `shift ${test.shift >= 0 ? '+' : ''}${shownNumber(test.shift, sampled.unit)}, p(${direction}) = ${pWorse.toPrecision(2)} ${passed ? '≥' : '<'} ${alpha.toPrecision(2)}${passed ? '' : `: the canary is ${direction}`}`,
    },
    pValue: pWorse,
  };
}

/** A round's score (0–100, the share of comparisons that passed) and what it makes of the round, Kayenta's way. */
export function scoreComparisons(comparisons: readonly Comparison[], thresholds: { pass: number; marginal: number } = MANN_WHITNEY_DEFAULTS): { score: number; result: 'pass' | 'marginal' | 'fail' } {
  // A comparison with nothing to compare it with (a passed check without a p-value) is left out.
  const scored = comparisons.filter((comparison) => comparison.pValue !== null || !comparison.check.passed);
  if (!scored.length) return { score: 100, result: 'pass' };
  const score = Math.round((100 * scored.filter((comparison) => comparison.check.passed).length) / scored.length);
  return { score, result: score >= thresholds.pass ? 'pass' : score >= thresholds.marginal ? 'marginal' : 'fail' };
}

/**
 * A round judged by both: the threshold checks (any counted failure fails the round, as without a
 * judge) and the comparisons' score (below `marginal` fails it; between `marginal` and `pass` it is
 * marginal: it neither passes nor counts as failed).
 */
export function withComparisons(verdict: RoundVerdict, comparisons: readonly Comparison[], thresholds: { pass: number; marginal: number } = MANN_WHITNEY_DEFAULTS): RoundVerdict {
  const { score, result } = scoreComparisons(comparisons, thresholds);
  const checks = [...verdict.checks, ...comparisons.map((comparison) => comparison.check)];
  if (!verdict.passed || result === 'fail') return { passed: false, checks, score };
  return result === 'marginal' ? { passed: false, marginal: true, checks, score } : { passed: true, checks, score };
}

/** One check as the statistical judge samples it: its query on each track, over windows of the sample interval. */
export interface ComparedQuery {
  name: string;
  bound: 'min' | 'max';
  unit: string;
  query: string;
  primaryQuery: string;
}

/** What the sampling activity returned for one compared check. */
export interface SampledAnswer {
  name: string;
  bound: 'min' | 'max';
  unit: string;
  canary: SamplesOutcome;
  primary: SamplesOutcome;
}

/** The judge's settings, as `analysis.mannWhitney` resolves them (durations in ms). */
export interface ComparisonSettings {
  confidence: number;
  pass: number;
  marginal: number;
  windowMs: number;
  stepMs: number;
}

/** Sampled answers compared: a track whose range query failed is a failed comparison saying so; one without data has no samples. */
export function compareSampled(answers: readonly SampledAnswer[], confidence: number): Comparison[] {
  return answers.map((answer) => {
    const failed = [answer.canary, answer.primary].find((outcome) => outcome.kind !== 'samples' && outcome.kind !== 'noData' && outcome.kind !== 'nan');
    if (failed && failed.kind !== 'samples') {
      const track = failed === answer.canary ? 'canary' : 'primary';
      const name = `${answer.name}-mann-whitney`;
      return { pValue: null, check: { name, value: null, threshold: 1 - confidence, passed: false, reason: `${name}: the ${track}'s range query failed (${failed.message}); counted as a failed check` } };
    }
    const values = (outcome: SamplesOutcome) => (outcome.kind === 'samples' ? outcome.values : []);
    return compareTracks({ name: answer.name, bound: answer.bound, unit: answer.unit, canary: values(answer.canary), primary: values(answer.primary) }, confidence);
  });
}

