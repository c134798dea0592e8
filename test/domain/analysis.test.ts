import { decideRound, judgeCheck, judgeRound, METRIC_MESSAGES, normaliseOutcome, outcomeOfNumber, type CheckResult, type MetricOutcome, type MetricReading, type RoundVerdict } from '../../src/workflows/domain/analysis';

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
const noData: MetricOutcome = { kind: 'noData', message: METRIC_MESSAGES.noData };
/** An outcome as it may arrive from an older worker or a provider that breaks the contract (not type-checked). */
const arrived = (outcome: unknown) => outcome as MetricOutcome;

describe('judgeCheck: a value against its threshold', () => {
  const cases: Array<[string, MetricReading, boolean, RegExp]> = [
    ['passes a success rate above the minimum', successRate(value(99.9)), true, /request-success-rate 99\.90% within minimum 99%/],
    ['passes a success rate exactly at the minimum', successRate(value(99)), true, /99% within minimum 99%/],
    ['fails a success rate below the minimum', successRate(value(98.5)), false, /request-success-rate 98\.50% below minimum 99%/],
    ['fails a success rate of zero', successRate(value(0)), false, /0% below minimum 99%/],
    ['passes a latency under the maximum', duration(value(120)), true, /request-duration 120ms within maximum 500ms/],
    ['passes a latency exactly at the maximum', duration(value(500)), true, /500ms within maximum 500ms/],
    ['fails a latency above the maximum', duration(value(500.5)), false, /request-duration 500\.50ms above maximum 500ms/],
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
    ['no data for a min check', successRate(noData), /^request-success-rate: no data returned from the metric provider/],
    ['no data for a max check', duration(noData), /^request-duration: no data returned from the metric provider/],
    ['the NaN outcome (0/0 without requests)', successRate(outcomeOfNumber(Number.NaN)), /^request-success-rate: NaN: no requests in the window\?/],
    ['the +Inf outcome for a max check (every request slower than the largest bucket)', duration(outcomeOfNumber(Infinity)), /^request-duration: \+Inf: /],
    ['the +Inf outcome for a min check', successRate(outcomeOfNumber(Infinity)), /^request-success-rate: \+Inf: /],
    ['the -Inf outcome', successRate(outcomeOfNumber(-Infinity)), /^request-success-rate: -Inf: /],
    ['many series', successRate({ kind: 'manySeries', seriesCount: 4, message: METRIC_MESSAGES.manySeries(4) }), /^request-success-rate: 4 series: the query must aggregate to one series, e\.g\. sum\(/],
    ['a bad answer', successRate({ kind: 'badAnswer', message: 'Prometheus answered 200 with a body that is not JSON' }), /^request-success-rate: the metrics query failed \(Prometheus answered 200 with a body that is not JSON\)/],
    ['an HTTP error', successRate({ kind: 'httpError', status: 503, message: 'Prometheus answered 503 Service Unavailable: overloaded' }), /^request-success-rate: the metrics query failed \(Prometheus answered 503 Service Unavailable: overloaded\)/],
    ['a timeout', duration({ kind: 'timeout', message: 'Prometheus did not answer within 1000ms' }), /^request-duration: the metrics query failed \(Prometheus did not answer within 1000ms\)/],
    ['Prometheus unreachable', duration({ kind: 'unreachable', message: 'Prometheus unreachable: connect ECONNREFUSED 127.0.0.1:9090' }), /^request-duration: the metrics query failed \(Prometheus unreachable: connect ECONNREFUSED/],
    ['a Prometheus error for a min check', successRate({ kind: 'error', message: 'bad_data: parse error at char 12' }), /request-success-rate: the metrics query failed \(bad_data: parse error at char 12\)/],
  ];
  test.each(cases)('fails on %s', (_name, reading, reason) => {
    const check = judgeCheck(reading);
    expect(check).toMatchObject({ passed: false, value: null, threshold: reading.threshold });
    expect(check.reason).toMatch(reason);
    expect(check.reason).toMatch(/counted as a failed check$/);
  });

  test('every kind of missing value gives a different reason', () => {
    const outcomes: MetricOutcome[] = [noData, outcomeOfNumber(Number.NaN), outcomeOfNumber(Infinity), outcomeOfNumber(-Infinity), { kind: 'manySeries', seriesCount: 2, message: METRIC_MESSAGES.manySeries(2) }, { kind: 'timeout', message: 'timeout' }];
    const reasons = outcomes.map((outcome) => judgeCheck(successRate(outcome)).reason);
    expect(new Set(reasons).size).toBe(outcomes.length);
  });

  test('adds the no-data hint to a no-data or NaN reason only', () => {
    const hint = 'No traffic reaches green: check the TraefikService mirror.';
    expect(judgeCheck(successRate(noData, { noDataHint: hint })).reason).toMatch(/counted as a failed check\. No traffic reaches green: check the TraefikService mirror\.$/);
    expect(judgeCheck(successRate(outcomeOfNumber(Number.NaN), { noDataHint: hint })).reason).toContain(hint);
    expect(judgeCheck(successRate(outcomeOfNumber(Infinity), { noDataHint: hint })).reason).not.toContain(hint);
    expect(judgeCheck(successRate({ kind: 'error', message: 'x' }, { noDataHint: hint })).reason).not.toContain(hint);
    expect(judgeCheck(successRate(value(50), { noDataHint: hint })).reason).not.toContain(hint);
  });
});

describe('judgeCheck is defensive: whatever arrives is a verdict, never a crash', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    // NaN sent through Temporal's JSON by an older worker arrives as null: the crash of issue 11.
    ['a value of null (NaN or ±Inf after JSON)', { kind: 'value', value: null }, /^request-success-rate: the metrics query failed \(the metric provider returned null instead of a number \(NaN or ±Inf turned into null by JSON\?\)\)/],
    ['a missing value', { kind: 'value' }, /returned nothing instead of a number/],
    ['a value that is a string', { kind: 'value', value: '99.5' }, /returned "99\.5" instead of a number/],
    ['a value of NaN', { kind: 'value', value: Number.NaN }, /^request-success-rate: NaN: no requests in the window\?/],
    ['a value of +Infinity', { kind: 'value', value: Infinity }, /^request-success-rate: \+Inf: /],
    ['a value of -Infinity', { kind: 'value', value: -Infinity }, /^request-success-rate: -Inf: /],
    ['no outcome at all', undefined, /the metric provider returned nothing instead of an outcome/],
    ['an outcome of null', null, /the metric provider returned null instead of an outcome/],
    ['an unknown kind', { kind: 'sparkles', message: 'shiny' }, /an outcome of unknown kind "sparkles"/],
    ['a kind without a message', { kind: 'nan' }, /^request-success-rate: NaN: no requests in the window\?/],
    ['an old no-data outcome without a message', { kind: 'noData' }, /^request-success-rate: no data returned from the metric provider/],
    ['an error with an empty message', { kind: 'error', message: '  ' }, /the metrics query failed \(the metric provider failed without saying why\)/],
  ];
  test.each(cases)('fails on %s, with a clear reason', (_name, outcome, reason) => {
    const check = judgeCheck(successRate(arrived(outcome)));
    expect(check).toMatchObject({ name: 'request-success-rate', passed: false, value: null, threshold: 99 });
    expect(check.reason).toMatch(reason);
    expect(check.reason).toMatch(/counted as a failed check$/);
    expect(JSON.parse(JSON.stringify(check))).toEqual(check);
  });

  test.each([
    ['a max check', duration(arrived({ kind: 'value', value: null }))],
    ['a unitless check', { name: 'errors', bound: 'max' as const, threshold: 1, unit: '', outcome: arrived({ kind: 'value', value: null }) }],
  ])('a null value in %s fails instead of throwing', (_name, reading) => {
    expect(() => judgeCheck(reading)).not.toThrow();
    expect(judgeCheck(reading).passed).toBe(false);
  });

  test('a non-finite threshold prints as itself instead of throwing', () => {
    expect(judgeCheck(successRate(value(50), { threshold: Number.NaN })).reason).toBe('request-success-rate 50% below minimum NaN%');
  });

  test('a round with a null value fails, and decideRound rolls back at the threshold with the reason', () => {
    const verdict = judgeRound([successRate(arrived({ kind: 'value', value: null })), duration(value(120))]);
    expect(verdict.passed).toBe(false);
    expect(decideRound(verdict, 1, 2)).toMatchObject({ action: 'rollback', failedChecks: 2, reason: expect.stringContaining('instead of a number') });
  });

  test.each([
    ['a finite number', 12.5, { kind: 'value', value: 12.5 }],
    ['zero', 0, { kind: 'value', value: 0 }],
    ['NaN', Number.NaN, { kind: 'nan' }],
    ['+Infinity', Infinity, { kind: 'positiveInfinity' }],
    ['-Infinity', -Infinity, { kind: 'negativeInfinity' }],
  ])('outcomeOfNumber(%s) is JSON-safe', (_name, number, expected) => {
    const outcome = outcomeOfNumber(number);
    expect(outcome).toMatchObject(expected);
    expect(JSON.parse(JSON.stringify(outcome))).toEqual(outcome);
  });

  test('normaliseOutcome keeps a well-formed outcome as it is', () => {
    const outcomes: MetricOutcome[] = [value(99.9), noData, { kind: 'httpError', status: 503, message: 'Prometheus answered 503' }, { kind: 'manySeries', seriesCount: 3, message: METRIC_MESSAGES.manySeries(3) }];
    expect(outcomes.map(normaliseOutcome)).toEqual(outcomes);
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
    expect(judgeRound([successRate(noData), duration(value(10))]).passed).toBe(false);
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
