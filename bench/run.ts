/*
 * `npm run bench:workers` (part of `npm run bench`): how many canary releases one worker and the Temporal dev server carry at once.
 *
 *   npm run bench:workers -- [--levels 1,100,500,1000] [--quick] [--abort 100] [--replay-runs 20] [--interval-ms 1000]
 *                    [--db file|memory] [--sqlite-pragma NAME=VALUE ...] [--default-pragmas] [--dc KEY=JSON ...]
 *                    [--cache N] [--wft N] [--activities N] [--worker-node-options "..."] [--out DIR]
 *
 *   --quick         levels 1 and 20, abort over 20 releases, 5 replays (a couple of minutes)
 *   --levels        concurrency levels, each with a fresh dev server and worker process
 *   --abort N       releases in each abort round (quiet and busy); 0 skips it
 *   --replay-runs N replays of each history; 0 skips it
 *   --db            the dev server's SQLite: a fresh file under .data/bench/ (default) or in memory
 *   --dc            extra dev-server dynamic config, e.g. --dc frontend.namespaceRPS=10000
 *   --cache/--wft/--activities  maxCachedWorkflows, maxConcurrentWorkflowTaskExecutions, maxConcurrentActivityTaskExecutions
 *
 * The release workflow, the activities and the worker wiring are the project's own; only the ports
 * are in memory (InMemoryDeployer, InMemoryTrafficRouter, StaticMetricsProvider, ImmediateReadiness).
 * Writes <out>/benchmark.json, <out>/benchmark.svg and <out>/SUMMARY.md. The full run (default
 * levels, abort and replay) writes to bench/results/; any other run to bench/results/dev.tmp/ (git-ignored).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode, Runtime } from '@temporalio/worker';
import type { temporal } from '@temporalio/proto';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { ROOT, temporalBinary, temporalVersion } from './dev-server';
import { renderChart } from './chart';
import { renderSummary, type BenchReport } from './report';
import type { WorkerTuning } from './protocol';
import { runAbort, runConcurrencyLevel, runReplay, CANARY, type AbortResult, type BenchSettings, type ConcurrencyResult } from './scenarios';

const FULL_LEVELS = [1, 100, 500, 1000];
const QUICK_LEVELS = [1, 20];

/**
 * Worker options of the benchmark. The SDK defaults are 40 workflow tasks, 100 activities, and a
 * cache sized from the heap limit (about 2,300 workflows with Node's 4 GiB default heap here).
 */
export const DEFAULT_TUNING: WorkerTuning = {
  maxConcurrentWorkflowTaskExecutions: 40,
  maxConcurrentActivityTaskExecutions: 100,
  maxCachedWorkflows: 1000,
  maxConcurrentWorkflowTaskPolls: 10,
  maxConcurrentActivityTaskPolls: 10,
};

/**
 * Dynamic config of the dev server: no version check (offline), and eager activity dispatch (the
 * worker gets the activity in the reply to the workflow task that schedules it: no matching round
 * trip; about 15% less server CPU per step here). The rate limits (frontend.rps and
 * frontend.namespaceRPS 2400, history.rps 3000, matching.rps 1200) stay at the server's defaults:
 * the server's CPU saturates long before them (the results count rate-limited requests).
 */
export const DEFAULT_DYNAMIC_CONFIG: Record<string, unknown> = {
  'frontend.enableServerVersionCheck': false,
  'system.enableActivityEagerExecution': true,
};

/**
 * SQLite pragmas of the dev server's database file. Its defaults (rollback journal, synchronous
 * FULL: an fsync per commit) made the file the bottleneck (p99 step lag 22 s at 50 releases here);
 * WAL with synchronous NORMAL is what `--default-pragmas` turns off.
 */
export const DEFAULT_SQLITE_PRAGMAS: Record<string, string> = { journal_mode: 'WAL', synchronous: 'NORMAL' };

/**
 * Node options of the worker process (its main isolate and the workflow thread's each). With Node's
 * default 4 GiB heap limit V8 lets each heap grow to about 4× its live size before collecting; a
 * limit under 2 GiB makes it collect at 1.3-2×, and smaller young generations trim both isolates.
 * (At 200 releases here: RSS peak 522 MB → 285 MB with a 128 MB limit, same CPU per step; 384
 * leaves room for 1,000 cached workflows.)
 */
export const DEFAULT_WORKER_NODE_OPTIONS: string[] = ['--max-old-space-size=384', '--max-semi-space-size=4'];

interface Args {
  levels: number[];
  quick: boolean;
  abortReleases: number;
  replayRuns: number;
  db: 'file' | 'memory';
  tuning: WorkerTuning;
  dynamicConfig: Record<string, unknown>;
  sqlitePragmas: Record<string, string>;
  workerNodeOptions: string[];
  intervalMs: number;
  out: string | undefined;
}

