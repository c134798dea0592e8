import type { WorkflowHandle } from '@temporalio/client';
import { abortSignal, pauseSignal, promoteSignal, resumeSignal, statusQuery } from '../../src/workflows/messages';
import type { ReleaseResult } from '../../src/workflows/types';
import { eventually, ReleaseHarness, useReleaseHarness } from '../support/harness';

let harness: ReleaseHarness;
useReleaseHarness((started) => (harness = started));

const result = async (handle: WorkflowHandle) => (await handle.result()) as ReleaseResult;

describe('canary release on the real Temporal dev server', () => {
  test('a healthy canary is promoted: weights 25, 50, 75, 100 then 100/0 on the primary, helm in order', async () => {
    const config = harness.config();
    harness.seedPrimary(config, '1.0.0');
    const outcome = await harness.run(config, '1.1.0');

    expect(outcome.outcome).toBe('promoted');
    expect(harness.canaryWeights(config)).toEqual([25, 50, 75, 100, 0]);
    expect(harness.kube.currentWeights('shop', config.traffic.traefikService)).toEqual({ [config.traffic.primaryService]: 100, [config.traffic.canaryService]: 0 });
    const { primary, canary } = config.helm.releases;
    expect(harness.helmStory(config)).toEqual([`upgrade ${canary}`, `test ${canary}`, `upgrade ${primary}`, `uninstall ${canary}`]);
    expect(outcome.status.previousVersion).toBe('1.0.0');
    expect(outcome.status.phase).toBe('Succeeded');
    expect(outcome.totalMs).toBeGreaterThan(0);
    expect(harness.slack.delivered().some((text) => text.includes(`Promoted shop/${config.service.name} 1.1.0`))).toBe(true);
  });
});

describe('canary rollback', () => {
  test('rolls back after threshold failed checks when the success rate stays under threshold; the primary is never upgraded', async () => {
    const config = harness.config({ analysis: { threshold: 2 } });
    harness.seedPrimary(config, '1.0.0');
    harness.prometheus.answer = (query) => (query.includes('histogram_quantile') ? { value: 120 } : { value: 80 });
    const outcome = await harness.run(config, '1.1.0');

    expect(outcome.outcome).toBe('rolledBack');
    expect(outcome.status.failedChecks).toBe(2);
    expect(outcome.reason).toContain('request-success-rate 80% below minimum 99%');
    // 25% was set, analysis failed twice at 25%, then the very next router call restored 100/0.
    expect(harness.canaryWeights(config)).toEqual([25, 0]);
    const { primary, canary } = config.helm.releases;
    expect(harness.helmStory(config)).toEqual([`upgrade ${canary}`, `test ${canary}`, `uninstall ${canary}`]);
    expect(harness.helmStory(config)).not.toContain(`upgrade ${primary}`);
    expect(outcome.detectionMs).not.toBeNull();
    expect(outcome.rollbackMs).not.toBeNull();
    const rollbackMessage = harness.slack.delivered().find((text) => text.includes(`Rolled back shop/${config.service.name}`));
    expect(rollbackMessage).toContain('request-success-rate 80% below minimum 99%');
  });

  test('no data from Prometheus counts as a failed check, with that reason in status', async () => {
    const config = harness.config({ analysis: { threshold: 3, interval: '1s' } });
    harness.prometheus.answer = () => ({ noData: true });
    const handle = await harness.start(config, '1.1.0');
    const status = await eventually('a failed check', () => handle.query(statusQuery), (s) => s.failedChecks >= 1);
    expect(status.lastChecks.map((check) => check.passed)).toEqual([false, false]);
    expect(status.lastChecks[0]!.reason).toContain('no data returned from the metric provider');
    expect((await result(handle)).outcome).toBe('rolledBack');
  });

  test('a helm test failure rolls back before any traffic moves', async () => {
    const config = harness.config();
    harness.failHelm('test', config.helm.releases.canary, `pod ${config.helm.releases.canary}-smoke failed`);
    const outcome = await harness.run(config, '1.1.0');

    expect(outcome.outcome).toBe('rolledBack');
    expect(outcome.reason).toContain(`helm test of ${config.helm.releases.canary} failed`);
    expect(outcome.reason).toContain('smoke failed');
    expect(harness.canaryWeights(config).filter((weight) => weight > 0)).toEqual([]);
    expect(harness.helmStory(config)).toEqual([`upgrade ${config.helm.releases.canary}`, `test ${config.helm.releases.canary}`, `uninstall ${config.helm.releases.canary}`]);
  });

  test('a canary install failure rolls back with helm\'s error and leaves traffic on the primary', async () => {
    const config = harness.config();
    harness.failHelm('upgrade', config.helm.releases.canary, 'UPGRADE FAILED: timed out waiting for the condition');
    const outcome = await harness.run(config, '1.1.0');
    expect(outcome.outcome).toBe('rolledBack');
    expect(outcome.reason).toContain('timed out waiting for the condition');
    expect(harness.canaryWeights(config).filter((weight) => weight > 0)).toEqual([]);
  });

  test.each([
    ['a healthy canary is still promoted', 99.9, 'promoted', [25, 50, 75, 100, 0]],
    ['a failing canary is still rolled back', 80, 'rolledBack', [25, 0]],
  ] as const)('Slack answering 500 for the whole release does not change its outcome (%s); the failures show in status', async (_, successRate, expected, weights) => {
    const config = harness.config();
    harness.prometheus.answer = (query) => (query.includes('histogram_quantile') ? { value: 120 } : { value: successRate });
    harness.slack.alwaysStatus = 500;
    try {
      const outcome = await harness.run(config, '1.1.0');
      expect(outcome.outcome).toBe(expected);
      expect(harness.canaryWeights(config)).toEqual(weights);
      // The start and the end were both announced, and both failed.
      expect(outcome.status.notificationFailures).toBeGreaterThanOrEqual(2);
      expect(outcome.status.events.filter((event) => event.message.includes('Notification failed (the release goes on): Slack webhook delivery failed after 3 attempts: HTTP 500'))).toHaveLength(outcome.status.notificationFailures);
      expect(harness.slack.delivered().filter((text) => text.includes(config.service.name))).toEqual([]);
    } finally {
      harness.slack.alwaysStatus = undefined;
    }
  });
});

