/**
 * Judging one analysis round. A reading is what the metrics provider returned for one check; the
 * verdict turns readings into passed/failed checks with reasons a person can act on.
 */

/** What one query produced. No data, NaN and errors are distinct so the reason can say which. */
export type MetricOutcome =
  | { kind: 'value'; value: number }
  | { kind: 'noData' }
  | { kind: 'error'; message: string };

/** A check to judge: `min` checks pass at or above the threshold, `max` checks at or below. */
export interface MetricReading {
  name: string;
  bound: 'min' | 'max';
  threshold: number;
  /** Unit shown in reasons: `%`, `ms` or empty. */
  unit: string;
  outcome: MetricOutcome;
  /** Extra advice for a no-data result (e.g. blue-green: no traffic reaches green). */
  noDataHint?: string;
}

/** The judged check, as shown in `status.lastChecks` and in Slack. */
export interface CheckResult {
  name: string;
  value: number | null;
  threshold: number;
  passed: boolean;
  reason: string;
}

export interface RoundVerdict {
  passed: boolean;
  checks: CheckResult[];
}

const fmt = (value: number, unit: string) => `${Number.isInteger(value) ? value : value.toFixed(2)}${unit}`;

export function judgeCheck(reading: MetricReading): CheckResult {
  const { name, bound, threshold, unit, outcome } = reading;
  const limit = `${bound === 'min' ? 'minimum' : 'maximum'} ${fmt(threshold, unit)}`;
  if (outcome.kind === 'error') {
    return { name, value: null, threshold, passed: false, reason: `${name}: the metrics query failed (${outcome.message}); counted as a failed check` };
  }
  if (outcome.kind === 'noData') {
    const hint = reading.noDataHint ? ` ${reading.noDataHint}` : '';
    return { name, value: null, threshold, passed: false, reason: `${name}: no data returned from the metric provider (no requests in the window?); counted as a failed check.${hint}` };
  }
  if (Number.isNaN(outcome.value)) {
    const hint = reading.noDataHint ? ` ${reading.noDataHint}` : '';
    return { name, value: null, threshold, passed: false, reason: `${name}: the query returned NaN (no requests in the window); counted as a failed check${hint ? `.${hint}` : ''}` };
  }
  const passed = bound === 'min' ? outcome.value >= threshold : outcome.value <= threshold;
  return {
    name,
    value: outcome.value,
    threshold,
    passed,
    reason: passed ? `${name} ${fmt(outcome.value, unit)} within ${limit}` : `${name} ${fmt(outcome.value, unit)} ${bound === 'min' ? 'below' : 'above'} ${limit}`,
  };
}

/** A round passes when every check passes; a round with no checks passes (nothing to judge). */
export function judgeRound(readings: MetricReading[]): RoundVerdict {
  const checks = readings.map(judgeCheck);
  return { passed: checks.every((check) => check.passed), checks };
}

export type RoundDecision =
  | { action: 'advance'; failedChecks: number; reason: string }
  | { action: 'hold'; failedChecks: number; reason: string }
  | { action: 'rollback'; failedChecks: number; reason: string };

/**
 * Flagger's rule: a failed round adds one failed check and holds the weight; reaching `threshold`
 * failed checks rolls back. A passed round advances. Failed checks are not reset by a passed round.
 */
export function decideRound(verdict: RoundVerdict, failedChecksBefore: number, threshold: number): RoundDecision {
  if (verdict.passed) return { action: 'advance', failedChecks: failedChecksBefore, reason: 'all checks passed' };
  const failedChecks = failedChecksBefore + 1;
  const failures = verdict.checks.filter((check) => !check.passed).map((check) => check.reason).join('; ');
  if (failedChecks >= threshold) {
    return { action: 'rollback', failedChecks, reason: `failed checks reached the threshold (${failedChecks}/${threshold}): ${failures}` };
  }
  return { action: 'hold', failedChecks, reason: `failed check ${failedChecks}/${threshold}: ${failures}` };
}