function usage(message: string): never {
  process.stderr.write(`${message}\nusage: npm run bench:workers -- [--levels 1,100,500,1000] [--quick] [--abort N] [--replay-runs N] [--db file|memory] [--sqlite-pragma NAME=VALUE] [--default-pragmas] [--cache N] [--wft N] [--activities N] [--dc KEY=JSON] [--worker-node-options "..."] [--interval-ms N] [--out DIR]\n`);
  process.exit(2);
}

function positiveInt(flag: string, value: string | undefined, allowZero = false): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < (allowZero ? 0 : 1)) usage(`${flag} expects a whole number${allowZero ? '' : ' above 0'}, got "${value ?? ''}"`);
  return number;
}

function parseArgs(argv: string[]): Args {
  const quick = argv.includes('--quick');
  const args: Args = {
    levels: quick ? QUICK_LEVELS : FULL_LEVELS,
    quick,
    abortReleases: quick ? 20 : 100,
    replayRuns: quick ? 5 : 20,
    db: 'file',
    tuning: { ...DEFAULT_TUNING },
    dynamicConfig: { ...DEFAULT_DYNAMIC_CONFIG },
    sqlitePragmas: { ...DEFAULT_SQLITE_PRAGMAS },
    workerNodeOptions: [...DEFAULT_WORKER_NODE_OPTIONS],
    intervalMs: 1000,
    out: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = () => argv[++i] ?? usage(`${flag} needs a value`);
    switch (flag) {
      case '--quick':
        break;
      case '--levels':
        args.levels = value().split(',').map((level) => positiveInt('--levels', level.trim()));
        break;
      case '--abort':
        args.abortReleases = positiveInt(flag, value(), true);
        break;
      case '--replay-runs':
        args.replayRuns = positiveInt(flag, value(), true);
        break;
      case '--db': {
        const db = value();
        if (db !== 'file' && db !== 'memory') usage('--db expects file or memory');
        args.db = db;
        break;
      }
      case '--cache':
        args.tuning.maxCachedWorkflows = positiveInt(flag, value());
        break;
      case '--wft':
        args.tuning.maxConcurrentWorkflowTaskExecutions = positiveInt(flag, value());
        break;
      case '--activities':
        args.tuning.maxConcurrentActivityTaskExecutions = positiveInt(flag, value());
        break;
      case '--dc': {
        const entry = value();
        const at = entry.indexOf('=');
        if (at < 1) usage(`--dc expects KEY=JSON, got "${entry}"`);
        try {
          args.dynamicConfig[entry.slice(0, at)] = JSON.parse(entry.slice(at + 1));
        } catch {
          usage(`--dc ${entry}: the value is not JSON`);
        }
        break;
      }
      case '--sqlite-pragma': {
        const entry = value();
        const at = entry.indexOf('=');
        if (at < 1) usage(`--sqlite-pragma expects NAME=VALUE, got "${entry}"`);
        args.sqlitePragmas[entry.slice(0, at)] = entry.slice(at + 1);
        break;
      }
      case '--default-pragmas':
        args.sqlitePragmas = {};
        break;
      case '--interval-ms':
        args.intervalMs = positiveInt(flag, value());
        break;
      case '--worker-node-options':
        args.workerNodeOptions = value().split(/\s+/).filter(Boolean);
        break;
      case '--out':
        args.out = value();
        break;
      default:
        usage(`unknown flag ${flag}`);
    }
  }
  return args;
}

const isFullRun = (args: Args) =>
  !args.quick && args.levels.join(',') === FULL_LEVELS.join(',') && args.abortReleases >= 100 && args.replayRuns > 0 && args.intervalMs === 1000;

