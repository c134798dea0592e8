/*
 * The steering matrix: every strategy run once to count its activity calls, then again with a
 * message delivered exactly at each boundary (before and after each activity call), through
 * activities that hold on a latch while the client sends the message. Real Temporal dev server,
 * the real workflow bundle and activities over the in-memory adapters.
 */
import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { Client, Connection, WorkflowNotFoundError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import { createMigrationActivities } from '../../src/activities/migration';
import { ImmediateReadiness, InMemoryDeployer, InMemoryTrafficRouter, LogNotifier, StaticMetricsProvider } from '../../src/activities/adapters/in-memory';
import { parseConfig, type ConfigInput, type ReleaseConfig } from '../../src/config';
import { createReleaseWorker } from '../../src/worker/worker';
import { releaseWorkflowId, type ReleaseResult } from '../../src/workflows/types';
import type { DrillResult } from '../../src/workflows/types';
import { testAddress, workflowBundle } from '../support/harness';

/** `guardedCanary`: a canary whose analysis intervals are watched by the guard (one guardTrack activity each). */
export const STRATEGIES = ['canary', 'guardedCanary', 'blueGreen', 'mirroredBlueGreen', 'abTesting', 'direct', 'drill'] as const;
export const MESSAGES = ['abort', 'pause+resume', 'promote', 'promote+abort'] as const;
export type MatrixStrategy = (typeof STRATEGIES)[number];
export type MatrixMessage = (typeof MESSAGES)[number];

/** How the message travels: an acknowledged Update (the CLI) or a signal (the Web UI, `temporal workflow signal`). */
export const CHANNELS = ['update', 'signal'] as const;
export type Channel = (typeof CHANNELS)[number];

export interface Cell {
  strategy: MatrixStrategy;
  channel: Channel;
  /** 2k: before activity call k; 2k+1: after it. */
  boundary: number;
  message: MatrixMessage;
}

export interface Baseline {
  strategy: MatrixStrategy;
  calls: string[];
  /** Whether each call was made by the release (a drill's own calls come before and after its release, where no release takes messages). */
  byRelease: boolean[];
  outcome: ReleaseResult['outcome'];
}

const NAMESPACE = 'matrix';
const TASK_QUEUE = `steering-matrix-${process.pid}`;
const OLD = '1.0.0';
const NEW = '2.0.0';
const DRILL = '9.9.9-drill';
/** How long a pause is held before resume: longer than an analysis interval, so a step that ignores the pause shows. */
const PAUSE_HOLD_MS = 900;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Hold {
  boundary: number;
  /** Called at the boundary, inside the held activity; the activity goes on when it returns. */
  reached(local: boolean): Promise<void>;
}

/** What one release did, as the in-memory adapters and the latch saw it. */
interface Trace {
  calls: Array<{ name: string; workflowId: string; at: number }>;
}

export class SteeringMatrix {
  readonly deployer = new InMemoryDeployer();
  readonly router = new InMemoryTrafficRouter();
  private readonly holds = new Map<string, Hold>();
  private readonly traces = new Map<string, Trace>();
  private client!: Client;
  private connection!: Connection;
  private worker!: Worker;
  private workerRun!: Promise<void>;
  private closeWorker!: () => Promise<void>;
  private serial = 0;
  private readonly runTag = randomUUID().slice(0, 6);
  /** Canary services whose metrics are bad (drills). */
  private readonly failing = new Set<string>();

  static async start(): Promise<SteeringMatrix> {
    try {
      // Hundreds of workers come and go in replays: keep the SDK's log to errors.
      Runtime.install({ shutdownSignals: [], logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (message: string) => console.error(message) } as never });
    } catch {
      // already installed in this jest worker
    }
    const matrix = new SteeringMatrix();
    await matrix.startWorker();
    return matrix;
  }

  private async startWorker(): Promise<void> {
    const metrics = new StaticMetricsProvider((query) => {
      if (query.includes('histogram_quantile')) return { kind: 'value', value: 100 };
      return { kind: 'value', value: [...this.failing].some((service) => query.includes(service)) ? 50 : 99.9 };
    });
    const deps = { deployer: this.deployer, readiness: new ImmediateReadiness(), router: this.router, metricsFor: () => metrics, notifier: new LogNotifier(() => {}) };
    const env = { ...process.env, TEMPORAL_ADDRESS: testAddress(), TEMPORAL_NAMESPACE: 'default' };
    this.connection = await Connection.connect({ address: testAddress() });
    this.client = new Client({ connection: this.connection });
    const migration = createMigrationActivities({ temporal: this.client, inspector: { listServices: async () => [] }, notifier: deps.notifier });
    const { worker, close } = await createReleaseWorker({
      deps,
      env,
      workerOptions: { workflowBundle: await workflowBundle(), taskQueue: TASK_QUEUE, activities: this.latched({ ...createActivities(deps), ...migration }), maxCachedWorkflows: 100 },
    });
    this.worker = worker;
    this.closeWorker = close;
    this.workerRun = worker.run();
  }

  async stop(): Promise<void> {
    this.worker.shutdown();
    await this.workerRun;
    await this.closeWorker();
    await this.connection.close();
  }

  /** Every activity counts its calls per cell and holds at the cell's boundary. */
  private latched<T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T): T {
    const wrapped: Record<string, (...args: never[]) => Promise<unknown>> = {};
    for (const [name, activity] of Object.entries(activities)) {
      wrapped[name] = async (...args: never[]) => {
        const info = Context.current().info;
        const workflowId = info.workflowExecution?.workflowId ?? '';
        const key = cellKey(workflowId);
        const trace = this.traces.get(key);
        const index = trace ? trace.calls.length : -1;
        trace?.calls.push({ name, workflowId, at: Date.now() });
        const hold = this.holds.get(key);
        if (hold && hold.boundary === 2 * index) await hold.reached(info.isLocal);
        const result = await activity(...args);
        if (hold && hold.boundary === 2 * index + 1) await hold.reached(info.isLocal);
        return result;
      };
    }
    return wrapped as T;
  }

  private config(strategy: MatrixStrategy, name: string): ReleaseConfig {
    const common = {
      service: { name, namespace: NAMESPACE },
      helm: { chart: './chart', timeout: '30s' },
      webhooks: { helmTests: { enabled: true, timeout: '10s' } },
      alerts: { slack: { enabled: false }, teams: { enabled: false }, discord: { enabled: false }, webhook: { enabled: false } },
    };
    const input: Record<MatrixStrategy, unknown> = {
      canary: { ...common, strategy: 'canary', analysis: { interval: '300ms', stepWeight: 25, threshold: 2 } },
      // Rounds 600 ms apart (shorter than the pause hold), the guard polling every 200 ms in between.
      guardedCanary: { ...common, strategy: 'canary', analysis: { interval: '600ms', stepWeight: 25, threshold: 2, guard: { interval: '200ms', consecutive: 2 } } },
      blueGreen: { ...common, strategy: 'blueGreen', analysis: { interval: '300ms', iterations: 2, postSwitchIterations: 1, threshold: 2 } },
      mirroredBlueGreen: { ...common, strategy: 'blueGreen', traffic: { mirror: { percent: 100 } }, analysis: { interval: '300ms', iterations: 2, postSwitchIterations: 1, threshold: 2 } },
      abTesting: { ...common, strategy: 'abTesting', analysis: { interval: '300ms', iterations: 2, threshold: 2, match: [{ headers: { 'x-canary': { exact: 'insider' } } }] } },
      direct: { ...common, strategy: 'direct' },
      drill: { ...common, strategy: 'canary', analysis: { interval: '300ms', stepWeight: 25, threshold: 2 }, drill: { version: DRILL, set: { 'faultInjection.errorRate': '50' }, maxRestore: '5s' } },
    };
    return parseConfig(input[strategy] as ConfigInput);
  }

  /** Runs one release (or drill) of a fresh service; `hold` steers it at one boundary. */
  private async runOne(strategy: MatrixStrategy, hold?: (name: string) => Hold) {
    this.serial += 1;
    const name = `m${this.runTag}-${this.serial}`;
    const config = this.config(strategy, name);
    const key = `${NAMESPACE}-${name}`;
    this.traces.set(key, { calls: [] });
    if (hold) this.holds.set(key, hold(name));
    await this.deployer.install({ target: { namespace: NAMESPACE } as never, release: config.helm.releases.primary, version: OLD });
    const releaseId = releaseWorkflowId(NAMESPACE, name);
    let result: ReleaseResult;
    let drill: DrillResult | undefined;
    if (strategy === 'drill') {
      this.failing.add(config.traffic.canaryService);
      const handle = await this.client.workflow.start('rollbackDrill', { taskQueue: TASK_QUEUE, workflowId: `drill-${key}`, args: [{ config, trigger: 'manual' }], workflowTaskTimeout: '5s' });
      drill = (await handle.result()) as DrillResult;
      result = (await this.client.workflow.getHandle(releaseId).result()) as ReleaseResult;
    } else {
      const handle = await this.client.workflow.start('release', { taskQueue: TASK_QUEUE, workflowId: releaseId, args: [{ config, version: NEW }], workflowTaskTimeout: '5s' });
      result = (await handle.result()) as ReleaseResult;
    }
    const histories = [await this.client.workflow.getHandle(releaseId).fetchHistory()];
    if (strategy === 'drill') histories.push(await this.client.workflow.getHandle(`drill-${key}`).fetchHistory());
    this.holds.delete(key);
    return { name, config, result, drill, releaseId, trace: this.traces.get(key)!, histories };
  }

  async baseline(strategy: MatrixStrategy): Promise<Baseline> {
    const run = await this.runOne(strategy);
    await this.replays(run.histories);
    return { strategy, calls: run.trace.calls.map((call) => call.name), byRelease: run.trace.calls.map((call) => call.workflowId === run.releaseId), outcome: run.result.outcome };
  }

  /** The cells of a strategy: every boundary of its baseline with every message. */
  static cells(baseline: Baseline): Cell[] {
    const cells: Cell[] = [];
    for (let boundary = 0; boundary < 2 * baseline.calls.length; boundary++) {
      if (!baseline.byRelease[Math.floor(boundary / 2)]) continue;
      for (const channel of CHANNELS) for (const message of MESSAGES) cells.push({ strategy: baseline.strategy, channel, boundary, message });
    }
    return cells;
  }

  private async replays(histories: Array<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>>): Promise<string | null> {
    for (const history of histories) {
      try {
        await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history);
      } catch (error) {
        return `history does not replay: ${(error as Error).message}`;
      }
    }
    return null;
  }

  /** Runs one cell and returns what broke (empty when the cell holds). */
  async runCell(cell: Cell, baseline: Baseline): Promise<string[]> {
    const sent: Array<{ message: string; accepted: boolean; text: string; at: number }> = [];
    let pauseAcceptedAt: number | null = null;
    let resumeSentAt: number | null = null;
    let delivered: Promise<void> = Promise.resolve();
    const send = async (handle: WorkflowHandle, message: 'abort' | 'promote' | 'pause' | 'resume') => {
      const request = { by: 'matrix@test', ...(message === 'abort' ? { reason: 'matrix' } : {}) };
      if (cell.channel === 'signal') {
        // A signal cannot be refused: the release records whether it applied, and the status shows it.
        try {
          await handle.signal(message, request);
        } catch (error) {
          if (!endedBeforeTaking(error)) throw error;
          sent.push({ message, accepted: false, text: `${message} ignored: the release ended first`, at: Date.now() });
          return false;
        }
        let note: string;
        try {
          note = await waitForNote(handle, message);
        } catch (error) {
          // Kept as the cell's evidence: a note that cannot be read is a failing cell, named.
          sent.push({ message, accepted: false, text: `${message}: its note could not be read (${(error as Error).message})`, at: Date.now() });
          throw error;
        }
        sent.push({ message, accepted: note.startsWith(`${message} accepted`), text: note, at: Date.now() });
        return note.startsWith(`${message} accepted`);
      }
      try {
        const text = await handle.executeUpdate<string, [typeof request]>(message, { args: [request] });
        sent.push({ message, accepted: true, text, at: Date.now() });
        return true;
      } catch (error) {
        if (endedBeforeTaking(error)) {
          sent.push({ message, accepted: false, text: `${message} refused: the release ended first`, at: Date.now() });
          return false;
        }
        if (!(error instanceof WorkflowUpdateFailedError)) throw error;
        sent.push({ message, accepted: false, text: error.cause?.message ?? error.message, at: Date.now() });
        return false;
      }
    };
    const run = await this.runOne(cell.strategy, (name) => ({
      boundary: cell.boundary,
      reached: async (local) => {
        const handle = this.client.workflow.getHandle(releaseWorkflowId(NAMESPACE, name));
        const delivery = (async () => {
          if (cell.message === 'abort') await send(handle, 'abort');
          else if (cell.message === 'promote') await send(handle, 'promote');
          else if (cell.message === 'promote+abort') await Promise.all([send(handle, 'promote'), send(handle, 'abort')]);
          else if (await send(handle, 'pause')) {
            pauseAcceptedAt = Date.now();
            await sleep(PAUSE_HOLD_MS);
            resumeSentAt = Date.now();
            await send(handle, 'resume');
          }
        })();
        // Judged only once every message has its answer: a release that abandons the held activity
        // (abort, promote) may end before the activity's latch returns.
        delivered = delivery;
        // A running local activity holds the workflow task, so the message lands right after it: release the latch first.
        if (local) await sleep(50);
        // The pause is in once accepted; the resume comes while the release goes on (and must hold).
        else if (cell.message === 'pause+resume') await waitFor(() => sent.length > 0);
        else await delivery;
      },
    }));
    await delivered;
    return this.judge(cell, baseline, run, sent, pauseAcceptedAt, resumeSentAt);
  }

  private async judge(
    cell: Cell,
    baseline: Baseline,
    run: Awaited<ReturnType<SteeringMatrix['runOne']>>,
    sent: Array<{ message: string; accepted: boolean; text: string; at: number }>,
    pauseAcceptedAt: number | null,
    resumeSentAt: number | null,
  ): Promise<string[]> {
    const problems: string[] = [];
    const { config, result, trace } = run;
    const primary = config.helm.releases.primary;
    const canary = config.helm.releases.canary;
    const routerKey = `${NAMESPACE}/${config.traffic.traefikService}`;
    const applied = this.router.applied.filter((change) => change.router === routerKey);
    const version = cell.strategy === 'drill' ? DRILL : NEW;
    const accepted = (message: string) => sent.find((entry) => entry.message === message && entry.accepted);
    const abort = accepted('abort');
    const promote = accepted('promote');
    if (!sent.length) problems.push('the boundary was never reached');
    if (abort && promote) problems.push('promote and abort were both accepted');
    if (cell.channel === 'update' && cell.message === 'promote+abort' && sent.length === 2 && !abort && !promote && sent.every((entry) => !/refused \(phase/.test(entry.text))) problems.push(`both refused without naming the phase: ${sent.map((entry) => entry.text).join(' | ')}`);
    const refusedWord = cell.channel === 'update' ? /refused/ : /ignored/;
    for (const entry of sent.filter((item) => !item.accepted)) if (!refusedWord.test(entry.text)) problems.push(`${entry.message} refused without saying so: ${entry.text}`);

    // (a) abort accepted: rolled back, the primary never upgraded, 100% on the primary, the canary removed.
    if (abort) {
      if (result.outcome !== 'rolledBack') problems.push(`abort accepted ("${abort.text}") but the release ended ${result.outcome}: ${result.reason}`);
      if (cell.strategy === 'direct') {
        const current = await this.deployer.describe({ target: { namespace: NAMESPACE } as never, release: primary });
        if (current?.version !== OLD) problems.push(`abort accepted but ${primary} runs ${current?.version ?? 'nothing'}, not ${OLD}`);
      } else if (this.deployer.calls.includes(`upgrade ${primary} ${version}`)) problems.push(`abort accepted but ${primary} was upgraded to ${version}`);
      if (cell.strategy !== 'direct' && (await this.deployer.describe({ target: { namespace: NAMESPACE } as never, release: canary }))) problems.push(`abort accepted but ${canary} is still installed`);
    }
    // (c) promote accepted: promoted, no further analysis round, no weight increase but blue-green's one switch.
    if (promote) {
      if (result.outcome !== 'promoted') problems.push(`promote accepted ("${promote.text}") but the release ended ${result.outcome}: ${result.reason}`);
      const rounds = trace.calls.filter((call) => call.name === 'queryChecks' && call.workflowId === run.releaseId && call.at > promote.at);
      if (rounds.length) problems.push(`promote accepted but ${rounds.length} analysis round(s) ran after it`);
      const increases = increasesAfter(applied, promote.at).filter((change) => !((cell.strategy === 'blueGreen' || cell.strategy === 'mirroredBlueGreen') && change.weights.canaryWeight === 100));
      if (increases.length) problems.push(`promote accepted but the weight went up to ${increases.map((change) => change.weights.canaryWeight).join(', ')}%`);
    }
    // (b) no weight increase while paused.
    if (pauseAcceptedAt !== null && resumeSentAt !== null) {
      const during = increasesAfter(applied, pauseAcceptedAt).filter((change) => change.at < resumeSentAt!);
      if (during.length) problems.push(`paused, yet the weight went up to ${during.map((change) => change.weights.canaryWeight).join(', ')}%`);
      // A round in flight when the pause came may still end the release by rolling back (never a forward step).
      if (!accepted('resume') && result.outcome !== 'rolledBack') problems.push(`resume after an accepted pause was refused: ${sent.find((entry) => entry.message === 'resume')?.text ?? 'never sent'}`);
    }
    // Nothing accepted that ends the flow: the release ends as it would have without the message.
    if (!abort && !promote && result.outcome !== baseline.outcome) problems.push(`no abort or promote applied, yet the release ended ${result.outcome} (baseline ${baseline.outcome}): ${result.reason}; sent: ${sent.map((entry) => entry.text).join(' | ')}`);
    // (d) traffic never ends split.
    const final = await this.router.getWeights({ split: { namespace: NAMESPACE, router: config.traffic.traefikService, primaryService: '', canaryService: '' } });
    if (final.canaryWeight !== 0) problems.push(`traffic ends split: ${final.primaryWeight}/${final.canaryWeight}`);
    if (final.matchedToCanary || final.mirrorPercent) problems.push(`an A/B route or a mirror is left in place: ${JSON.stringify(final)}`);
    if (result.outcome === 'failed') problems.push(`the release failed: ${result.reason}`);
    // (e) the history replays.
    const replay = await this.replays(run.histories);
    if (replay) problems.push(replay);
    return problems;
  }
}

