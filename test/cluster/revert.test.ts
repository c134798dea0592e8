/*
 * One-command revert (`docutag-release rollback <namespace/service>`) on the local cluster
 * (test/support/kube-cluster.ts): the CLI in-process, the real Temporal dev server (jest globalSetup),
 * the worker with the Kubernetes adapters of `docutag-release worker` (real helm on examples/chart,
 * real API server, deploy/chart's ServiceAccount token). Checks what a person sees: the CLI's lines,
 * `helm history` and `helm get values` afterwards. (test/workflows/revert.test.ts covers the refusals
 * and the steering with the helm stand-in.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { Runtime, type Worker } from '@temporalio/worker';
import { stringify } from 'yaml';
import { startReleaseWorkflow } from '../../src/client/commands/start';
import { parseConfig, type ConfigInput, type ReleaseConfig } from '../../src/config';
import { createKubernetesAdapters } from '../../src/targets/kubernetes/adapters';
import { readWorkerEnv } from '../../src/worker/environment';
import { createReleaseWorker } from '../../src/worker/worker';
import { releaseWorkflowId, type ReleaseResult } from '../../src/workflows/types';
import { runCliCaptured } from '../support/cli';
import { testAddress, workflowBundle } from '../support/harness';
import { LocalKubeCluster, provideClusterTools, ROOT, scratchDir, START_TIMEOUT_MS, TOOLS_TIMEOUT_MS, type HelmHistoryEntry } from '../support/kube-cluster';
import { FakePrometheus, FakeSlack } from '../support/stand-ins';

const SHOP = 'shop';
const CHART = path.join(ROOT, 'examples/chart');

let tools: ReturnType<typeof provideClusterTools>;
let cluster: LocalKubeCluster;
const prometheus = new FakePrometheus();
const slack = new FakeSlack();
let client: Client;
let connection: Connection;
let worker: Worker | undefined;
let workerRun: Promise<void> | undefined;
let closeWorker: (() => Promise<void>) | undefined;
/** The worker's environment: deploy/chart's ServiceAccount token, the real helm, the stand-ins. */
let workerEnv: NodeJS.ProcessEnv;
/** `docutag-release worker` processes a test started; killed in afterAll if still running. */
const workerProcesses: ChildProcess[] = [];
const savedEnv = { ...process.env };

beforeAll(() => {
  tools = provideClusterTools();
}, TOOLS_TIMEOUT_MS);

beforeAll(async () => {
  cluster = await LocalKubeCluster.start(tools);
  await cluster.createNamespace(SHOP);
  await cluster.createNamespace('docutag-system');
  const workerKubeconfig = await cluster.installWorkerChart({ namespace: 'docutag-system', release: 'docutag-release', namespaces: [SHOP] });
  await Promise.all([prometheus.start(), slack.start()]);
  // helm, as the worker runs it, reads KUBECONFIG and its home directories from the environment.
  Object.assign(process.env, cluster.helmEnv(workerKubeconfig));
  workerEnv = { ...process.env, TEMPORAL_ADDRESS: testAddress(), TEMPORAL_NAMESPACE: 'default', HELM_BIN: cluster.helmBin, PROMETHEUS_URL: prometheus.url, SLACK_WEBHOOK_URL: slack.url };
  try {
    Runtime.install({ shutdownSignals: [], logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (message: string) => console.error(message) } as never });
  } catch {
    // already installed in this jest worker
  }
  const created = await createReleaseWorker({ deps: createKubernetesAdapters(readWorkerEnv(workerEnv), () => {}), env: workerEnv, workerOptions: { workflowBundle: await workflowBundle() } });
  worker = created.worker;
  closeWorker = created.close;
  workerRun = worker.run();
  connection = await Connection.connect({ address: testAddress() });
  client = new Client({ connection });
}, START_TIMEOUT_MS);

/** Stops the in-process worker (a test that runs `docutag-release worker` processes needs the task queue to itself). */
async function stopInProcessWorker(): Promise<void> {
  if (!worker) return;
  worker.shutdown();
  await workerRun;
  await closeWorker?.();
  worker = undefined;
  workerRun = undefined;
  closeWorker = undefined;
}

afterAll(async () => {
  for (const child of workerProcesses) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await stopInProcessWorker();
  await connection?.close();
  await Promise.all([prometheus.stop(), slack.stop()]);
  await cluster?.stop();
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
});

