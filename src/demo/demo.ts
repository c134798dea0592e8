/*
 * `npm run demo`: two canary releases of DocuTag's controller, end to end, on the local stack: a
 * real Traefik v3 and Prometheus on 127.0.0.1, each version a real process of the demo app, real
 * traffic from the load generator through Traefik's entrypoint, the embedded Temporal dev server and
 * an in-process worker with the local adapters. A good version is promoted; one with 20% errors is
 * rolled back. Prints live progress, the Web UI link and a summary with detection and restore times
 * as the load generator saw them. `--keep` leaves everything running until Ctrl-C; `--verbose`
 * prints every process the stack starts and stops. `--bench N` (npm run bench:stack) follows the
 * healthy release with N faulty ones and writes their detection and restore times to bench/results;
 * `--guard-bench` (npm run bench:guard) measures the guard at DocuTag's values (bench/results/GUARD.md).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { Runtime, type Worker } from '@temporalio/worker';
import { connectWhenServing } from '../support/temporal';
import { toolPath } from '../support/tools';
import type { HelmTarget } from '../activities/ports';
import { startReleaseWorkflow } from '../client/commands/start';
import { trafficBar } from '../client/output';
import { loadConfigFile, strategySchema, type ReleaseConfig, type Strategy } from '../config';
import { formatSnapshot, LoadGenerator, type LoadSnapshot } from '../load/load-generator';
import { createLocalAdapters, type AppliedWeights, type LocalAdapters } from '../targets/local/adapters';
import { createReleaseWorker } from '../worker/worker';
import { durationMs, formatMs, localTargetOf, weightSchedule } from '../workflows/domain';
import { BENCH_RESULTS, writeBenchResult } from './bench-results';
import { stackBenchMarkdown, stackBenchReport, type FaultyReleaseTimes } from './stack-bench';
import { statusQuery } from '../workflows/messages';
import { releaseWorkflowId, type ReleaseResult, type ReleaseStatus } from '../workflows/types';

const ROOT = path.resolve(__dirname, '../..');
const CONFIG_FILE = path.join(ROOT, 'examples/demo/release.yaml');
/** Requests per second the load generator sends through Traefik for the whole demo. */
const LOAD_RPS = 100;
const SERVING_VERSION = '1.0.0';
/**
 * The releases the demo runs. The faulty one skips the smoke test (`helm test`): a version failing 1
 * request in 5 fails a one-request smoke test one time in five, before any traffic; the demo shows the
 * analysis catching it under traffic every time.
 */
interface ReleasePlan {
  version: string;
  set: Record<string, string>;
  helmTests: boolean;
  expected: 'promoted' | 'rolledBack';
  label: string;
  /** Overrides of the demo config's analysis block (the guard bench runs DocuTag's own values). */
  analysis?: Partial<ReleaseConfig['analysis']>;
  /** Overrides of its metrics block (the judge bench). */
  metrics?: Partial<ReleaseConfig['metrics']>;
  /** The primary is installed afresh with these values before the release (a fixed baseline). */
  primarySet?: Record<string, string>;
  /** `--strategy`: the strategy and traffic settings of the release (default: the demo config's canary). */
  strategy?: Strategy;
  traffic?: Partial<ReleaseConfig['traffic']>;
}
const HEALTHY: ReleasePlan = { version: '1.1.0', set: {}, helmTests: true, expected: 'promoted', label: 'healthy' };
const faulty = (version: string): ReleasePlan => ({ version, set: { FAULT_ERROR_RATE: '0.2' }, helmTests: false, expected: 'rolledBack', label: '20% errors; smoke test skipped' });
/** A version that fails every request: the guard rolls it back between rounds, within two polls. */
const broken = (version: string, analysis?: ReleasePlan['analysis']): ReleasePlan => ({ version, set: { FAULT_ERROR_RATE: '1' }, helmTests: false, expected: 'rolledBack', label: 'every request fails; smoke test skipped', ...(analysis ? { analysis } : {}) });
/** DocuTag's production analysis values (interval 1m, threshold 5) with the default guard, or without it. */
const DOCUTAG_ANALYSIS = { interval: '1m', threshold: 5, guard: { enabled: true, interval: '10s', consecutive: 2 } };
/** Healthy releases judged by the default guard bounds, rounds 5 s apart and polls every second: its false positives. */
const GUARDED_HEALTHY = { interval: '5s', stepWeights: [25, 50], guard: { enabled: true, interval: '1s', consecutive: 2 } };
const GUARD_BENCH_HEALTHY = 20;
/**
 * `--judge-bench`: one round at 50% judged three ways at once (an absolute 97%, 0.5 points against the
 * primary, the Mann–Whitney judge over 5 samples of 3 s), threshold 1, against a primary with 1% errors.
 */
