/**
 * The three measurements of the benchmark: many concurrent canaries on one worker, abort-to-effect,
 * and the replay of a recorded history. Each concurrency level and the abort round get a fresh dev
 * server (fresh SQLite file) and a fresh worker process, so one round's leftovers cannot slow the next.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { startReleaseWorkflow } from '../src/client/commands/start';
import { parseConfig } from '../src/config';
import { abortSignal } from '../src/workflows/messages';
import { releaseWorkflowId, type ReleaseInput } from '../src/workflows/types';
import { startBenchServer, freePort, ROOT, type BenchServer } from './dev-server';
import { Monitor, workerResources, type MachineSummary, type ResourceSummary } from './monitor';
import type { WorkerTuning } from './protocol';
import { distribution, histogram, mapLimit, metricSum, parsePrometheus, type Distribution, type HistogramSummary } from './stats';
import { startWorkerProcess, type WeightChange, type WorkerHost } from './worker-host';

type History = temporal.api.history.v1.IHistory;

/** The canary every release runs: stepWeight 10 (10 steps, 10..100), then promotion (0); the interval is a setting (1 s). */
export const CANARY = { stepWeight: 10, namespace: 'bench' } as const;
export const EXPECTED_WEIGHTS = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 0] as const;

export interface BenchSettings {
  binary: string;
  bundlePath: string;
  /** Where server logs, SQLite files and metric dumps go (git-ignored). */
  dataDir: string;
  /** SQLite in a file (fresh per round) or in memory. */
  db: 'file' | 'memory';
  /** The canary's analysis interval, ms (the issue's benchmark: 1,000). */
  intervalMs: number;
  dynamicConfig: Record<string, unknown>;
  /** `--sqlite-pragma` of the dev server; empty = its defaults (rollback journal, synchronous FULL). */
  sqlitePragmas: Record<string, string>;
  tuning: WorkerTuning;
  /** Node options of the worker process (heap limits), recorded with the results. */
  workerNodeOptions: string[];
  /** Workflow starts in flight at once. */
  startConcurrency: number;
  log: (line: string) => void;
}

/** Input of one benchmark release: a canary with in-memory adapters, no Slack, no helm tests. */
export function releaseInput(name: string, intervalMs: number): ReleaseInput {
  const config = parseConfig(
    {
      service: { name, namespace: CANARY.namespace },
      helm: { chart: './chart', timeout: '1m' },
      strategy: 'canary',
      analysis: { interval: `${intervalMs}ms`, stepWeight: CANARY.stepWeight, threshold: 5 },
      webhooks: { helmTests: { enabled: false } },
      alerts: { slack: { enabled: false } },
    },
    'bench',
  );
  return { config, version: '1.1.0', requestedBy: 'bench' };
}

const routerKey = (name: string) => `${CANARY.namespace}/${name}`;
const workflowId = (name: string) => releaseWorkflowId(CANARY.namespace, name);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** How long the idle worker and server are watched before the releases start. */
const IDLE_WINDOW_MS = 4000;

interface Round {
  server: BenchServer;
  worker: WorkerHost;
  client: Client;
  monitor: Monitor;
  workerMetricsUrl: string;
  close(): Promise<{ peakRssBytes: number; warnings: number; errors: number }>;
}

async function openRound(settings: BenchSettings, label: string): Promise<Round> {
  const server = await startBenchServer(settings.binary, {
    ...(settings.db === 'file' ? { dbFile: path.join(settings.dataDir, `${label}-${process.pid}.db`) } : {}),
    dynamicConfig: settings.dynamicConfig,
    sqlitePragmas: settings.sqlitePragmas,
    logFile: path.join(settings.dataDir, `server-${label}.log`),
  });
  const metricsPort = await freePort();
  let worker: WorkerHost;
  try {
    worker = await startWorkerProcess({ address: server.address, bundlePath: settings.bundlePath, tuning: settings.tuning, nodeOptions: settings.workerNodeOptions, metricsPort, sampleEveryMs: 1000 });
  } catch (error) {
    await server.stop();
    throw error;
  }
  let connection: Connection;
  try {
    connection = await Connection.connect({ address: server.address });
  } catch (error) {
    worker.kill();
    await server.stop();
    throw error;
  }
  const client = new Client({ connection });
  const monitor = new Monitor(server.pid);
  return {
    server,
    worker,
    client,
    monitor,
    workerMetricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    close: async () => {
      monitor.stop();
      const stopped = await worker.stop();
      await connection.close();
      await server.stop();
      return stopped;
    },
  };
}

