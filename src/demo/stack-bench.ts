/*
 * `npm run bench:stack` (the demo with `--bench N`): N releases of a faulty version on the local stack,
 * measured at the load generator. Pure: the demo collects the timestamps, this turns them into the
 * report and judges it against the targets.
 */

/** Timestamps (epoch ms) of one faulty release, from the load generator, the router and the workflow. */
export interface FaultyReleaseTimes {
  version: string;
  outcome: string;
  /** The bad version's first 5xx as the load generator received it: the first bad sample Traefik can count. */
  firstBadAnswerAt: number | null;
  /** The analysis round that first failed (the decision minus the workflow's own detection time). */
  firstFailedCheckAt: number | null;
  /** The workflow's `Rolling back` event. */
  decisionAt: number | null;
  /** The router reported 100/0. */
  routerReturnedAt: number | null;
  /** The last answer the bad version gave, as the load generator saw it. */
  lastBadAnswerAt: number | null;
}

export interface Spread {
  count: number;
  min: number | null;
  median: number | null;
  p99: number | null;
  max: number | null;
}

/** Nearest-rank percentile; null for no values. */
function percentile(sorted: readonly number[], p: number): number | null {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1]!;
}

export function spread(values: readonly (number | null)[]): Spread {
  const sorted = values.filter((value): value is number => value !== null).sort((a, b) => a - b);
  return { count: sorted.length, min: sorted[0] ?? null, median: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? null };
}

const between = (from: number | null, to: number | null) => (from === null || to === null ? null : to - from);

export interface StackBenchSettings {
  intervalMs: number;
  scrapeIntervalMs: number;
  /** Failed checks that make the decision (the config's `analysis.threshold`). */
  threshold: number;
  /** Steps of the canary (the weights before 100%). */
  steps: number;
}

export interface StackBenchReport {
  settings: StackBenchSettings;
  releases: Array<FaultyReleaseTimes & { firstFailedCheckMs: number | null; detectionMs: number | null; restoreMs: number | null; routerMs: number | null }>;
  /** First bad answer → first failed check. */
  firstFailedCheckMs: Spread;
  /** First bad answer → rollback decision (the "detection": fault live → decision). */
  detectionMs: Spread;
  /** Decision → the bad version's last answer. */
  restoreMs: Spread;
  /** Decision → router reports 100/0. */
  routerMs: Spread;
  /** A healthy canary's wall time against steps × interval. */
  healthy: { totalMs: number; stepsTimesIntervalMs: number } | null;
  targets: Array<{ name: string; budgetMs: number; measuredMs: number | null; met: boolean }>;
}

/**
 * The targets: restore p99 under 1 s; the first failed check within one interval plus one scrape
 * interval of the first bad answer; the decision, which needs `threshold` failed rounds, within
 * `threshold` intervals plus one scrape interval of it.
 */
export function stackBenchReport(settings: StackBenchSettings, times: readonly FaultyReleaseTimes[], healthyTotalMs: number | null): StackBenchReport {
  const releases = times.map((release) => ({
    ...release,
    firstFailedCheckMs: between(release.firstBadAnswerAt, release.firstFailedCheckAt),
    detectionMs: between(release.firstBadAnswerAt, release.decisionAt),
    restoreMs: release.lastBadAnswerAt === null || release.decisionAt === null ? null : Math.max(0, release.lastBadAnswerAt - release.decisionAt),
    routerMs: between(release.decisionAt, release.routerReturnedAt),
  }));
  const report = {
    settings,
    releases,
    firstFailedCheckMs: spread(releases.map((release) => release.firstFailedCheckMs)),
    detectionMs: spread(releases.map((release) => release.detectionMs)),
    restoreMs: spread(releases.map((release) => release.restoreMs)),
    routerMs: spread(releases.map((release) => release.routerMs)),
    healthy: healthyTotalMs === null ? null : { totalMs: healthyTotalMs, stepsTimesIntervalMs: settings.steps * settings.intervalMs },
  };
  const complete = releases.every((release) => release.outcome === 'rolledBack');
  const target = (name: string, budgetMs: number, measuredMs: number | null) => ({ name, budgetMs, measuredMs, met: complete && measuredMs !== null && measuredMs <= budgetMs });
  return {
    ...report,
    targets: [
      target('restore p99 (decision → last bad answer)', 1000, report.restoreMs.p99),
      target('first failed check, max (first bad answer → failed round)', settings.intervalMs + settings.scrapeIntervalMs, report.firstFailedCheckMs.max),
      target(`decision, max (first bad answer → rollback; ${settings.threshold} failed rounds)`, settings.threshold * settings.intervalMs + settings.scrapeIntervalMs, report.detectionMs.max),
    ],
  };
}

const ms = (value: number | null) => (value === null ? '-' : value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`);

/** The report as Markdown: the distributions and the targets. */
export function stackBenchMarkdown(report: StackBenchReport, measuredAt: string): string {
  const { settings } = report;
  const row = (name: string, values: Spread) => `| ${name} | ${values.count} | ${ms(values.min)} | ${ms(values.median)} | ${ms(values.p99)} | ${ms(values.max)} |`;
  const lines = [
    `# Local stack: ${report.releases.length} releases of a version with 20% errors`,
    '',
    `Measured ${measuredAt}: real Traefik, Prometheus (scrape every ${ms(settings.scrapeIntervalMs)}), demo-app processes, 100 requests/s`,
    `through Traefik; canary steps every ${ms(settings.intervalMs)}, threshold ${settings.threshold}. Outcomes: ${report.releases.map((release) => release.outcome).join(', ')}.`,
    '',
    '| from → to | n | min | median | p99 | max |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    row('first bad answer → first failed check', report.firstFailedCheckMs),
    row('first bad answer → rollback decision (detection)', report.detectionMs),
    row('decision → router 100/0', report.routerMs),
    row('decision → last answer of the bad version (restore)', report.restoreMs),
    '',
    report.healthy ? `A healthy canary of ${settings.steps} steps took ${ms(report.healthy.totalMs)} end to end (steps × interval = ${ms(report.healthy.stepsTimesIntervalMs)}; the rest is starting the canary process, its smoke test, promotion and removal).` : '',
    '',
    '| target | budget | measured | met |',
    '| --- | ---: | ---: | :---: |',
    ...report.targets.map((target) => `| ${target.name} | ${ms(target.budgetMs)} | ${ms(target.measuredMs)} | ${target.met ? 'yes' : 'no'} |`),
    '',
  ];
  return lines.join('\n');
}
