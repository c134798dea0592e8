/*
 * The guard between analysis rounds (issue 20) on the real dev server with the worker's adapters and
 * the Prometheus stand-in: a plainly broken canary rolls back before its round comes, a healthy one
 * is promoted with the guard polling all along (and a small history), no data is not a breach,
 * and steering acts during the guard as anywhere else.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { abortSignal, pauseSignal, resumeSignal, statusQuery } from '../../src/workflows/messages';
import type { ReleaseConfig } from '../../src/config';
import type { ReleaseResult } from '../../src/workflows/types';
import { eventually, ReleaseHarness, useReleaseHarness } from '../support/harness';

let harness: ReleaseHarness;
useReleaseHarness((started) => (harness = started));

/** A canary whose rounds are 3 s apart, guarded every 400 ms (DocuTag's 1m / 10s, scaled down). */
function guardedConfig(analysis: Record<string, unknown> = {}, overrides: Record<string, unknown> = {}): ReleaseConfig {
  return harness.config({ analysis: { interval: '3s', threshold: 5, stepWeight: 25, guard: { interval: '400ms', consecutive: 2 }, ...analysis }, ...overrides });
}

/** Answers the canary's queries with `canary` and everything else healthily. */
function canaryAnswers(config: ReleaseConfig, canary: { successRate?: number | 'nan' | 'none'; p99?: number }): void {
  harness.prometheus.answer = (query) => {
    const latency = query.includes('histogram_quantile');
    if (!query.includes(config.traffic.canaryService)) return latency ? { value: 120 } : { value: 99.9 };
    if (latency) return { value: canary.p99 ?? 120 };
    if (canary.successRate === 'nan') return { nan: true };
    if (canary.successRate === 'none') return { noData: true };
    return { value: canary.successRate ?? 99.9 };
  };
}

const canaryQueries = (config: ReleaseConfig) => harness.prometheus.queries.filter((entry) => entry.query.includes(config.traffic.canaryService)).length;

async function historyOf(handle: WorkflowHandle) {
  const history = await handle.fetchHistory();
  const events = history.events ?? [];
  const scheduled = events.flatMap((event) => (event.activityTaskScheduledEventAttributes?.activityType?.name ? [event.activityTaskScheduledEventAttributes.activityType.name] : []));
  return { events: events.length, guardActivities: scheduled.filter((name) => name === 'guardTrack').length, cancelRequests: events.filter((event) => event.activityTaskCancelRequestedEventAttributes).length };
}

