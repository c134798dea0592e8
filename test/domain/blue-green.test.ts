import type { CheckResult, RoundVerdict } from '../../src/workflows/domain/analysis';
import { blueGreenNoDataHint, decideBlueGreenRound, decideWatchRound } from '../../src/workflows/domain/blue-green';

const check = (passed: boolean, reason = passed ? 'ok' : 'request-success-rate 80% below minimum 99%'): CheckResult => ({ name: 'request-success-rate', value: passed ? 99.9 : 80, threshold: 99, passed, reason });
const pass: RoundVerdict = { passed: true, checks: [check(true)] };
const fail: RoundVerdict = { passed: false, checks: [check(true), check(false)] };

describe('decideBlueGreenRound: green analysed at 0% before the switch', () => {
  const limits = { threshold: 2, iterations: 3 };
  test.each([
    ['a passed round counts towards iterations', pass, { failedChecks: 0, passedRounds: 0 }, 'continue', 0, 1],
    ['the last passed round switches', pass, { failedChecks: 0, passedRounds: 2 }, 'switch', 0, 3],
    ['a failed round adds a failed check and does not count', fail, { failedChecks: 0, passedRounds: 2 }, 'continue', 1, 2],
    ['the threshold-th failed check rolls back', fail, { failedChecks: 1, passedRounds: 2 }, 'rollback', 2, 2],
    ['failed checks are not reset by a passed round', pass, { failedChecks: 1, passedRounds: 0 }, 'continue', 1, 1],
  ] as const)('%s', (_name, verdict, before, action, failedChecks, passedRounds) => {
    const decision = decideBlueGreenRound(verdict, before, limits);
    expect(decision).toMatchObject({ action, failedChecks, passedRounds });
  });

  test('reasons count the rounds and quote the failed check', () => {
    expect(decideBlueGreenRound(pass, { failedChecks: 0, passedRounds: 0 }, limits).reason).toBe('all checks passed (1/3 rounds passed)');
    expect(decideBlueGreenRound(pass, { failedChecks: 0, passedRounds: 2 }, limits).reason).toBe('all checks passed (3/3 rounds passed): switching traffic to green');
    expect(decideBlueGreenRound(fail, { failedChecks: 1, passedRounds: 0 }, limits).reason).toBe('failed checks reached the threshold (2/2): request-success-rate 80% below minimum 99%');
  });

  test('one iteration switches after the first passed round', () => {
    expect(decideBlueGreenRound(pass, { failedChecks: 0, passedRounds: 0 }, { threshold: 5, iterations: 1 }).action).toBe('switch');
  });
});

describe('decideWatchRound: green watched at 100% while blue stays warm', () => {
  test.each([
    ['a passed round before the last goes on', pass, 1, 2, 'continue'],
    ['the last passed round ends the watch', pass, 2, 2, 'done'],
    ['one failed round flips traffic back at once', fail, 1, 2, 'rollback'],
    ['a failure in the last round still rolls back', fail, 2, 2, 'rollback'],
  ] as const)('%s', (_name, verdict, round, rounds, action) => {
    expect(decideWatchRound(verdict, round, rounds).action).toBe(action);
  });

  test('the rollback reason names the round and the failed check only', () => {
    expect(decideWatchRound(fail, 1, 2).reason).toBe('watch round 1/2 after the switch failed, traffic goes back to blue: request-success-rate 80% below minimum 99%');
  });
});

describe('blueGreenNoDataHint', () => {
  test('without rollout hooks it suggests one that sends test traffic', () => {
    const hint = blueGreenNoDataHint('web-canary', []);
    expect(hint).toContain('no traffic reaches green (web-canary)');
    expect(hint).toContain('add a webhook of type rollout that sends test traffic');
  });

  test('with rollout hooks it names them', () => {
    expect(blueGreenNoDataHint('web-canary', ['load-test'])).toContain('rollout webhook(s) load-test: check that they send requests to web-canary');
  });

  test('with a mirror it says green gets copies of the primary\'s requests and what to lengthen (not a load-test hook)', () => {
    const hint = blueGreenNoDataHint('web-canary', [], 50);
    expect(hint).toContain('green (web-canary) gets 50% of the primary\'s requests as mirrored copies');
    expect(hint).toContain('lengthen analysis.interval, or raise traffic.mirror.percent');
    expect(hint).not.toContain('add a webhook');
  });
});

describe('the no-data hint reaches the reason of an empty or NaN check', () => {
  const { judgeCheck } = jest.requireActual<typeof import('../../src/workflows/domain/analysis')>('../../src/workflows/domain/analysis');
  const reading = (outcome: import('../../src/workflows/domain/analysis').MetricOutcome) => ({
    name: 'request-success-rate',
    bound: 'min' as const,
    threshold: 99,
    unit: '%',
    outcome,
    noDataHint: blueGreenNoDataHint('web-canary', []),
  });

  test.each([
    ['no data', reading({ kind: 'noData', message: 'no data' })],
    ['NaN (0/0 without requests)', reading({ kind: 'nan', message: 'NaN: no requests in the window?' })],
    ['a NaN value from an older worker', reading({ kind: 'value', value: Number.NaN })],
  ])('%s', (_name, input) => {
    const check = judgeCheck(input);
    expect(check.passed).toBe(false);
    expect(check.reason).toContain('add a webhook of type rollout that sends test traffic');
  });

  test('a value is judged without the hint', () => {
    expect(judgeCheck(reading({ kind: 'value', value: 50 })).reason).not.toContain('webhook');
  });
});
