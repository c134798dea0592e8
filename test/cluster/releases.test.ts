/*
 * Whole releases of examples/chart on the local cluster (test/support/kube-cluster.ts): the real
 * Temporal dev server (jest globalSetup), a worker in-process with the Kubernetes adapters of
 * `docutag-release worker` (real helm, real API server, deploy/chart's ServiceAccount token), and
 * the Prometheus and Slack stand-ins for the metrics and the messages (real traffic is the local
 * stack's job). Checks what a person would check with helm and kubectl afterwards.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { Runtime, type Worker } from '@temporalio/worker';
import type { ActivityDeps } from '../../src/activities';
import { TraefikTrafficRouter, type CustomObjectsClient } from '../../src/targets/kubernetes/traefik-router';
import { startReleaseWorkflow } from '../../src/client/commands/start';
import { parseConfig, type ConfigInput, type ReleaseConfig } from '../../src/config';
import { createKubernetesAdapters } from '../../src/targets/kubernetes/adapters';
import { readWorkerEnv } from '../../src/worker/environment';
import { createReleaseWorker } from '../../src/worker/worker';
import { statusQuery } from '../../src/workflows/messages';
import type { ReleaseResult, ReleaseStatus } from '../../src/workflows/types';
import { testAddress, workflowBundle } from '../support/harness';
import { LocalKubeCluster, provideClusterTools, ROOT, scratchDir, START_TIMEOUT_MS, TOOLS_TIMEOUT_MS } from '../support/kube-cluster';
import { FakeKubernetesApi, FakePrometheus, FakeSlack } from '../support/stand-ins';

const SHOP = 'shop';

let tools: ReturnType<typeof provideClusterTools>;
let cluster: LocalKubeCluster;
const prometheus = new FakePrometheus();
const slack = new FakeSlack();
let client: Client;
let connection: Connection;
let worker: Worker | undefined;
let workerRun: Promise<void> | undefined;
let closeWorker: (() => Promise<void>) | undefined;
/** The worker's adapters; a test may swap its router for one whose API calls it watches. */
let workerDeps: ActivityDeps;
/** deploy/chart's ServiceAccount token, which the worker runs with. */
let workerKubeconfig: string;
/** The worker's environment (readWorkerEnv reads it). */
let workerEnv: NodeJS.ProcessEnv;
let adminCustomObjects: k8s.CustomObjectsApi;
const savedEnv = { ...process.env };

beforeAll(() => {
  tools = provideClusterTools();
}, TOOLS_TIMEOUT_MS);

beforeAll(async () => {
  cluster = await LocalKubeCluster.start(tools);
  await cluster.createNamespace(SHOP);
  await cluster.createNamespace('docutag-system');
  workerKubeconfig = await cluster.installWorkerChart({ namespace: 'docutag-system', release: 'docutag-release', namespaces: [SHOP] });
  await Promise.all([prometheus.start(), slack.start()]);
  // helm, as the worker runs it, reads KUBECONFIG and its home directories from the environment.
  Object.assign(process.env, cluster.helmEnv(workerKubeconfig));
  const env = (workerEnv = { ...process.env, TEMPORAL_ADDRESS: testAddress(), TEMPORAL_NAMESPACE: 'default', HELM_BIN: cluster.helmBin, PROMETHEUS_URL: prometheus.url, SLACK_WEBHOOK_URL: slack.url });
  try {
    Runtime.install({ shutdownSignals: [], logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (message: string) => console.error(message) } as never });
  } catch {
    // already installed in this jest worker
  }
  workerDeps = createKubernetesAdapters(readWorkerEnv(env), () => {});
  const created = await createReleaseWorker({ deps: workerDeps, env, workerOptions: { workflowBundle: await workflowBundle() } });
  worker = created.worker;
  closeWorker = created.close;
  workerRun = worker.run();
  connection = await Connection.connect({ address: testAddress() });
  client = new Client({ connection });
  const admin = new k8s.KubeConfig();
  admin.loadFromFile(cluster.adminKubeconfig);
  adminCustomObjects = admin.makeApiClient(k8s.CustomObjectsApi);
}, START_TIMEOUT_MS);

afterAll(async () => {
  worker?.shutdown();
  await workerRun;
  await closeWorker?.();
  await connection?.close();
  await Promise.all([prometheus.stop(), slack.stop()]);
  await cluster?.stop();
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
});