describe('the guard between analysis rounds', () => {
  test('a canary answering 12% success rolls back at once, before its first round, naming the guard, the value, the bound and the polls', async () => {
    const config = guardedConfig();
    canaryAnswers(config, { successRate: 12 });

    const handle = await harness.start(config, '1.1.0');
    const result = (await handle.result()) as ReleaseResult;

    expect(result.outcome).toBe('rolledBack');
    expect(result.reason).toBe('guard: success rate 12% below 90% for 2 polls');
    // No analysis round ran: the guard decided within the first interval.
    expect(result.status.iteration).toBe(0);
    expect(result.status.failedChecks).toBe(0);
    expect(harness.canaryWeights(config)).toEqual([25, 0]);
    expect(result.detectionMs).not.toBeNull();
    expect(harness.slack.messages.some((message) => message.text.includes(`Rolled back shop/${config.service.name} 1.1.0: guard: success rate 12% below 90% for 2 polls`))).toBe(true);
    expect(harness.helmStory(config)).toEqual(expect.arrayContaining([`uninstall ${config.helm.releases.canary}`]));
  });

  test('a p99 above 5x its threshold (500 ms -> 2500 ms) rolls back; one just under it does not', async () => {
    const slow = guardedConfig();
    canaryAnswers(slow, { p99: 4_000 });
    const rolledBack = await harness.run(slow, '1.1.0');
    expect(rolledBack.reason).toBe('guard: p99 latency 4000ms above 2500ms for 2 polls');

    const almost = guardedConfig({ stepWeight: 50, threshold: 2 });
    canaryAnswers(almost, { p99: 2_400 });
    const judgedByRounds = await harness.run(almost, '1.1.0');
    // The rounds (p99 500 ms) fail it, the guard does not: rolled back on the failed-check threshold.
    expect(judgedByRounds.outcome).toBe('rolledBack');
    expect(judgedByRounds.reason).not.toMatch(/^guard:/);
    expect(judgedByRounds.status.iteration).toBe(2);
  });

  test('a healthy canary is promoted with the guard polling between every round, in one activity per round, under 250 events for 10 steps', async () => {
    const config = guardedConfig({ stepWeight: 10, interval: '2s' });
    const before = canaryQueries(config);

    const handle = await harness.start(config, '1.1.0');
    const result = (await handle.result()) as ReleaseResult;

    expect(result.outcome).toBe('promoted');
    expect(harness.canaryWeights(config).filter((weight) => weight > 0)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    const history = await historyOf(handle);
    expect(history.guardActivities).toBe(10);
    // Rounds query 2 checks each; the guard polled 2 checks several times per interval besides.
    expect(canaryQueries(config) - before).toBeGreaterThan(10 * 2 + 10 * 2 * 2);
    expect(history.events).toBeLessThan(250);
    process.stdout.write(`guarded 10-step canary: ${history.events} history events, ${history.guardActivities} guard activities, ${canaryQueries(config) - before} canary queries\n`);
  });

  test('no data and NaN are not breaches: a canary without requests is judged by its rounds, never by the guard', async () => {
    for (const successRate of ['nan', 'none'] as const) {
      const config = guardedConfig({ stepWeight: 50, threshold: 2 });
      canaryAnswers(config, { successRate });
      const result = await harness.run(config, '1.1.0');
      expect(result.outcome).toBe('rolledBack');
      expect(result.reason).not.toMatch(/^guard:/);
      expect(result.status.iteration).toBe(2);
    }
  });

  test('a breach must be consecutive: bad polls separated by good ones never trip it', async () => {
    const config = guardedConfig({ stepWeight: 50, threshold: 2 });
    let polls = 0;
    harness.prometheus.answer = (query) => {
      if (query.includes('histogram_quantile')) return { value: 120 };
      if (!query.includes(config.traffic.canaryService)) return { value: 99.9 };
      polls += 1;
      return { value: polls % 2 ? 12 : 99.9 };
    };
    const result = await harness.run(config, '1.1.0');
    expect(result.reason).not.toMatch(/^guard:/);
  });

  test('guard: { enabled: false } turns it off: a 12% canary waits for its rounds', async () => {
    const config = guardedConfig({ threshold: 1, guard: { enabled: false } });
    canaryAnswers(config, { successRate: 12 });
    const handle = await harness.start(config, '1.1.0');
    const result = (await handle.result()) as ReleaseResult;
    expect(result.reason).not.toMatch(/^guard:/);
    expect(result.status.iteration).toBe(1);
    expect((await historyOf(handle)).guardActivities).toBe(0);
  });

  test('custom guard bounds replace the defaults', async () => {
    const config = guardedConfig({ guard: { interval: '400ms', consecutive: 3, checks: [{ name: 'request-success-rate', min: 98 }] } });
    canaryAnswers(config, { successRate: 97, p99: 9_000 });
    const result = await harness.run(config, '1.1.0');
    expect(result.reason).toBe('guard: success rate 97% below 98% for 3 polls');
  });

  test('abort during the guard rolls back at once and cancels the guard; pause holds the weight and resume carries on', async () => {
    const aborted = guardedConfig({ interval: '20s' });
    const handle = await harness.start(aborted, '1.1.0');
    await eventually('the guard polling at 25%', () => canaryQueries(aborted), (count) => count >= 4);
    await handle.signal(abortSignal, { by: 'guard-test', reason: 'checking the guard' });
    const result = (await handle.result()) as ReleaseResult;
    expect(result.outcome).toBe('rolledBack');
    expect(result.status.iteration).toBe(0);
    expect(harness.canaryWeights(aborted)).toEqual([25, 0]);
    expect((await historyOf(handle)).cancelRequests).toBe(1);

    const paused = guardedConfig({ stepWeight: 50 });
    const pausedHandle = await harness.start(paused, '1.1.0');
    await eventually('the guard polling at 50%', () => canaryQueries(paused), (count) => count >= 2);
    await pausedHandle.signal(pauseSignal, { by: 'guard-test' });
    await eventually('paused', () => pausedHandle.query(statusQuery), (status) => status.phase === 'Paused');
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect(harness.canaryWeights(paused)).toEqual([50]);
    await pausedHandle.signal(resumeSignal, { by: 'guard-test' });
    const resumed = (await pausedHandle.result()) as ReleaseResult;
    expect(resumed.outcome).toBe('promoted');
    expect(harness.canaryWeights(paused)).toEqual([50, 100, 0]);
  });

  test('blue-green: green plainly broken after the switch rolls back to blue at once', async () => {
    const config = guardedConfig({ iterations: 1, postSwitchIterations: 3 }, { strategy: 'blueGreen' });
    let switched = false;
    harness.prometheus.answer = (query) => {
      if (query.includes('histogram_quantile')) return { value: 120 };
      if (!query.includes(config.traffic.canaryService)) return { value: 99.9 };
      switched ||= harness.canaryWeights(config).includes(100);
      return { value: switched ? 5 : 99.9 };
    };
    const result = await harness.run(config, '1.1.0');
    expect(result.outcome).toBe('rolledBack');
    expect(result.reason).toBe('guard: success rate 5% below 90% for 2 polls');
    expect(harness.canaryWeights(config)).toEqual([100, 0]);
  });
});
