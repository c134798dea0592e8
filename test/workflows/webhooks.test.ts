/*
 * Flagger's webhook types as durable gates and checks, on the real Temporal dev server, with local
 * HTTP servers as the hooks (FakeWebhooks). Canary schedule 50%, 100% every second unless stated.
 */
import type { ChildProcess } from 'node:child_process';
import type { ReleaseConfig } from '../../src/config';
import { abortSignal, pauseSignal, promoteSignal, resumeSignal, statusQuery } from '../../src/workflows/messages';
import type { ReleaseResult } from '../../src/workflows/types';
import { eventually, ReleaseHarness, useReleaseHarness } from '../support/harness';
import { FakeWebhooks, type HookAnswer } from '../support/stand-ins';

let harness: ReleaseHarness;
let hooks: FakeWebhooks;
useReleaseHarness((started, webhooks) => ([harness, hooks] = [started, webhooks]), { webhooks: true });

let hookCounter = 0;
type HookType = 'confirm-rollout' | 'pre-rollout' | 'rollout' | 'confirm-traffic-increase' | 'confirm-promotion' | 'post-rollout' | 'rollback';
/** A hook of `type` at a fresh path, answering `answer`. */
function hook(type: HookType, answer: HookAnswer | ((nth: number) => HookAnswer) = 200, name: string = type) {
  hookCounter += 1;
  const path = `/${type}/${process.pid}-${hookCounter}`;
  hooks.answer(path, answer);
  return { spec: { name, type, url: hooks.url(path), timeout: '2s', metadata: { owner: 'checkout-team' } }, path, calls: () => hooks.callsTo(path) };
}

const canaryWith = (hookSpecs: Array<{ spec: object }>, analysis: Record<string, unknown> = {}, target: ReleaseHarness = harness) =>
  target.config({ analysis: { stepWeight: 50, ...analysis }, webhooks: { helmTests: { enabled: true, timeout: '10s' }, hooks: hookSpecs.map((h) => h.spec) } });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const messages = (outcome: ReleaseResult) => outcome.status.events.map((event) => event.message);
const canaryInstalls = (config: ReleaseConfig) => harness.helmStory(config).filter((call) => call === `upgrade ${config.helm.releases.canary}`);