const JUDGE_ANALYSIS = {
  interval: '15s',
  threshold: 1,
  stepWeights: [50],
  maxWeight: 50,
  judge: 'mannWhitney' as const,
  mannWhitney: { confidence: 0.98, sampleInterval: '3s', pass: 75, marginal: 50 },
  // The demo's guard, without its p99 bound: the p99 is not measured here.
  guard: { enabled: true, interval: '1s', consecutive: 2, checks: [{ name: 'request-success-rate', min: 50 }] },
};
const JUDGE_METRICS = { requestSuccessRate: { enabled: true, threshold: 97, maxDecrease: 0.5 }, requestDuration: { enabled: false, threshold: 500 }, custom: [] };
const JUDGE_BENCH_RUNS = 20;
const PRIMARY_ERRORS = { FAULT_ERROR_RATE: '0.01' };
const judged = (version: string, errorRate: string, expected: ReleasePlan['expected']): ReleasePlan => ({
  version,
  set: { FAULT_ERROR_RATE: errorRate },
  helmTests: false,
  expected,
  label: `${Number(errorRate) * 100}% errors against a 1%-error primary`,
  analysis: JUDGE_ANALYSIS,
  metrics: JUDGE_METRICS,
  primarySet: PRIMARY_ERRORS,
});
/** `--strategy abTesting`: insiders (header x-canary: insider) reach the canary, nobody else. */
const AB_MATCH = [{ headers: { 'x-canary': { exact: 'insider' } } }];
const AB_ANALYSIS = { iterations: 3, match: AB_MATCH };
/** Requests per second of the insiders' load generator (`--strategy abTesting`). */
const INSIDER_RPS = 25;
/** `--strategy blueGreen [--mirror]`: three rounds of green at 0% (on mirrored copies with --mirror), the switch, one watch round. */
const BLUE_GREEN_ANALYSIS = { iterations: 3, postSwitchIterations: 1 };
const MIRROR_TRAFFIC = { mirror: { percent: 100 } };

/** `--strategy abTesting`, `--strategy blueGreen [--mirror]`: a healthy release then a faulty one of that strategy. */
function strategyReleases(strategy: Strategy, mirror: boolean): ReleasePlan[] {
  const plan = (release: ReleasePlan): ReleasePlan =>
    strategy === 'abTesting'
      ? { ...release, strategy, analysis: AB_ANALYSIS, label: `${release.label}; only x-canary: insider reaches it` }
      : { ...release, strategy, analysis: BLUE_GREEN_ANALYSIS, ...(mirror ? { traffic: MIRROR_TRAFFIC, label: `${release.label}; judged at 0% on mirrored copies` } : {}) };
  return [plan(HEALTHY), plan(faulty('1.2.0'))];
}

/** `--strategy <name>` and `--mirror`, checked: null without --strategy. */
function strategyOf(argv: readonly string[]): { strategy: Strategy; mirror: boolean } | null {
  const index = argv.indexOf('--strategy');
  const mirror = argv.includes('--mirror');
  if (index < 0) {
    if (mirror) throw new Error("--mirror mirrors a blue-green's analysis: use it with --strategy blueGreen");
    return null;
  }
  const parsed = strategySchema.safeParse(argv[index + 1]);
  if (!parsed.success || parsed.data === 'direct') throw new Error(`--strategy needs canary, blueGreen or abTesting (got ${argv[index + 1] ?? 'nothing'})`);
  if (mirror && parsed.data !== 'blueGreen') throw new Error(`--mirror mirrors a blue-green's analysis; --strategy ${parsed.data} does not read it`);
  return { strategy: parsed.data, mirror };
}

/**
 * The demo's releases; `--bench N`: the healthy one, then N faulty ones (1.2.1 … 1.2.N);
 * `--guard-bench`: a version failing every request at DocuTag's values without and with the guard,
 * then 20 healthy releases under the default guard.
 */
function releasesToRun(benchCount: number | null, guardBench: boolean, judgeBench = false): ReleasePlan[] {
  if (judgeBench) {
    return [
      ...Array.from({ length: JUDGE_BENCH_RUNS }, (_, index) => judged(`1.11.${index + 1}`, '0.01', 'promoted')),
      ...Array.from({ length: JUDGE_BENCH_RUNS }, (_, index) => judged(`1.12.${index + 1}`, '0.02', 'rolledBack')),
    ];
  }
  if (guardBench) {
    return [
      broken('1.9.1', { ...DOCUTAG_ANALYSIS, guard: { ...DOCUTAG_ANALYSIS.guard, enabled: false } }),
      broken('1.9.2', DOCUTAG_ANALYSIS),
      ...Array.from({ length: GUARD_BENCH_HEALTHY }, (_, index): ReleasePlan => ({ ...HEALTHY, version: `1.10.${index + 1}`, helmTests: false, analysis: GUARDED_HEALTHY })),
    ];
  }
  return benchCount === null ? [HEALTHY, faulty('1.2.0'), broken('1.3.0')] : [HEALTHY, ...Array.from({ length: benchCount }, (_, index) => faulty(`1.2.${index + 1}`))];
}
/** The stack's Prometheus scrape interval (LocalStack's default). */
const SCRAPE_INTERVAL_MS = 1000;

