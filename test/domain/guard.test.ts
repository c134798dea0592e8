/*
 * The guard's decisions (src/workflows/domain/guard.ts), table-tested, and its activity polling a
 * metrics provider in Temporal's mock activity environment: early return on a breach, the full
 * interval without one, resumption from its heartbeat after a lost worker, cancellation.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities, type ActivityDeps, type GuardWatchResult } from '../../src/activities';
import type { MetricsProvider } from '../../src/activities/ports';
import { breaches, guardChecks, guardRuns, judgeGuardPoll, type GuardCheck, type GuardConfig, type MetricOutcome } from '../../src/workflows/domain';
import { metricChecks } from '../../src/workflows/domain/queries';

const roundChecks = metricChecks(
  { namespace: 'shop', intervalMs: 60_000, requestSuccessRate: { enabled: true, threshold: 99 }, requestDuration: { enabled: true, threshold: 500 }, custom: [{ name: 'queue-depth', query: 'sum(queue{app="{{ target }}"})', max: 100 }] },
  'web-canary',
);
const on: GuardConfig = { enabled: true, interval: '10s', consecutive: 2 };

describe('guardChecks', () => {
  test('defaults: success rate below 90%, p99 above 5x its threshold, on the round\'s own queries; custom checks unguarded', () => {
    const checks = guardChecks(on, roundChecks);
    expect(checks.map(({ name, bound, limit, unit }) => ({ name, bound, limit, unit }))).toEqual([
      { name: 'request-success-rate', bound: 'min', limit: 90, unit: '%' },
      { name: 'request-duration', bound: 'max', limit: 2_500, unit: 'ms' },
    ]);
    expect(checks.map((check) => check.query)).toEqual(roundChecks.slice(0, 2).map((check) => check.query));
  });

  test('configured checks replace the defaults, custom ones included', () => {
    const checks = guardChecks({ ...on, checks: [{ name: 'queue-depth', max: 1_000 }, { name: 'request-success-rate', min: 50 }] }, roundChecks);
    expect(checks.map(({ name, bound, limit }) => `${name} ${bound} ${limit}`)).toEqual(['queue-depth max 1000', 'request-success-rate min 50']);
    expect(checks[0]!.query).toBe('sum(queue{app="web-canary"})');
  });

  test('off, or a disabled built-in check, guards nothing of it', () => {
    expect(guardChecks({ ...on, enabled: false }, roundChecks)).toEqual([]);
    expect(guardChecks(undefined, roundChecks)).toEqual([]);
    expect(guardChecks(on, roundChecks.filter((check) => check.name !== 'request-duration')).map((check) => check.name)).toEqual(['request-success-rate']);
  });

  test.each([
    ['interval longer than the guard interval', 60_000, 10_000, true],
    ['interval equal to it: no poll fits between rounds', 10_000, 10_000, false],
    ['interval shorter', 5_000, 10_000, false],
  ])('guardRuns: %s', (_name, intervalMs, guardIntervalMs, expected) => {
    expect(guardRuns(on, intervalMs, guardIntervalMs, guardChecks(on, roundChecks))).toBe(expected);
  });
});

const successRate: GuardCheck = { name: 'request-success-rate', bound: 'min', limit: 90, unit: '%', query: 'sr' };
const latency: GuardCheck = { name: 'request-duration', bound: 'max', limit: 2_500, unit: 'ms', query: 'p99' };
const value = (number: number): MetricOutcome => ({ kind: 'value', value: number });
const nan: MetricOutcome = { kind: 'nan', message: 'NaN' };
const noData: MetricOutcome = { kind: 'noData', message: 'no data' };

describe('breaches', () => {
  test.each([
    ['12% under a 90% floor', successRate, value(12), 12],
    ['90% exactly is not below it', successRate, value(90), null],
    ['NaN (no requests) is not a breach', successRate, nan, null],
    ['no data is not a breach', successRate, noData, null],
    ['an error is not a breach', successRate, { kind: 'error', message: 'ECONNREFUSED' } as MetricOutcome, null],
    ['+Inf p99 (above the largest bucket) breaches a max', latency, { kind: 'positiveInfinity', message: '+Inf' } as MetricOutcome, Infinity],
    ['+Inf does not breach a min', successRate, { kind: 'positiveInfinity', message: '+Inf' } as MetricOutcome, null],
    ['2600 ms over 2500 ms', latency, value(2_600), 2_600],
  ])('%s', (_name, check, outcome, expected) => {
    expect(breaches(check, outcome)).toBe(expected);
  });
});

describe('judgeGuardPoll', () => {
  /** Runs polls in order; returns the breach and at which poll it came. */
  function run(polls: MetricOutcome[][], consecutive = 2, checks = [successRate, latency]) {
    let streaks = {};
    for (const [index, outcomes] of polls.entries()) {
      const judged = judgeGuardPoll(checks, outcomes, streaks, consecutive);
      streaks = judged.streaks;
      if (judged.breach) return { breach: judged.breach, atPoll: index + 1 };
    }
    return { breach: null, atPoll: null };
  }

  test.each([
    ['two bad polls in a row', [[value(12), value(120)], [value(12), value(120)]], 2, { breach: 'guard: success rate 12% below 90% for 2 polls', atPoll: 2 }],
    ['one bad poll is not enough', [[value(12), value(120)], [value(99), value(120)]], 2, { breach: null, atPoll: null }],
    ['no data between two bad polls breaks the run', [[value(12), value(120)], [noData, value(120)], [value(12), value(120)]], 2, { breach: null, atPoll: null }],
    ['NaN never starts one', [[nan, value(120)], [nan, value(120)], [nan, value(120)]], 2, { breach: null, atPoll: null }],
    ['consecutive 1 breaks at once', [[value(40.25), value(120)]], 1, { breach: 'guard: success rate 40.3% below 90% for 1 poll', atPoll: 1 }],
    ['latency in a row', [[value(99), value(9_000)], [value(99), { kind: 'positiveInfinity', message: '+Inf' } as MetricOutcome]], 2, { breach: 'guard: p99 latency +Inf above 2500ms for 2 polls', atPoll: 2 }],
    ['each check keeps its own streak', [[value(12), value(120)], [value(99), value(9_000)], [value(12), value(9_000)]], 2, { breach: 'guard: p99 latency 9000ms above 2500ms for 2 polls', atPoll: 3 }],
  ])('%s', (_name, polls, consecutive, expected) => {
    expect(run(polls as MetricOutcome[][], consecutive)).toEqual(expected);
  });
});