describe('confirm-rollout', () => {
  test('waits before the canary is deployed until the hook answers 2xx; status shows the gate; the payload is Flagger\'s', async () => {
    const gate = hook('confirm-rollout', 403, 'approve');
    const config = canaryWith([gate]);
    const handle = await harness.start(config, '1.1.0');

    const waiting = await eventually('the gate waiting', () => handle.query(statusQuery), (status) => status.waitingFor !== null, 15_000);
    expect(waiting.waitingFor).toBe('confirm-rollout webhook approve (HTTP 403: not yet)');
    expect(waiting.phase).toBe('Initializing');
    await eventually('a few polls', () => gate.calls().length, (count) => count >= 3, 15_000);
    expect(canaryInstalls(config)).toEqual([]);

    hooks.answer(gate.path, 200);
    const outcome = (await handle.result()) as ReleaseResult;

    expect(outcome.outcome).toBe('promoted');
    expect(canaryInstalls(config)).toHaveLength(1);
    const installedAt = harness.helmCalls('shop', [config.helm.releases.canary])[0]!.at;
    expect(gate.calls().filter((call) => call.at > installedAt)).toEqual([]);
    expect(gate.calls()[0]!.payload).toEqual({ name: config.service.name, namespace: 'shop', phase: 'Initializing', checksum: expect.stringMatching(/^[0-9a-f]{8}$/), metadata: { owner: 'checkout-team' } });
    expect(new Set(gate.calls().map((call) => call.payload.checksum)).size).toBe(1);
    expect(outcome.status.waitingFor).toBeNull();
  });

  test('a long wait stays a short history: 500 polls of a closed gate take two activities and a whole release under 150 events, not a few events per poll', async () => {
    const gate = hook('confirm-rollout', (nth) => (nth <= 500 ? 403 : 200), 'approve');
    const config = canaryWith([gate], { interval: '100ms', stepWeight: 100 });
    const handle = await harness.start(config, '1.1.0');

    const outcome = (await handle.result()) as ReleaseResult;

    expect(outcome.outcome).toBe('promoted');
    expect(gate.calls().length).toBe(501);
    const history = await handle.fetchHistory();
    const events = history.events ?? [];
    const gateWaits = events.filter((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'waitForGate').length;
    // Two waits: the first answer (recorded for status and watch), then one until the gate opened, as the
    // answer never changed. Polled one activity and one timer at a time, 500 polls were ~4,000 events.
    expect(gateWaits).toBe(2);
    expect(events.length).toBeLessThan(150);
    process.stdout.write(`confirm-rollout gate: ${gate.calls().length} polls, ${gateWaits} waitForGate activities, ${events.length} events in the whole release's history\n`);
  }, 180_000);

  test('abort while the gate waits ends the release with nothing deployed', async () => {
    const gate = hook('confirm-rollout', 403);
    const config = canaryWith([gate]);
    const handle = await harness.start(config, '1.1.0');
    await eventually('the gate waiting', () => handle.query(statusQuery), (status) => status.waitingFor !== null, 15_000);

    await handle.signal(abortSignal, { reason: 'release freeze' });
    const outcome = (await handle.result()) as ReleaseResult;

    expect(outcome.outcome).toBe('rolledBack');
    expect(outcome.reason).toBe('aborted: release freeze');
    expect(harness.helmStory(config)).toEqual([]);
    expect(harness.canaryWeights(config)).toEqual([]);
    expect(outcome.status.waitingFor).toBeNull();
  });
});

describe('pre-rollout and rollout', () => {
  test('pre-rollout runs once before any traffic; rollout runs every round before the metrics', async () => {
    const pre = hook('pre-rollout');
    const rollout = hook('rollout', 200, 'load-test');
    const config = canaryWith([pre, rollout]);

    const outcome = await harness.run(config, '1.1.0');

    expect(outcome.outcome).toBe('promoted');
    expect(pre.calls()).toHaveLength(1);
    const firstWeightAt = harness.kube.weightChanges.find((change) => change.name === config.traffic.traefikService)!.at;
    expect(pre.calls()[0]!.at).toBeLessThan(firstWeightAt);
    expect(pre.calls()[0]!.payload.phase).toBe('Progressing');
    expect(rollout.calls()).toHaveLength(outcome.status.iteration);
    expect(outcome.status.lastChecks.map((check) => check.name)).toEqual(['webhook load-test', 'request-success-rate', 'request-duration']);
  });

  test('a failing pre-rollout hook is a failed check: retried each interval, rolled back at the threshold before any traffic', async () => {
    const pre = hook('pre-rollout', { status: 500, body: 'smoke suite failed' }, 'smoke');
    const config = canaryWith([pre], { threshold: 2 });

    const outcome = await harness.run(config, '1.1.0');

    expect(outcome.outcome).toBe('rolledBack');
    expect(outcome.reason).toBe('failed checks reached the threshold (2/2): pre-rollout webhook smoke failed (HTTP 500: smoke suite failed); counted as a failed check');
    expect(pre.calls()).toHaveLength(2);
    expect(harness.canaryWeights(config).filter((weight) => weight > 0)).toEqual([]);
    expect(harness.helmStory(config)).toEqual([`upgrade ${config.helm.releases.canary}`, `test ${config.helm.releases.canary}`, `uninstall ${config.helm.releases.canary}`]);
  });

  test('a failing rollout hook is a failed check, and the metrics are not queried in its rounds', async () => {
    const rollout = hook('rollout', 503, 'load-test');
    const config = canaryWith([rollout], { threshold: 2 });

    const outcome = await harness.run(config, '1.1.0');

    expect(outcome.outcome).toBe('rolledBack');
    expect(outcome.reason).toContain('rollout webhook load-test failed (HTTP 503: not yet)');
    expect(rollout.calls()).toHaveLength(2);
    expect(harness.prometheus.queries.filter((query) => query.query.includes(config.traffic.canaryService))).toEqual([]);
    expect(harness.canaryWeights(config)).toEqual([50, 0]);
  });
});

describe('confirm-traffic-increase', () => {
  test('holds the weight before an increase until the hook answers 2xx', async () => {
    let open = true;
    const gate = hook('confirm-traffic-increase', (nth) => (nth === 1 || open ? 200 : 403));
    const config = canaryWith([gate]);
    open = false;
    const handle = await harness.start(config, '1.1.0');

    const waiting = await eventually('the gate before 100%', () => handle.query(statusQuery), (status) => status.waitingFor?.startsWith('confirm-traffic-increase') ?? false, 15_000);
    expect(waiting.canaryWeight).toBe(50);
    await sleep(2_500);
    const held = await handle.query(statusQuery);
    expect(held.canaryWeight).toBe(50);
    expect(held.iteration).toBe(waiting.iteration);

    open = true;
    const outcome = (await handle.result()) as ReleaseResult;

    expect(outcome.outcome).toBe('promoted');
    expect(harness.canaryWeights(config)).toEqual([50, 100, 0]);
    // Asked before 50% and before 100% (polled while closed).
    expect(gate.calls().length).toBeGreaterThanOrEqual(4);
  });
});

describe('confirm-promotion', () => {
  test('waits before promotion in phase WaitingPromotion while the analysis goes on; the primary is untouched meanwhile', async () => {
    const gate = hook('confirm-promotion', 403, 'change-board');
    const config = canaryWith([gate]);
    harness.seedPrimary(config, '1.0.0');
    const handle = await harness.start(config, '1.1.0');

    const waiting = await eventually('WaitingPromotion', () => handle.query(statusQuery), (status) => status.phase === 'WaitingPromotion', 15_000);
    expect(waiting.waitingFor).toBe('confirm-promotion webhook change-board (HTTP 403: not yet)');
    await eventually('analysis going on while waiting', () => handle.query(statusQuery), (status) => status.iteration >= waiting.iteration + 2, 15_000);
    expect(harness.helmStory(config)).not.toContain(`upgrade ${config.helm.releases.primary}`);

    hooks.answer(gate.path, 202);
    const outcome = (await handle.result()) as ReleaseResult;

    expect(outcome.outcome).toBe('promoted');
    expect(outcome.reason).toBe('all 2 steps passed analysis');
    expect(harness.helmRelease('shop', config.helm.releases.primary)?.values.image?.tag).toBe('1.1.0');
    expect(gate.calls().some((call) => call.payload.phase === 'WaitingPromotion')).toBe(true);
  });

  test('a long wait for promotion stays a short history: 200 analysis rounds while the gate is closed take a few activities, not events per round', async () => {
    const gate = hook('confirm-promotion', 403, 'change-board');
    const config = canaryWith([gate], { interval: '100ms', stepWeight: 100 });
    const handle = await harness.start(config, '1.1.0');

    const waited = await eventually('200 rounds while waiting', () => handle.query(statusQuery), (status) => status.phase === 'WaitingPromotion' && status.iteration >= 200, 120_000);
    expect(waited.lastChecks.every((check) => check.passed)).toBe(true);
    hooks.answer(gate.path, 202);
    const outcome = (await handle.result()) as ReleaseResult;

    expect(outcome.outcome).toBe('promoted');
    const events = (await handle.fetchHistory()).events ?? [];
    const waits = events.filter((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'waitForPromotion').length;
    // One activity per 10 passed rounds (status fresh within a few seconds here, 10 minutes at most);
    // the path before it (a hook call, a timer and a query activity per interval, each with its workflow
    // tasks) costs about 15 events a round by its commands, ~3,000 for these 200.
    expect(waits).toBeLessThan(40);
    expect(events.length).toBeLessThan(400);
    expect(messages(outcome)).toContain('confirm-promotion gate open: change-board approved');
    process.stdout.write(`confirm-promotion: ${outcome.status.iteration} analysis rounds while waiting, ${waits} waitForPromotion activities, ${events.length} events in the whole release's history\n`);
  }, 180_000);

  test('a regression while waiting for promotion still rolls back', async () => {
    const gate = hook('confirm-promotion', 403);
    const config = canaryWith([gate], { threshold: 2 });
    const handle = await harness.start(config, '1.1.0');
    await eventually('WaitingPromotion', () => handle.query(statusQuery), (status) => status.phase === 'WaitingPromotion', 15_000);

    harness.prometheus.answer = (query) => (query.includes('histogram_quantile') ? { value: 900 } : { value: 99.9 });
    const outcome = (await handle.result()) as ReleaseResult;

    expect(outcome.outcome).toBe('rolledBack');
    expect(outcome.reason).toContain('request-duration 900ms above maximum 500ms');
    expect(harness.helmStory(config)).not.toContain(`upgrade ${config.helm.releases.primary}`);
  });

  test('pause while the gate waits holds the analysis until resume; abort then rolls back', async () => {
    const gate = hook('confirm-promotion', 403);
    const config = canaryWith([gate], { interval: '200ms' });
    const handle = await harness.start(config, '1.1.0');
    await eventually('WaitingPromotion', () => handle.query(statusQuery), (status) => status.phase === 'WaitingPromotion', 15_000);

    await handle.signal(pauseSignal, { by: 'test' });
    const paused = await eventually('Paused', () => handle.query(statusQuery), (status) => status.phase === 'Paused', 15_000);
    await sleep(1_500);
    expect((await handle.query(statusQuery)).iteration).toBe(paused.iteration);
    await handle.signal(resumeSignal, { by: 'test' });
    await eventually('analysis again', () => handle.query(statusQuery), (status) => status.phase === 'WaitingPromotion' && status.iteration >= paused.iteration + 2, 15_000);
    await handle.signal(abortSignal, { by: 'test', reason: 'change board said no' });
    const outcome = (await handle.result()) as ReleaseResult;

    expect(outcome.outcome).toBe('rolledBack');
    expect(outcome.reason).toContain('change board said no');
    expect(harness.helmStory(config)).not.toContain(`upgrade ${config.helm.releases.primary}`);
    expect(harness.canaryWeights(config).at(-1)).toBe(0);
  });

  test('promote while the gate waits promotes at once', async () => {
    const gate = hook('confirm-promotion', 403);
    const config = canaryWith([gate]);
    const handle = await harness.start(config, '1.1.0');
    await eventually('WaitingPromotion', () => handle.query(statusQuery), (status) => status.phase === 'WaitingPromotion', 15_000);

    await handle.signal(promoteSignal);
    const outcome = (await handle.result()) as ReleaseResult;

    expect(outcome.outcome).toBe('promoted');
    expect(outcome.reason).toBe('promoted by a person, remaining steps skipped');
  });
});

describe('post-rollout and rollback', () => {
  test('post-rollout is called once after the end; its failure is logged and the outcome stands', async () => {
    const post = hook('post-rollout', { status: 500, body: 'report service down' }, 'report');
    const config = canaryWith([post]);

    const outcome = await harness.run(config, '1.1.0');

    expect(outcome.outcome).toBe('promoted');
    expect(post.calls()).toHaveLength(1);
    expect(post.calls()[0]!.payload.phase).toBe('Succeeded');
    expect(messages(outcome)).toContain('post-rollout webhook report failed (HTTP 500: report service down); logged only, the outcome stands');
  });

  test('a rollback hook that answers 200 mid-rollout rolls back; post-rollout then sees RolledBack', async () => {
    const killSwitch = hook('rollback', (nth) => (nth >= 3 ? { status: 200, body: 'kill switch on' } : 404), 'kill-switch');
    const post = hook('post-rollout');
    const config = canaryWith([killSwitch, post], { stepWeight: 25 });

    const outcome = await harness.run(config, '1.1.0');

    expect(outcome.outcome).toBe('rolledBack');
    expect(outcome.reason).toBe('rollback webhook kill-switch asked for a rollback (HTTP 200: kill switch on)');
    expect(killSwitch.calls()).toHaveLength(3);
    expect(harness.canaryWeights(config)).toEqual([25, 50, 75, 0]);
    expect(harness.helmStory(config)).toEqual([`upgrade ${config.helm.releases.canary}`, `test ${config.helm.releases.canary}`, `uninstall ${config.helm.releases.canary}`]);
    expect(post.calls().map((call) => call.payload.phase)).toEqual(['RolledBack']);
  });
});

describe('durable gates', () => {
  async function waitForExit(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise((resolve) => child.once('exit', resolve));
  }

  test('a confirm-promotion gate keeps waiting across a worker SIGKILL and restart, then promotes when the hook answers 2xx', async () => {
    // Only the child-process workers may poll the task queue here: the file's in-process worker would
    // take activities with the other harness's stand-ins.
    await harness.stopWorker();
    const isolated = await ReleaseHarness.start({ inProcessWorker: false });
    try {
      const gate = hook('confirm-promotion', 403, 'change-board');
      const config = canaryWith([gate], {}, isolated);
      isolated.seedPrimary(config, '1.0.0');
      const first = isolated.spawnWorker();
      const handle = await isolated.start(config, '1.1.0');
      // The child worker bundles the workflow code at start-up (a few seconds) before the release moves.
      await eventually('WaitingPromotion', () => handle.query(statusQuery), (status) => status.phase === 'WaitingPromotion', 40_000);

      first.kill('SIGKILL');
      await waitForExit(first);
      const pollsAtKill = gate.calls().length;
      isolated.spawnWorker();

      // The new worker picks the wait up from the history: still waiting, still polling the same gate.
      // The wait is one heartbeating activity: Temporal hands it to the new worker once the lost one's
      // heartbeat is overdue (its heartbeat timeout, 60 s with these hooks).
      await eventually('polls by the new worker', () => gate.calls().length, (count) => count >= pollsAtKill + 1, 120_000);
      const after = await handle.query(statusQuery);
      expect(after.phase).toBe('WaitingPromotion');
      expect(after.waitingFor).toBe('confirm-promotion webhook change-board (HTTP 403: not yet)');
      expect(isolated.helmStory(config)).not.toContain(`upgrade ${config.helm.releases.primary}`);

      hooks.answer(gate.path, 200);
      const outcome = (await handle.result()) as ReleaseResult;
      expect(outcome.outcome).toBe('promoted');
      expect(isolated.canaryWeights(config)).toEqual([50, 100, 0]);
      const { primary, canary } = config.helm.releases;
      expect(isolated.helmStory(config)).toEqual([`upgrade ${canary}`, `test ${canary}`, `upgrade ${primary}`, `uninstall ${canary}`]);
    } finally {
      await isolated.stop();
    }
  }, 240_000);
});