describe('steering a canary with signals', () => {
  const slowConfig = () => harness.config({ analysis: { interval: '1s', stepWeight: 10 } });

  test('abort mid-rollout rolls back at once', async () => {
    const config = slowConfig();
    const handle = await harness.start(config, '1.1.0');
    await eventually('canary at 20%', () => handle.query(statusQuery), (s) => s.canaryWeight >= 20);
    await handle.signal(abortSignal, { reason: 'customer escalation' });
    const outcome = await result(handle);
    expect(outcome.outcome).toBe('rolledBack');
    expect(outcome.reason).toBe('aborted: customer escalation');
    const weights = harness.canaryWeights(config);
    expect(weights.at(-1)).toBe(0);
    expect(Math.max(...weights)).toBeLessThan(50);
    expect(outcome.rollbackMs).toBeLessThan(5_000);
  });

  test('promote mid-rollout skips the remaining steps', async () => {
    const config = slowConfig();
    const handle = await harness.start(config, '1.1.0');
    await eventually('canary at 20%', () => handle.query(statusQuery), (s) => s.canaryWeight >= 20);
    await handle.signal(promoteSignal);
    const outcome = await result(handle);
    expect(outcome.outcome).toBe('promoted');
    expect(outcome.reason).toContain('promoted by a person');
    const weights = harness.canaryWeights(config);
    expect(Math.max(...weights)).toBeLessThan(100);
    expect(weights.at(-1)).toBe(0);
    expect(harness.helmStory(config)).toContain(`upgrade ${config.helm.releases.primary}`);
  });

  test('pause holds the weight and the analysis until resume', async () => {
    const config = slowConfig();
    const handle = await harness.start(config, '1.1.0');
    await eventually('canary at 20%', () => handle.query(statusQuery), (s) => s.canaryWeight >= 20);
    await handle.signal(pauseSignal);
    const paused = await eventually('phase Paused', () => handle.query(statusQuery), (s) => s.phase === 'Paused');
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const stillPaused = await handle.query(statusQuery);
    expect(stillPaused.phase).toBe('Paused');
    expect(stillPaused.canaryWeight).toBe(paused.canaryWeight);
    expect(stillPaused.iteration).toBe(paused.iteration);
    expect(harness.slack.delivered().some((text) => text.includes(`Paused shop/${config.service.name}`))).toBe(true);
    await handle.signal(resumeSignal);
    await eventually('weight moves after resume', () => handle.query(statusQuery), (s) => s.canaryWeight > paused.canaryWeight);
    await handle.signal(promoteSignal);
    expect((await result(handle)).outcome).toBe('promoted');
  });

  test('a signal that does not fit the phase changes nothing and is recorded', async () => {
    const config = slowConfig();
    const handle = await harness.start(config, '1.1.0');
    await eventually('canary at 10%', () => handle.query(statusQuery), (s) => s.canaryWeight >= 10);
    await handle.signal(resumeSignal); // not paused
    await handle.signal(abortSignal, 42 as never); // malformed payload: still an abort, default reason
    const outcome = await result(handle);
    const messages = outcome.status.events.map((event) => event.message);
    expect(messages).toContain('resume ignored: the release is not paused');
    expect(messages.some((message) => message.includes('malformed'))).toBe(true);
    expect(outcome.outcome).toBe('rolledBack');
    expect(outcome.reason).toBe('aborted by a person');
  });
});

describe('canary.set', () => {
  test("applies to the canary release only: helm gets it for the canary's install, never for the primary's upgrade; a blue-green's green keeps full size", async () => {
    const config = harness.config({ helm: { chart: './chart', timeout: '30s', set: { replicaCount: 3 } }, canary: { set: { replicaCount: 1, 'autoscaling.enabled': false } } });
    harness.seedPrimary(config, '1.0.0');
    expect((await harness.run(config, '1.1.0')).outcome).toBe('promoted');
    const { primary, canary } = config.helm.releases;
    const upgrades = harness.helmCalls('shop', [primary, canary]).filter((call) => call.action === 'upgrade');
    expect(upgrades.map((call) => [call.release, call.values?.replicaCount, (call.values?.autoscaling as { enabled?: boolean } | undefined)?.enabled])).toEqual([
      [canary, 1, false],
      [primary, 3, undefined],
    ]);

    const blueGreen = harness.config({ strategy: 'blueGreen', helm: { chart: './chart', timeout: '30s', set: { replicaCount: 3 } }, canary: { set: { replicaCount: 1 } }, analysis: { iterations: 1, postSwitchIterations: 1 } });
    harness.seedPrimary(blueGreen, '1.0.0');
    expect((await harness.run(blueGreen, '1.1.0')).outcome).toBe('promoted');
    const green = harness.helmCalls('shop', [blueGreen.helm.releases.canary]).find((call) => call.action === 'upgrade');
    expect(green?.values?.replicaCount).toBe(3);
  });
});

