import { decideRound, judgeCheck, judgeRound, type CheckResult, type MetricOutcome, type MetricReading, type RoundVerdict } from '../../src/workflows/domain/analysis';

const successRate = (outcome: MetricOutcome, extra: Partial<MetricReading> = {}): MetricReading => ({
  name: 'request-success-rate',
  bound: 'min',
  threshold: 99,
  unit: '%',
  outcome,
  ...extra,
});
const duration = (outcome: MetricOutcome, extra: Partial<MetricReading> = {}): MetricReading => ({
  name: 'request-duration',
  bound: 'max',
  threshold: 500,
  unit: 'ms',
  outcome,
  ...extra,
});
const value = (number: number): MetricOutcome => ({ kind: 'value', value: number });

describe('judgeCheck: a value against its threshold', () => {
  const cases: Array<[string, MetricReading, boolean, RegExp]> = [
    ['passes a success rate above the minimum', successRate(value(99.9)), true, /request-success-rate 99\.90% within minimum 99%/],
    ['passes a success rate exactly at the minimum', successRate(value(99)), true, /99% within minimum 99%/],
    ['fails a success rate below the minimum', successRate(value(98.5)), false, /request-success-rate 98\.50% below minimum 99%/],
    ['fails a success rate of zero', successRate(value(0)), false, /0% below minimum 99%/],
    ['passes a latency under the maximum', duration(value(120)), true, /request-duration 120ms within maximum 500ms/],
    ['passes a latency exactly at the maximum', duration(value(500)), true, /500ms within maximum 500ms/],
    ['fails a latency above the maximum', duration(value(500.5)), false, /request-duration 500\.50ms above maximum 500ms/],
    ['fails an infinite latency (every request in the +Inf bucket)', duration(value(Infinity)), false, /above maximum 500ms/],
    ['passes a unitless custom min check at its threshold', { name: 'throughput', bound: 'min', threshold: 5, unit: '', outcome: value(5) }, true, /throughput 5 within minimum 5/],
    ['fails a unitless custom max check above its threshold', { name: 'errors', bound: 'max', threshold: 1, unit: '', outcome: value(1.25) }, false, /errors 1\.25 above maximum 1$/],
  ];
  test.each(cases)('%s', (_name, reading, passed, reason) => {
    const check = judgeCheck(reading);
    expect(check.passed).toBe(passed);
    expect(check.reason).toMatch(reason);
    expect(check.name).toBe(reading.name);
    expect(check.threshold).toBe(reading.threshold);
    expect(check.value).toBe((reading.outcome as { value: number }).value);
  });
});

describe('judgeCheck: readings without a usable value fail and say why', () => {
  const cases: Array<[string, MetricReading, RegExp]> = [
    ['no data for a min check', successRate({ kind: 'noData' }), /request-success-rate: no data returned from the metric provider/],
    ['no data for a max check', duration({ kind: 'noData' }), /request-duration: no data returned from the metric provider/],
    ['NaN for a min check (0/0 without requests)', successRate(value(Number.NaN)), /request-success-rate: the query returned NaN/],
    ['NaN for a max check', duration(value(Number.NaN)), /request-duration: the query returned NaN/],
    ['a Prometheus error for a min check', successRate({ kind: 'error', message: 'bad_data: parse error at char 12' }), /request-success-rate: the metrics query failed \(bad_data: parse error at char 12\)/],
    ['a Prometheus error for a max check', duration({ kind: 'error', message: 'connect ECONNREFUSED' }), /request-duration: the metrics query failed \(connect ECONNREFUSED\)/],
  ];
  test.each(cases)('fails on %s', (_name, reading, reason) => {
    const check = judgeCheck(reading);
    expect(check).toMatchObject({ passed: false, value: null, threshold: reading.threshold });
    expect(check.reason).toMatch(reason);
    expect(check.reason).toMatch(/counted as a failed check/);
  });

  test('the three kinds of missing value give three different reasons', () => {
    const reasons = [successRate({ kind: 'noData' }), successRate(value(Number.NaN)), successRate({ kind: 'error', message: 'timeout' })].map((reading) => judgeCheck(reading).reason);
    expect(new Set(reasons).size).toBe(3);
  });

  test('adds the no-data hint to a no-data reason only', () => {
    const hint = 'No traffic reaches green: check the TraefikService mirror.';
    expect(judgeCheck(successRate({ kind: 'noData' }, { noDataHint: hint })).reason).toContain(hint);
    expect(judgeCheck(successRate({ kind: 'error', message: 'x' }, { noDataHint: hint })).reason).not.toContain(hint);
    expect(judgeCheck(successRate(value(50), { noDataHint: hint })).reason).not.toContain(hint);
  });
});

