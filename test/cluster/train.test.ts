/*
 * A release train (`docutag-release train start --config train.yaml --wait`) on the local cluster
 * (test/support/kube-cluster.ts): the CLI in-process, the real Temporal dev server (jest
 * globalSetup), out-of-process `docutag-release worker`s with the Kubernetes adapters (real helm on
 * examples/chart, real API server, deploy/chart's ServiceAccount token). Three canary services, the
 * third's helm test failing, `compensate: true`, and the worker SIGKILLed at a seeded moment of the
 * compensation; a replacement worker carries on. Checks what a person sees with helm and kubectl
 * afterwards. (test/workflows/train.test.ts and test/faults/train-kill.test.ts cover the same
 * feature with the helm stand-in.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { stringify } from 'yaml';
import { parseConfig, type ConfigInput, type ReleaseConfig } from '../../src/config';
import { trainStatusQuery } from '../../src/workflows/messages';
import { trainWorkflowId, type TrainResult, type TrainStatus } from '../../src/workflows/types';
import { faultSeed, Random } from '../faults/seed';
import { runCliCaptured } from '../support/cli';
import { testAddress, workflowBundle } from '../support/harness';
import { LocalKubeCluster, provideClusterTools, ROOT, scratchDir, START_TIMEOUT_MS, TOOLS_TIMEOUT_MS, type HelmHistoryEntry } from '../support/kube-cluster';
import { FakePrometheus, FakeSlack } from '../support/stand-ins';

const SHOP = 'shop';
const CHART = path.join(ROOT, 'examples/chart');
/** The kill lands this long (seeded, 0..KILL_WINDOW_MS) after the second service's compensation started. */
const KILL_WINDOW_MS = 1_500;

let tools: ReturnType<typeof provideClusterTools>;
let cluster: LocalKubeCluster;
const prometheus = new FakePrometheus();
const slack = new FakeSlack();
let client: Client;
let connection: Connection;
/** The worker's environment: deploy/chart's ServiceAccount token, the real helm, the stand-ins. */
let workerEnv: NodeJS.ProcessEnv;
/** The workflow bundle the `docutag-release worker` processes load (DOCUTAG_WORKFLOW_BUNDLE). */
let bundleFile: string;
/** `docutag-release worker` processes the test started; killed in afterAll if still running. */
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
  bundleFile = path.join(scratchDir('train-bundle-'), 'workflow-bundle.js');
  writeFileSync(bundleFile, (await workflowBundle()).code);
  connection = await Connection.connect({ address: testAddress() });
  client = new Client({ connection });
}, START_TIMEOUT_MS);

afterAll(async () => {
  for (const child of workerProcesses) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await connection?.close();
  await Promise.all([prometheus.stop(), slack.stop()]);
  await cluster?.stop();
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
});

