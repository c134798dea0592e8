/*
 * Checks against the primary and dry-run checks (src/workflows/domain/analysis.ts, queries.ts): the
 * canary's value held to the primary's measured in the same round with the same template, and
 * checks that are shown but never decide.
 */
import { decideRound, judgeCheck, judgeRound, METRIC_MESSAGES, type MetricOutcome, type MetricReading } from '../../src/workflows/domain/analysis';
import { metricChecks, traefikServicePattern, type MetricChecksInput } from '../../src/workflows/domain/queries';

const value = (number: number): MetricOutcome => ({ kind: 'value', value: number });
const noData: MetricOutcome = { kind: 'noData', message: METRIC_MESSAGES.noData };
const timeout: MetricOutcome = { kind: 'timeout', message: 'Prometheus did not answer within 10000ms' };

const vsPrimary = (name: string, bound: 'min' | 'max', allowed: number, change: 'absolute' | 'percent', unit: string, canary: MetricOutcome, primary: MetricOutcome): MetricReading => ({
  name,
  bound,
  threshold: allowed,
  unit,
  reference: { change },
  outcome: canary,
  referenceOutcome: primary,
});
const successVsPrimary = (canary: number, primary: number, maxDecrease = 0.5) => vsPrimary('request-success-rate-vs-primary', 'min', maxDecrease, 'absolute', '%', value(canary), value(primary));
const p99VsPrimary = (canary: number, primary: number, maxIncreasePercent = 20) => vsPrimary('request-duration-vs-primary', 'max', maxIncreasePercent, 'percent', 'ms', value(canary), value(primary));

describe('judgeCheck against the primary', () => {
  test.each<[string, MetricReading, boolean, string, number, number | null]>([
    ['a canary within 0.5 points of a 98.6% primary passes', successVsPrimary(98.3, 98.6), true, 'request-success-rate-vs-primary: canary 98.30%, primary 98.60%, allowed −0.5 (minimum 98.10%)', 98.1, 98.6],
    ['one exactly at the bound passes', successVsPrimary(98, 98.5), true, 'request-success-rate-vs-primary: canary 98%, primary 98.50%, allowed −0.5 (minimum 98%)', 98, 98.5],
    ['"canary 98.1%, primary 98.6%, allowed −0.3" fails', successVsPrimary(98.1, 98.6, 0.3), false, 'request-success-rate-vs-primary: canary 98.10%, primary 98.60%, allowed −0.3 (minimum 98.30%): below it', 98.3, 98.6],
    ['a doubled error rate (99.8% vs 99.9%) fails a 0.05-point bound that a 99% threshold would pass', successVsPrimary(99.8, 99.9, 0.05), false, 'request-success-rate-vs-primary: canary 99.80%, primary 99.90%, allowed −0.05 (minimum 99.85%): below it', 99.85, 99.9],
    ['a canary better than the primary passes', successVsPrimary(99.9, 98.5), true, 'request-success-rate-vs-primary: canary 99.90%, primary 98.50%, allowed −0.5 (minimum 98%)', 98, 98.5],
    ['a p99 20% above the primary passes', p99VsPrimary(240, 200), true, 'request-duration-vs-primary: canary 240ms, primary 200ms, allowed +20% (maximum 240ms)', 240, 200],
    ['a p99 21% above fails', p99VsPrimary(242, 200), false, 'request-duration-vs-primary: canary 242ms, primary 200ms, allowed +20% (maximum 240ms): above it', 240, 200],
    ['a percent bound on a zero primary allows nothing above zero', vsPrimary('errors-vs-primary', 'max', 50, 'percent', '', value(0.1), value(0)), false, 'errors-vs-primary: canary 0.10, primary 0, allowed +50% (maximum 0): above it', 0, 0],
    ['an absolute increase in the unit of the check', vsPrimary('request-duration-vs-primary', 'max', 50, 'absolute', 'ms', value(249), value(200)), true, 'request-duration-vs-primary: canary 249ms, primary 200ms, allowed +50ms (maximum 250ms)', 250, 200],
  ])('%s', (_name, reading, passed, reason, threshold, reference) => {
    expect(judgeCheck(reading)).toEqual({ name: reading.name, value: (reading.outcome as { value: number }).value, threshold: expect.closeTo(threshold, 9), passed, reason, reference });
  });

  test('a primary that served nothing in the window (the canary at 100%) leaves nothing to compare: passed, and it says so', () => {
    const judged = judgeCheck(vsPrimary('request-success-rate-vs-primary', 'min', 0.5, 'absolute', '%', value(97), noData));
    expect(judged).toMatchObject({ passed: true, value: 97, reference: null });
    expect(judged.reason).toBe('request-success-rate-vs-primary: the primary served no requests in the window, nothing to compare with (allowed −0.5); the other checks decide');
  });

  test("a primary whose query failed is a failed check naming the primary's failure", () => {
    const judged = judgeCheck(vsPrimary('request-success-rate-vs-primary', 'min', 0.5, 'absolute', '%', value(99), timeout));
    expect(judged).toMatchObject({ passed: false, value: null, reference: null });
    expect(judged.reason).toBe('request-success-rate-vs-primary: primary: the metrics query failed (Prometheus did not answer within 10000ms); counted as a failed check');
  });

  test('a canary without data fails, with the primary value kept', () => {
    const judged = judgeCheck(vsPrimary('request-success-rate-vs-primary', 'min', 0.5, 'absolute', '%', noData, value(99)));
    expect(judged).toMatchObject({ passed: false, value: null, reference: 99 });
    expect(judged.reason).toContain('request-success-rate-vs-primary: canary: no data returned');
  });

  test('a reading from an older worker without the primary outcome is a failed check, never a crash', () => {
    const judged = judgeCheck({ ...successVsPrimary(99, 99), referenceOutcome: undefined });
    expect(judged.passed).toBe(false);
    expect(judged.reason).toContain('primary: the metrics query failed');
  });
});