function git(...gitArgs: string[]): string {
  try {
    return execFileSync('git', gitArgs, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

const out = (line: string) => process.stdout.write(`${line}\n`);
const quietLogger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (message: string) => process.stderr.write(`${message}\n`) };

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const outDir = path.resolve(args.out ?? path.join(ROOT, isFullRun(args) ? 'bench/results' : 'bench/results/dev.tmp'));
  const dataDir = path.join(ROOT, '.data/bench');
  mkdirSync(outDir, { recursive: true });
  mkdirSync(dataDir, { recursive: true });
  Runtime.install({ shutdownSignals: [], logger: quietLogger as never });

  const binary = temporalBinary();
  out(`docutag-release benchmark: levels ${args.levels.join(', ')}; abort over ${args.abortReleases}; replay ${args.replayRuns} runs; SQLite ${args.db}`);
  out(`machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), load average ${os.loadavg().map((load) => load.toFixed(1)).join(' ')}`);
  const bundleStarted = Date.now();
  const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../src/workflows'), logger: quietLogger as never });
  const bundlePath = path.join(dataDir, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);
  out(`workflow bundle: ${(bundle.code.length / 1024).toFixed(0)} KiB in ${Date.now() - bundleStarted} ms`);

  const settings: BenchSettings = {
    binary,
    bundlePath,
    dataDir,
    db: args.db,
    intervalMs: args.intervalMs,
    dynamicConfig: args.dynamicConfig,
    sqlitePragmas: args.sqlitePragmas,
    tuning: args.tuning,
    workerNodeOptions: args.workerNodeOptions,
    startConcurrency: 50,
    log: out,
  };
  const startedAt = new Date();
  const loadBefore = os.loadavg();
  const concurrency: ConcurrencyResult[] = [];
  let fresh: temporal.api.history.v1.IHistory | undefined;
  for (const level of args.levels) {
    out(`\n▶ ${level} concurrent canaries (interval ${args.intervalMs} ms, 10 steps)`);
    const result = await runConcurrencyLevel(settings, level, fresh ? undefined : (history) => {
      fresh = history;
      // Kept for reading (event types per step); not a fixture.
      writeFileSync(path.join(dataDir, 'sample-history.json'), historyToJSON(history));
    });
    concurrency.push(result);
    const fmt = (value: number | null) => (value === null ? '-' : `${Math.round(value)}`);
    out(`  step lag p50 ${fmt(result.stepLagMs.p50)} ms, p99 ${fmt(result.stepLagMs.p99)} ms, max ${fmt(result.stepLagMs.max)} ms; worker RSS peak ${fmt(result.worker.rssPeakMb)} MB, CPU ${fmt(result.worker.cpuMeanPct)}%; server CPU ${fmt(result.server.cpuMeanPct)}%; history ${fmt(result.historyEvents.p50)} events; missed steps ${result.releasesWithMissedSteps}; completed ${result.completed}/${level}; other load ${result.machine.otherProcessesCores?.toFixed(2) ?? '-'} cores`);
  }
  const abort: AbortResult[] = [];
  if (args.abortReleases > 0) {
    for (const variant of ['quiet', 'busy'] as const) {
      out(`\n▶ abort to effect over ${args.abortReleases} releases (${variant})`);
      const result = await runAbort(settings, args.abortReleases, variant);
      abort.push(result);
      out(`  abort → 100/0: p50 ${Math.round(result.abortToEffectMs.p50 ?? NaN)} ms, p99 ${Math.round(result.abortToEffectMs.p99 ?? NaN)} ms, max ${Math.round(result.abortToEffectMs.max ?? NaN)} ms; no effect ${result.noEffect}`);
    }
  }
  let replay;
  if (args.replayRuns > 0) {
    out(`\n▶ replay, ${args.replayRuns} runs`);
    replay = await runReplay(bundlePath, args.replayRuns, fresh);
    for (const entry of replay) {
      out(`  ${entry.history} (${entry.events} events): one-shot p50 ${entry.oneShotMs.p50?.toFixed(1) ?? '-'} ms, in a batch ${entry.perHistoryInBatchMs?.toFixed(1) ?? '-'} ms per history${entry.error ? `; ${entry.error}` : ''}`);
    }
  }

  const report: BenchReport = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    fullRun: isFullRun(args),
    command: `node bench/dist/bench/run.js ${process.argv.slice(2).join(' ')}`.trim(),
    environment: {
      node: process.version,
      temporalSdk: packageVersion('@temporalio/worker'),
      temporalCli: temporalVersion(binary),
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memoryGb: Math.round(os.totalmem() / 1024 ** 3),
      loadavgBefore: loadBefore,
      loadavgAfter: os.loadavg(),
      gitCommit: git('rev-parse', '--short', 'HEAD'),
      gitDirty: git('status', '--porcelain', '--', 'src').length > 0,
    },
    settings: {
      canary: { intervalMs: args.intervalMs, stepWeight: CANARY.stepWeight, steps: 10, helmTests: false, slack: false, metrics: 'StaticMetricsProvider: success 99.9%, p99 120 ms (healthy)' },
      db: args.db,
      dynamicConfig: args.dynamicConfig,
      sqlitePragmas: args.sqlitePragmas,
      worker: args.tuning,
      workerNodeOptions: args.workerNodeOptions,
      startConcurrency: settings.startConcurrency,
    },
    concurrency,
    ...(abort.length ? { abort } : {}),
    ...(replay ? { replay } : {}),
  };
  writeFileSync(path.join(outDir, 'benchmark.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(path.join(outDir, 'benchmark.svg'), renderChart(report));
  const summaryPath = path.join(outDir, 'SUMMARY.md');
  let previous = '';
  try {
    previous = readFileSync(summaryPath, 'utf8');
  } catch {
    // first run into this directory
  }
  const summary = renderSummary(report, previous);
  writeFileSync(summaryPath, summary);
  out(`\n${summary}`);
  out(`results: ${path.relative(ROOT, outDir)}/benchmark.json, benchmark.svg, SUMMARY.md`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`benchmark failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