/** `--bench N`: a positive count, or a clear error. */
function benchCountOf(argv: readonly string[]): number | null {
  const index = argv.indexOf('--bench');
  if (index < 0) return null;
  const count = Number(argv[index + 1]);
  if (!Number.isInteger(count) || count < 1 || count > 100) throw new Error(`--bench needs a number of faulty releases from 1 to 100 (got ${argv[index + 1] ?? 'nothing'}), e.g. --bench 10`);
  return count;
}

const out = (line: string) => process.stdout.write(`${line}\n`);
/** Set by Ctrl-C (or SIGTERM): what fails afterwards is the shutdown, not the demo. */
let interrupted = false;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Uses a Temporal already serving on 7233 (e.g. `npm run temporal`), else starts the dev server. */
async function temporal(): Promise<{ address: string; uiUrl: string; server?: ChildProcess }> {
  if (!(await portFree(7233))) return { address: '127.0.0.1:7233', uiUrl: 'http://localhost:8233' };
  const binary = toolPath('temporal', ROOT);
  mkdirSync(path.join(ROOT, '.data'), { recursive: true });
  out('starting the Temporal dev server (SQLite in .data/demo.db, Web UI on :8233)...');
  // Its own process group: Ctrl-C reaches the demo, which stops the worker before the server.
  const server = spawn(binary, ['server', 'start-dev', '--db-filename', path.join(ROOT, '.data/demo.db'), '--port', '7233', '--ui-port', '8233', '--ip', '127.0.0.1',
    '--dynamic-config-value', 'frontend.enableServerVersionCheck=false', '--log-level', 'error'], { stdio: ['ignore', 'ignore', 'inherit'], detached: true });
  return { address: '127.0.0.1:7233', uiUrl: 'http://localhost:8233', server };
}

/** The share of each version among the responses of a period, e.g. `1.0.0 90% · 1.1.0 10% (500 req, 0 failed)`. */
function trafficLine(now: LoadSnapshot, before: LoadSnapshot | undefined): string {
  const delta = Object.entries(now.byVersion).map(([version, counts]) => {
    const prior = before?.byVersion[version];
    return { version, total: counts.total - (prior?.total ?? 0), errors: counts.serverErrors - (prior?.serverErrors ?? 0) };
  });
  const total = delta.reduce((sum, entry) => sum + entry.total, 0);
  if (!total) return 'no responses';
  const shares = delta.filter((entry) => entry.total > 0).map((entry) => `${entry.version} ${Math.round((100 * entry.total) / total)}%${entry.errors ? ` (${entry.errors}×5xx)` : ''}`);
  const failed = now.failed - (before?.failed ?? 0);
  return `${shares.join(' · ')}  (${total} req${failed ? `, ${failed} unanswered` : ''})`;
}

/** `success 99.3%`, `p99 120ms`, and for a check against the primary `success vs primary 99.3%/99.5%`. */
function checksText(status: ReleaseStatus): string {
  const checks = status.lastChecks.map((check) => {
    const base = check.name.replace(/-(vs-primary|mann-whitney).*$/, '');
    const unit = base === 'request-success-rate' ? '%' : base === 'request-duration' ? 'ms' : '';
    const shown = (value: number | null | undefined) => (value === null || value === undefined ? 'n/a' : unit === '%' ? `${value.toFixed(1)}%` : unit === 'ms' ? `${Math.round(value)}ms` : String(value));
    const label = base === 'request-success-rate' ? 'success' : base === 'request-duration' ? 'p99' : base;
    const against = check.name.endsWith('-vs-primary') ? ' vs primary' : check.name.endsWith('-mann-whitney') ? ' Mann–Whitney' : '';
    return `${label}${against} ${shown(check.value)}${check.reference !== undefined ? `/${shown(check.reference)}` : ''}${check.passed ? '' : ' ✗'}`;
  });
  const verdict = status.lastChecks.every((check) => check.passed) ? '✓' : `✗ failed checks ${status.failedChecks}/${status.threshold}`;
  return `${checks.join('  ')}  ${verdict}`;
}

