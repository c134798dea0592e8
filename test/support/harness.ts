/*
 * Runs releases on the real Temporal dev server (started by globalSetup) with the worker's real
 * adapters pointed at the stand-ins: the helm stand-in, a Kubernetes API, Prometheus and Slack.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { bundleWorkflowCode, Runtime, type Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { parseConfig, type ConfigInput, type ReleaseConfig } from '../../src/config';
import { startReleaseWorkflow } from '../../src/client/commands/start';
import { createKubernetesAdapters } from '../../src/targets/kubernetes/adapters';
import { readWorkerEnv } from '../../src/worker/environment';
import { createReleaseWorker } from '../../src/worker/worker';
import type { ReleaseResult } from '../../src/workflows/types';
import { FakeKubernetesApi, FakePrometheus, FakeSlack, FakeWebhooks, healthyMetrics, type PromAnswer } from './stand-ins';

export const ROOT = path.resolve(__dirname, '../..');
export const FAKE_HELM = path.join(ROOT, 'test/support/fake-helm.js');

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** Bundles the workflow code once per test file (about 1.5 s). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: require.resolve('../../src/workflows'), logger: { info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} } as never });
  return bundle;
}

export function testAddress(): string {
  const address = process.env.TEMPORAL_TEST_ADDRESS;
  if (!address) throw new Error('TEMPORAL_TEST_ADDRESS is not set: run the tests through jest (globalSetup starts the dev server)');
  return address;
}

let runtimeInstalled = false;
function installRuntime() {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ shutdownSignals: [], logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (message: string) => console.error(message) } as never });
  } catch {
    // already installed in this jest worker
  }
}

export interface HelmCall {
  action: string;
  release: string;
  namespace: string;
  args: string[];
  /** What the call's JSON `--values` files held, merged (the deployer's helm.set, extra values and version). */
  values?: Record<string, unknown>;
  at: number;
}

let serviceCounter = 0;

export class ReleaseHarness {
  readonly kube = new FakeKubernetesApi();
  readonly prometheus = new FakePrometheus();
  readonly slack = new FakeSlack();
  readonly helmDir = mkdtempSync(path.join(os.tmpdir(), 'fake-helm-'));
  client!: Client;
  private connection!: Connection;
  private worker: Worker | undefined;
  private workerRun: Promise<void> | undefined;
  private closeWorker: (() => Promise<void>) | undefined;
  private readonly children: ChildProcess[] = [];

  constructor(
    readonly address: string = testAddress(),
    /** More worker environment (e.g. the Teams and Discord webhook URLs). */
    private readonly extraEnv: NodeJS.ProcessEnv = {},
  ) {}

  static async start(options: { inProcessWorker?: boolean; address?: string; env?: NodeJS.ProcessEnv } = {}): Promise<ReleaseHarness> {
    const harness = new ReleaseHarness(options.address, options.env);
    await Promise.all([harness.kube.start(), harness.prometheus.start(), harness.slack.start()]);
    process.env.FAKE_HELM_DIR = harness.helmDir;
    harness.connection = await Connection.connect({ address: harness.address });
    harness.client = new Client({ connection: harness.connection });
    if (options.inProcessWorker ?? true) await harness.startWorker();
    return harness;
  }