async function scrape(url: string): Promise<string> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    return await response.text();
  } catch {
    return '';
  }
}

/** Starts releases with a bounded number of start calls in flight; returns when each start call returned. */
async function startReleases(client: Client, names: string[], limit: number, intervalMs: number): Promise<{ startedAt: Map<string, number>; failed: string[] }> {
  const startedAt = new Map<string, number>();
  const failed: string[] = [];
  await mapLimit(names, limit, async (name) => {
    startedAt.set(name, Date.now());
    try {
      await startReleaseWorkflow(client, releaseInput(name, intervalMs));
    } catch (error) {
      failed.push(`${name}: ${(error as Error).message}`);
    }
  });
  return { startedAt, failed };
}

/** Waits until visibility reports no running workflow (or the deadline); returns whether it did. */
async function waitAllClosed(client: Client, deadline: number): Promise<boolean> {
  while (Date.now() < deadline) {
    const running = await client.workflow.count('ExecutionStatus="Running"').then((answer) => answer.count, () => -1);
    if (running === 0) return true;
    await sleep(1000);
  }
  return false;
}

interface Described {
  status: string;
  historyLength: number | null;
}

async function describeAll(client: Client, names: string[]): Promise<Described[]> {
  return mapLimit(names, 20, async (name) =>
    client.workflow
      .getHandle(workflowId(name))
      .describe()
      .then((description) => ({ status: description.status.name, historyLength: description.historyLength }))
      .catch(() => ({ status: 'UNKNOWN', historyLength: null })),
  );
}

/** Worker-side (SDK core) and server-side signals of where time goes. */
export interface Diagnostics {
  workflowTaskScheduleToStartMs: HistogramSummary | null;
  activityScheduleToStartMs: HistogramSummary | null;
  workflowTaskExecutionMs: HistogramSummary | null;
  workflowTaskReplayMs: HistogramSummary | null;
  stickyCacheHits: number | null;
  stickyCacheMisses: number | null;
  stickyCacheForcedEvictions: number | null;
  /** Requests the server refused for a rate limit (RESOURCE_EXHAUSTED), API and persistence. */
  serverResourceExhausted: number | null;
  serverPersistenceLatencyMs: HistogramSummary | null;
}

function diagnostics(workerText: string, serverText: string): Diagnostics {
  const workerSamples = parsePrometheus(workerText);
  const serverSamples = parsePrometheus(serverText);
  // SDK core creates a counter on its first increment: absent from a scrape that worked means 0.
  const counter = (name: string) => metricSum(workerSamples, name) ?? (workerSamples.length ? 0 : null);
  const seconds = (summary: HistogramSummary | null): HistogramSummary | null =>
    summary && { count: summary.count, mean: summary.mean === null ? null : summary.mean * 1000, p50: summary.p50 === null ? null : summary.p50 * 1000, p99: summary.p99 === null ? null : summary.p99 * 1000 };
  return {
    workflowTaskScheduleToStartMs: histogram(workerSamples, 'temporal_workflow_task_schedule_to_start_latency'),
    activityScheduleToStartMs: histogram(workerSamples, 'temporal_activity_schedule_to_start_latency'),
    workflowTaskExecutionMs: histogram(workerSamples, 'temporal_workflow_task_execution_latency'),
    workflowTaskReplayMs: histogram(workerSamples, 'temporal_workflow_task_replay_latency'),
    stickyCacheHits: counter('temporal_sticky_cache_hit'),
    stickyCacheMisses: counter('temporal_sticky_cache_miss'),
    stickyCacheForcedEvictions: counter('temporal_sticky_cache_total_forced_eviction'),
    serverResourceExhausted: serverSamples.length
      ? (metricSum(serverSamples, 'service_errors_resource_exhausted') ?? 0) + (metricSum(serverSamples, 'persistence_errors_resource_exhausted') ?? 0)
      : null,
    // The server reports latencies in seconds.
    serverPersistenceLatencyMs: seconds(histogram(serverSamples, 'persistence_latency')),
  };
}