/** Prints a line per phase or weight change, and one per analysis round: checks and the traffic the load generator saw during it. */
async function follow(client: Client, workflowId: string, load: LoadGenerator): Promise<ReleaseResult> {
  const handle = client.workflow.getHandle(workflowId);
  let lastAnalysis = '';
  let lastPhase = '';
  let lastWeight = -1;
  let since: LoadSnapshot | undefined;
  const done = handle.result() as Promise<ReleaseResult>;
  let finished = false;
  void done.then(
    () => (finished = true),
    () => (finished = true),
  );
  const show = (status: ReleaseStatus) => {
    // The round's event is recorded with its checks and verdict in one workflow task, so they agree.
    const analysis = [...status.events].reverse().find((event) => /^Analysis \d+/.test(event.message));
    if (analysis && `${analysis.at}|${analysis.message}` !== lastAnalysis) {
      const now = load.snapshot();
      out(`  ${''.padEnd(12)} step ${status.iteration}: ${checksText(status)}   served ${trafficLine(now, since)}`);
      since = now;
      lastAnalysis = `${analysis.at}|${analysis.message}`;
    }
    if (status.phase !== lastPhase || status.canaryWeight !== lastWeight) {
      // An A/B test's weight never moves: its line says who reaches the canary.
      out(`  ${status.phase.padEnd(12)} ${status.strategy === 'abTesting' ? `A/B canary ← ${status.match ? `requests where ${status.match}` : 'nobody yet'}` : trafficBar(status)}`);
      if (status.canaryWeight !== lastWeight) since = load.snapshot();
      lastPhase = status.phase;
      lastWeight = status.canaryWeight;
    }
  };
  while (!finished) {
    const status = await handle.query(statusQuery).catch(() => undefined);
    if (status) show(status);
    await Promise.race([done.catch(() => undefined), sleep(250)]);
  }
  const result = await done;
  show(result.status);
  return result;
}

interface Outcome {
  version: string;
  strategy: Strategy;
  /** `--strategy abTesting`: what the insiders' requests (with the A/B header) got. */
  insiders?: LoadSnapshot;
  expected: string;
  result: ReleaseResult;
  load: LoadSnapshot;
  /** The version serving when the release started. */
  primaryVersion: string;
  /** Rollbacks: the decision (the workflow's `Rolling back` event), the router's 100/0 and the bad version's last request, epoch ms. */
  rollback?: { decisionAt: number; routerReturnedAt: number | null; lastResponseAt: number | null; lastSentAt: number | null };
}

function rollbackTimes(result: ReleaseResult, applied: AppliedWeights[], load: LoadSnapshot, badVersion: string): Outcome['rollback'] {
  const event = result.status.events.find((entry) => entry.message.startsWith('Rolling back'));
  if (!event) return undefined;
  const decisionAt = Date.parse(event.at);
  const backToPrimary = applied.find((entry) => entry.calledAt >= decisionAt - 1000 && entry.weights.canaryWeight === 0);
  const bad = load.byVersion[badVersion];
  return { decisionAt, routerReturnedAt: backToPrimary?.returnedAt ?? null, lastResponseAt: bad?.lastAt ?? null, lastSentAt: bad?.lastSentAt ?? null };
}

/** Failed requests among those the previously serving version answered, plus requests with no answer at all. */
function primaryFailures(outcome: Outcome): number {
  const primary = outcome.load.byVersion[outcome.primaryVersion];
  const unrouted = outcome.load.byVersion.none?.total ?? 0;
  return (primary?.serverErrors ?? 0) + outcome.load.failed + unrouted;
}