  /** The environment a `docutag-release worker` process gets in these tests. */
  workerEnv(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      TEMPORAL_ADDRESS: this.address,
      TEMPORAL_NAMESPACE: 'default',
      KUBECONFIG: this.kube.kubeconfigPath,
      HELM_BIN: FAKE_HELM,
      FAKE_HELM_DIR: this.helmDir,
      PROMETHEUS_URL: this.prometheus.url,
      PROMETHEUS_BEARER_TOKEN: 'prom-test-token-91c2',
      PROMETHEUS_TIMEOUT_MS: '1000',
      SLACK_WEBHOOK_URL: this.slack.url,
      ...this.extraEnv,
    };
  }

  async startWorker(): Promise<void> {
    installRuntime();
    const env = this.workerEnv();
    const deps = createKubernetesAdapters(readWorkerEnv(env), () => {});
    const { worker, close } = await createReleaseWorker({ deps, env, workerOptions: { workflowBundle: await workflowBundle() } });
    this.worker = worker;
    this.closeWorker = close;
    this.workerRun = worker.run();
  }

  async stopWorker(): Promise<void> {
    if (!this.worker) return;
    this.worker.shutdown();
    await this.workerRun;
    await this.closeWorker?.();
    this.worker = undefined;
  }

  /** A fresh service (unique id per test) with its TraefikService and Deployments in the API stand-in. */
  config(overrides: Partial<Record<keyof ConfigInput, unknown>> = {}): ReleaseConfig {
    serviceCounter += 1;
    const name = `svc-${process.pid.toString(36)}-${Date.now().toString(36)}-${serviceCounter}`;
    const config = parseConfig({
      service: { name, namespace: 'shop' },
      helm: { chart: './chart', timeout: '30s' },
      analysis: { interval: '1s', threshold: 2, stepWeight: 25 },
      webhooks: { helmTests: { enabled: true, timeout: '10s' } },
      alerts: { slack: { enabled: true, channel: '#production-deploys' } },
      ...overrides,
      ...(overrides.analysis ? { analysis: { interval: '1s', threshold: 2, stepWeight: 25, ...(overrides.analysis as object) } } : {}),
    } as ConfigInput);
    this.kube.addService(config.service.namespace, config.traffic.traefikService, config.traffic.primaryService, config.traffic.canaryService);
    return config;
  }

  /** Installs the primary at `version` in the helm stand-in, as if it had been released before (`revision` times). */
  seedPrimary(config: ReleaseConfig, version: string, revision = 1): void {
    const file = path.join(this.helmDir, 'state.json');
    let state: { releases: Record<string, unknown> } = { releases: {} };
    try {
      state = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      // first release of this run
    }
    const values = { image: { tag: version } };
    state.releases[`${config.service.namespace}/${config.helm.releases.primary}`] = {
      revision,
      status: 'deployed',
      values,
      history: Array.from({ length: revision }, (_, i) => ({
        revision: i + 1,
        status: i + 1 === revision ? 'deployed' : 'superseded',
        values,
        description: i === 0 ? 'Install complete' : 'Upgrade complete',
      })),
    };
    writeFileSync(file, JSON.stringify(state));
  }

  /** A release as the helm stand-in holds it (revision, status, values, history), or undefined when not installed. */
  helmRelease(namespace: string, release: string): { revision: number; status: string; values: { image?: { tag?: string } }; history: Array<{ revision: number; status: string; description: string }> } | undefined {
    try {
      return JSON.parse(readFileSync(path.join(this.helmDir, 'state.json'), 'utf8')).releases[`${namespace}/${release}`];
    } catch {
      return undefined;
    }
  }

  /** Makes the helm stand-in fail `<action> <release>` with `stderr`. */
  failHelm(action: string, release: string, stderr: string): void {
    const file = path.join(this.helmDir, 'failures.json');
    let rules: Record<string, string> = {};
    try {
      rules = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      // no rules yet
    }
    rules[`${action} ${release}`] = stderr;
    writeFileSync(file, JSON.stringify(rules));
  }

  helmCalls(namespace: string, releases: string[]): HelmCall[] {
    let text = '';
    try {
      text = readFileSync(path.join(this.helmDir, 'calls.jsonl'), 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as HelmCall)
      .filter((call) => call.namespace === namespace && releases.includes(call.release));
  }

  /** The mutating helm calls of a release as `action release` (reads are left out). */
  helmStory(config: ReleaseConfig): string[] {
    return this.helmCalls(config.service.namespace, [config.helm.releases.primary, config.helm.releases.canary])
      .filter((call) => !['status', 'get values', 'history'].includes(call.action))
      .map((call) => `${call.action} ${call.release}`);
  }

  canaryWeights(config: ReleaseConfig): number[] {
    return this.kube.canaryWeights(config.service.namespace, config.traffic.traefikService, config.traffic.canaryService);
  }

  start(config: ReleaseConfig, version: string, options: Parameters<typeof startReleaseWorkflow>[2] = {}): Promise<WorkflowHandle> {
    return startReleaseWorkflow(this.client, { config, version }, options);
  }

  async run(config: ReleaseConfig, version: string): Promise<ReleaseResult> {
    const handle = await this.start(config, version);
    return (await handle.result()) as ReleaseResult;
  }

  /** Runs `docutag-release worker` (the built CLI) as a child process with the stand-ins' environment (plus `extraEnv`). */
  spawnWorker(extraEnv: NodeJS.ProcessEnv = {}): ChildProcess {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/docutag-release.js'), 'worker'], { env: { ...this.workerEnv(), ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', () => {});
    child.stderr?.on('data', (chunk: Buffer) => process.env.DEBUG_WORKER && process.stderr.write(chunk));
    this.children.push(child);
    return child;
  }

  /** A worker process (spawnWorker) and whether it has said it polls its task queue: the fault suites replace killed ones. */
  spawnWatchedWorker(extraEnv: NodeJS.ProcessEnv = {}): { child: ChildProcess; ready: () => boolean } {
    let ready = false;
    const child = this.spawnWorker(extraEnv);
    child.stdout!.on('data', (chunk: Buffer) => {
      if (String(chunk).includes('worker on task queue')) ready = true;
    });
    return { child, ready: () => ready };
  }

  async stop(): Promise<void> {
    for (const child of this.children) if (child.exitCode === null) child.kill('SIGKILL');
    await this.stopWorker();
    await this.connection.close();
    await Promise.all([this.kube.stop(), this.prometheus.stop(), this.slack.stop()]);
  }
}

/** Polls until `predicate` holds (e.g. the canary reached a weight); fails with `what` after the timeout. */
export async function eventually<T>(what: string, probe: () => Promise<T> | T, predicate: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await probe();
    if (predicate(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)}`);
}

/**
 * The set-up the release test files share: one harness (and, with `webhooks`, the webhook stand-in)
 * started before the file's tests and stopped after them, and the Prometheus stand-in answering
 * `answer` (default: healthy) at the start of every test. `started` hands them to the file.
 */
export function useReleaseHarness(started: (harness: ReleaseHarness, hooks: FakeWebhooks) => void, options: { webhooks?: boolean; answer?: (query: string) => PromAnswer } = {}): void {
  let harness: ReleaseHarness | undefined;
  let hooks: FakeWebhooks | undefined;
  beforeAll(async () => {
    harness = await ReleaseHarness.start();
    if (options.webhooks) hooks = await new FakeWebhooks().start();
    started(harness, hooks as FakeWebhooks);
  });
  afterAll(async () => {
    await harness?.stop();
    await hooks?.stop();
  });
  beforeEach(() => {
    if (harness) harness.prometheus.answer = options.answer ?? healthyMetrics;
  });
}