describe('dry-run checks are shown and never decide', () => {
  const failingDryRun: MetricReading = { name: 'errors', bound: 'max', threshold: 1, unit: '', outcome: value(7), dryRun: true };
  const passing: MetricReading = { name: 'request-success-rate', bound: 'min', threshold: 99, unit: '%', outcome: value(99.5) };

  test('a failing dry-run check is marked and does not fail the round', () => {
    const verdict = judgeRound([passing, failingDryRun]);
    expect(verdict.passed).toBe(true);
    expect(verdict.checks[1]).toEqual({ name: 'errors', value: 7, threshold: 1, passed: false, dryRun: true, reason: 'dry-run: errors 7 above maximum 1' });
  });

  test("a failed round's reason leaves dry-run failures out", () => {
    const failing: MetricReading = { ...passing, outcome: value(90) };
    const decision = decideRound(judgeRound([failing, failingDryRun]), 0, 3);
    expect(decision).toEqual({ action: 'hold', failedChecks: 1, reason: 'failed check 1/3: request-success-rate 90% below minimum 99%' });
  });

  test('a round of dry-run checks only passes, whatever they read', () => {
    expect(judgeRound([failingDryRun, { ...failingDryRun, name: 'other', outcome: noData }]).passed).toBe(true);
  });
});