/** Runs `docutag-release worker` (the built CLI) with this cluster's worker environment; resolves once it polls. */
async function spawnWorker(): Promise<ChildProcess> {
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

const tag = Date.now().toString(36).slice(-5);
let serviceCounter = 0;
/**
 * A fresh canary service of examples/chart whose primary serves 1.0.0 as revision 2 (over a 0.9.0
 * install), so the revision recorded before the train is 2 and a rollback to 1 would show; its
 * TraefikService at 100/0. `failingTest` makes its helm test fail (helm.set test.fail).
 */
async function service(options: { failingTest?: boolean } = {}): Promise<ReleaseConfig> {
  serviceCounter += 1;
  const name = `train${serviceCounter}-${tag}`;
  const config = parseConfig({
    service: { name, namespace: SHOP },
    strategy: 'canary',
    helm: { chart: CHART, versionValue: 'version', timeout: '60s', ...(options.failingTest ? { set: { 'test.fail': 'true' } } : {}) },
    analysis: { interval: '1s', threshold: 1, stepWeight: 50 },
    webhooks: { helmTests: { enabled: true, timeout: '30s' } },
    alerts: { slack: { enabled: true, channel: '#production-deploys' } },
  } as ConfigInput);
  for (const version of ['0.9.0', '1.0.0']) {
    const install = await cluster.helm(['upgrade', '--install', name, CHART, '--namespace', SHOP, '--set-string', `version=${version}`, '--wait', '--timeout', '60s']);
    if (install.exitCode !== 0) throw new Error(`installing the primary at ${version} failed: ${install.stderr}`);
  }
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

/** train.yaml with a release.yaml per service beside it (paths relative to the train file), each to `version`. */
function trainFile(name: string, services: ReleaseConfig[], version: string): string {
  const dir = scratchDir('train-');
  const refs = services.map((config) => {
    writeFileSync(path.join(dir, `${config.service.name}.yaml`), stringify(config));
    return { config: `${config.service.name}.yaml`, version };
  });
  const file = path.join(dir, 'train.yaml');
  writeFileSync(file, stringify({ name, compensate: true, services: refs }));
  return file;
}

const helmHistory = (name: string) => cluster.helmHistory(SHOP, name);

/** When helm recorded each revision (`helm history`'s `updated`), epoch ms. */
async function revisionTimes(name: string): Promise<Map<number, number>> {
  const history = await cluster.helm(['history', name, '--namespace', SHOP, '--output', 'json']);
  if (history.exitCode !== 0) throw new Error(`helm history ${name}: ${history.stderr}`);
  // helm prints nanoseconds; Date.parse wants at most milliseconds.
  return new Map((JSON.parse(history.stdout) as { revision: number; updated: string }[]).map(({ revision, updated }) => [revision, Date.parse(updated.replace(/(\.\d{3})\d+/, '$1'))]));
}

/** The VERSION the Deployment gives its pods, as kubectl shows it. */
function deploymentVersion(name: string): Promise<string> {
  return cluster.kubectl(['get', 'deployment', name, '--namespace', SHOP, '-o', 'jsonpath={.spec.template.spec.containers[0].env[?(@.name=="VERSION")].value}']);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves with `probe`'s value once `holds` is true of it, checked every 50 ms (a probe that throws counts as not yet); rejects after `timeoutMs`. */
async function until<T>(what: string, probe: () => Promise<T>, holds: (value: T) => boolean, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      last = await probe();
      if (holds(last)) return last;
    } catch (error) {
      lastError = error;
    }
    await sleep(50);
  }
  throw new Error(`${what} did not happen within ${timeoutMs} ms; last: ${JSON.stringify(last)?.slice(0, 2000)}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
}

const rollbacksTo = (history: HelmHistoryEntry[], revision: number) => history.filter((entry) => entry.description === `Rollback to ${revision}`);

describe('a release train on the local cluster', () => {
  test('third service fails its helm test, the worker SIGKILLed mid-compensation: services 2 then 1 rolled back to revision 2 once each, 1.0.0 serving, the third untouched (exit 3)', async () => {
    const random = new Random(faultSeed('cluster train kill'));
    const killDelayMs = random.int(0, KILL_WINDOW_MS);
    const [first, second, third] = [await service(), await service(), await service({ failingTest: true })] as [ReleaseConfig, ReleaseConfig, ReleaseConfig];
    const before = {
      first: await helmHistory(first.helm.releases.primary),
      second: await helmHistory(second.helm.releases.primary),
      third: await helmHistory(third.helm.releases.primary),
    };
    const installed = [
      { revision: 1, status: 'superseded', description: 'Install complete' },
      { revision: 2, status: 'deployed', description: 'Upgrade complete' },
    ];
    expect(before).toEqual({ first: installed, second: installed, third: installed });

    const name = `shop-${tag}`;
    let worker = await spawnWorker();
    const cli = runCliCaptured(testAddress(), ['train', 'start', '--config', trainFile(name, [first, second, third], '1.1.0'), '--wait'], workerEnv);
    const handle = client.workflow.getHandle(trainWorkflowId(name));

    // The second service (the newest promotion) is compensated first: the kill lands a seeded moment after its revert child started.
    const atCompensation = await until(
      "the second service's compensation running",
      () => handle.query(trainStatusQuery),
      (status: TrainStatus) => status.services[1]?.compensation?.state === 'running' || !['Running', 'Stopping', 'Compensating'].includes(status.phase),
      180_000,
    );
    expect(atCompensation.services[1]!.compensation).toMatchObject({ state: 'running', toRevision: 2 });
    await sleep(killDelayMs);
    worker.kill('SIGKILL');
    const killed = worker;
    await new Promise((resolve) => (killed.exitCode !== null || killed.signalCode !== null ? resolve(null) : killed.once('exit', resolve)));
    const atKill = { second: await helmHistory(second.helm.releases.primary), first: await helmHistory(first.helm.releases.primary) };
    process.stdout.write(
      `cluster train kill: SIGKILL ${killDelayMs} ms after the second service's compensation started; helm history then: second ${JSON.stringify(atKill.second.slice(2))}, first ${JSON.stringify(atKill.first.slice(2))}\n`,
    );
    worker = await spawnWorker();

    // A rollback activity lost with the worker is retried after its heartbeat timeout (1 min).
    const run = await cli;
    const result = (await handle.result()) as TrainResult;
    process.stdout.write(`train ${name} transcript:\n${result.status.events.map((event) => `  ${event.at.slice(11, 23)}  ${event.message}`).join('\n')}\n`);

    expect(run.err).toBe('');
    expect(run.code).toBe(3);
    expect(run.out).toContain(`TRAIN ROLLEDBACK: shop/${third.service.name} 1.1.0 was not promoted (rolledBack)`);
    expect(result.outcome).toBe('rolledBack');
    expect(result.status.phase).toBe('RolledBack');
    expect(result.status.services.map((entry) => ({ state: entry.state, recorded: entry.recorded?.revision, compensation: entry.compensation && { state: entry.compensation.state, toRevision: entry.compensation.toRevision } }))).toEqual([
      { state: 'promoted', recorded: 2, compensation: { state: 'compensated', toRevision: 2 } },
      { state: 'promoted', recorded: 2, compensation: { state: 'compensated', toRevision: 2 } },
      { state: 'rolledBack', recorded: 2, compensation: null },
    ]);
    expect(result.status.services[2]!.reason).toMatch(/test/i);

    for (const config of [first, second]) {
      const { primary, canary } = config.helm.releases;
      const history = await helmHistory(primary);
      // Promoted to 1.1.0 as revision 3, then back to the recorded revision 2 as revision 4, once: the replacement worker rolled nothing back twice.
      expect({ service: config.service.name, history }).toEqual({
        service: config.service.name,
        history: [
          { revision: 1, status: 'superseded', description: 'Install complete' },
          { revision: 2, status: 'superseded', description: 'Upgrade complete' },
          { revision: 3, status: 'superseded', description: 'Upgrade complete' },
          { revision: 4, status: 'deployed', description: 'Rollback to 2' },
        ],
      });
      expect(rollbacksTo(history, 2)).toHaveLength(1);
      expect(await cluster.deployedVersion(SHOP, primary)).toBe('1.0.0');
      expect(await deploymentVersion(primary)).toBe('1.0.0');
      expect(await helmHistory(canary)).toEqual([]);
    }

    // The third never touched its primary; its own rollback removed its canary.
    expect(await helmHistory(third.helm.releases.primary)).toEqual(before.third);
    expect(await cluster.deployedVersion(SHOP, third.helm.releases.primary)).toBe('1.0.0');
    expect(await helmHistory(third.helm.releases.canary)).toEqual([]);
    expect((await cluster.kubectl(['get', 'deployments', '--namespace', SHOP, '-o', 'name'])).split('\n')).not.toContain(`deployment.apps/${third.helm.releases.canary}`);

    // Newest promotion first: the second service went back before the first, in the train's events and in helm's own times.
    const backOn = (config: ReleaseConfig) => result.status.events.findIndex((event) => event.message.startsWith(`shop/${config.service.name} is back on revision 2`));
    expect(backOn(second)).toBeGreaterThanOrEqual(0);
    expect(backOn(first)).toBeGreaterThan(backOn(second));
    const [secondRolledBackAt, firstRolledBackAt] = [(await revisionTimes(second.helm.releases.primary)).get(4)!, (await revisionTimes(first.helm.releases.primary)).get(4)!];
    expect(secondRolledBackAt).toBeLessThan(firstRolledBackAt);
    expect(result.status.events.filter((event) => event.message.startsWith('Rolling shop/')).map((event) => event.message.split(' ')[1])).toEqual([`shop/${second.service.name}`, `shop/${first.service.name}`]);
  }, 240_000);
});
