/*
 * Releases end to end on the local stack: the real Temporal dev server (jest globalSetup), a worker
 * in this process with the local adapters, a real Traefik v3 and Prometheus, each version a real
 * demo-app process, and real traffic from the load generator through Traefik's entrypoint. The
 * assertions are on that traffic: no request the primary serves fails, and once the router reports
 * 100/0 after a rollback decision, no request sent afterwards reaches the bad version.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { Runtime, type Worker } from '@temporalio/worker';
import type { HelmTarget, TrafficSplit } from '../../src/activities/ports';
import { startReleaseWorkflow } from '../../src/client/commands/start';
import { parseConfig, type ConfigInput, type ReleaseConfig } from '../../src/config';
import { LoadGenerator, type LoadResponse } from '../../src/load/load-generator';
import { createLocalAdapters, type AppliedWeights, type LocalAdapters } from '../../src/targets/local/adapters';
import { createReleaseWorker } from '../../src/worker/worker';
import { durationMs, localTargetOf } from '../../src/workflows/domain';
import type { ReleaseResult } from '../../src/workflows/types';
import { DEMO_APP, provideTools, ROOT, TOOLS_TIMEOUT_MS, waitUntil } from '../local/support';
import { testAddress, workflowBundle } from '../support/harness';

const RPS = 100;
const NAMESPACE = 'stack';

let local: LocalAdapters;
let dataDir: string;
let worker: Worker;
let workerRun: Promise<void>;
let closeWorker: () => Promise<void>;
let connection: Connection;
let client: Client;
const applied: AppliedWeights[] = [];
const loads: LoadGenerator[] = [];

beforeAll(() => {
  provideTools();
}, TOOLS_TIMEOUT_MS);

beforeAll(async () => {
  try {
    Runtime.install({ shutdownSignals: [], logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (message: string) => console.error(message) } as never });
  } catch {
    // already installed in this jest worker
  }
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'stack-test-'));
  local = await createLocalAdapters({ dataDir, cwd: ROOT, ...provideTools(), drainMs: 300, onWeightsApplied: (entry) => applied.push(entry) });
  const created = await createReleaseWorker({
    deps: local.deps,
    env: { ...process.env, TEMPORAL_ADDRESS: testAddress(), TEMPORAL_NAMESPACE: 'default' },
    workerOptions: { workflowBundle: await workflowBundle() },
  });
  worker = created.worker;
  closeWorker = created.close;
  workerRun = worker.run();
  connection = await Connection.connect({ address: testAddress() });
  client = new Client({ connection });
});

afterAll(async () => {
  await Promise.all(loads.map((load) => load.stop()));
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await workerRun;
  await closeWorker?.();
  await connection?.close();
  await local?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

let serviceCounter = 0;
/** A fresh service on target local (unique per run): interval 5s, one step at 50%, the demo app as its command. */
function serviceConfig(overrides: Partial<Record<keyof ConfigInput, unknown>> = {}): ReleaseConfig {
  serviceCounter += 1;
  const { analysis, ...rest } = overrides;
  return parseConfig({
    service: { name: `svc-${process.pid.toString(36)}-${Date.now().toString(36)}-${serviceCounter}`, namespace: NAMESPACE },
    target: 'local',
    local: { command: DEMO_APP.command, healthPath: DEMO_APP.healthPath, testCommand: DEMO_APP.testCommand },
    helm: { timeout: '30s' },
    analysis: { interval: '5s', threshold: 1, stepWeights: [50], ...(analysis as object | undefined) },
    webhooks: { helmTests: { enabled: true, timeout: '20s' } },
    alerts: { slack: { enabled: false } },
    ...rest,
  } as ConfigInput);
}

function splitOf(config: ReleaseConfig): TrafficSplit {
  return { namespace: config.service.namespace, router: config.traffic.traefikService, primaryService: config.traffic.primaryService, canaryService: config.traffic.canaryService };
}