let serviceCounter = 0;
/** A fresh direct service of examples/chart: its primary installed at `version` (revision 1) and its TraefikService at 100/0. */
async function service(version = '1.0.0'): Promise<ReleaseConfig> {
  serviceCounter += 1;
  const name = `revert${serviceCounter}`;
  const config = parseConfig({
    service: { name, namespace: SHOP },
    strategy: 'direct',
    helm: { chart: CHART, versionValue: 'version', timeout: '60s' },
    webhooks: { helmTests: { enabled: true, timeout: '30s' } },
    alerts: { slack: { enabled: true, channel: '#production-deploys' } },
  } as ConfigInput);
  const install = await cluster.helm(['upgrade', '--install', name, CHART, '--namespace', SHOP, '--set-string', `version=${version}`, '--wait', '--timeout', '60s']);
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

/** A direct release through Temporal (as `docutag-release start` runs it): one more helm revision of the primary. */
async function release(config: ReleaseConfig, version: string): Promise<ReleaseResult> {
  const handle = await startReleaseWorkflow(client, { config, version });
  return (await handle.result()) as ReleaseResult;
}

/** `docutag-release rollback <namespace>/<service> --by ops@laptop …`, in-process. */
const rollback = (config: ReleaseConfig, ...args: string[]) => runCliCaptured(testAddress(), ['rollback', `${config.service.namespace}/${config.service.name}`, '--by', 'ops@laptop', ...args], workerEnv);

/** What the rollback workflow returned (it runs under the service's release id). */
const outcomeOf = (config: ReleaseConfig) => client.workflow.getHandle(releaseWorkflowId(config.service.namespace, config.service.name)).result() as Promise<ReleaseResult>;


const helmHistory = (name: string) => cluster.helmHistory(SHOP, name);

const deployedVersion = (name: string) => cluster.deployedVersion(SHOP, name);

/** The VERSION the primary's Deployment gives its pods, as kubectl shows it. */
function deploymentVersion(name: string): Promise<string> {
  return cluster.kubectl(['get', 'deployment', name, '--namespace', SHOP, '-o', 'jsonpath={.spec.template.spec.containers[0].env[?(@.name=="VERSION")].value}']);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves with `probe`'s value once `holds` is true of it, checked every 100 ms; rejects after `timeoutMs`. */
async function until<T>(what: string, probe: () => Promise<T>, holds: (value: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await probe();
    if (holds(last)) return last;
    await sleep(100);
  }
  throw new Error(`${what} did not happen within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
}

const rollbacksTo = (history: HelmHistoryEntry[], revision: number) => history.filter((entry) => entry.description === `Rollback to ${revision}`);

describe('rollback <namespace/service> on the local cluster', () => {
  test("goes back to the revision that served before, with the config of the service's last release: helm history ends 'Rollback to 1', 1.0.0 serves again", async () => {
    const config = await service('1.0.0');
    expect((await release(config, '1.1.0')).outcome).toBe('promoted');
    const { primary } = config.helm.releases;
    expect(await helmHistory(primary)).toEqual([
      { revision: 1, status: 'superseded', description: 'Install complete' },
      { revision: 2, status: 'deployed', description: 'Upgrade complete' },
    ]);

    const run = await rollback(config, '--reason', 'checkout errors since 1.1.0');

    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toContain('Rolling back to revision 1 (version 1.0.0)...');
    expect(run.out).toMatch(/Rollback to revision 1 completed successfully \(took [\d.]+m?s\)/);
    const history = await helmHistory(primary);
    expect(history.at(-1)).toEqual({ revision: 3, status: 'deployed', description: 'Rollback to 1' });
    expect(rollbacksTo(history, 1)).toHaveLength(1);
    expect(history.slice(0, 2).map((entry) => entry.status)).toEqual(['superseded', 'superseded']);
    expect(await deployedVersion(primary)).toBe('1.0.0');
    expect(await deploymentVersion(primary)).toBe('1.0.0');
    expect(await outcomeOf(config)).toMatchObject({ outcome: 'reverted', revisions: { from: 2, to: 3, rolledBackTo: 1 } });
  });

  test('--to-revision 1 of three revisions goes back to revision 1, skipping revision 2 (config from --config)', async () => {
    const config = await service('1.0.0');
    const { primary } = config.helm.releases;
    for (const version of ['1.1.0', '1.2.0']) {
      const upgrade = await cluster.helm(['upgrade', primary, CHART, '--namespace', SHOP, '--set-string', `version=${version}`, '--wait', '--timeout', '60s']);
      expect({ version, exitCode: upgrade.exitCode }).toEqual({ version, exitCode: 0 });
    }
    const file = path.join(scratchDir('revert-config-'), 'release.yaml');
    writeFileSync(file, stringify(config));

    const run = await rollback(config, '--to-revision', '1', '--config', file);

    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toContain(`Rolling back ${SHOP}/${config.service.name} to revision 1`);
    expect(run.out).toContain('Rolling back to revision 1 (version 1.0.0)...');
    expect(run.out).toMatch(/Rollback to revision 1 completed successfully/);
    expect(await helmHistory(primary)).toEqual([
      { revision: 1, status: 'superseded', description: 'Install complete' },
      { revision: 2, status: 'superseded', description: 'Upgrade complete' },
      { revision: 3, status: 'superseded', description: 'Upgrade complete' },
      { revision: 4, status: 'deployed', description: 'Rollback to 1' },
    ]);
    expect(await deployedVersion(primary)).toBe('1.0.0');
    expect(await deploymentVersion(primary)).toBe('1.0.0');
    expect((await outcomeOf(config)).revisions).toEqual({ from: 3, to: 4, rolledBackTo: 1 });
  });
});

describe('a rollback whose worker is SIGKILLed', () => {
  /** Runs `docutag-release worker` (the built CLI, test/support/harness.ts's spawnWorker) with this cluster's worker environment; resolves once it polls. */
  async function spawnWorker(bundleFile: string): Promise<ChildProcess> {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/docutag-release.js'), 'worker'], {
      env: { ...workerEnv, DOCUTAG_STICKY_QUEUE_TIMEOUT: '1s', DOCUTAG_WORKFLOW_BUNDLE: bundleFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    workerProcesses.push(child);
    let output = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (process.env.DEBUG_WORKER) process.stderr.write(chunk);
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('worker on task queue')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`docutag-release worker exited (${code}) before it polled:\n${output.slice(-2000)}`)));
    });
    return child;
  }

  test("while helm rollback --wait runs: a second worker finishes it, exit 0, 'Rollback to 1' deployed once and 1.0.0 serving", async () => {
    const config = await service('1.0.0');
    expect((await release(config, '1.1.0')).outcome).toBe('promoted');
    const { primary } = config.helm.releases;
    await stopInProcessWorker();
    const bundleFile = path.join(scratchDir('revert-bundle-'), 'workflow-bundle.js');
    writeFileSync(bundleFile, (await workflowBundle()).code);
    // The node cordoned: the rollback's pod cannot be scheduled, so helm rollback --wait waits with revision 3 pending-rollback.
    const node = (await cluster.kubectl(['get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}'])).trim();
    await cluster.kubectl(['cordon', node]);
    let cordoned = true;
    try {
      const first = await spawnWorker(bundleFile);
      const cli = rollback(config);
      await until('helm rollback under way (revision 3 pending-rollback)', () => helmHistory(primary), (history) => history.at(-1)?.status === 'pending-rollback');
      // The worker only, as test/workflows/restart.test.ts kills it: its helm process lives on and finishes.
      first.kill('SIGKILL');
      await new Promise((resolve) => (first.exitCode !== null || first.signalCode !== null ? resolve(null) : first.once('exit', resolve)));
      await spawnWorker(bundleFile);
      await cluster.kubectl(['uncordon', node]);
      cordoned = false;

      // The activity's retry comes after its heartbeat timeout (1 min).
      const run = await cli;

      expect(run.err).toBe('');
      expect(run.code).toBe(0);
      expect(run.out).toContain('Rolling back to revision 1 (version 1.0.0)...');
      expect(run.out).toMatch(/Rollback to revision 1 completed successfully/);
      const historyAfter = await helmHistory(primary);
      expect(historyAfter.at(-1)).toMatchObject({ status: 'deployed', description: 'Rollback to 1' });
      expect(historyAfter.filter((entry) => entry.status === 'pending-rollback')).toEqual([]);
      // The retry found the lost attempt's rollback (it landed, or it waited for it to): no second one.
      expect(rollbacksTo(historyAfter, 1)).toHaveLength(1);
      expect(await outcomeOf(config)).toMatchObject({ revisions: { to: 3 } });
      expect(await deployedVersion(primary)).toBe('1.0.0');
      expect(await outcomeOf(config)).toMatchObject({ outcome: 'reverted', revisions: { from: 2, rolledBackTo: 1 } });
    } finally {
      if (cordoned) await cluster.kubectl(['uncordon', node]);
    }
  }, 240_000);
});