describe('the guardTrack activity', () => {
  function activitiesAnswering(answer: () => MetricOutcome | Promise<MetricOutcome>) {
    const queries: string[] = [];
    const metrics: MetricsProvider = {
      query: async ({ query }) => {
        queries.push(query);
        return answer();
      },
    };
    const deps = { metricsFor: () => metrics } as unknown as ActivityDeps;
    return { acts: createActivities(deps), queries };
  }
  const args = { checks: [successRate], pollMs: 20, consecutive: 2, durationMs: 200 };

  test('returns at the second bad poll with the reason and when the run of breaches began', async () => {
    const { acts, queries } = activitiesAnswering(() => value(12));
    const heartbeats: unknown[] = [];
    const env = new MockActivityEnvironment();
    env.on('heartbeat', (details) => heartbeats.push(details));
    const before = Date.now();
    const result = (await env.run(acts.guardTrack, args)) as GuardWatchResult;
    expect(result).toEqual({ breach: 'guard: success rate 12% below 90% for 2 polls', polls: 2, firstBreachMs: expect.any(Number) });
    expect(result.firstBreachMs!).toBeGreaterThanOrEqual(before);
    expect(queries).toEqual(['sr', 'sr']);
    expect(heartbeats.length).toBe(3);
  });

  test('a healthy track: polls the interval through, the last poll left to the round', async () => {
    const { acts, queries } = activitiesAnswering(() => value(99.9));
    const result = await new MockActivityEnvironment().run(acts.guardTrack, { ...args, pollMs: 50, durationMs: 200 });
    expect(result).toEqual({ breach: null, polls: 3 });
    expect(queries.length).toBe(3);
  });

  test('a provider that throws is not a breach', async () => {
    const { acts } = activitiesAnswering(() => Promise.reject(new Error('socket hang up')));
    expect(await new MockActivityEnvironment().run(acts.guardTrack, { ...args, pollMs: 50, durationMs: 200 })).toEqual({ breach: null, polls: 3 });
  });

  test('a retry after a lost worker resumes from the heartbeat: the streak and the elapsed time carry over', async () => {
    const { acts, queries } = activitiesAnswering(() => value(12));
    const env = new MockActivityEnvironment({ attempt: 2, heartbeatDetails: { elapsedMs: 100, streaks: { 'request-success-rate:min': 1 }, polls: 4, pollTimes: [1_000] } });
    const result = await env.run(acts.guardTrack, args);
    expect(result).toEqual({ breach: 'guard: success rate 12% below 90% for 2 polls', polls: 5, firstBreachMs: 1_000 });
    expect(queries.length).toBe(1);
  });

  test('cancelled (a person steered): it stops polling', async () => {
    const { acts, queries } = activitiesAnswering(() => value(99.9));
    const env = new MockActivityEnvironment();
    const running = env.run(acts.guardTrack, { ...args, pollMs: 20, durationMs: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 70));
    env.cancel();
    await expect(running).rejects.toThrow();
    const polled = queries.length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(queries.length).toBe(polled);
    expect(polled).toBeLessThan(10);
  });
});