export interface ConcurrencyResult {
  concurrency: number;
  /** Time to start all releases (start calls, at most `startConcurrency` in flight), ms. */
  startAllMs: number;
  startFailures: string[];
  /** Releases whose workflow closed as COMPLETED, and those still running at the deadline. */
  completed: number;
  stillRunning: number;
  timedOut: boolean;
  /** Why the worker process ended early (a crash), or null. */
  workerCrashed: string | null;
  /** First start call to the last workflow closed (or the deadline), ms. */
  wallMs: number;
  /**
   * Step lag: when a weight change was due (the previous weight's application + interval) to when the
   * router applied it, ms, over every transition of every release (10→20 ... 100→0).
   */
  stepLagMs: Distribution;
  /** The same for the analysis steps only (10→20 ... 90→100). */
  stepLagAnalysisMs: Distribution;
  /** The same for the promotion transition (100→0: upgrade primary, wait ready, then 0). */
  stepLagPromotionMs: Distribution;
  /** Transitions still pending at the deadline, counted in stepLagMs with their lag so far (a lower bound). */
  pendingTransitions: number;
  /** Start call to the first weight (10) at the router, ms: install, readiness and the first steps. */
  startToFirstWeightMs: Distribution;
  /** Releases whose applied sequence was not exactly 10, 20, ..., 100, 0. */
  releasesWithMissedSteps: number;
  missedStepExamples: Array<{ release: string; weights: number[] }>;
  historyEvents: Distribution & { min: number | null };
  /**
   * CPU time per applied weight change (a step), ms: the process's CPU over the run above its idle
   * baseline, divided by the changes applied. Less sensitive to other load on the machine than lags are; the machine's
   * capacity in steps per second is about cores × 1000 / (worker + server).
   */
  cpuPerStepMs: { worker: number | null; server: number | null };
  /** Weight changes the router applied, and per second of the run: the throughput the machine gave. */
  stepsApplied: number;
  stepsPerSecond: number;
  /** CPU of the idle worker and server before the releases start, % of one core (subtracted in cpuPerStepMs). */
  idleCpuPct: { worker: number | null; server: number | null };
  worker: ResourceSummary & { heapPeakMb: number | null; processPeakRssMb: number; idleRssMb: number | null; warnings: number; errors: number; logLines: string[] };
  server: ResourceSummary & { dbMb: number };
  machine: MachineSummary;
  diagnostics: Diagnostics;
}

