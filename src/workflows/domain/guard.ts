/*
 * The guard between analysis rounds (DocuTag's "instant rollback if metrics degrade"): the checks'
 * own queries polled every guard interval against severe bounds, far outside the thresholds a round
 * judges. Breached for `consecutive` polls in a row, the release rolls back at once, whatever the
 * round and the failed-check count. No data is not a breach: a canary without requests yet is not
 * broken, and a poll without an answer breaks the run of breaches. Pure: the guard activity polls,
 * this decides.
 */
import type { MetricOutcome } from './analysis';
import type { CheckQuery } from './queries';

/** One guarded check: the round's query, with a severe bound. */
export interface GuardCheck {
  name: string;
  bound: 'min' | 'max';
  limit: number;
  unit: string;
  query: string;
}

/** `analysis.guard` as the config resolves it. */
export interface GuardConfig {
  enabled: boolean;
  interval: string;
  consecutive: number;
  /** Severe bounds by check name; absent: success rate below 90%, p99 above 5× its threshold. */
  checks?: Array<{ name: string; min?: number; max?: number }>;
}

/** The default severe bounds: plainly broken, never a healthy canary's bad minute. */
export const GUARD_DEFAULTS = { successRateBelow: 90, latencyFactor: 5 } as const;

/** The checks the guard polls: the configured bounds on the round's checks, or the defaults on the built-in ones. */
export function guardChecks(guard: GuardConfig | undefined, checks: readonly CheckQuery[]): GuardCheck[] {
  if (!guard?.enabled) return [];
  // Dry-run checks never decide; checks against the primary need two queries, so the guard keeps to absolute bounds.
  const byName = new Map(checks.filter((check) => !check.dryRun && !check.reference).map((check) => [check.name, check]));
  if (guard.checks) {
    return guard.checks.flatMap(({ name, min, max }) => {
      const check = byName.get(name) ?? byName.get(`${name}-max`);
      if (!check) return [];
      const guarded: GuardCheck[] = [];
      if (min !== undefined) guarded.push({ name, bound: 'min', limit: min, unit: check.unit, query: check.query });
      if (max !== undefined) guarded.push({ name, bound: 'max', limit: max, unit: check.unit, query: (byName.get(`${name}-max`) ?? check).query });
      return guarded;
    });
  }
  const guarded: GuardCheck[] = [];
  const successRate = byName.get('request-success-rate');
  if (successRate) guarded.push({ name: successRate.name, bound: 'min', limit: GUARD_DEFAULTS.successRateBelow, unit: successRate.unit, query: successRate.query });
  const duration = byName.get('request-duration');
  if (duration) guarded.push({ name: duration.name, bound: 'max', limit: duration.threshold * GUARD_DEFAULTS.latencyFactor, unit: duration.unit, query: duration.query });
  return guarded;
}

/** How many polls in a row each check has been breached. */
export type GuardStreaks = Record<string, number>;

const keyOf = (check: GuardCheck) => `${check.name}:${check.bound}`;

/** Whether one answer breaches a severe bound. +Inf above a max bound is a breach (a p99 above the largest bucket); NaN, no data and errors are not. */
export function breaches(check: GuardCheck, outcome: MetricOutcome): number | null {
  if (outcome.kind === 'positiveInfinity' && check.bound === 'max') return Infinity;
  if (outcome.kind !== 'value') return null;
  const breached = check.bound === 'min' ? outcome.value < check.limit : outcome.value > check.limit;
  return breached ? outcome.value : null;
}

const shown = (value: number, unit: string) => (value === Infinity ? '+Inf' : `${Number.isInteger(value) ? value : value.toFixed(1)}${unit}`);

/**
 * One poll judged: the streaks after it, and the breach that ends the release (the first check, in
 * config order, breached for `consecutive` polls in a row), as its reason.
 */
export function judgeGuardPoll(
  checks: readonly GuardCheck[],
  outcomes: readonly MetricOutcome[],
  streaks: GuardStreaks,
  consecutive: number,
): { streaks: GuardStreaks; breach: string | null } {
  const next: GuardStreaks = {};
  let breach: string | null = null;
  checks.forEach((check, index) => {
    const value = breaches(check, outcomes[index]!);
    const streak = value === null ? 0 : (streaks[keyOf(check)] ?? 0) + 1;
    next[keyOf(check)] = streak;
    if (breach === null && value !== null && streak >= consecutive) {
      const label = check.name === 'request-success-rate' ? 'success rate' : check.name === 'request-duration' ? 'p99 latency' : check.name;
      breach = `guard: ${label} ${shown(value, check.unit)} ${check.bound === 'min' ? 'below' : 'above'} ${shown(check.limit, check.unit)} for ${streak} poll${streak === 1 ? '' : 's'}`;
    }
  });
  return { streaks: next, breach };
}

/** Whether the guard has anything to do within an analysis interval: it polls only between rounds. */
export function guardRuns(guard: GuardConfig | undefined, intervalMs: number, guardIntervalMs: number, checks: readonly GuardCheck[]): boolean {
  return !!guard?.enabled && checks.length > 0 && intervalMs > guardIntervalMs;
}
