/*
 * A/B testing on the real Temporal dev server (issue 14): the canary gets only the requests that
 * match analysis.match, through `<ingressRoute>-ab` beside the service's IngressRoute; rounds, then
 * promotion; a rollback removes the A/B route first. The Kubernetes API is the stand-in.
 */
import type { ReleaseConfig } from '../../src/config';
import { abortSignal, promoteSignal, statusQuery } from '../../src/workflows/messages';
import type { ReleaseResult } from '../../src/workflows/types';
import { eventually, ReleaseHarness, useReleaseHarness } from '../support/harness';
import { healthyMetrics } from '../support/stand-ins';

let harness: ReleaseHarness;
useReleaseHarness((started) => (harness = started));

const match = [{ headers: { 'x-canary': { exact: 'insider' } } }];
const abTest = (analysis: Record<string, unknown> = {}) => harness.config({ strategy: 'abTesting', analysis: { iterations: 2, match, ...analysis } });
const abRoute = (config: ReleaseConfig) => harness.kube.ingressRoutes.get(`shop/${config.traffic.traefikService}-ab`);
const abChanges = (config: ReleaseConfig) => harness.kube.ingressRouteChanges.filter((change) => change.name === `${config.traffic.traefikService}-ab`);

/** Answers the canary's queries healthy (or with `answer`) and records whether the A/B route existed at each. */
function measureCanary(config: ReleaseConfig, answer = (query: string) => healthyMetrics(query)) {
  const routed: boolean[] = [];
  harness.prometheus.answer = (query) => {
    if (!query.includes(config.traffic.canaryService)) return healthyMetrics(query);
    routed.push(Boolean(abRoute(config)));
    return answer(query);
  };
  return routed;
}

describe('A/B testing release', () => {
  test('promoted: rounds on the matching requests, the primary upgraded while the A/B route stands, then the route removed and the canary uninstalled', async () => {
    const config = abTest();
    const { primary, canary } = config.helm.releases;
    harness.seedPrimary(config, '1.0.0');
    const routed = measureCanary(config);

    const handle = await harness.start(config, '1.1.0');
    const outcome = (await handle.result()) as ReleaseResult;

    expect(outcome.outcome).toBe('promoted');
    expect(outcome.reason).toBe(`${canary} passed 2 analysis rounds on the requests where x-canary = insider`);
    // 2 rounds x 2 checks, all while the A/B route sent the matching requests to the canary
    expect(routed).toEqual([true, true, true, true]);
    expect(abChanges(config).map((change) => change.action)).toEqual(['create', 'delete']);
    const [created, deleted] = abChanges(config);
    const calls = harness.helmCalls('shop', [primary, canary]);
    expect(created!.at).toBeGreaterThan(calls.find((call) => call.action === 'upgrade' && call.release === canary)!.at);
    expect(deleted!.at).toBeGreaterThan(calls.find((call) => call.action === 'upgrade' && call.release === primary)!.at);
    expect(calls.find((call) => call.action === 'uninstall')!.at).toBeGreaterThan(deleted!.at);
    // the weighted split never moved: nobody outside the rule reached the canary
    expect(harness.canaryWeights(config)).toEqual([]);
    expect(outcome.status.match).toBe('x-canary = insider');
    expect(harness.helmRelease('shop', primary)?.values.image?.tag).toBe('1.1.0');
    expect(outcome.status.events.map((event) => event.message)).toContain(`A/B router in place: requests where x-canary = insider go to ${canary}, all others to ${primary}`);
  });

  test('rolled back when the analysis fails: the A/B route removed before the canary, the primary untouched', async () => {
    const config = abTest({ threshold: 2 });
    const { primary, canary } = config.helm.releases;
    harness.seedPrimary(config, '1.0.0');
    measureCanary(config, (query) => (query.includes('histogram_quantile') ? { value: 120 } : { value: 80 }));

    const outcome = (await (await harness.start(config, '1.1.0')).result()) as ReleaseResult;

    expect(outcome.outcome).toBe('rolledBack');
    expect(outcome.reason).toContain('request-success-rate 80% below minimum 99%');
    expect(abRoute(config)).toBeUndefined();
    const deleted = abChanges(config).find((change) => change.action === 'delete')!;
    expect(harness.helmCalls('shop', [canary]).find((call) => call.action === 'uninstall')!.at).toBeGreaterThan(deleted.at);
    expect(harness.helmStory(config)).toEqual([`upgrade ${canary}`, `test ${canary}`, `uninstall ${canary}`]);
    expect(harness.helmRelease('shop', primary)?.values.image?.tag).toBe('1.0.0');
    expect(outcome.detectionMs).not.toBeNull();
  });

  test('abort during the rounds removes the A/B route and the canary', async () => {
    const config = abTest({ iterations: 50 });
    harness.seedPrimary(config, '1.0.0');
    measureCanary(config);
    const handle = await harness.start(config, '1.1.0');
    await eventually('a first round on the matching requests', () => handle.query(statusQuery), (status) => status.iteration >= 1 && status.match === 'x-canary = insider', 20_000);
    expect(abRoute(config)).toBeDefined();

    await handle.signal(abortSignal, { reason: 'insiders report broken search' });
    const outcome = (await handle.result()) as ReleaseResult;

    expect(outcome.outcome).toBe('rolledBack');
    expect(outcome.reason).toBe('aborted: insiders report broken search');
    expect(abRoute(config)).toBeUndefined();
    expect(harness.helmStory(config).at(-1)).toBe(`uninstall ${config.helm.releases.canary}`);
  });

  test('promote skips the remaining rounds', async () => {
    const config = abTest({ iterations: 50 });
    measureCanary(config);
    const handle = await harness.start(config, '1.1.0');
    await eventually('a first round', () => handle.query(statusQuery), (status) => status.iteration >= 1, 20_000);

    await handle.signal(promoteSignal);
    const outcome = (await handle.result()) as ReleaseResult;

    expect(outcome.outcome).toBe('promoted');
    expect(outcome.reason).toBe('promoted by a person, remaining rounds skipped');
    expect(outcome.status.iteration).toBeLessThan(50);
    expect(abRoute(config)).toBeUndefined();
    expect(harness.helmStory(config)).toContain(`upgrade ${config.helm.releases.primary}`);
  });

  test('an A/B route left by an earlier release is removed before the canary is installed', async () => {
    const config = abTest({ threshold: 1, iterations: 1 });
    harness.kube.ingressRoutes.set(`shop/${config.traffic.traefikService}-ab`, { metadata: { name: `${config.traffic.traefikService}-ab`, resourceVersion: '1' }, spec: { routes: [] } });
    measureCanary(config);

    const handle = await harness.start(config, '1.1.0');
    await handle.result();

    const [first] = abChanges(config);
    expect(first!.action).toBe('delete');
    expect(harness.helmCalls('shop', [config.helm.releases.canary]).find((call) => call.action === 'upgrade')!.at).toBeGreaterThan(first!.at);
  });
});
