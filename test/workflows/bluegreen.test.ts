/*
 * Blue-green on the real Temporal dev server: green analysed at 0%, the instant switch, the watch
 * after it with blue kept warm, and the rollbacks before and after the switch.
 */
import type { ReleaseConfig } from '../../src/config';
import { abortSignal, promoteSignal, statusQuery } from '../../src/workflows/messages';
import type { ReleaseResult } from '../../src/workflows/types';
import { eventually, ReleaseHarness, useReleaseHarness } from '../support/harness';
import { FakeWebhooks, healthyMetrics, type PromAnswer } from '../support/stand-ins';

let harness: ReleaseHarness;
let hooks: FakeWebhooks;
useReleaseHarness((started, webhooks) => ([harness, hooks] = [started, webhooks]), { webhooks: true });


const blueGreen = (analysis: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
  harness.config({ strategy: 'blue-green', analysis: { iterations: 2, postSwitchIterations: 2, ...analysis }, ...extra });

/** Green's weight in the TraefikService right now. */
const greenWeight = (config: ReleaseConfig) => harness.kube.currentWeights('shop', config.traffic.traefikService)[config.traffic.canaryService] ?? 0;

/** Answers green's queries with `answer(green weight)` and records the weight each query saw. */
function measureGreen(config: ReleaseConfig, answer: (weight: number, query: string) => PromAnswer = (_weight, query) => healthyMetrics(query)) {
  const seen: Array<{ weight: number; at: number }> = [];
  harness.prometheus.answer = (query) => {
    if (!query.includes(config.traffic.canaryService)) return healthyMetrics(query);
    const weight = greenWeight(config);
    seen.push({ weight, at: Date.now() });
    return answer(weight, query);
  };
  return seen;
}

const result = async (config: ReleaseConfig, version = '1.1.0') => {
  const handle = await harness.start(config, version);
  return { handle, outcome: (await handle.result()) as ReleaseResult };
};

describe('blue-green release', () => {
  test('promoted: green analysed at 0%, then 100% to green in one call, watched, then the primary upgraded and 100% back on it', async () => {
    const config = blueGreen();
    const { primary, canary: green } = config.helm.releases;
    harness.seedPrimary(config, '1.0.0');
    const seen = measureGreen(config);

    const { outcome } = await result(config);

    expect(outcome.outcome).toBe('promoted');
    // One router call to 100% for green (the switch), one back to the primary after promotion.
    expect(harness.canaryWeights(config)).toEqual([100, 0]);
    const changes = harness.kube.weightChanges.filter((change) => change.name === config.traffic.traefikService);
    expect(changes.map((change) => change.weights)).toEqual([
      { [config.traffic.primaryService]: 0, [config.traffic.canaryService]: 100 },
      { [config.traffic.primaryService]: 100, [config.traffic.canaryService]: 0 },
    ]);
    const switchAt = changes[0]!.at;
    // Analysis before the switch saw green at 0%: 2 rounds x 2 checks; the watch saw it at 100%: 2 rounds x 2 checks.
    expect(seen.filter((query) => query.at < switchAt).map((query) => query.weight)).toEqual([0, 0, 0, 0]);
    expect(seen.filter((query) => query.at > switchAt).map((query) => query.weight)).toEqual([100, 100, 100, 100]);
    // The primary is upgraded only after the watch passed, then traffic moves back to it.
    const upgradePrimary = harness.helmCalls('shop', [primary]).find((call) => call.action === 'upgrade')!;
    expect(upgradePrimary.at).toBeGreaterThan(seen.at(-1)!.at);
    expect(changes[1]!.at).toBeGreaterThan(upgradePrimary.at);
    expect(harness.helmStory(config)).toEqual([`upgrade ${green}`, `test ${green}`, `upgrade ${primary}`, `uninstall ${green}`]);
    expect(harness.helmRelease('shop', primary)?.values.image?.tag).toBe('1.1.0');
    expect(harness.helmRelease('shop', green)).toBeUndefined();
    const events = outcome.status.events.map((event) => event.message);
    expect(events.findIndex((message) => message.startsWith('Watch 2/2'))).toBeLessThan(events.findIndex((message) => message.startsWith('Promoting 1.1.0')));
    expect(outcome.reason).toBe('green passed 2 analysis rounds at 0% and 2 watch rounds at 100%');
  });

  test('rolled back before the switch when the analysis fails: green removed, traffic never moved, the primary untouched', async () => {
    const config = blueGreen({ threshold: 2 });
    const { primary, canary: green } = config.helm.releases;
    harness.seedPrimary(config, '1.0.0');
    measureGreen(config, (_weight, query) => (query.includes('histogram_quantile') ? { value: 120 } : { value: 80 }));

    const { outcome } = await result(config);

    expect(outcome.outcome).toBe('rolledBack');
    expect(outcome.reason).toContain('request-success-rate 80% below minimum 99%');
    expect(outcome.status.failedChecks).toBe(2);
    expect(harness.canaryWeights(config)).toEqual([]);
    expect(harness.helmStory(config)).toEqual([`upgrade ${green}`, `test ${green}`, `uninstall ${green}`]);
    expect(harness.helmRelease('shop', primary)?.values.image?.tag).toBe('1.0.0');
    expect(outcome.detectionMs).not.toBeNull();
  });

  test('rolled back after the switch when the watch fails: traffic is back on blue within one router call', async () => {
    const config = blueGreen({ postSwitchIterations: 3 });
    const { primary, canary: green } = config.helm.releases;
    harness.seedPrimary(config, '1.0.0');
    // Green is fine with test traffic but fails under the real load it gets after the switch.
    measureGreen(config, (weight, query) => (query.includes('histogram_quantile') ? { value: 120 } : { value: weight === 100 ? 70 : 99.9 }));

    const { outcome } = await result(config);

    expect(outcome.outcome).toBe('rolledBack');
    expect(outcome.reason).toContain('watch round 1/3 after the switch failed, traffic goes back to blue');
    expect(outcome.reason).toContain('request-success-rate 70% below minimum 99%');
    // The switch, then the very next router call puts everything back on blue.
    expect(harness.canaryWeights(config)).toEqual([100, 0]);
    expect(harness.kube.currentWeights('shop', config.traffic.traefikService)).toEqual({ [config.traffic.primaryService]: 100, [config.traffic.canaryService]: 0 });
    expect(outcome.rollbackMs).toEqual(expect.any(Number));
    expect(outcome.rollbackMs!).toBeLessThan(2_000);
    expect(outcome.detectionMs).toEqual(expect.any(Number));
    expect(harness.helmStory(config)).toEqual([`upgrade ${green}`, `test ${green}`, `uninstall ${green}`]);
    expect(harness.helmRelease('shop', primary)?.values.image?.tag).toBe('1.0.0');
    expect(harness.slack.delivered().some((text) => text.includes(`Rolled back shop/${config.service.name} 1.1.0`) && text.includes('1.0.0 keeps serving'))).toBe(true);
  });

  test('with no traffic reaching green its checks have no data, and the reason suggests a rollout webhook that sends test traffic', async () => {
    const config = blueGreen({ threshold: 2 });
    measureGreen(config, () => ({ noData: true }));

    const { outcome } = await result(config);

    expect(outcome.outcome).toBe('rolledBack');
    expect(outcome.status.lastChecks).toHaveLength(2);
    for (const check of outcome.status.lastChecks) {
      expect(check.reason).toContain('no data returned from the metric provider');
      expect(check.reason).toContain(`no traffic reaches green (${config.traffic.canaryService}): add a webhook of type rollout that sends test traffic`);
    }
    expect(harness.canaryWeights(config)).toEqual([]);
  });

  test('a rollout webhook that sends test traffic gives green data before the switch, once per round before the metrics', async () => {
    const path = `/load-test/${Date.now()}`;
    const config = blueGreen({ threshold: 2 }, { webhooks: { helmTests: { enabled: false }, hooks: [{ name: 'load-test', type: 'rollout', url: hooks.url(path), timeout: '2s', metadata: { cmd: 'hey -z 1s http://green/' } }] } });
    // Green has data only in the rounds in which the load tester sent it requests.
    let requestsSent = 0;
    hooks.answer(path, () => {
      requestsSent += 1;
      return 200;
    });
    measureGreen(config, (weight, query) => (weight === 0 && requestsSent === 0 ? { noData: true } : healthyMetrics(query)));

    const { outcome } = await result(config);

    expect(outcome.outcome).toBe('promoted');
    // Every round (2 at 0%, 2 watch rounds) called the hook first.
    expect(hooks.callsTo(path)).toHaveLength(outcome.status.iteration);
    expect(hooks.callsTo(path)[0]!.payload).toMatchObject({ name: config.service.name, namespace: 'shop', phase: 'Progressing', metadata: { cmd: 'hey -z 1s http://green/' } });
  });

  test('abort during the watch flips traffic back to blue in one call and removes green', async () => {
    const config = blueGreen({ postSwitchIterations: 20 });
    harness.seedPrimary(config, '1.0.0');
    const handle = await harness.start(config, '1.1.0');
    await eventually('the switch to green', () => handle.query(statusQuery), (status) => status.canaryWeight === 100, 20_000);

    await handle.signal(abortSignal, { reason: 'errors in the checkout flow' });
    const outcome = (await handle.result()) as ReleaseResult;

    expect(outcome.outcome).toBe('rolledBack');
    expect(outcome.reason).toBe('aborted: errors in the checkout flow');
    expect(harness.canaryWeights(config)).toEqual([100, 0]);
    expect(outcome.rollbackMs!).toBeLessThan(2_000);
    expect(harness.helmStory(config)).toEqual([`upgrade ${config.helm.releases.canary}`, `test ${config.helm.releases.canary}`, `uninstall ${config.helm.releases.canary}`]);
  });

  test('promote skips the remaining analysis rounds: one switch, then the primary upgraded and 100% back on it', async () => {
    const config = blueGreen({ iterations: 20 });
    const handle = await harness.start(config, '1.1.0');
    await eventually('a first analysis round', () => handle.query(statusQuery), (status) => status.iteration >= 1, 20_000);

    await handle.signal(promoteSignal);
    const outcome = (await handle.result()) as ReleaseResult;

    expect(outcome.outcome).toBe('promoted');
    expect(outcome.reason).toBe('promoted by a person, remaining rounds skipped');
    expect(outcome.status.iteration).toBeLessThan(20);
    expect(harness.canaryWeights(config)).toEqual([100, 0]);
    expect(harness.helmStory(config)).toContain(`upgrade ${config.helm.releases.primary}`);
  });

  describe('mirrored (traffic.mirror, issue 14)', () => {
    const mirrored = (analysis: Record<string, unknown> = {}, percent = 100) => blueGreen(analysis, { traffic: { mirror: { percent } } });
    /** Whether the TraefikService is of kind mirroring right now, and at what percent to green. */
    const mirrorNow = (config: ReleaseConfig): number | null => {
      const spec = harness.kube.traefikServices.get(`shop/${config.traffic.traefikService}`).spec;
      return spec.weighted ? null : (spec.mirroring.mirrors.find((mirror: { name: string }) => mirror.name === config.traffic.canaryService)?.percent ?? 0);
    };

    test('promoted: green is analysed on mirrored requests at 0%, the switch ends the mirror, then the primary upgraded and 100% back on it', async () => {
      const config = mirrored({}, 60);
      harness.seedPrimary(config, '1.0.0');
      const mirrorsSeen: Array<number | null> = [];
      measureGreen(config, (_weight, query) => {
        mirrorsSeen.push(mirrorNow(config));
        return healthyMetrics(query);
      });

      const { outcome } = await result(config);

      expect(outcome.outcome).toBe('promoted');
      const changes = harness.kube.weightChanges.filter((change) => change.name === config.traffic.traefikService);
      expect(changes.map(({ weights, mirrors }) => ({ weights, mirrors }))).toEqual([
        { weights: { [config.traffic.primaryService]: 100 }, mirrors: { [config.traffic.canaryService]: 60 } },
        { weights: { [config.traffic.primaryService]: 0, [config.traffic.canaryService]: 100 }, mirrors: undefined },
        { weights: { [config.traffic.primaryService]: 100, [config.traffic.canaryService]: 0 }, mirrors: undefined },
      ]);
      // 2 analysis rounds x 2 checks while mirroring 60%, then 2 watch rounds x 2 checks on the weighted service.
      expect(mirrorsSeen).toEqual([60, 60, 60, 60, null, null, null, null]);
      expect(outcome.status.events.map((event) => event.message)).toContain(`Mirroring 60% of ${config.helm.releases.primary}'s requests to ${config.helm.releases.canary} (its answers are discarded; ${config.helm.releases.primary} keeps serving 100%)`);
      expect(mirrorNow(config)).toBeNull();
    });

    test('rolled back at 0% when the mirrored analysis fails: the mirror ends, the weighted service is back at 100/0, green removed', async () => {
      const config = mirrored({ threshold: 2 });
      const { canary: green } = config.helm.releases;
      harness.seedPrimary(config, '1.0.0');
      measureGreen(config, (_weight, query) => (query.includes('histogram_quantile') ? { value: 120 } : { value: 80 }));

      const { outcome } = await result(config);

      expect(outcome.outcome).toBe('rolledBack');
      expect(outcome.reason).toContain('request-success-rate 80% below minimum 99%');
      expect(mirrorNow(config)).toBeNull();
      expect(harness.kube.currentWeights('shop', config.traffic.traefikService)).toEqual({ [config.traffic.primaryService]: 100, [config.traffic.canaryService]: 0 });
      expect(harness.helmStory(config)).toEqual([`upgrade ${green}`, `test ${green}`, `uninstall ${green}`]);
    });

    test('abort during the mirrored analysis ends the mirror before green is removed', async () => {
      const config = mirrored({ iterations: 50 });
      harness.seedPrimary(config, '1.0.0');
      const handle = await harness.start(config, '1.1.0');
      await eventually('a mirrored analysis round', () => handle.query(statusQuery), (status) => status.iteration >= 1, 20_000);
      expect(mirrorNow(config)).toBe(100);

      await handle.signal(abortSignal, { reason: 'the mirror doubles our payment calls' });
      const outcome = (await handle.result()) as ReleaseResult;

      expect(outcome.outcome).toBe('rolledBack');
      expect(outcome.reason).toBe('aborted: the mirror doubles our payment calls');
      expect(mirrorNow(config)).toBeNull();
      const endedAt = harness.kube.weightChanges.filter((change) => change.name === config.traffic.traefikService).at(-1)!.at;
      const uninstall = harness.helmCalls('shop', [config.helm.releases.canary]).find((call) => call.action === 'uninstall')!;
      expect(uninstall.at).toBeGreaterThan(endedAt);
    });
  });
});