/** Weight changes after `at` that raised the canary's share. */
function increasesAfter(applied: InMemoryTrafficRouter['applied'], at: number) {
  return applied.filter((change, index) => change.at > at && change.weights.canaryWeight > (index > 0 ? applied[index - 1]!.weights.canaryWeight : 0));
}

/** An Update that came as the release ended (it rolled back on its own meanwhile). */
function endedBeforeTaking(error: unknown): boolean {
  return error instanceof WorkflowNotFoundError || /already completed|aborted by closing workflow/i.test((error as Error)?.message ?? '');
}

/** The release's note on a signal it received: `<signal> accepted…` or `<signal> ignored…`, the last of that signal. */
async function waitForNote(handle: WorkflowHandle, signal: string): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    let events: Array<{ at: string; message: string }> = [];
    try {
      events = ((await handle.query('status')) as { events: Array<{ at: string; message: string }> }).events;
    } catch (error) {
      // The release may end at once (an abort before anything was installed): its result has the same events.
      if (!/completed|not found/i.test((error as Error).message)) throw error;
      events = ((await handle.result()) as ReleaseResult).status.events;
    }
    const note = events.map((event) => event.message).reverse().find((message) => message.startsWith(`${signal} accepted`) || message.startsWith(`${signal} ignored`));
    if (note) return note;
    if (Date.now() > deadline) throw new Error(`the release never recorded the ${signal} signal`);
    await sleep(25);
  }
}

