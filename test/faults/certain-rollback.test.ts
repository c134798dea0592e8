/*
 * The rollback always finishes, and nothing reaches users untested: an API server away longer than
 * the usual attempts, a canary track that still carries traffic, a primary upgrade that fails during
 * promotion, a cancelled release or drill. Real Temporal dev server, the worker's real adapters on the
 * stand-ins (helm, Kubernetes API, Prometheus, Slack).
 */
import { statusQuery } from '../../src/workflows/messages';
import { releaseWorkflowId, type ReleaseResult } from '../../src/workflows/types';
import { eventually, ReleaseHarness } from '../support/harness';

let harness: ReleaseHarness;
const failingCanaries = new Set<string>();
beforeAll(async () => {
  harness = await ReleaseHarness.start();
  harness.prometheus.answer = (query) => {
    if (query.includes('histogram_quantile')) return { value: 120 };
    return { value: [...failingCanaries].some((canary) => query.includes(`shop-${canary}-[0-9]`) || query.includes(`shop-${canary}-`)) ? 50 : 99.9 };
  };
});
afterAll(async () => harness?.stop());
// An outage ends with its test, whatever that test's result.
afterEach(() => {
  harness.kube.unavailable = false;
});

const messages = (result: ReleaseResult) => result.status.events.map((event) => event.message);

test('an API server away for longer than the usual ten attempts: the rollback keeps trying, names the wait, and lands', async () => {
  const config = harness.config({ analysis: { interval: '1s', stepWeight: 25, threshold: 1 } });
  harness.seedPrimary(config, '1.0.0');
  failingCanaries.add(config.traffic.canaryService);
  const handle = await harness.start(config, '1.1.0');
  await eventually('canary at 25%', () => handle.query(statusQuery), (status) => status.canaryWeight >= 25, 60_000);
  harness.kube.unavailable = true;
  // The ten local attempts take about 56 s; the outage lasts longer.
  const waiting = await eventually('the rollback waiting on the router', () => handle.query(statusQuery), (status) => status.phase === 'RollingBack' && status.waitingFor !== null, 30_000);
  expect(waiting.waitingFor).toContain('weight change to');
  await new Promise((resolve) => setTimeout(resolve, 62_000));
  const during = await handle.query(statusQuery);
  harness.kube.unavailable = false;
  expect(during.events.at(-1)?.message).toContain('it retries until it lands');
  expect(during.phase).toBe('RollingBack');
  const result = (await handle.result()) as ReleaseResult;
  expect(result.outcome).toBe('rolledBack');
  expect(messages(result).some((message) => message.includes('it retries until it lands'))).toBe(true);
  expect(harness.kube.currentWeights('shop', config.traffic.traefikService)).toMatchObject({ [config.traffic.primaryService]: 100, [config.traffic.canaryService]: 0 });
  expect(harness.helmStory(config)).toContain(`uninstall ${config.helm.releases.canary}`);
}, 150_000);

test('a canary track that still carries traffic is emptied before the canary is installed', async () => {
  const config = harness.config({ analysis: { interval: '1s', stepWeight: 50, threshold: 1 } });
  harness.seedPrimary(config, '1.0.0');
  // An earlier release ended failed with traffic split: 30% still goes to the canary track.
  const split = harness.kube.traefikServices.get(`shop/${config.traffic.traefikService}`);
  split.spec.weighted.services = [
    { name: config.traffic.primaryService, port: 80, weight: 70 },
    { name: config.traffic.canaryService, port: 80, weight: 30 },
  ];
  const result = await harness.run(config, '1.1.0');
  expect(result.outcome).toBe('promoted');
  const firstChange = harness.kube.weightChanges.find((change) => change.namespace === 'shop' && change.name === config.traffic.traefikService)!;
  expect(firstChange.weights[config.traffic.canaryService]).toBe(0);
  const install = harness.helmCalls('shop', [config.helm.releases.canary]).find((call) => call.action === 'upgrade')!;
  expect(firstChange.at).toBeLessThan(install.at);
  expect(messages(result).some((message) => message.startsWith('The canary track still carried traffic from an earlier release'))).toBe(true);
});