let serviceCounter = 0;
/** A fresh service of examples/chart: its primary installed at `version` and its TraefikService at 100/0. */
async function service(overrides: Partial<ConfigInput> = {}, version = '1.0.0'): Promise<ReleaseConfig> {
  serviceCounter += 1;
  const name = `web${serviceCounter}`;
  const config = parseConfig({
    service: { name, namespace: SHOP },
    helm: { chart: path.join(ROOT, 'examples/chart'), versionValue: 'version', timeout: '60s' },
    analysis: { interval: '1s', threshold: 2, stepWeight: 25 },
    webhooks: { helmTests: { enabled: true, timeout: '30s' } },
    alerts: { slack: { enabled: true, channel: '#production-deploys' } },
    ...overrides,
  } as ConfigInput);
  const install = await cluster.helm(['upgrade', '--install', name, path.join(ROOT, 'examples/chart'), '--namespace', SHOP, '--set-string', `version=${version}`, '--wait', '--timeout', '60s']);
  if (install.exitCode !== 0) throw new Error(`installing the primary failed: ${install.stderr}`);
  await cluster.apply(
    JSON.stringify({
      apiVersion: 'traefik.io/v1alpha1',
      kind: 'TraefikService',
      metadata: { name, namespace: SHOP },
      spec: { weighted: { services: [{ name, port: 80, weight: 100 }, { name: `${name}-canary`, port: 80, weight: 0 }] } },
    }),
  );
  return config;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The canary weights the API server held while `run` ran, each change once (read every 50 ms; a read
 * the API server does not answer, as during an outage, is skipped). `run` sees the list as it grows.
 */
async function watchCanaryWeights<T>(config: ReleaseConfig, run: (weights: readonly number[]) => Promise<T>): Promise<{ result: T; weights: number[] }> {
  const weights: number[] = [];
  let done = false;
  const poll = (async () => {
    while (!done) {
      try {
        const object = (await adminCustomObjects.getNamespacedCustomObject({ group: 'traefik.io', version: 'v1alpha1', plural: 'traefikservices', namespace: SHOP, name: config.traffic.traefikService })) as {
          spec: { weighted: { services: { name: string; weight: number }[] } };
        };
        const canary = object.spec.weighted.services.find((entry) => entry.name === config.traffic.canaryService)?.weight ?? 0;
        if (weights.at(-1) !== canary) weights.push(canary);
      } catch {
        // the API server is away; the next read tells
      }
      await sleep(50);
    }
  })();
  try {
    return { result: await run(weights), weights };
  } finally {
    done = true;
    await poll;
  }
}

/** Resolves once `holds` is true, checked every 50 ms; rejects after `timeoutMs`. */
async function until(what: string, holds: () => boolean, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!holds()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await sleep(50);
  }
}

interface RecordedWeightChange {
  canaryWeight: number;
  /** The attempt that succeeded (1 when the first did). */
  attempt: number;
  /** When the Temporal server recorded it (epoch ms): after it succeeded. */
  recordedMs: number;
}

/**
 * The weight changes as the release's history records them, in order (one local-activity marker
 * each, as Temporal's Web UI shows them): the weight set, the attempt that set it and when it was
 * recorded. (The marker's own complete_time is no help for a retried change: it holds the time of
 * the first attempt.)
 */
async function weightChangesInHistory(handle: WorkflowHandle): Promise<RecordedWeightChange[]> {
  const history = await handle.fetchHistory();
  const text = (payload: { data?: Uint8Array | null } | undefined) => Buffer.from(payload?.data ?? new Uint8Array()).toString('utf8');
  return (history.events ?? []).flatMap((event) => {
    const marker = event.markerRecordedEventAttributes;
    if (marker?.markerName !== 'core_local_activity') return [];
    const data = JSON.parse(text(marker.details?.data?.payloads?.[0])) as { activity_type: string; attempt: number };
    if (data.activity_type !== 'setWeights') return [];
    const result = JSON.parse(text(marker.details?.result?.payloads?.[0])) as { weights: { canaryWeight: number } };
    return [{ canaryWeight: result.weights.canaryWeight, attempt: data.attempt, recordedMs: tsToMs(event.eventTime) }];
  });
}

