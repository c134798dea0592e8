/*
 * The what-if replay (src/workflows/domain/what-if.ts): recorded readings judged again with another
 * config's checks and threshold; what was not measured the same way is left out and named.
 */
import type { MetricOutcome, MetricReading } from '../../src/workflows/domain/analysis';
import type { CheckQuery } from '../../src/workflows/domain/queries';
import { replayAnalysis, type RecordedRound } from '../../src/workflows/domain/what-if';

const value = (number: number): MetricOutcome => ({ kind: 'value', value: number });
const p99 = (threshold: number, extra: Partial<CheckQuery> = {}): CheckQuery => ({ name: 'request-duration', bound: 'max', threshold, unit: 'ms', query: 'p99 of the canary', ...extra });
const errors = (max: number, query = 'sum(errors{service="web-canary"})'): CheckQuery => ({ name: 'errors', bound: 'max', threshold: max, unit: '', query });
/** A recorded round: what the release asked (with the recorded bounds) and the values it read. */
function round(weight: number, readings: Array<[CheckQuery, number, number?]>): RecordedRound {
  return {
    weight,
    asked: readings.map(([check]) => check),
    readings: readings.map(([{ query: _query, reference, ...check }, canary, primary]): MetricReading => ({
      ...check,
      outcome: value(canary),
      ...(reference ? { reference: { change: reference.change }, referenceOutcome: value(primary!) } : {}),
    })),
  };
}

describe('replayAnalysis', () => {
  const rounds = [round(10, [[p99(500), 320], [errors(5), 1]]), round(20, [[p99(500), 410], [errors(5), 2]]), round(30, [[p99(500), 480], [errors(5), 3]])];

  test.each<[string, CheckQuery[], number, number | null, string[]]>([
    ['the same config decides as recorded', [p99(500), errors(5)], 2, null, ['advance', 'advance', 'advance']],
    ['a stricter p99 rolls back where the second failure lands', [p99(400), errors(5)], 2, 3, ['advance', 'hold', 'rollback']],
    ['threshold 1 rolls back at the first failure', [p99(400), errors(5)], 1, 2, ['advance', 'rollback', 'rollback']],
    ['a stricter custom bound on the same query', [p99(500), errors(1)], 2, 3, ['advance', 'hold', 'rollback']],
  ])('%s', (_name, checks, threshold, rollbackAt, actions) => {
    const whatIf = replayAnalysis(rounds, checks, threshold, 2);
    expect(whatIf.recordedRollbackAt).toBeNull();
    expect(whatIf.replayedRollbackAt).toBe(rollbackAt);
    expect(whatIf.rounds.map((each) => each.decision.action)).toEqual(actions);
    expect(whatIf.notReplayable).toEqual([]);
  });

  test('a custom check with another query, or one never measured, is left out and named; the rest still decides', () => {
    const whatIf = replayAnalysis(rounds, [p99(400), errors(1, 'sum(errors{service="other"})'), { ...errors(1), name: 'saturation' }], 2, 2);
    expect(whatIf.notReplayable).toEqual([
      { name: 'errors', why: 'measured with another query' },
      { name: 'saturation', why: 'not measured in this release' },
    ]);
    expect(whatIf.replayedRollbackAt).toBe(3);
    expect(whatIf.rounds[2]!.replayed.checks.map((check) => check.name)).toEqual(['request-duration']);
  });

  test('a bound against the primary replays only where the primary was read beside it; with its readings it judges the new allowance', () => {
    const vs = (allowed: number): CheckQuery => ({ name: 'request-duration-vs-primary', bound: 'max', threshold: allowed, unit: 'ms', query: 'p99 of the canary', reference: { query: 'p99 of the primary', change: 'percent' } });
    const measured = [round(10, [[vs(20), 300, 200]]), round(20, [[vs(20), 230, 200]])];
    expect(replayAnalysis(measured, [vs(50)], 1, 1).rounds.map((each) => each.replayed.passed)).toEqual([true, true]);
    expect(replayAnalysis(measured, [vs(10)], 1, 1).replayedRollbackAt).toBe(1);
    expect(replayAnalysis(rounds, [vs(10)], 1, 2).notReplayable).toEqual([{ name: 'request-duration-vs-primary', why: 'not measured in this release' }]);
  });

  test('the recorded rollback is found with the recorded threshold', () => {
    const failing = [round(10, [[p99(500), 900]]), round(10, [[p99(500), 900]])];
    const whatIf = replayAnalysis(failing, [p99(1000)], 3, 2);
    expect(whatIf).toMatchObject({ recordedRollbackAt: 2, replayedRollbackAt: null, threshold: 3, recordedThreshold: 2 });
  });

  test('a new dry-run check is judged and shown, never decides', () => {
    const whatIf = replayAnalysis(rounds, [p99(100, { dryRun: true })], 1, 2);
    expect(whatIf.replayedRollbackAt).toBeNull();
    expect(whatIf.rounds[0]!.replayed.checks[0]).toMatchObject({ passed: false, dryRun: true });
  });
});