test('a primary upgrade that fails during promotion: primary rolled back to its revision, 100% on it, canary removed, failed with that state', async () => {
  const config = harness.config({ analysis: { interval: '1s', stepWeight: 50, threshold: 1 } });
  harness.seedPrimary(config, '1.0.0', 3);
  harness.failHelm('upgrade', config.helm.releases.primary, 'Error: UPGRADE FAILED: context deadline exceeded');
  const result = await harness.run(config, '1.1.0');
  expect(result.outcome).toBe('failed');
  expect(result.reason).toContain(`the helm upgrade of ${config.helm.releases.primary} to 1.1.0 failed during promotion`);
  expect(result.reason).toContain(`rolled back to revision 3 (1.0.0) and serves 100%`);
  const story = harness.helmStory(config);
  expect(story.slice(-3)).toEqual([`upgrade ${config.helm.releases.primary}`, `rollback ${config.helm.releases.primary}`, `uninstall ${config.helm.releases.canary}`]);
  expect(harness.kube.currentWeights('shop', config.traffic.traefikService)).toMatchObject({ [config.traffic.primaryService]: 100, [config.traffic.canaryService]: 0 });
  // While the primary was put back, every request went to the canary (the new version, which had passed analysis).
  expect(harness.canaryWeights(config).slice(-2)).toEqual([100, 0]);
});

test('a cancelled release rolls back like an abort', async () => {
  const config = harness.config({ analysis: { interval: '1s', stepWeight: 25, threshold: 2 } });
  harness.seedPrimary(config, '1.0.0');
  const handle = await harness.start(config, '1.1.0');
  await eventually('canary at 25%', () => handle.query(statusQuery), (status) => status.canaryWeight >= 25, 60_000);
  await handle.cancel();
  const result = (await handle.result()) as ReleaseResult;
  expect(result.outcome).toBe('rolledBack');
  expect(result.reason).toContain('cancelled');
  expect(harness.canaryWeights(config).at(-1)).toBe(0);
  expect(harness.helmStory(config)).toContain(`uninstall ${config.helm.releases.canary}`);
  expect(harness.helmStory(config)).not.toContain(`upgrade ${config.helm.releases.primary}`);
});

test('terminating a drill cancels its release, which rolls back', async () => {
  const config = harness.config({
    analysis: { interval: '1s', stepWeight: 25, threshold: 5 },
    drill: { version: '9.9.9-drill', set: { 'faultInjection.errorRate': '50' }, maxRestore: '5s' },
  });
  harness.seedPrimary(config, '1.0.0');
  const drill = await harness.client.workflow.start('rollbackDrill', { taskQueue: 'docutag-release', workflowId: `drill-shop-${config.service.name}`, args: [{ config, trigger: 'manual' }] });
  const release = harness.client.workflow.getHandle(releaseWorkflowId('shop', config.service.name));
  await eventually('the drill release at 25%', () => release.query(statusQuery).catch(() => ({ canaryWeight: 0 })), (status) => status.canaryWeight >= 25, 60_000);
  await drill.terminate('operator stopped the drill');
  const result = (await release.result()) as ReleaseResult;
  expect(result.outcome).toBe('rolledBack');
  expect(result.reason).toContain('cancelled');
  expect(harness.canaryWeights(config).at(-1)).toBe(0);
});

test('a release of a service with no migration leaves no failed event in its history', async () => {
  const config = harness.config({ analysis: { interval: '1s', stepWeight: 50 } });
  harness.seedPrimary(config, '1.0.0');
  const handle = await harness.start(config, '1.1.0');
  expect(((await handle.result()) as ReleaseResult).outcome).toBe('promoted');
  const history = await handle.fetchHistory();
  const failedEvents = history.events!.filter((event) => event.signalExternalWorkflowExecutionFailedEventAttributes || event.activityTaskFailedEventAttributes);
  expect(failedEvents).toEqual([]);
});