/** The TraefikService as the admin reads it with kubectl. */
async function traefikService(config: ReleaseConfig): Promise<{ metadata: { labels?: Record<string, string> }; spec: { weighted: { services: { name: string; port: number; weight: number }[] } } }> {
  return JSON.parse(await cluster.kubectl(['get', 'traefikservice', config.traffic.traefikService, '--namespace', SHOP, '-o', 'json'])) as never;
}

async function release(config: ReleaseConfig, version: string): Promise<ReleaseResult> {
  const handle = await startReleaseWorkflow(client, { config, version });
  return (await handle.result()) as ReleaseResult;
}


const helmHistory = (name: string) => cluster.helmHistory(SHOP, name);

const deployedVersion = (name: string) => cluster.deployedVersion(SHOP, name);

describe('releases of examples/chart on the local cluster', () => {
  test('canary promoted: weights 25, 50, 75, 100 read back from the API, then the primary upgraded to revision 2, the canary release gone, 100/0', async () => {
    const config = await service();

    const { result, weights } = await watchCanaryWeights(config, () => release(config, '1.1.0'));

    expect(result.outcome).toBe('promoted');
    expect(weights.filter((weight) => weight > 0)).toEqual([25, 50, 75, 100]);
    expect(weights.at(-1)).toBe(0);
    expect(await helmHistory(config.helm.releases.primary)).toEqual([
      { revision: 1, status: 'superseded', description: 'Install complete' },
      { revision: 2, status: 'deployed', description: 'Upgrade complete' },
    ]);
    expect(await deployedVersion(config.helm.releases.primary)).toBe('1.1.0');
    expect(await helmHistory(config.helm.releases.canary)).toEqual([]);
    expect((await cluster.kubectl(['get', 'deployments,services', '--namespace', SHOP, '-o', 'name'])).split('\n')).not.toContain(`deployment.apps/${config.helm.releases.canary}`);
  });

  test('blue-green promoted: green tested and analysed at 0%, switched to 100% at once, then the primary upgraded, traffic back on it and green removed', async () => {
    const config = await service({ strategy: 'blueGreen', analysis: { interval: '1s', threshold: 2, iterations: 2, postSwitchIterations: 1 } });

    const { result, weights } = await watchCanaryWeights(config, () => release(config, '1.1.0'));

    expect(result.outcome).toBe('promoted');
    expect(weights).toEqual([0, 100, 0]);
    expect(await helmHistory(config.helm.releases.primary)).toEqual([
      { revision: 1, status: 'superseded', description: 'Install complete' },
      { revision: 2, status: 'deployed', description: 'Upgrade complete' },
    ]);
    expect(await deployedVersion(config.helm.releases.primary)).toBe('1.1.0');
    expect(await helmHistory(config.helm.releases.canary)).toEqual([]);
  });

  test("canary.set sizes the canary only: the canary Deployment runs 1 replica while the promoted primary gets helm.set's 3", async () => {
    const config = await service({
      helm: { chart: path.join(ROOT, 'examples/chart'), versionValue: 'version', timeout: '60s', set: { replicaCount: 3 } },
      canary: { set: { replicaCount: 1 } },
      analysis: { interval: '2s', threshold: 2, stepWeights: [50] },
    });
    const replicasOf = async (name: string) => {
      const text = await cluster.kubectl(['get', 'deployment', name, '--namespace', SHOP, '-o', 'jsonpath={.spec.replicas}']).catch(() => '');
      return text ? Number(text) : null;
    };
    const canaryReplicas: number[] = [];
    let done = false;
    const watching = (async () => {
      while (!done) {
        const replicas = await replicasOf(config.helm.releases.canary);
        if (replicas !== null && canaryReplicas.at(-1) !== replicas) canaryReplicas.push(replicas);
        await sleep(100);
      }
    })();
    const result = await release(config, '1.1.0').finally(() => (done = true));
    await watching;

    expect(result.outcome).toBe('promoted');
    expect(canaryReplicas).toEqual([1]);
    expect(await replicasOf(config.helm.releases.primary)).toBe(3);
  });

  test('canary rolled back on its success rate: traffic back to 100/0, the canary release gone, the primary untouched at revision 1', async () => {
    const config = await service();
    prometheus.answer = (query) => (query.includes('histogram_quantile') ? { value: 120 } : query.includes(`${config.traffic.canaryService}-`) ? { value: 50 } : { value: 99.9 });

    try {
      const { result, weights } = await watchCanaryWeights(config, () => release(config, '1.2.0'));

      expect(result.outcome).toBe('rolledBack');
      expect(weights).toEqual([0, 25, 0]);
    } finally {
      prometheus.answer = (query) => (query.includes('histogram_quantile') ? { value: 120 } : { value: 99.9 });
    }
    expect(await helmHistory(config.helm.releases.primary)).toEqual([{ revision: 1, status: 'deployed', description: 'Install complete' }]);
    expect(await deployedVersion(config.helm.releases.primary)).toBe('1.0.0');
    expect(await helmHistory(config.helm.releases.canary)).toEqual([]);
  });

  test("direct release whose helm test fails rolls back to the recorded revision: helm history ends 'Rollback to 1'", async () => {
    const config = await service({ strategy: 'direct', helm: { chart: path.join(ROOT, 'examples/chart'), versionValue: 'version', timeout: '60s', set: { 'test.fail': 'true' } } });

    const result = await release(config, '1.3.0');

    expect(result.outcome).toBe('rolledBack');
    expect(result.revisions).toEqual({ from: 1, to: 2, rolledBackTo: 1 });
    expect(await helmHistory(config.helm.releases.primary)).toEqual([
      { revision: 1, status: 'superseded', description: 'Install complete' },
      { revision: 2, status: 'superseded', description: 'Upgrade complete' },
      { revision: 3, status: 'deployed', description: 'Rollback to 1' },
    ]);
    expect(await deployedVersion(config.helm.releases.primary)).toBe('1.0.0');
  });
});