describe('judgeRound', () => {
  test('passes when every check passes', () => {
    const verdict = judgeRound([successRate(value(100)), duration(value(80))]);
    expect(verdict.passed).toBe(true);
    expect(verdict.checks.map((check) => check.passed)).toEqual([true, true]);
  });

  test('fails when a single check fails and keeps every check in order', () => {
    const verdict = judgeRound([successRate(value(100)), duration(value(800))]);
    expect(verdict.passed).toBe(false);
    expect(verdict.checks.map((check) => [check.name, check.passed])).toEqual([
      ['request-success-rate', true],
      ['request-duration', false],
    ]);
  });

  test('fails when a check has no data even if the others pass', () => {
    expect(judgeRound([successRate({ kind: 'noData' }), duration(value(10))]).passed).toBe(false);
  });

  test('passes a round with no checks: there is nothing to judge', () => {
    expect(judgeRound([])).toEqual({ passed: true, checks: [] });
  });
});

describe('decideRound', () => {
  const passedCheck: CheckResult = { name: 'request-success-rate', value: 99.5, threshold: 99, passed: true, reason: 'request-success-rate 99.50% within minimum 99%' };
  const failedCheck: CheckResult = { name: 'request-duration', value: 900, threshold: 500, passed: false, reason: 'request-duration 900ms above maximum 500ms' };
  const passedRound: RoundVerdict = { passed: true, checks: [passedCheck] };
  const failedRound: RoundVerdict = { passed: false, checks: [passedCheck, failedCheck] };

  const cases: Array<[string, RoundVerdict, number, number, { action: string; failedChecks: number }]> = [
    ['advances when all checks pass', passedRound, 0, 5, { action: 'advance', failedChecks: 0 }],
    ['advances without resetting earlier failed checks', passedRound, 3, 5, { action: 'advance', failedChecks: 3 }],
    ['holds the weight on the first failed round', failedRound, 0, 5, { action: 'hold', failedChecks: 1 }],
    ['holds while failed checks stay under the threshold', failedRound, 3, 5, { action: 'hold', failedChecks: 4 }],
    ['rolls back when failed checks reach the threshold', failedRound, 4, 5, { action: 'rollback', failedChecks: 5 }],
    ['rolls back on the first failure with threshold 1', failedRound, 0, 1, { action: 'rollback', failedChecks: 1 }],
    ['rolls back when failed checks are already past the threshold', failedRound, 7, 5, { action: 'rollback', failedChecks: 8 }],
  ];
  test.each(cases)('%s', (_name, verdict, failedChecksBefore, threshold, expected) => {
    expect(decideRound(verdict, failedChecksBefore, threshold)).toMatchObject(expected);
  });

  test('a rollback reason gives the count, the threshold and the failed checks only', () => {
    const { reason } = decideRound(failedRound, 4, 5);
    expect(reason).toBe('failed checks reached the threshold (5/5): request-duration 900ms above maximum 500ms');
  });

  test('a hold reason gives the count and lists every failed check', () => {
    const alsoFailed: CheckResult = { ...passedCheck, value: 90, passed: false, reason: 'request-success-rate 90% below minimum 99%' };
    const { reason } = decideRound({ passed: false, checks: [alsoFailed, failedCheck] }, 1, 5);
    expect(reason).toBe('failed check 2/5: request-success-rate 90% below minimum 99%; request-duration 900ms above maximum 500ms');
  });

  test('rolls back after exactly threshold consecutive failed rounds, holding before that', () => {
    const threshold = 5;
    let failedChecks = 0;
    const actions: string[] = [];
    for (let round = 0; round < threshold; round += 1) {
      const decision = decideRound(judgeRound([successRate(value(90))]), failedChecks, threshold);
      failedChecks = decision.failedChecks;
      actions.push(decision.action);
    }
    expect(actions).toEqual(['hold', 'hold', 'hold', 'hold', 'rollback']);
  });
});