/** Runs `level` canaries at once on one worker; measures step lag, resources and history size. */
export async function runConcurrencyLevel(settings: BenchSettings, level: number, keepHistory?: (history: History) => void): Promise<ConcurrencyResult> {
  const { log } = settings;
  const round = await openRound(settings, `c${level}`);
  const { client, worker, monitor, server } = round;
  try {
    // Idle baseline: what the worker and the server use with nothing to do (polls, timers, housekeeping).
    const idleFrom = Date.now();
    await sleep(IDLE_WINDOW_MS);
    const idle = { worker: workerResources(worker.samples, idleFrom, Date.now(), 0), server: monitor.server(idleFrom, Date.now(), 0) };
    const idleRssMb = idle.worker.rssMeanMb;
    const names = Array.from({ length: level }, (_, i) => `c${level}-${String(i).padStart(4, '0')}`);
    const firstStart = Date.now();
    const { startedAt, failed } = await startReleases(client, names, settings.startConcurrency, settings.intervalMs);
    const startAllMs = Date.now() - firstStart;
    log(`  ${level} started in ${startAllMs} ms${failed.length ? ` (${failed.length} start calls failed: ${failed[0]})` : ''}`);

    // Healthy canaries take 10 intervals plus promotion; allow for the lag a saturated worker builds up.
    const deadline = firstStart + 120_000 + 11 * settings.intervalMs + level * 600;
    const finished = (name: string) => {
      const changes = worker.changes.get(routerKey(name));
      return !!changes && changes.length >= 2 && changes[changes.length - 1]!.canaryWeight === 0;
    };
    let lastReport = Date.now();
    let timedOut = false;
    for (;;) {
      const done = names.filter(finished).length;
      if (done + failed.length >= level) break;
      if (Date.now() > deadline || worker.crashed) {
        timedOut = true;
        break;
      }
      if (Date.now() - lastReport > 10_000) {
        lastReport = Date.now();
        log(`  ${level}: ${done}/${level} releases reached their final weight after ${Math.round((Date.now() - firstStart) / 1000)} s`);
      }
      await sleep(500);
    }
    const closed = timedOut ? false : await waitAllClosed(client, Date.now() + 60_000);
    const end = Date.now();

    const workerText = await scrape(round.workerMetricsUrl);
    const serverText = await scrape(server.metricsUrl);
    // Raw dumps for a closer look (git-ignored).
    writeFileSync(path.join(settings.dataDir, `worker-metrics-c${level}.txt`), workerText);
    writeFileSync(path.join(settings.dataDir, `server-metrics-c${level}.txt`), serverText);
    const described = await describeAll(client, names);
    if (keepHistory) {
      const index = described.findIndex((entry) => entry.status === 'COMPLETED');
      if (index >= 0) keepHistory(await client.workflow.getHandle(workflowId(names[index]!)).fetchHistory());
    }
    const dbMb = server.dbBytes() / 1024 / 1024;
    const machine = monitor.machine(firstStart, end, worker.samples);
    const serverResources = monitor.server(firstStart, end);
    const stopped = await round.close();

    const allLags: number[] = [];
    const analysisLags: number[] = [];
    const promotionLags: number[] = [];
    const firstWeight: number[] = [];
    const missed: Array<{ release: string; weights: number[] }> = [];
    let pending = 0;
    for (const name of names) {
      const changes: WeightChange[] = worker.changes.get(routerKey(name)) ?? [];
      const weights = changes.map((change) => change.canaryWeight);
      const complete = weights.length === EXPECTED_WEIGHTS.length && weights.every((weight, i) => weight === EXPECTED_WEIGHTS[i]);
      const isPrefix = weights.every((weight, i) => weight === EXPECTED_WEIGHTS[i]);
      if (!complete && !(timedOut && isPrefix)) missed.push({ release: name, weights });
      if (changes.length && startedAt.has(name)) firstWeight.push(changes[0]!.at - startedAt.get(name)!);
      for (let i = 1; i < changes.length; i++) {
        const lag = changes[i]!.at - (changes[i - 1]!.at + settings.intervalMs);
        allLags.push(lag);
        (changes[i]!.canaryWeight === 0 ? promotionLags : analysisLags).push(lag);
      }
      // A release cut off by the deadline: its next change is late by at least this much.
      if (timedOut && !finished(name) && changes.length) {
        pending += 1;
        allLags.push(end - (changes[changes.length - 1]!.at + settings.intervalMs));
      }
    }
    const histories = described.filter((entry) => entry.status === 'COMPLETED' && entry.historyLength !== null).map((entry) => entry.historyLength!);
    const resources = workerResources(worker.samples, firstStart, end);
    const steps = names.reduce((total, name) => total + (worker.changes.get(routerKey(name))?.length ?? 0), 0);
    const wallSeconds = (end - firstStart) / 1000;
    const perStep = (cpuPct: number | null, idlePct: number | null) => (cpuPct === null || !steps ? null : (Math.max(0, cpuPct - (idlePct ?? 0)) * 10 * wallSeconds) / steps);
    if (worker.crashed) log(`  ${level}: ${worker.crashed}`);
    if (timedOut) log(`  ${level}: deadline reached with ${level - names.filter(finished).length} releases unfinished`);
    else if (!closed) log(`  ${level}: every release reached weight 0, but visibility still listed running workflows after 60 s`);
    return {
      concurrency: level,
      startAllMs,
      startFailures: failed.slice(0, 5),
      completed: described.filter((entry) => entry.status === 'COMPLETED').length,
      stillRunning: described.filter((entry) => entry.status === 'RUNNING').length,
      timedOut,
      workerCrashed: worker.crashed,
      wallMs: end - firstStart,
      stepLagMs: distribution(allLags),
      stepLagAnalysisMs: distribution(analysisLags),
      stepLagPromotionMs: distribution(promotionLags),
      pendingTransitions: pending,
      startToFirstWeightMs: distribution(firstWeight),
      releasesWithMissedSteps: missed.length,
      missedStepExamples: missed.slice(0, 5),
      historyEvents: { ...distribution(histories), min: histories.length ? Math.min(...histories) : null },
      cpuPerStepMs: { worker: perStep(resources.cpuMeanPct, idle.worker.cpuMeanPct), server: perStep(serverResources.cpuMeanPct, idle.server.cpuMeanPct) },
      idleCpuPct: { worker: idle.worker.cpuMeanPct, server: idle.server.cpuMeanPct },
      stepsApplied: steps,
      stepsPerSecond: wallSeconds > 0 ? steps / wallSeconds : 0,
      worker: {
        ...resources,
        processPeakRssMb: stopped.peakRssBytes / 1024 / 1024,
        idleRssMb,
        warnings: stopped.warnings,
        errors: stopped.errors,
        logLines: worker.logLines.slice(0, 10),
      },
      server: { ...serverResources, dbMb },
      machine,
      diagnostics: diagnostics(workerText, serverText),
    };
  } catch (error) {
    round.worker.kill();
    await round.close().catch(() => undefined);
    throw error;
  }
}

