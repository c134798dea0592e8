import { spread, stackBenchMarkdown, stackBenchReport, type FaultyReleaseTimes } from '../../src/demo/stack-bench';

const settings = { intervalMs: 5000, scrapeIntervalMs: 1000, threshold: 2, steps: 3 };

/** A faulty release whose timestamps are offsets from 0 (the first bad answer). */
function release(offsets: { firstFailedCheck: number; decision: number; router: number; lastBad: number }, outcome = 'rolledBack'): FaultyReleaseTimes {
  return { version: '1.2.1', outcome, firstBadAnswerAt: 0, firstFailedCheckAt: offsets.firstFailedCheck, decisionAt: offsets.decision, routerReturnedAt: offsets.router, lastBadAnswerAt: offsets.lastBad };
}

describe('spread', () => {
  test.each([
    { name: 'nothing measured', values: [], expected: { count: 0, min: null, median: null, p99: null, max: null } },
    { name: 'one value', values: [5], expected: { count: 1, min: 5, median: 5, p99: 5, max: 5 } },
    { name: 'unsorted, a missing measurement skipped', values: [3, 1, 2, null], expected: { count: 3, min: 1, median: 2, p99: 3, max: 3 } },
    { name: '1 … 100', values: Array.from({ length: 100 }, (_, i) => i + 1), expected: { count: 100, min: 1, median: 50, p99: 99, max: 100 } },
  ])('$name', ({ values, expected }) => {
    expect(spread(values)).toEqual(expected);
  });
});

describe('stackBenchReport', () => {
  test('derives detection, restore and router times from the timestamps', () => {
    const report = stackBenchReport(settings, [release({ firstFailedCheck: 4000, decision: 9000, router: 9300, lastBad: 9250 })], 30_000);
    expect(report.releases[0]).toMatchObject({ firstFailedCheckMs: 4000, detectionMs: 9000, routerMs: 300, restoreMs: 250 });
    expect(report.healthy).toEqual({ totalMs: 30_000, stepsTimesIntervalMs: 15_000 });
  });

  test('a bad answer that arrived before the decision counts as no restore time, not a negative one', () => {
    const report = stackBenchReport(settings, [release({ firstFailedCheck: 4000, decision: 9000, router: 9300, lastBad: 8800 })], null);
    expect(report.restoreMs.max).toBe(0);
  });

  test.each([
    { name: 'all within budget', offsets: { firstFailedCheck: 5900, decision: 10_900, router: 11_100, lastBad: 11_000 }, outcome: 'rolledBack', met: [true, true, true] },
    { name: 'restore over 1 s', offsets: { firstFailedCheck: 4000, decision: 9000, router: 9300, lastBad: 10_100 }, outcome: 'rolledBack', met: [false, true, true] },
    { name: 'first failed check a round late', offsets: { firstFailedCheck: 10_500, decision: 15_500, router: 15_700, lastBad: 15_600 }, outcome: 'rolledBack', met: [true, false, false] },
    { name: 'a faulty release promoted', offsets: { firstFailedCheck: 4000, decision: 9000, router: 9300, lastBad: 9250 }, outcome: 'promoted', met: [false, false, false] },
  ])('targets: $name', ({ offsets, outcome, met }) => {
    const report = stackBenchReport(settings, [release(offsets, outcome)], null);
    expect(report.targets.map((target) => target.met)).toEqual(met);
    expect(report.targets.map((target) => target.budgetMs)).toEqual([1000, 6000, 11_000]);
  });

  test('the Markdown names every measurement and the verdict of each target', () => {
    const report = stackBenchReport(settings, [release({ firstFailedCheck: 4000, decision: 9000, router: 9300, lastBad: 10_100 })], 30_000);
    const markdown = stackBenchMarkdown(report, '2026-11-26T00:00:00Z');
    expect(markdown).toContain('| decision → last answer of the bad version (restore) | 1 | 1100 ms | 1100 ms | 1100 ms | 1100 ms |');
    expect(markdown).toContain('| restore p99 (decision → last bad answer) | 1000 ms | 1100 ms | no |');
    expect(markdown).toContain('took 30.0 s end to end (steps × interval = 15.0 s');
  });
});