function targetOf(config: ReleaseConfig): HelmTarget {
  return { namespace: config.service.namespace, chart: '', valuesFiles: [], versionValue: config.helm.versionValue, set: {}, timeoutMs: durationMs(config.helm.timeout), ...localTargetOf(config) };
}

/** Every response of one load generator, in the order they finished. */
interface Traffic {
  load: LoadGenerator;
  responses: LoadResponse[];
}

function startLoad(url: string, rps = RPS, headers: Record<string, string> = {}): Traffic {
  const responses: LoadResponse[] = [];
  const load = new LoadGenerator({ url, rps, headers, onResponse: (response) => responses.push(response) }).start();
  loads.push(load);
  return { load, responses };
}

/** Load through Traefik's entrypoint on the service's split, once `version` answers it. */
async function trafficOn(config: ReleaseConfig, version: string): Promise<Traffic> {
  const traffic = startLoad(local.entryUrl(splitOf(config)));
  await waitUntil(() => traffic.responses.filter((response) => response.version === version).length >= 50, () => `${traffic.responses.length} responses, ${JSON.stringify(traffic.load.snapshot().byStatus)}`);
  return traffic;
}

/** Installs the primary at `version` outside any release (the version serving before the test) and sends traffic to it. */
async function servingPrimary(config: ReleaseConfig, version: string): Promise<Traffic> {
  await local.deps.deployer.install({ target: targetOf(config), release: config.helm.releases.primary, version });
  return trafficOn(config, version);
}

async function release(config: ReleaseConfig, version: string): Promise<ReleaseResult> {
  const handle = await startReleaseWorkflow(client, { config, version, requestedBy: 'test/stack' });
  return (await handle.result()) as ReleaseResult;
}

/** Responses that are not a 200 from one of the good versions (the bad version's own answers are left out). */
function failuresOutside(traffic: Traffic, badVersion: string | null): LoadResponse[] {
  return traffic.responses.filter((response) => response.version !== badVersion && response.status !== 200);
}

/** The rollback's timeline: the decision (workflow event), the router's 100/0 return, and the bad version's last request. */
function rollbackTimeline(config: ReleaseConfig, result: ReleaseResult, traffic: Traffic, badVersion: string) {
  const event = result.status.events.find((entry) => entry.message.startsWith('Rolling back'));
  expect(event).toBeDefined();
  const decisionAt = Date.parse(event!.at);
  const restored = applied.find((entry) => entry.split.router === config.traffic.traefikService && entry.weights.canaryWeight === 0 && entry.calledAt >= decisionAt - 1_000);
  expect(restored).toBeDefined();
  const bad = traffic.responses.filter((response) => response.version === badVersion);
  return {
    decisionAt,
    routerReturnedAt: restored!.returnedAt,
    badResponses: bad,
    lastBadSentAt: Math.max(...bad.map((response) => response.sentAt)),
    lastBadAt: Math.max(...bad.map((response) => response.at)),
  };
}

/** Lets requests in flight at the end of a release finish, then stops the load. */
async function settle(traffic: Traffic, moreResponses = RPS): Promise<void> {
  const target = traffic.responses.length + moreResponses;
  await waitUntil(() => traffic.responses.length >= target, () => `${traffic.responses.length} responses`);
  await traffic.load.stop();
}