export interface AbortResult {
  /** `quiet`: releases parked at 10% (interval 60 s), only the aborts to do; `busy`: every release stepping each second. */
  variant: 'quiet' | 'busy';
  releases: number;
  /** The releases' analysis interval, ms. */
  intervalMs: number;
  /** Abort signal sent (just before the signal call) to weights 100/0 at the router, ms. */
  abortToEffectMs: Distribution;
  /** Releases whose abort never reached the router before the deadline. */
  noEffect: number;
  /** Releases whose sequence was not a prefix of 10, 20, ... followed by 0. */
  unexpectedSequences: number;
  completed: number;
  worker: ResourceSummary;
  machine: MachineSummary;
  /** Aborts are spread over time, one every `spacingMs`. */
  spacingMs: number;
  /** Over the whole round (start-up included). */
  diagnostics: Diagnostics;
}

/**
 * Abort to effect: `releases` canaries run at once; once each has its first weights, an abort is
 * sent to one release every `spacingMs`, and the time until the router applies 100/0 for it is
 * measured. Quiet: the releases wait out a 60 s interval at 10% and the aborts come 250 ms apart, so
 * each one meets an idle worker (a person pressing abort). Busy: the releases step every interval
 * (the concurrency benchmark's load) and the aborts come 50 ms apart while the others keep stepping.
 */