function printSummary(outcomes: Outcome[]): boolean {
  out('\nSummary');
  out('  version  expected     outcome      detection  restore*   router 100/0  total');
  for (const { version, expected, result, rollback } of outcomes) {
    const restore = rollback?.lastResponseAt ? formatMs(Math.max(0, rollback.lastResponseAt - rollback.decisionAt)) : '-';
    const router = rollback?.routerReturnedAt ? formatMs(rollback.routerReturnedAt - rollback.decisionAt) : '-';
    out(`  ${version.padEnd(8)} ${expected.padEnd(12)} ${result.outcome.padEnd(12)} ${(result.detectionMs === null ? '-' : formatMs(result.detectionMs)).padEnd(10)} ${restore.padEnd(10)} ${router.padEnd(13)} ${formatMs(result.totalMs)}`);
  }
  out('  * restore: rollback decision → the last request the bad version answered, as the load generator saw it');
  out('\nTraffic through Traefik during each release (load generator)');
  let primaryOk = true;
  for (const outcome of outcomes) {
    const failures = primaryFailures(outcome);
    if (failures) primaryOk = false;
    out(`  ${outcome.version}: ${formatSnapshot(outcome.load)}`);
    out(`         ${failures ? `✗ ${failures} request(s) not served by ${outcome.primaryVersion}` : `✓ no failed request on the primary (${outcome.primaryVersion})`}`);
    // A rolled-back A/B test or blue-green never served the users outside the rule, or anyone before the switch.
    if (outcome.strategy !== 'canary' && outcome.result.outcome === 'rolledBack') {
      const leaked = outcome.load.byVersion[outcome.version]?.total ?? 0;
      if (leaked) primaryOk = false;
      const who = outcome.strategy === 'abTesting' ? 'requests without the x-canary header' : 'users (green got mirrored copies or nothing, never a user)';
      out(`         ${leaked ? `✗ ${leaked}` : '✓ none of the'} ${who} ${leaked ? 'got' : 'got an answer from'} ${outcome.version}`);
      if (outcome.insiders) out(`         insiders got ${outcome.insiders.byVersion[outcome.version]?.total ?? 0} answers from ${outcome.version} (${outcome.insiders.byVersion[outcome.version]?.serverErrors ?? 0}×5xx)`);
    }
    const rollback = outcome.rollback;
    if (rollback?.routerReturnedAt && rollback.lastSentAt !== null) {
      const late = rollback.lastSentAt > rollback.routerReturnedAt;
      if (late) primaryOk = false;
      out(`         ${late ? '✗' : '✓'} last request to ${outcome.version} sent ${formatMs(Math.abs(rollback.routerReturnedAt - rollback.lastSentAt))} ${late ? 'after' : 'before'} the router reported 100/0`);
    }
  }
  return primaryOk;
}

/** `--bench N`: the faulty releases' times, as JSON and Markdown under bench/results. */
function writeStackBench(config: ReleaseConfig, outcomes: Outcome[]): void {
  const times: FaultyReleaseTimes[] = outcomes
    .filter((outcome) => outcome.expected === 'rolledBack')
    .map(({ version, result, load, rollback }) => ({
      version,
      outcome: result.outcome,
      firstBadAnswerAt: load.byVersion[version]?.firstErrorAt ?? null,
      firstFailedCheckAt: rollback && result.detectionMs !== null ? rollback.decisionAt - result.detectionMs : null,
      decisionAt: rollback?.decisionAt ?? null,
      routerReturnedAt: rollback?.routerReturnedAt ?? null,
      lastBadAnswerAt: rollback?.lastResponseAt ?? null,
    }));
  const healthy = outcomes.find((outcome) => outcome.expected === 'promoted' && outcome.result.outcome === 'promoted');
  const settings = {
    intervalMs: durationMs(config.analysis.interval),
    scrapeIntervalMs: SCRAPE_INTERVAL_MS,
    threshold: config.analysis.threshold,
    steps: weightSchedule(config.analysis).filter((weight) => weight < 100).length,
  };
  const report = stackBenchReport(settings, times, healthy ? healthy.result.totalMs : null);
  const measuredAt = new Date().toISOString();
  mkdirSync(BENCH_RESULTS, { recursive: true });
  writeFileSync(path.join(BENCH_RESULTS, 'local-stack.json'), `${JSON.stringify({ measuredAt, ...report }, null, 2)}\n`);
  const markdown = stackBenchMarkdown(report, measuredAt);
  writeFileSync(path.join(BENCH_RESULTS, 'LOCAL-STACK.md'), markdown);
  out(`\n${markdown}`);
  out('written: bench/results/local-stack.json, bench/results/LOCAL-STACK.md');
}