/** What a promoted canary leaves, as helm and kubectl show it: the primary upgraded to revision 2 at `version`, the canary release gone. */
async function expectPrimaryUpgradedAndCanaryGone(config: ReleaseConfig, version: string): Promise<void> {
  expect(await helmHistory(config.helm.releases.primary)).toEqual([
    { revision: 1, status: 'superseded', description: 'Install complete' },
    { revision: 2, status: 'deployed', description: 'Upgrade complete' },
  ]);
  expect(await deployedVersion(config.helm.releases.primary)).toBe(version);
  expect(await helmHistory(config.helm.releases.canary)).toEqual([]);
  expect((await cluster.kubectl(['get', 'deployments,services', '--namespace', SHOP, '-o', 'name'])).split('\n')).not.toContain(`deployment.apps/${config.helm.releases.canary}`);
}

const PROMOTED = { outcome: 'promoted', reason: 'all 4 steps passed analysis' };

describe('a canary of examples/chart while the cluster misbehaves', () => {
  test('a 409 conflict on the TraefikService (someone else changed it) is retried on the fresh object: promoted, every weight exact, their change kept', async () => {
    const config = await service();
    const { traefikService: router, primaryService, canaryService } = config.traffic;
    const mirror = `${primaryService}-mirror`;
    const workerKube = new k8s.KubeConfig();
    workerKube.loadFromFile(workerKubeconfig);
    const api = workerKube.makeApiClient(k8s.CustomObjectsApi);
    const canaryWeightIn = (body: object) => (body as { spec: { weighted: { services: { name: string; weight: number }[] } } }).spec.weighted.services.find((entry) => entry.name === canaryService)?.weight;
    const writes: string[] = [];
    let operatorChanged = false;
    // The worker's router on its own ServiceAccount, except that between its read and its write of the
    // step to 50% an operator changes the TraefikService (kubectl, as admin): that write is stale.
    const racedClient: CustomObjectsClient = {
      getNamespacedCustomObject: (param) => api.getNamespacedCustomObject(param),
      createNamespacedCustomObject: (param) => api.createNamespacedCustomObject(param),
      deleteNamespacedCustomObject: (param) => api.deleteNamespacedCustomObject(param),
      async replaceNamespacedCustomObject(param) {
        const canaryWeight = canaryWeightIn(param.body);
        if (canaryWeight === 50 && !operatorChanged) {
          operatorChanged = true;
          const change = [
            { op: 'add', path: '/metadata/labels', value: { 'changed-by': 'operator' } },
            { op: 'add', path: '/spec/weighted/services/-', value: { name: mirror, port: 80, weight: 0 } },
          ];
          await cluster.kubectl(['patch', 'traefikservice', router, '--namespace', SHOP, '--type', 'json', '--patch', JSON.stringify(change)]);
        }
        try {
          const replaced = await api.replaceNamespacedCustomObject(param);
          writes.push(`${canaryWeight}%: 200`);
          return replaced;
        } catch (error) {
          writes.push(`${canaryWeight}%: ${String((error as { code?: number }).code)}`);
          throw error;
        }
      },
    };
    const workerRouter = workerDeps.router;
    workerDeps.router = new TraefikTrafficRouter(racedClient);
    let watched: { result: ReleaseResult; weights: number[] };
    try {
      watched = await watchCanaryWeights(config, () => release(config, '1.1.0'));
    } finally {
      workerDeps.router = workerRouter;
    }
    const { result, weights } = watched;

    expect({ outcome: result.outcome, reason: result.reason }).toEqual(PROMOTED);
    // One conflict, retried at once on the fresh object; every other write went through first time.
    expect(writes).toEqual(['25%: 200', '50%: 409', '50%: 200', '75%: 200', '100%: 200', '0%: 200']);
    expect(weights.filter((weight) => weight > 0)).toEqual([25, 50, 75, 100]);
    expect(weights.at(-1)).toBe(0);
    const after = await traefikService(config);
    expect(after.metadata.labels).toEqual({ 'changed-by': 'operator' });
    expect(after.spec.weighted.services).toEqual([
      { name: primaryService, port: 80, weight: 100 },
      { name: canaryService, port: 80, weight: 0 },
      { name: mirror, port: 80, weight: 0 },
    ]);
    await expectPrimaryUpgradedAndCanaryGone(config, '1.1.0');
  });

  test('the API server stopped for 20 s mid-rollout delays the release, loses nothing, and it completes after', async () => {
    // The promotion's helm --wait needs the controllers and kwok, whose watches come back with client-go's
    // backoff: the upgraded primary was ready ~60 s after the restart here, too close to the usual 60s.
    const config = await service({ helm: { chart: path.join(ROOT, 'examples/chart'), versionValue: 'version', timeout: '120s' } });
    const { primary, canary } = config.helm.releases;
    const outage = { stoppedMs: 0, restartRequestedMs: 0, servingMs: 0 };
    let handle: WorkflowHandle | undefined;
    let statusDuringOutage: ReleaseStatus | undefined;

    const { result, weights } = await watchCanaryWeights(config, async (seen) => {
      handle = await startReleaseWorkflow(client, { config, version: '1.1.0' });
      await until('canary weight 25% at the API server', () => seen.includes(25));
      await cluster.stopApiServer();
      outage.stoppedMs = Date.now();
      // Halfway, the step to 50% is due: a person asking for the status sees the release held, not failed,
      await sleep(10_000);
      statusDuringOutage = await handle.query(statusQuery);
      await sleep(Math.max(0, 20_000 - (Date.now() - outage.stoppedMs)));
      outage.restartRequestedMs = Date.now();
      await cluster.startApiServer();
      outage.servingMs = Date.now();
      return (await handle.result()) as ReleaseResult;
    });

    expect({ outcome: result.outcome, reason: result.reason }).toEqual(PROMOTED);
    expect(outage.restartRequestedMs - outage.stoppedMs).toBeGreaterThanOrEqual(20_000);
    expect(statusDuringOutage).toMatchObject({ phase: 'Progressing', canaryWeight: 25, failedChecks: 0, finishedAt: null });
    // …and what it is waiting for: the weight change the API server has not taken yet.
    expect(statusDuringOutage!.waitingFor).toBe(`weight change to ${primary} 50%, ${canary} 50% (TraefikService ${config.service.namespace}/${config.traffic.traefikService})`);
    expect(result.status.waitingFor).toBeNull();
    // Every step reached the API server, once and in order: none skipped, none repeated.
    expect(weights.filter((weight) => weight > 0)).toEqual([25, 50, 75, 100]);
    expect(weights.at(-1)).toBe(0);
    expect(result.status.events.map((event) => event.message).filter((message) => message.startsWith('Weights: '))).toEqual(
      [25, 50, 75, 100, 0].map((canaryWeight) => `Weights: ${primary} ${100 - canaryWeight}%, ${canary} ${canaryWeight}%`),
    );
    // The delay: the step due during the outage was retried (the same weight change, as its history
    // records it) until the API server was back, 20 s and more after the step before it (interval 1 s);
    // the others went through at the first attempt.
    // The first change is the 100/0 written before the canary is installed (a no-op on an empty canary track).
    const [clearedBeforeInstall, ...changes] = await weightChangesInHistory(handle!);
    expect(clearedBeforeInstall).toMatchObject({ canaryWeight: 0, attempt: 1 });
    expect(changes.map(({ canaryWeight, attempt }) => [canaryWeight, attempt > 1 ? 'retried' : 'first attempt'])).toEqual([
      [25, 'first attempt'],
      [50, 'retried'],
      [75, 'first attempt'],
      [100, 'first attempt'],
      [0, 'first attempt'],
    ]);
    const [at25, at50] = changes;
    expect(at50!.recordedMs).toBeGreaterThanOrEqual(outage.restartRequestedMs);
    expect(at50!.recordedMs - at25!.recordedMs).toBeGreaterThanOrEqual(20_000);
    process.stdout.write(
      `API server away ${outage.servingMs - outage.stoppedMs} ms (its restart took ${outage.servingMs - outage.restartRequestedMs} ms); the weight change to 50% ` +
        `succeeded at attempt ${at50!.attempt}, recorded ${at50!.recordedMs - at25!.recordedMs} ms after 25% and ${at50!.recordedMs - outage.servingMs} ms after the API server served again; release ${result.totalMs} ms\n`,
    );
    await expectPrimaryUpgradedAndCanaryGone(config, '1.1.0');
  }, 300_000);
});

