/**
 * The benchmark's results file (benchmark.json) and its markdown summary (SUMMARY.md). The summary's
 * tables are generated; the text after ANALYSIS_MARKER is written by a person and kept across runs.
 */
import type { WorkerTuning } from './protocol';
import type { AbortResult, ConcurrencyResult, ReplayMeasurement } from './scenarios';

export const ANALYSIS_MARKER = '<!-- hand-written analysis below: kept when the benchmark rewrites this file -->';

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  /** The full run (levels 1, 100, 500, 1000, abort and replay), as committed under bench/results/. */
  fullRun: boolean;
  command: string;
  environment: {
    node: string;
    temporalSdk: string;
    temporalCli: string;
    cpus: number;
    cpuModel: string;
    memoryGb: number;
    loadavgBefore: number[];
    loadavgAfter: number[];
    gitCommit: string;
    /** src/ had changes not committed when the benchmark ran. */
    gitDirty: boolean;
  };
  settings: {
    canary: { intervalMs: number; stepWeight: number; steps: number; helmTests: boolean; slack: boolean; metrics: string };
    db: 'file' | 'memory';
    dynamicConfig: Record<string, unknown>;
    sqlitePragmas: Record<string, string>;
    worker: WorkerTuning;
    workerNodeOptions: string[];
    startConcurrency: number;
  };
  concurrency: ConcurrencyResult[];
  /** Abort to effect: quiet (releases parked at 10%) and busy (every release stepping). */
  abort?: AbortResult[];
  replay?: ReplayMeasurement[];
}