export async function runAbort(settings: BenchSettings, releases: number, variant: 'quiet' | 'busy', spacingMs = variant === 'quiet' ? 250 : 50): Promise<AbortResult> {
  const { log } = settings;
  const intervalMs = variant === 'quiet' ? 60_000 : settings.intervalMs;
  const minimumChanges = variant === 'quiet' ? 1 : 2;
  const round = await openRound(settings, `abort-${variant}`);
  const { client, worker, monitor } = round;
  try {
    const names = Array.from({ length: releases }, (_, i) => `abort-${String(i).padStart(4, '0')}`);
    const sentAt = new Map<string, number>();
    const effectAt = new Map<string, number>();
    worker.onChange = (router, change) => {
      const name = router.slice(CANARY.namespace.length + 1);
      const sent = sentAt.get(name);
      if (sent !== undefined && !effectAt.has(name) && change.canaryWeight === 0 && change.at >= sent) effectAt.set(name, change.at);
    };
    const firstStart = Date.now();
    const { failed } = await startReleases(client, names, settings.startConcurrency, intervalMs);
    const progressing = (name: string) => (worker.changes.get(routerKey(name))?.length ?? 0) >= minimumChanges;
    const readyBy = Date.now() + 120_000;
    while (Date.now() < readyBy && names.filter(progressing).length + failed.length < releases) await sleep(100);
    // Let the last weight change's workflow task finish, so a quiet abort meets an idle worker.
    if (variant === 'quiet') await sleep(2000);
    log(`  abort (${variant}): ${names.filter(progressing).length}/${releases} releases at ${minimumChanges === 1 ? 'their first weight' : 'their second step or later'}; sending aborts, one every ${spacingMs} ms`);
    const aborted = names.filter(progressing);
    const signalsFrom = Date.now();
    const signals: Array<Promise<unknown>> = [];
    for (const name of aborted) {
      sentAt.set(name, Date.now());
      signals.push(client.workflow.getHandle(workflowId(name)).signal(abortSignal, { reason: 'benchmark abort' }).catch(() => undefined));
      await sleep(spacingMs);
    }
    await Promise.all(signals);
    const effectBy = Date.now() + 60_000;
    while (Date.now() < effectBy && effectAt.size < aborted.length) await sleep(100);
    await waitAllClosed(client, Date.now() + 60_000);
    const end = Date.now();
    const described = await describeAll(client, names);
    const machine = monitor.machine(signalsFrom, end, worker.samples);
    const workerText = await scrape(round.workerMetricsUrl);
    const serverText = await scrape(round.server.metricsUrl);
    await round.close();
    const lags = aborted.filter((name) => effectAt.has(name)).map((name) => effectAt.get(name)! - sentAt.get(name)!);
    const unexpected = names.filter((name) => {
      const weights = (worker.changes.get(routerKey(name)) ?? []).map((change) => change.canaryWeight);
      return !(weights.length >= 2 && weights[weights.length - 1] === 0 && weights.slice(0, -1).every((weight, i) => weight === EXPECTED_WEIGHTS[i]));
    }).length;
    return {
      variant,
      releases,
      intervalMs,
      abortToEffectMs: distribution(lags),
      noEffect: releases - lags.length,
      unexpectedSequences: unexpected,
      completed: described.filter((entry) => entry.status === 'COMPLETED').length,
      worker: workerResources(worker.samples, firstStart, end),
      machine,
      spacingMs,
      diagnostics: diagnostics(workerText, serverText),
    };
  } catch (error) {
    round.worker.kill();
    await round.close().catch(() => undefined);
    throw error;
  }
}

export interface ReplayMeasurement {
  history: string;
  events: number;
  /** Worker.runReplayHistory of one history: a replay worker is created, the history replayed, the worker stopped. */
  oneShotMs: Distribution & { runs: number };
  /** Worker.runReplayHistories over `batch` copies on one replay worker: the marginal cost per history. */
  perHistoryInBatchMs: number | null;
  batch: number;
  error: string | null;
}

async function measureReplay(bundlePath: string, name: string, history: History, runs: number, batch: number): Promise<ReplayMeasurement> {
  const options = { workflowBundle: { codePath: bundlePath } };
  const events = history.events?.length ?? 0;
  const times: number[] = [];
  try {
    await Worker.runReplayHistory(options, history, `${name}-warmup`);
    for (let run = 0; run < runs; run++) {
      const started = performance.now();
      await Worker.runReplayHistory(options, history, `${name}-${run}`);
      times.push(performance.now() - started);
    }
    const copies = Array.from({ length: batch }, (_, i) => ({ workflowId: `${name}-batch-${i}`, history }));
    const started = performance.now();
    let errors = 0;
    for await (const result of Worker.runReplayHistories(options, copies)) if (result.error) errors += 1;
    const perHistory = (performance.now() - started) / batch;
    return { history: name, events, oneShotMs: { ...distribution(times), runs }, perHistoryInBatchMs: errors ? null : perHistory, batch, error: errors ? `${errors} of ${batch} batch replays failed` : null };
  } catch (error) {
    return { history: name, events, oneShotMs: { ...distribution(times), runs: times.length }, perHistoryInBatchMs: null, batch, error: `${(error as Error).name}: ${(error as Error).message.split('\n')[0]}` };
  }
}

/**
 * Replay: the recorded fixture (test/fixtures/histories/canary-promoted.json) and, when the
 * concurrency run kept one, a history recorded by this run with the current workflow code.
 */
export async function runReplay(bundlePath: string, runs: number, fresh?: History): Promise<ReplayMeasurement[]> {
  const fixture = historyFromJSON(JSON.parse(readFileSync(path.join(ROOT, 'test/fixtures/histories/canary-promoted.json'), 'utf8')));
  const results = [await measureReplay(bundlePath, 'fixture canary-promoted.json', fixture, runs, runs)];
  if (fresh) results.push(await measureReplay(bundlePath, 'bench canary (this run)', fresh, runs, runs));
  return results;
}