describe('a release that names helm.kubeContext', () => {
  test("helm, the TraefikService writes and the readiness reads all use that context: promoted on the local cluster, nothing sent to the kubeconfig's current context", async () => {
    const named = await service();
    const config: ReleaseConfig = { ...named, helm: { ...named.helm, kubeContext: 'docutag' } };
    // The kubeconfig's current context is another API server holding a TraefikService of the same name:
    // a router or readiness check that ignored helm.kubeContext would act there and still "succeed".
    const elsewhere = await new FakeKubernetesApi().start();
    elsewhere.addService(SHOP, config.traffic.traefikService, config.traffic.primaryService, config.traffic.canaryService);
    const own = JSON.parse(readFileSync(workerKubeconfig, 'utf8')) as { clusters: object[]; users: object[]; contexts: { context: object }[] };
    const twoContexts = path.join(scratchDir('two-contexts-'), 'config');
    writeFileSync(
      twoContexts,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [...own.clusters, { name: 'elsewhere', cluster: { server: elsewhere.url, 'insecure-skip-tls-verify': true } }],
        users: [...own.users, { name: 'elsewhere', user: { token: 'elsewhere-token' } }],
        contexts: [
          { name: 'elsewhere', context: { cluster: 'elsewhere', user: 'elsewhere' } },
          { name: 'docutag', context: own.contexts[0]!.context },
        ],
        'current-context': 'elsewhere',
      }),
      { mode: 0o600 },
    );
    const adapters = createKubernetesAdapters(readWorkerEnv({ ...workerEnv, KUBECONFIG: twoContexts }), () => {});
    const saved = { router: workerDeps.router, readiness: workerDeps.readiness, kubeContextRefusal: workerDeps.kubeContextRefusal, kubeconfig: process.env.KUBECONFIG };
    Object.assign(workerDeps, { router: adapters.router, readiness: adapters.readiness, kubeContextRefusal: adapters.kubeContextRefusal });
    process.env.KUBECONFIG = twoContexts; // helm's too: it gets --kube-context docutag
    let watched: { result: ReleaseResult; weights: number[] };
    try {
      watched = await watchCanaryWeights(config, () => release(config, '1.1.0'));
    } finally {
      Object.assign(workerDeps, { router: saved.router, readiness: saved.readiness, kubeContextRefusal: saved.kubeContextRefusal });
      process.env.KUBECONFIG = saved.kubeconfig;
      await elsewhere.stop();
    }
    const { result, weights } = watched;

    expect({ outcome: result.outcome, reason: result.reason }).toEqual(PROMOTED);
    expect(weights.filter((weight) => weight > 0)).toEqual([25, 50, 75, 100]);
    expect(weights.at(-1)).toBe(0);
    await expectPrimaryUpgradedAndCanaryGone(config, '1.1.0');
    expect(elsewhere.requests).toEqual([]);
    expect(elsewhere.currentWeights(SHOP, config.traffic.traefikService)).toEqual({ [config.traffic.primaryService]: 100, [config.traffic.canaryService]: 0 });
  });
});