/** `--guard-bench`: how long a plainly broken version serves without and with the guard, and the guard's false positives. */
function writeGuardBench(outcomes: Outcome[]): void {
  const served = (outcome: Outcome | undefined) => {
    const firstBad = outcome?.load.byVersion[outcome.version]?.firstErrorAt;
    const restored = outcome?.rollback?.routerReturnedAt;
    return firstBad && restored ? restored - firstBad : null;
  };
  const [unguarded, guarded, ...healthy] = outcomes;
  const report = {
    measuredAt: new Date().toISOString(),
    settings: { analysis: DOCUTAG_ANALYSIS, scrapeIntervalMs: SCRAPE_INTERVAL_MS, loadRps: LOAD_RPS },
    broken: [
      { guard: false, version: unguarded?.version, outcome: unguarded?.result.outcome, reason: unguarded?.result.reason, firstBadAnswerToRouter100Ms: served(unguarded), badAnswers: unguarded?.load.byVersion[unguarded.version]?.total ?? null },
      { guard: true, version: guarded?.version, outcome: guarded?.result.outcome, reason: guarded?.result.reason, firstBadAnswerToRouter100Ms: served(guarded), badAnswers: guarded?.load.byVersion[guarded.version]?.total ?? null },
    ],
    healthy: {
      releases: healthy.length,
      analysis: GUARDED_HEALTHY,
      promoted: healthy.filter((outcome) => outcome.result.outcome === 'promoted').length,
      rolledBackByGuard: healthy.filter((outcome) => outcome.result.reason.startsWith('guard:')).length,
      otherOutcomes: healthy.filter((outcome) => outcome.result.outcome !== 'promoted').map((outcome) => `${outcome.version}: ${outcome.result.outcome} (${outcome.result.reason})`),
    },
  };
  const ms = (value: number | null) => (value === null ? '-' : formatMs(value));
  const markdown = [
    `# The guard on the local stack (${report.measuredAt})`,
    '',
    `A version failing every request, ${LOAD_RPS} requests/s through Traefik, Prometheus scraping every ${formatMs(SCRAPE_INTERVAL_MS)}, DocuTag's analysis values (interval 1m, threshold 5):`,
    '',
    '| guard | outcome | reason | first bad answer → router 100/0 | bad answers served |',
    '| --- | --- | --- | ---: | ---: |',
    ...report.broken.map((row) => `| ${row.guard ? 'on (10s, 2 polls)' : 'off'} | ${row.outcome} | ${row.reason} | ${ms(row.firstBadAnswerToRouter100Ms)} | ${row.badAnswers ?? '-'} |`),
    '',
    `${report.healthy.releases} healthy releases under the default guard (rounds every 5s, polls every 1s): ${report.healthy.promoted} promoted, ${report.healthy.rolledBackByGuard} rolled back by the guard${report.healthy.otherOutcomes.length ? `; others: ${report.healthy.otherOutcomes.join('; ')}` : ''}.`,
    '',
  ].join('\n');
  writeBenchResult('guard', report, markdown);
}

/** A release left running by an interrupted demo ran on a stack that is gone: it is ended. */
async function endLeftoverRelease(client: Client, config: ReleaseConfig): Promise<void> {
  const handle = client.workflow.getHandle(releaseWorkflowId(config.service.namespace, config.service.name));
  try {
    if ((await handle.describe()).status.name === 'RUNNING') {
      await handle.terminate('the demo restarted: the local stack this release ran on is gone');
      out(`ended the release ${handle.workflowId} left running by an earlier demo`);
    }
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) throw error;
  }
}

/** `--judge-bench`: per judge, how often a copy of the primary was failed (false positives) and a 2%-error version caught. */
function writeJudgeBench(outcomes: Outcome[]): void {
  const judges = [
    ['absolute 97%', 'request-success-rate'],
    ['0.5 points against the primary', 'request-success-rate-vs-primary'],
    ['Mann–Whitney (5 samples of 3 s, 98%)', 'request-success-rate-mann-whitney'],
  ] as const;
  const failedBy = (outcome: Outcome, check: string) => outcome.result.status.lastChecks.find((each) => each.name === check)?.passed === false;
  const copies = outcomes.filter((outcome) => outcome.expected === 'promoted');
  const faulty = outcomes.filter((outcome) => outcome.expected === 'rolledBack');
  const rows = judges.map(([label, check]) => ({ judge: label, check, falsePositives: copies.filter((outcome) => failedBy(outcome, check)).length, caught: faulty.filter((outcome) => failedBy(outcome, check)).length }));
  const report = { measuredAt: new Date().toISOString(), settings: { analysis: JUDGE_ANALYSIS, metrics: JUDGE_METRICS, loadRps: LOAD_RPS, canaryWeight: 50 }, copies: copies.length, faulty: faulty.length, judges: rows };
  const markdown = [
    `# Judges against the primary on the local stack (${report.measuredAt})`,
    '',
    `One analysis round at 50% (interval 15 s, ${LOAD_RPS} requests/s through Traefik, so about 750 requests a track), a primary with 1% errors. ${copies.length} copies of the primary (1% errors) and ${faulty.length} versions with 2% errors, each judged three ways in the same round:`,
    '',
    '| judge | copies failed (false positives) | 2%-error versions caught |',
    '| --- | ---: | ---: |',
    ...rows.map((row) => `| ${row.judge} | ${row.falsePositives} of ${copies.length} | ${row.caught} of ${faulty.length} |`),
    '',
  ].join('\n');
  writeBenchResult('judges', report, markdown);
}

