/*
 * The Mann–Whitney U test and the judge on it (src/workflows/domain/mann-whitney.ts), against the
 * published examples of the test.
 */
import { compareTracks, mannWhitney, normalCdf, scoreComparisons, withComparisons, type SampledCheck } from '../../src/workflows/domain/mann-whitney';
import { decideRound, type RoundVerdict } from '../../src/workflows/domain/analysis';

describe('mannWhitney: published examples', () => {
  test("R's wilcox.test example (Hollander & Wolfe 1973, p. 69, permeability at term vs 12–26 weeks): W = 35, one-sided p = 0.1272, difference in location 0.305", () => {
    const x = [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
    const y = [1.15, 0.88, 0.9, 0.74, 1.21];
    const result = mannWhitney(x, y);
    expect(result.u).toBe(35);
    expect(result.pGreater).toBeCloseTo(0.1272, 4);
    expect(result.shift).toBeCloseTo(0.305, 6);
    expect(result.exact).toBe(true);
  });

  test('Wikipedia\'s tortoise and hare (finishing order T H H H H H T T T T T H): U = 25 for the tortoises, 11 for the hares', () => {
    const order = 'THHHHHTTTTTH'.split('');
    const positions = (who: string) => order.flatMap((runner, index) => (runner === who ? [index + 1] : []));
    const result = mannWhitney(positions('T'), positions('H'));
    expect([result.u, result.uOther]).toEqual([25, 11]);
  });

  test('the exact distribution: the smallest two-sided p of 3 vs 3 fully separated values is 2/20', () => {
    expect(mannWhitney([4, 5, 6], [1, 2, 3]).pValue).toBeCloseTo(0.1, 10);
    expect(mannWhitney([4, 5, 6], [1, 2, 3]).pGreater).toBeCloseTo(0.05, 10);
  });

  test('with ties, the normal approximation (tie-corrected variance, continuity correction) agrees with the exact test where both apply', () => {
    // Two samples of 20 without ties, once exact and once with a tie added that leaves the ranks almost unchanged.
    const canary = Array.from({ length: 20 }, (_, i) => 10 + i * 0.5);
    const primary = Array.from({ length: 20 }, (_, i) => 7.25 + i * 0.5);
    const exact = mannWhitney(canary, primary);
    const approximate = mannWhitney([...canary.slice(0, 19), canary[18]!], primary);
    expect(exact.exact).toBe(true);
    expect(approximate.exact).toBe(false);
    expect(Math.abs(exact.pGreater - approximate.pGreater)).toBeLessThan(0.01);
  });

  test('identical samples: no evidence either way', () => {
    const same = [1, 1, 2, 2, 3, 3];
    expect(mannWhitney(same, same)).toMatchObject({ u: 18, shift: 0 });
    expect(mannWhitney(same, same).pValue).toBeCloseTo(1, 6);
  });

  test.each([
    [0, 0.5],
    [1.96, 0.975],
    [-2.326, 0.01],
  ])('normalCdf(%d) = %d', (z, p) => expect(normalCdf(z)).toBeCloseTo(p, 3));
});

describe('compareTracks: Kayenta-style verdict per check', () => {
  const successRate = (canary: number[], primary: number[]): SampledCheck => ({ name: 'request-success-rate', bound: 'min', unit: '%', canary, primary });
  const p99 = (canary: number[], primary: number[]): SampledCheck => ({ name: 'request-duration', bound: 'max', unit: 'ms', canary, primary });
  const primaryRates = [99.1, 98.9, 99.0, 99.2, 98.8, 99.0, 99.1, 98.9];

  test('a canary whose success rate is lower in every window fails with its p-value', () => {
    const judged = compareTracks(successRate([98.1, 97.9, 98.0, 98.2, 97.8, 98.0, 98.1, 97.9], primaryRates));
    expect(judged.check.passed).toBe(false);
    expect(judged.pValue!).toBeLessThan(0.001);
    expect(judged.check.reason).toMatch(/^request-success-rate-mann-whitney: canary median 98%, primary 99% \(8\/8 samples\), shift -1%, p\(lower\) = .* < 0\.020: the canary is lower$/);
  });

  test('a canary drawn from the same spread passes; a better canary passes (one-sided)', () => {
    expect(compareTracks(successRate([99.0, 99.1, 98.9, 99.2, 98.8, 99.0, 98.9, 99.1], primaryRates)).check.passed).toBe(true);
    expect(compareTracks(successRate([99.9, 99.8, 99.9, 99.7, 99.9, 99.8, 99.9, 99.8], primaryRates)).check.passed).toBe(true);
  });

  test('a latency check fails the other way: higher is worse', () => {
    expect(compareTracks(p99([180, 190, 185, 200, 195], [120, 125, 118, 130, 122])).check).toMatchObject({ passed: false, name: 'request-duration-mann-whitney' });
    // Five against five fully apart: p = 1/252, under 0.02.
    expect(compareTracks(p99([180, 190, 185, 200, 195], [120, 125, 118, 130, 122])).pValue).toBeCloseTo(1 / 252, 10);
    expect(compareTracks(p99([100, 105, 98, 110, 102], [120, 125, 118, 130, 122])).check.passed).toBe(true);
  });

  test('too few canary samples fail; too few primary samples leave nothing to compare (shown, left out of the score)', () => {
    expect(compareTracks(successRate([99, 99, 99, 99], primaryRates)).check).toMatchObject({ passed: false, value: null });
    const alone = compareTracks(successRate([99, 98, 97, 99, 98], []));
    expect(alone).toMatchObject({ pValue: null, check: { passed: true, reference: null } });
    expect(scoreComparisons([alone])).toEqual({ score: 100, result: 'pass' });
  });
});

describe('scoring a round, Kayenta\'s way', () => {
  const comparison = (passed: boolean) => ({ pValue: passed ? 0.5 : 0.001, check: { name: 'x', value: 1, threshold: 0.02, passed, reason: 'x' } });
  const threshold: RoundVerdict = { passed: true, checks: [] };

  test.each<[string, boolean[], number, 'pass' | 'marginal' | 'fail']>([
    ['all pass', [true, true, true, true], 100, 'pass'],
    ['three of four', [true, true, true, false], 75, 'pass'],
    ['two of four', [true, true, false, false], 50, 'marginal'],
    ['one of three', [true, false, false], 33, 'fail'],
  ])('%s: score %d, %s', (_name, passes, score, result) => {
    expect(scoreComparisons(passes.map(comparison))).toEqual({ score, result });
  });

  test('a marginal round holds the weight without counting a failed check; a failed score counts; a failed threshold check fails whatever the score', () => {
    const marginal = withComparisons(threshold, [comparison(true), comparison(false)]);
    expect(marginal).toMatchObject({ passed: false, marginal: true, score: 50 });
    expect(decideRound(marginal, 1, 3)).toMatchObject({ action: 'hold', failedChecks: 1, reason: expect.stringMatching(/^marginal \(score 50\): not counted as failed/) });
    expect(decideRound(withComparisons(threshold, [comparison(false)]), 1, 2)).toMatchObject({ action: 'rollback', failedChecks: 2 });
    const absoluteFailed: RoundVerdict = { passed: false, checks: [{ name: 'request-success-rate', value: 90, threshold: 97, passed: false, reason: 'request-success-rate 90% below minimum 97%' }] };
    expect(withComparisons(absoluteFailed, [comparison(true)])).toMatchObject({ passed: false, score: 100 });
    expect(withComparisons(absoluteFailed, [comparison(true)]).marginal).toBeUndefined();
  });
});