const ms = (value: number | null | undefined) => (value === null || value === undefined ? '–' : value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`);
const mb = (value: number | null | undefined) => (value === null || value === undefined ? '–' : `${Math.round(value)} MB`);
const pct = (value: number | null | undefined) => (value === null || value === undefined ? '–' : `${Math.round(value)}%`);
const num = (value: number | null | undefined, digits = 0) => (value === null || value === undefined ? '–' : value.toFixed(digits));
const count = (value: number) => value.toLocaleString('en-US');

function concurrencyTable(results: ConcurrencyResult[]): string[] {
  const rows = [
    '| concurrent canaries | step lag p50 | step lag p99 | step lag max | releases with a missed step | completed | worker RSS peak | worker CPU (mean / max, % of one core) | dev server CPU (mean) | dev server RSS peak | history events per release | first start → all done | other load on the machine |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const result of results) {
    const late = result.pendingTransitions ? ` (+${result.pendingTransitions} pending)` : '';
    rows.push(
      `| ${count(result.concurrency)} | ${ms(result.stepLagMs.p50)} | ${ms(result.stepLagMs.p99)}${late} | ${ms(result.stepLagMs.max)} | ${result.releasesWithMissedSteps} | ${result.completed} / ${count(result.concurrency)}${result.workerCrashed ? ' (worker crashed)' : result.timedOut ? ' (deadline)' : ''} | ${mb(result.worker.rssPeakMb)} | ${pct(result.worker.cpuMeanPct)} / ${pct(result.worker.cpuMaxPct)} | ${pct(result.server.cpuMeanPct)} | ${mb(result.server.rssPeakMb)} | ${num(result.historyEvents.p50)}${result.historyEvents.max !== result.historyEvents.p50 ? ` (max ${num(result.historyEvents.max)})` : ''} | ${ms(result.wallMs)} | ${num(result.machine.otherProcessesCores, 1)} cores, load ${num(result.machine.loadavgMean, 1)} |`,
    );
  }
  return rows;
}

function diagnosticsTable(results: ConcurrencyResult[]): string[] {
  const rows = [
    '| concurrent canaries | step lag p99, analysis steps / promotion | start → first weight p50 / p99 | workflow task schedule-to-start mean / p99 | activity schedule-to-start mean / p99 | workflow task execution mean / p99 | sticky cache hits / misses / forced evictions | steps applied per second | CPU per step, worker / dev server | server persistence latency mean / p99 | rate-limited requests | SQLite file |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const result of results) {
    const d = result.diagnostics;
    const hist = (summary: { mean: number | null; p99: number | null } | null) => (summary ? `${ms(summary.mean)} / ${ms(summary.p99)}` : '–');
    rows.push(
      `| ${count(result.concurrency)} | ${ms(result.stepLagAnalysisMs.p99)} / ${ms(result.stepLagPromotionMs.p99)} | ${ms(result.startToFirstWeightMs.p50)} / ${ms(result.startToFirstWeightMs.p99)} | ${hist(d.workflowTaskScheduleToStartMs)} | ${hist(d.activityScheduleToStartMs)} | ${hist(d.workflowTaskExecutionMs)} | ${num(d.stickyCacheHits)} / ${num(d.stickyCacheMisses)} / ${num(d.stickyCacheForcedEvictions)} | ${num(result.stepsPerSecond, 1)} | ${num(result.cpuPerStepMs.worker, 1)} ms / ${num(result.cpuPerStepMs.server, 1)} ms | ${hist(d.serverPersistenceLatencyMs)} | ${num(d.serverResourceExhausted ?? 0)} | ${mb(result.server.dbMb)} |`,
    );
  }
  return rows;
}

function targets(report: BenchReport): string[] {
  const largest = report.concurrency.reduce<ConcurrencyResult | undefined>((best, result) => (!best || result.concurrency > best.concurrency ? result : best), undefined);
  const mark = (met: boolean | null) => (met === null ? 'not measured' : met ? 'met' : '**not met**');
  const rows = ['| target | measured | |', '| --- | --- | --- |'];
  if (largest) {
    const lagMet = largest.concurrency >= 1000 && largest.stepLagMs.p99 !== null && !largest.timedOut && largest.releasesWithMissedSteps === 0 ? largest.stepLagMs.p99 < 1000 : largest.concurrency >= 1000 ? false : null;
    rows.push(`| 1,000 concurrent releases, step lag p99 under 1 s | ${count(largest.concurrency)} concurrent: p99 ${ms(largest.stepLagMs.p99)}, ${largest.releasesWithMissedSteps} releases with a missed step | ${mark(lagMet)} |`);
    const rssMet = largest.worker.rssPeakMb === null ? null : largest.worker.rssPeakMb < 300;
    rows.push(`| worker RSS under 300 MB | ${mb(largest.worker.rssPeakMb)} peak at ${count(largest.concurrency)} | ${mark(largest.concurrency >= 1000 ? rssMet : rssMet === false ? false : null)} |`);
    const events = Math.max(...report.concurrency.map((result) => result.historyEvents.max ?? 0));
    rows.push(`| fewer than 200 history events for a 10-step canary | ${events} (largest seen) | ${mark(events ? events < 200 : null)} |`);
  }
  for (const abort of report.abort ?? []) {
    rows.push(
      `| abort-to-effect p99 under 250 ms (${abort.variant === 'quiet' ? 'releases waiting out their interval' : `all ${abort.releases} releases stepping every ${abort.intervalMs / 1000} s`}) | p99 ${ms(abort.abortToEffectMs.p99)} over ${abort.releases} releases${abort.noEffect ? `, ${abort.noEffect} without effect` : ''} | ${mark(abort.abortToEffectMs.p99 !== null ? abort.abortToEffectMs.p99 < 250 && abort.noEffect === 0 : null)} |`,
    );
  }
  if (!report.abort?.length) rows.push('| abort-to-effect p99 under 250 ms | – | not measured |');
  return rows;
}

export function renderSummary(report: BenchReport, previous = ''): string {
  const env = report.environment;
  const settings = report.settings;
  const lines = [
    '# Benchmark: concurrent canaries on one worker',
    '',
    `Measured ${report.startedAt.slice(0, 16).replace('T', ' ')} UTC with \`${report.command}\` on ${env.cpus} cores (${env.cpuModel}), ${env.memoryGb} GB, Node ${env.node}, Temporal SDK ${env.temporalSdk}, ${env.temporalCli} (dev server, SQLite ${settings.db === 'file' ? 'file' : 'in memory'}); commit ${env.gitCommit}${env.gitDirty ? ' with uncommitted changes in src/' : ''}.`,
    `Each release is the project's \`release\` workflow (canary, interval ${settings.canary.intervalMs} ms, stepWeight ${settings.canary.stepWeight}: weights 10 … 100, then promotion to 0), on the real worker wiring with in-memory ports (deployer, router, healthy static metrics), no helm tests, no Slack; a fresh dev server and worker process per row.`,
    '',
  ];
  const otherLoad = report.concurrency.map((result) => result.machine.otherProcessesCores ?? 0);
  const maxOther = Math.max(0, ...otherLoad, ...(report.abort ?? []).map((abort) => abort.machine.otherProcessesCores ?? 0));
  if (maxOther >= 0.25) {
    lines.push(
      `> **Machine load caveat:** other processes (other engineers' test runs) used up to ${maxOther.toFixed(1)} of the ${env.cpus} cores during the measurement (load average ${env.loadavgBefore[0]!.toFixed(1)} before, ${env.loadavgAfter[0]!.toFixed(1)} after); lags and CPU shares are worse than on an idle machine. The "other load" column gives it per row.`,
      '',
    );
  }
  lines.push(...concurrencyTable(report.concurrency), '');
  lines.push(
    'Step lag: when a weight change was due (the time the previous weight was applied + the interval) to when the in-memory router applied it, over every transition of every release (10→20 … 90→100 and 100→0, which also upgrades the primary). A missed step is a release whose applied sequence is not exactly 10, 20, …, 100, 0. CPU in % of one core (200% = both cores). "Other load" is the machine\'s busy CPU minus the worker, the dev server and the benchmark process.',
    '',
  );
  for (const abort of report.abort ?? []) {
    const setting =
      abort.variant === 'quiet'
        ? `${abort.releases} releases parked at 10% (interval ${abort.intervalMs / 1000} s), one abort every ${abort.spacingMs} ms`
        : `${abort.releases} releases stepping every ${abort.intervalMs / 1000} s, one abort every ${abort.spacingMs} ms while the others keep stepping`;
    lines.push(
      `**Abort to effect, ${abort.variant}** (${setting}; signal sent → weights 100/0 at the router): p50 ${ms(abort.abortToEffectMs.p50)}, p99 ${ms(abort.abortToEffectMs.p99)}, max ${ms(abort.abortToEffectMs.max)}; ${abort.noEffect} without effect; ${abort.completed}/${abort.releases} workflows completed (rolled back)${abort.unexpectedSequences ? `; ${abort.unexpectedSequences} with an unexpected weight sequence` : ''}; other load ${num(abort.machine.otherProcessesCores, 1)} cores.`,
      '',
    );
  }
  if (report.replay) {
    for (const replay of report.replay) {
      lines.push(
        `**Replay** of ${replay.history} (${replay.events} events): ${replay.error ? `failed: ${replay.error}` : `\`Worker.runReplayHistory\` p50 ${num(replay.oneShotMs.p50, 1)} ms (max ${num(replay.oneShotMs.max, 1)} ms, ${replay.oneShotMs.runs} runs, each creating a replay worker); ${num(replay.perHistoryInBatchMs, 1)} ms per history when one replay worker replays ${replay.batch} in a row (\`runReplayHistories\`)`}.`,
        '',
      );
    }
  }
  lines.push('## Targets', '', ...targets(report), '');
  lines.push('## Where the time goes', '', ...diagnosticsTable(report.concurrency), '');
  lines.push(
    'Schedule-to-start, execution and cache counters come from the worker\'s SDK core metrics; persistence latency and rate-limited requests (RESOURCE_EXHAUSTED) from the dev server\'s /metrics.',
    '',
    '## Settings',
    '',
    `- Worker: ${Object.entries(settings.worker).map(([key, value]) => `\`${key}: ${value}\``).join(', ')}; Node options ${settings.workerNodeOptions.length ? settings.workerNodeOptions.map((option) => `\`${option}\``).join(' ') : 'none'}; workflow bundle prebuilt; one worker process (the SDK's reused V8 context).`,
    `- Dev server: SQLite ${settings.db === 'file' ? `file (fresh per row), pragmas ${Object.keys(settings.sqlitePragmas).length ? Object.entries(settings.sqlitePragmas).map(([key, value]) => `\`${key}=${value}\``).join(', ') : 'the dev server\'s defaults (rollback journal, synchronous FULL)'}` : 'in memory'}.`,
    `- Dev server dynamic config: ${Object.entries(settings.dynamicConfig).map(([key, value]) => `\`${key}=${JSON.stringify(value)}\``).join(', ')}; every other limit at the server's default (frontend.rps and frontend.namespaceRPS 2400, history.rps 3000, matching.rps 1200, frontend.persistenceMaxQPS 2000).`,
    `- Releases started ${settings.startConcurrency} start calls at a time; raw numbers in benchmark.json.`,
    '',
  );
  const analysisAt = previous.indexOf(ANALYSIS_MARKER);
  lines.push(ANALYSIS_MARKER, analysisAt >= 0 ? previous.slice(analysisAt + ANALYSIS_MARKER.length).replace(/^\n+/, '') : '');
  return `${lines.join('\n').trimEnd()}\n`;
}