/** `release-matrix-<name>` and `drill-matrix-<name>` belong to one cell. */
function cellKey(workflowId: string): string {
  return workflowId.replace(/^(release|drill)-/, '');
}

async function waitFor(predicate: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(20);
  }
}

/** A deterministic sample of cells for a seed (mulberry32), so a failing CI sample can be re-run. */
export function sample<T>(items: T[], size: number, seed: number): T[] {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy.slice(0, size);
}

/** Runs cells `concurrency` at a time; returns the failing ones with their problems. */
export async function runCells(matrix: SteeringMatrix, cells: Cell[], baselines: Map<MatrixStrategy, Baseline>, concurrency: number): Promise<Array<{ cell: Cell; label: string; problems: string[] }>> {
  const failures: Array<{ cell: Cell; label: string; problems: string[] }> = [];
  let next = 0;
  const label = (cell: Cell) => {
    const calls = baselines.get(cell.strategy)!.calls;
    const index = Math.floor(cell.boundary / 2);
    const nth = calls.slice(0, index + 1).filter((name) => name === calls[index]).length;
    return `${cell.strategy} (${cell.channel}) ${cell.boundary % 2 ? 'after' : 'before'} ${calls[index]}#${nth} (call ${index + 1}/${calls.length}): ${cell.message}`;
  };
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < cells.length) {
        const cell = cells[next++]!;
        let problems: string[];
        try {
          problems = await matrix.runCell(cell, baselines.get(cell.strategy)!);
        } catch (error) {
          problems = [`the cell crashed: ${(error as Error).stack ?? String(error)}`];
        }
        if (problems.length) failures.push({ cell, label: label(cell), problems });
      }
    }),
  );
  return failures;
}