describe('releases on the local stack (real Traefik, Prometheus and demo-app processes, real traffic)', () => {
  test('promotes a healthy canary on real traffic: 50% reached it, every request was served, then all of it goes to the new primary', async () => {
    const config = serviceConfig({ analysis: { threshold: 2 } });
    const traffic = await servingPrimary(config, '1.0.0');
    const result = await release(config, '1.1.0');
    const endedAt = Date.now();
    await settle(traffic);

    expect(result.outcome).toBe('promoted');
    expect(result.status.lastChecks.map((check) => check.name)).toEqual(['request-success-rate', 'request-duration']);
    expect(result.status.lastChecks.every((check) => check.passed && check.value !== null)).toBe(true);
    expect(failuresOutside(traffic, null)).toEqual([]);
    expect(traffic.responses.filter((response) => response.version === '1.1.0').length).toBeGreaterThan(100);
    const after = traffic.responses.filter((response) => response.sentAt > endedAt);
    expect(after.length).toBeGreaterThan(0);
    expect(after.filter((response) => response.version !== '1.1.0')).toEqual([]);
    expect(await local.deps.deployer.describe({ target: targetOf(config), release: config.helm.releases.canary })).toBeNull();
  });

  test('rolls back a canary with 20% errors; no request sent after the router reported 100/0 reaches it', async () => {
    // No smoke test here: it would catch one try in five before any traffic; this test is about the analysis under traffic.
    const config = serviceConfig({ helm: { timeout: '30s', set: { FAULT_ERROR_RATE: '0.2' } }, webhooks: { helmTests: { enabled: false } } });
    const traffic = await servingPrimary(config, '1.0.0');
    const result = await release(config, '1.2.0');
    await settle(traffic);

    expect(result.outcome).toBe('rolledBack');
    expect(result.reason).toMatch(/request-success-rate [\d.]+% below minimum 99%/);
    const timeline = rollbackTimeline(config, result, traffic, '1.2.0');
    expect(timeline.badResponses.some((response) => response.status === 500)).toBe(true);
    expect(timeline.badResponses.filter((response) => response.sentAt > timeline.routerReturnedAt)).toEqual([]);
    expect(timeline.lastBadSentAt).toBeLessThanOrEqual(timeline.routerReturnedAt);
    expect(failuresOutside(traffic, '1.2.0')).toEqual([]);
    expect(traffic.responses.filter((response) => response.version !== '1.2.0' && response.version !== '1.0.0')).toEqual([]);
    process.stdout.write(
      `20% errors: detection ${result.detectionMs}ms, router 100/0 ${timeline.routerReturnedAt - timeline.decisionAt}ms and last bad answer ${timeline.lastBadAt - timeline.decisionAt}ms after the decision\n`,
    );
  });

  test('checks against the primary on real series: a canary with 10% errors beside a 1%-error primary passes the absolute 80% and is rolled back by maxDecrease 3; a copy of the primary is promoted', async () => {
    const relative = (set: Record<string, string>, threshold: number) =>
      serviceConfig({
        helm: { timeout: '30s', set },
        webhooks: { helmTests: { enabled: false } },
        analysis: { threshold, stepWeights: [50], maxWeight: 50 },
        metrics: { requestSuccessRate: { threshold: 80, maxDecrease: 3 }, requestDuration: { enabled: false } },
      });
    const primaryErrors = { FAULT_ERROR_RATE: '0.01' };
    const servingWithErrors = async (config: ReleaseConfig) => {
      await local.deps.deployer.install({ target: targetOf(config), release: config.helm.releases.primary, version: '1.0.0', extraSet: primaryErrors });
      return trafficOn(config, '1.0.0');
    };

    // 250 requests a track a round: 90% ± 2 passes 80% by five deviations, and 9 points ± 2 below the primary is far past 3.
    const faulty = relative({ FAULT_ERROR_RATE: '0.1' }, 2);
    const faultyTraffic = await servingWithErrors(faulty);
    const caught = await release(faulty, '1.2.0');
    await settle(faultyTraffic);
    const copy = relative(primaryErrors, 2);
    const copyTraffic = await servingWithErrors(copy);
    const copied = await release(copy, '1.1.0');
    await settle(copyTraffic);

    expect(caught.outcome).toBe('rolledBack');
    const [absolute, againstPrimary] = ['request-success-rate', 'request-success-rate-vs-primary'].map((name) => caught.status.lastChecks.find((check) => check.name === name));
    expect(absolute).toMatchObject({ passed: true });
    expect(againstPrimary).toMatchObject({ passed: false, reference: expect.any(Number) });
    expect(againstPrimary!.value!).toBeLessThan(95);
    expect(againstPrimary!.reference!).toBeGreaterThan(96);
    expect(caught.reason).toMatch(/request-success-rate-vs-primary: canary [\d.]+%, primary [\d.]+%, allowed −3 \(minimum [\d.]+%\): below it/);
    expect(copied.outcome).toBe('promoted');
    expect(copied.status.lastChecks.find((check) => check.name === 'request-success-rate-vs-primary')).toMatchObject({ passed: true, reference: expect.any(Number) });
    process.stdout.write(`against the primary: faulty ${againstPrimary!.value!.toFixed(2)}% vs ${againstPrimary!.reference!.toFixed(2)}%; copy ${copied.status.lastChecks.map((check) => check.reason).join('; ')}\n`);
  });

  test('the Mann–Whitney judge on real series: a canary with 10% errors beside a 1%-error primary passes the absolute 80% and is rolled back by the comparison; a copy of the primary is promoted', async () => {
    const judged = (set: Record<string, string>) =>
      serviceConfig({
        helm: { timeout: '30s', set },
        webhooks: { helmTests: { enabled: false } },
        // Five 3 s windows a round and track: 150 requests each at 50%.
        analysis: { interval: '15s', threshold: 2, stepWeights: [50], maxWeight: 50, judge: 'mannWhitney', mannWhitney: { sampleInterval: '3s' } },
        metrics: { requestSuccessRate: { threshold: 80 }, requestDuration: { enabled: false } },
      });
    const primaryErrors = { FAULT_ERROR_RATE: '0.01' };
    const serving = async (config: ReleaseConfig) => {
      await local.deps.deployer.install({ target: targetOf(config), release: config.helm.releases.primary, version: '1.0.0', extraSet: primaryErrors });
      return trafficOn(config, '1.0.0');
    };

    const faulty = judged({ FAULT_ERROR_RATE: '0.1' });
    const faultyTraffic = await serving(faulty);
    const caught = await release(faulty, '1.2.0');
    await settle(faultyTraffic);
    const copy = judged(primaryErrors);
    const copyTraffic = await serving(copy);
    const copied = await release(copy, '1.1.0');
    await settle(copyTraffic);

    expect(caught.outcome).toBe('rolledBack');
    expect(caught.status.lastChecks.find((check) => check.name === 'request-success-rate')).toMatchObject({ passed: true });
    const comparison = caught.status.lastChecks.find((check) => check.name === 'request-success-rate-mann-whitney');
    expect(comparison).toMatchObject({ passed: false });
    expect(caught.reason).toMatch(/\(score 0\): request-success-rate-mann-whitney: canary median [\d.]+%, primary [\d.]+% \(5\/5 samples\), shift -[\d.]+%, p\(lower\) = [\d.e-]+ < 0\.020: the canary is lower/);
    expect(copied.outcome).toBe('promoted');
    process.stdout.write(`Mann–Whitney on real series: ${comparison!.reason}; copy: ${copied.status.lastChecks.map((check) => check.reason).join('; ')}\n`);
  });

  test('the guard: a canary failing every request at interval 30s / threshold 5 is rolled back within seconds, before its first round, and nothing sent after 100/0 reaches it', async () => {
    const config = serviceConfig({
      helm: { timeout: '30s', set: { FAULT_ERROR_RATE: '1' } },
      webhooks: { helmTests: { enabled: false } },
      analysis: { interval: '30s', threshold: 5, guard: { interval: '1s', consecutive: 2 } },
    });
    const traffic = await servingPrimary(config, '1.0.0');
    const result = await release(config, '1.4.0');
    await settle(traffic);

    expect(result.outcome).toBe('rolledBack');
    // Real Traefik metrics through the real Prometheus: the canary's success rate is 0%.
    expect(result.reason).toBe('guard: success rate 0% below 90% for 2 polls');
    // Rolled back before the first 30 s round: without the guard it would have taken five of them.
    expect(result.status.iteration).toBe(0);
    const timeline = rollbackTimeline(config, result, traffic, '1.4.0');
    expect(timeline.badResponses.every((response) => response.status === 500)).toBe(true);
    expect(timeline.badResponses.filter((response) => response.sentAt > timeline.routerReturnedAt)).toEqual([]);
    expect(failuresOutside(traffic, '1.4.0')).toEqual([]);
    const firstBadAt = Math.min(...timeline.badResponses.map((response) => response.at));
    process.stdout.write(
      `guard, 100% errors at interval 30s: first bad answer -> router 100/0 ${timeline.routerReturnedAt - firstBadAt}ms (${timeline.badResponses.length} bad answers), detection ${result.detectionMs}ms\n`,
    );
  });

  test('rolls back a canary whose p99 is above the threshold (FAULT_LATENCY_MS); no request sent after 100/0 reaches it', async () => {
    const config = serviceConfig({ helm: { timeout: '30s', set: { FAULT_LATENCY_MS: '500' } }, metrics: { requestDuration: { threshold: 300 } } });
    const traffic = await servingPrimary(config, '1.0.0');
    const result = await release(config, '1.3.0');
    await settle(traffic);

    expect(result.outcome).toBe('rolledBack');
    expect(result.reason).toMatch(/request-duration [\d.]+ms above maximum 300ms/);
    const duration = result.status.lastChecks.find((check) => check.name === 'request-duration');
    expect(duration?.value).toBeGreaterThan(400);
    expect(result.status.lastChecks.find((check) => check.name === 'request-success-rate')?.passed).toBe(true);
    const timeline = rollbackTimeline(config, result, traffic, '1.3.0');
    expect(timeline.badResponses.length).toBeGreaterThan(0);
    expect(timeline.badResponses.filter((response) => response.sentAt > timeline.routerReturnedAt)).toEqual([]);
    // Slow, not failing: every request was answered 200, by whichever version.
    expect(failuresOutside(traffic, null)).toEqual([]);
  });

  test('blue-green: green is analysed on test traffic at 0%, takes all traffic in one switch, and is promoted without a failed request', async () => {
    const config = serviceConfig({ strategy: 'blueGreen', analysis: { threshold: 2, iterations: 1, postSwitchIterations: 1 } });
    const traffic = await servingPrimary(config, '1.0.0');
    const green = config.helm.releases.canary;
    const handle = await startReleaseWorkflow(client, { config, version: '2.0.0', requestedBy: 'test/stack' });
    // The load tester: from the moment green serves, requests straight to it through Traefik, counted in its metrics.
    await waitUntil(() => local.deployer.urlOf(NAMESPACE, green) !== undefined, () => 'green never started');
    const preview = startLoad(await local.trackUrl(NAMESPACE, green), 20);
    const result = (await handle.result()) as ReleaseResult;
    const endedAt = Date.now();
    await preview.load.stop();
    await settle(traffic);

    expect(result.outcome).toBe('promoted');
    expect(preview.responses.filter((response) => response.version === '2.0.0' && response.status === 200).length).toBeGreaterThan(50);
    // Before the switch user traffic stayed on blue; after it every request went to green, then to the upgraded primary.
    const weights = applied.filter((entry) => entry.split.router === config.traffic.traefikService).map((entry) => entry.weights.canaryWeight);
    expect(weights).toEqual([0, 100, 0]);
    const switched = applied.find((entry) => entry.split.router === config.traffic.traefikService && entry.weights.canaryWeight === 100)!;
    expect(traffic.responses.filter((response) => response.sentAt > switched.returnedAt && response.version !== '2.0.0')).toEqual([]);
    expect(traffic.responses.filter((response) => response.sentAt < switched.calledAt && response.version === '2.0.0')).toEqual([]);
    expect(failuresOutside(traffic, null)).toEqual([]);
    expect(traffic.responses.filter((response) => response.sentAt > endedAt && response.version !== '2.0.0')).toEqual([]);
  });

  test('direct: a first install and an upgrade by direct releases, routed by Traefik with no weights ever set, without a failed request', async () => {
    const config = serviceConfig({ strategy: 'direct' });
    const first = await release(config, '3.0.0');
    expect(first.outcome).toBe('promoted');
    expect(first.revisions).toEqual({ from: null, to: 1, rolledBackTo: null });
    // The route exists although a direct release never sets weights: the worker created it before the first release.
    const traffic = await trafficOn(config, '3.0.0');
    const upgrade = await release(config, '3.1.0');
    const endedAt = Date.now();
    await settle(traffic);

    expect(upgrade.outcome).toBe('promoted');
    expect(upgrade.revisions).toEqual({ from: 1, to: 2, rolledBackTo: null });
    expect(upgrade.status.events.map((event) => event.message)).toContainEqual(expect.stringMatching(/^Tests passed/));
    expect(applied.filter((entry) => entry.split.router === config.traffic.traefikService)).toEqual([]);
    expect(failuresOutside(traffic, null)).toEqual([]);
    expect(traffic.responses.filter((response) => response.sentAt > endedAt && response.version !== '3.1.0')).toEqual([]);
  });

  test('mirrored blue-green: a green with 20% errors is judged on copies of the users\' requests at 0% and rolled back; no user ever got an answer from it', async () => {
    const config = serviceConfig({
      strategy: 'blueGreen',
      traffic: { mirror: { percent: 100 } },
      helm: { timeout: '30s', set: { FAULT_ERROR_RATE: '0.2' } },
      webhooks: { helmTests: { enabled: false } },
      analysis: { threshold: 2, iterations: 3, postSwitchIterations: 1 },
    });
    const traffic = await servingPrimary(config, '1.0.0');

    const result = await release(config, '1.2.0');
    await settle(traffic);

    expect(result.outcome).toBe('rolledBack');
    // The checks saw green's own 5xx answers to the mirrored copies: Traefik counts them on green's service.
    expect(result.reason).toMatch(/request-success-rate [\d.]+% below minimum 99%/);
    expect(traffic.responses.filter((response) => response.version === '1.2.0')).toEqual([]);
    expect(failuresOutside(traffic, null)).toEqual([]);
    const routes = applied.filter((entry) => entry.split.router === config.traffic.traefikService).map((entry) => entry.weights);
    // The canary track cleared before the install, the mirror for the rounds, the rollback's 100/0 ending it.
    expect(routes).toEqual([{ primaryWeight: 100, canaryWeight: 0 }, { primaryWeight: 100, canaryWeight: 0, mirrorPercent: 100 }, { primaryWeight: 100, canaryWeight: 0 }]);
  });

  test('A/B testing: a canary with 20% errors gets only the insiders\' requests (header x-canary: insider), is rolled back on them, and nobody else reached it', async () => {
    const config = serviceConfig({
      strategy: 'abTesting',
      helm: { timeout: '30s', set: { FAULT_ERROR_RATE: '0.2' } },
      webhooks: { helmTests: { enabled: false } },
      analysis: { threshold: 2, iterations: 3, match: [{ headers: { 'x-canary': { exact: 'insider' } } }] },
    });
    const traffic = await servingPrimary(config, '1.0.0');
    const insiders = startLoad(local.entryUrl(splitOf(config)), 30, { 'x-canary': 'insider' });

    const result = await release(config, '1.2.0');
    await settle(insiders, 30);
    await settle(traffic);

    expect(result.outcome).toBe('rolledBack');
    expect(result.reason).toMatch(/request-success-rate [\d.]+% below minimum 99%/);
    expect(result.status.match).toBe('x-canary = insider');
    expect(traffic.responses.filter((response) => response.version === '1.2.0')).toEqual([]);
    expect(failuresOutside(traffic, null)).toEqual([]);
    const toCanary = insiders.responses.filter((response) => response.version === '1.2.0');
    expect(toCanary.length).toBeGreaterThan(100);
    expect(toCanary.some((response) => response.status === 500)).toBe(true);
    // After the rollback the insiders are back on the primary.
    expect(insiders.responses.slice(-10).every((response) => response.version === '1.0.0' && response.status === 200)).toBe(true);
  });
});