describe('metricChecks with the primary as reference', () => {
  const input = (metrics: Partial<MetricChecksInput> = {}): MetricChecksInput => ({
    namespace: 'shop',
    intervalMs: 60_000,
    requestSuccessRate: { enabled: true, threshold: 97, maxDecrease: 0.5 },
    requestDuration: { enabled: true, threshold: 500, maxIncreasePercent: 20 },
    custom: [],
    ...metrics,
  });
  const primary = { service: 'web', servicePattern: traefikServicePattern('shop', 'web') };

  test('each relative bound is a check of its own whose primary query is the same template on the primary', () => {
    const checks = metricChecks(input(), 'web-canary', undefined, primary);
    expect(checks.map(({ name, bound, threshold, reference }) => ({ name, bound, threshold, change: reference?.change }))).toEqual([
      { name: 'request-success-rate', bound: 'min', threshold: 97, change: undefined },
      { name: 'request-success-rate-vs-primary', bound: 'min', threshold: 0.5, change: 'absolute' },
      { name: 'request-duration', bound: 'max', threshold: 500, change: undefined },
      { name: 'request-duration-vs-primary', bound: 'max', threshold: 20, change: 'percent' },
    ]);
    const successVs = checks[1]!;
    expect(successVs.query).toBe(checks[0]!.query);
    expect(successVs.reference!.query).toBe(successVs.query.replaceAll('shop-web-canary-[0-9]+@kubernetescrd', 'shop-web-[0-9]+@kubernetescrd'));
  });

  test('a config without relative bounds resolves to the same checks as before (no reference, no dry-run field)', () => {
    const checks = metricChecks(input({ requestSuccessRate: { enabled: true, threshold: 99 }, requestDuration: { enabled: true, threshold: 500 } }), 'web-canary', undefined, primary);
    expect(checks.map((check) => Object.keys(check).sort())).toEqual([
      ['bound', 'name', 'query', 'threshold', 'unit'],
      ['bound', 'name', 'query', 'threshold', 'unit'],
    ]);
  });

  test("a custom query renders {{ target }} as the primary for its reference; a primaryQuery replaces it when the template names its track itself", () => {
    const custom = [
      { name: 'errors', query: 'sum(rate(errors{service="{{ target }}"}[{{ interval }}]))', max: 5, maxIncrease: 1 },
      { name: 'flagger-errors', query: 'sum(rate(errors{pod=~"{{ namespace }}-{{ target }}-canary-.*"}[{{ interval }}]))', maxIncreasePercent: 10, primaryQuery: 'sum(rate(errors{pod=~"{{ namespace }}-{{ target }}-primary-.*"}[{{ interval }}]))' },
    ];
    const checks = metricChecks(input({ requestSuccessRate: { enabled: false, threshold: 99 }, requestDuration: { enabled: false, threshold: 500 }, custom }), 'web-canary', undefined, { service: 'web', servicePattern: 'unused' });
    expect(checks.map(({ name, query, reference }) => ({ name, query, primary: reference?.query }))).toEqual([
      { name: 'errors', query: 'sum(rate(errors{service="web-canary"}[1m]))', primary: undefined },
      { name: 'errors-vs-primary', query: 'sum(rate(errors{service="web-canary"}[1m]))', primary: 'sum(rate(errors{service="web"}[1m]))' },
      { name: 'flagger-errors-vs-primary', query: 'sum(rate(errors{pod=~"shop-web-canary-canary-.*"}[1m]))', primary: 'sum(rate(errors{pod=~"shop-web-primary-.*"}[1m]))' },
    ]);
  });

  test('several bounds on one check are suffixed by their kind; dry-run marks every check of a dry-run metric', () => {
    const checks = metricChecks(input({ requestDuration: { enabled: true, threshold: 500, maxIncrease: 100, maxIncreasePercent: 20, dryRun: true }, requestSuccessRate: { enabled: false, threshold: 99 } }), 'web-canary', undefined, primary);
    expect(checks.map(({ name, dryRun }) => [name, dryRun])).toEqual([
      ['request-duration', true],
      ['request-duration-vs-primary-increase', true],
      ['request-duration-vs-primary-increase-percent', true],
    ]);
  });

  test('without a reference track (a drill measures the primary itself) the relative bounds add nothing', () => {
    expect(metricChecks(input(), 'web').map((check) => check.name)).toEqual(['request-success-rate', 'request-duration']);
  });
});