async function main(): Promise<number> {
  const keep = process.argv.includes('--keep');
  const benchCount = benchCountOf(process.argv);
  const guardBench = process.argv.includes('--guard-bench');
  const judgeBench = process.argv.includes('--judge-bench');
  const chosen = strategyOf(process.argv);
  const releases = chosen && chosen.strategy !== 'canary' ? strategyReleases(chosen.strategy, chosen.mirror) : releasesToRun(benchCount, guardBench, judgeBench);
  const verbose = process.argv.includes('--verbose');
  const config = loadConfigFile(CONFIG_FILE);
  const split = { namespace: config.service.namespace, router: config.traffic.traefikService, primaryService: config.traffic.primaryService, canaryService: config.traffic.canaryService };

  let server: ChildProcess | undefined;
  let connection: Connection | undefined;
  let local: LocalAdapters | undefined;
  let worker: Worker | undefined;
  let workerRun: Promise<void> | undefined;
  let closeWorker: (() => Promise<void>) | undefined;
  let load: LoadGenerator | undefined;
  let insiders: LoadGenerator | undefined;
  let running: { client: Client; workflowId: string } | undefined;
  let stopping: Promise<void> | undefined;

  const shutdown = () =>
    (stopping ??= (async () => {
      await load?.stop().catch(() => undefined);
      await insiders?.stop().catch(() => undefined);
      if (running) await running.client.workflow.getHandle(running.workflowId).terminate('the demo was stopped').catch(() => undefined);
      if (worker && worker.getState() === 'RUNNING') worker.shutdown();
      await workerRun?.catch(() => undefined);
      await closeWorker?.().catch(() => undefined);
      await local?.stop().catch((error: Error) => out(`stopping the local stack: ${error.message}`));
      await connection?.close().catch(() => undefined);
      if (server && server.exitCode === null && server.signalCode === null) {
        const exited = new Promise((resolve) => server!.once('exit', resolve));
        server.kill('SIGTERM');
        const force = setTimeout(() => server!.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(force);
      }
    })());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) {
        out('still stopping; once more stops right now (processes may be left behind)');
        process.once(signal, () => process.exit(130));
        return;
      }
      interrupted = true;
      out('\nstopping: load generator, worker, local stack, Temporal...');
      void shutdown().then(() => process.exit(130));
    });
  }

  try {
    out('providing Traefik and Prometheus (scripts/traefik.sh, scripts/prometheus.sh; built or installed the first time)...');
    const traefikBin = toolPath('traefik', ROOT);
    const prometheusBin = toolPath('prometheus', ROOT);
    const temporalServer = await temporal();
    server = temporalServer.server;
    const { address, uiUrl } = temporalServer;

    out('starting the local stack: Traefik, Prometheus (scraping every 1s), a Slack receiver...');
    const applied: AppliedWeights[] = [];
    local = await createLocalAdapters({
      dataDir: path.join(ROOT, '.data/local-stack'),
      cwd: ROOT,
      traefikBin,
      prometheusBin,
      env: process.env.SLACK_WEBHOOK_URL ? { SLACK_WEBHOOK_URL: process.env.SLACK_WEBHOOK_URL } : {},
      slackLog: (line) => out(`  💬 ${line}`),
      // --verbose: every process the stack starts and stops.
      ...(verbose ? { log: (line: string) => out(`  · ${new Date().toISOString().slice(11, 23)} ${line}`) } : {}),
      onWeightsApplied: (entry) => applied.push(entry),
    });
    out(`  Traefik ${local.stack.webUrl} (API ${local.stack.apiUrl}), Prometheus ${local.stack.prometheusUrl}; logs in .data/local-stack`);

    connection = await connectWhenServing(address, 60_000);
    const client = new Client({ connection });
    // No SDK signal handling: Ctrl-C goes to `shutdown` above, which drains the worker in order.
    Runtime.install({ shutdownSignals: [], logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (message: string) => console.error(message) } as never });
    out('starting the worker (target local, in this process)...');
    const created = await createReleaseWorker({ deps: local.deps, env: { ...process.env, TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: 'default' } });
    worker = created.worker;
    closeWorker = created.close;
    workerRun = worker.run();
    await endLeftoverRelease(client, config);

    const target: HelmTarget = { namespace: config.service.namespace, chart: '', valuesFiles: [], versionValue: config.helm.versionValue, set: {}, timeoutMs: durationMs(config.helm.timeout), ...localTargetOf(config) };
    out(`installing ${config.helm.releases.primary} ${SERVING_VERSION}, the version serving before the demo...`);
    await local.deps.deployer.install({ target, release: config.helm.releases.primary, version: SERVING_VERSION });
    const entryUrl = local.entryUrl(split);
    load = new LoadGenerator({ url: entryUrl, rps: LOAD_RPS }).start();
    out(`load generator: ${LOAD_RPS} requests/s to ${entryUrl} (through Traefik's entrypoint)`);
    if (chosen?.strategy === 'abTesting') {
      insiders = new LoadGenerator({ url: entryUrl, rps: INSIDER_RPS, headers: { 'x-canary': 'insider' } }).start();
      out(`insiders: ${INSIDER_RPS} requests/s with header x-canary: insider (the A/B rule); everyone else sends none`);
    }
    const warm = load;
    const warmDeadline = Date.now() + 15_000;
    while ((warm.snapshot().byVersion[SERVING_VERSION]?.total ?? 0) < LOAD_RPS && Date.now() < warmDeadline) await sleep(100);
    out(`Temporal Web UI: ${uiUrl}/namespaces/default/workflows`);

    const outcomes: Outcome[] = [];
    let primaryVersion = SERVING_VERSION;
    for (const release of releases) {
      const analysis = { ...config.analysis, ...release.analysis };
      const guardText = analysis.guard.enabled ? `, guard every ${analysis.guard.interval}` : ', no guard';
      if (release.primarySet) {
        await local.deps.deployer.install({ target, release: config.helm.releases.primary, version: SERVING_VERSION, extraSet: release.primarySet });
        primaryVersion = SERVING_VERSION;
      }
      const strategy = release.strategy ?? config.strategy;
      out(`\n▶ ${strategy === 'canary' ? 'canary' : strategy === 'blueGreen' ? 'blue-green' : 'A/B test'} of ${config.service.namespace}/${config.service.name} ${release.version} (${release.label}; serving ${primaryVersion}); ${strategy === 'canary' ? 'steps' : 'rounds'} every ${analysis.interval}${guardText}`);
      load.reset();
      insiders?.reset();
      applied.length = 0;
      const releaseConfig: ReleaseConfig = {
        ...config,
        strategy,
        analysis: { ...config.analysis, ...release.analysis },
        traffic: { ...config.traffic, ...release.traffic },
        metrics: { ...config.metrics, ...release.metrics },
        helm: { ...config.helm, set: release.set },
        webhooks: { ...config.webhooks, helmTests: { ...config.webhooks.helmTests, enabled: config.webhooks.helmTests.enabled && release.helmTests } },
      };
      const handle = await startReleaseWorkflow(client, { config: releaseConfig, version: release.version, requestedBy: 'npm run demo' });
      running = { client, workflowId: handle.workflowId };
      out(`  ${uiUrl}/namespaces/default/workflows/${handle.workflowId}/${handle.firstExecutionRunId}/history`);
      const result = await follow(client, handle.workflowId, load);
      running = undefined;
      // Requests in flight when the release ended are counted too.
      await sleep(300);
      const counts = load.snapshot();
      out(`  ${result.outcome.toUpperCase()}: ${result.reason}`);
      if (insiders) out(`  insiders (x-canary: insider): ${formatSnapshot(insiders.snapshot())}`);
      outcomes.push({
        strategy,
        ...(insiders ? { insiders: insiders.snapshot() } : {}),
        version: release.version,
        expected: release.expected,
        result,
        load: counts,
        primaryVersion,
        ...(result.outcome === 'rolledBack' ? { rollback: rollbackTimes(result, applied, counts, release.version) } : {}),
      });
      if (result.outcome === 'promoted') primaryVersion = release.version;
    }

    // The judge bench measures rates, its primary failing 1% of requests by design: a miss is a number in its report, not a failure of the run.
    if (judgeBench) {
      writeJudgeBench(outcomes);
      return 0;
    }
    const trafficOk = printSummary(outcomes);
    if (benchCount !== null) writeStackBench(config, outcomes);
    if (guardBench) writeGuardBench(outcomes);
    const asExpected = outcomes.every((outcome) => outcome.result.outcome === outcome.expected);
    out(asExpected && trafficOk ? `\n${outcomes.length === 2 ? 'Both releases' : `All ${outcomes.length} releases`} ended as expected, and every request to the primary was served.` : '\nUNEXPECTED: see the lines marked ✗ above.');
    if (keep) {
      out(`\n--keep: Temporal (${address}), the worker, the local stack and the load generator keep running.`);
      out(`  Traefik entry:  curl -si ${entryUrl} | grep x-version`);
      out(`  Prometheus:     ${local.stack.prometheusUrl}/graph`);
      out(`  another release (in another terminal):`);
      out(`    TEMPORAL_ADDRESS=${address} node bin/docutag-release.js start --config examples/demo/release.yaml --version 1.4.0 --wait`);
      out(`    TEMPORAL_ADDRESS=${address} node bin/docutag-release.js list`);
      out('Ctrl-C stops everything.');
      await new Promise(() => undefined);
    }
    return asExpected && trafficOk ? 0 : 1;
  } finally {
    await shutdown();
  }
}

main().then(
  (code) => process.exit(interrupted ? 130 : code),
  (error) => {
    if (interrupted) process.exit(130);
    console.error(`demo failed: ${(error as Error).message}`);
    process.exit(1);
  },
);
