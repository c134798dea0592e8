/**
 * Judging one analysis round. A reading is what the metrics provider returned for one check; the
 * verdict turns readings into passed/failed checks with reasons a person can act on.
 */

/**
 * The kinds of answer one query can give. Only `value` carries a number, and it is always finite:
 * NaN and ±Inf become `null` in Temporal's JSON, so they travel as kinds of their own.
 * - `noData`: an empty vector (no series matches, or no requests in the window);
 * - `nan`, `positiveInfinity`, `negativeInfinity`: the sample was NaN (0/0) or ±Inf (x/0, a quantile above every bucket);
 * - `manySeries`: the query returned more than one series where one number is judged;
 * - `badAnswer`: an answer that is not a query result (not JSON, malformed, a matrix, a sample that is not a number);
 * - `httpError`: Prometheus (or a proxy in front of it) answered 4xx/5xx;
 * - `timeout`, `unreachable`: no answer in time, or no connection (refused, reset, unknown host);
 * - `error`: anything else (no Prometheus configured, a provider that failed unexpectedly).
 */
export const METRIC_OUTCOME_KINDS = {
  value: 'value',
  noData: 'noData',
  nan: 'nan',
  positiveInfinity: 'positiveInfinity',
  negativeInfinity: 'negativeInfinity',
  manySeries: 'manySeries',
  badAnswer: 'badAnswer',
  httpError: 'httpError',
  timeout: 'timeout',
  unreachable: 'unreachable',
  error: 'error',
} as const;
export type MetricOutcomeKind = (typeof METRIC_OUTCOME_KINDS)[keyof typeof METRIC_OUTCOME_KINDS];

/** The kinds that say something about the data (the query ran); the others say the query itself failed. */
const DATA_KINDS: ReadonlySet<MetricOutcomeKind> = new Set(['noData', 'nan', 'positiveInfinity', 'negativeInfinity', 'manySeries']);
/** The kinds that mean "no traffic to measure": a blue-green no-data hint applies to them. */
const NO_TRAFFIC_KINDS: ReadonlySet<MetricOutcomeKind> = new Set(['noData', 'nan']);

/**
 * What one query produced: a finite number, or a kind with a message a person understands (quoted
 * in the check's reason). Plain JSON: it crosses Temporal as an activity result.
 */
export type MetricOutcome =
  | { kind: 'value'; value: number }
  | { kind: 'manySeries'; message: string; seriesCount: number }
  | { kind: 'httpError'; message: string; status: number }
  | { kind: Exclude<MetricOutcomeKind, 'value' | 'manySeries' | 'httpError'>; message: string };

/** The outcome that is not a value. */
export type MetricFault = Exclude<MetricOutcome, { kind: 'value' }>;

/** The messages of the kinds whose meaning does not depend on the backend; providers use them so reasons read alike. */
export const METRIC_MESSAGES = {
  noData: 'no data returned from the metric provider (an empty vector: no series matches the query, or no requests in the window?)',
  nan: 'NaN: no requests in the window? (a ratio of two zero rates is 0/0)',
  positiveInfinity: '+Inf: a division by a zero rate (no requests in the window?), or a quantile above the largest histogram bucket',
  negativeInfinity: '-Inf: a negative number divided by zero; check the query',
  manySeries: (count: number) => `${count} series: the query must aggregate to one series, e.g. sum(...) around it`,
} as const;

/**
 * The outcome of a number as a provider read it: finite numbers are values, NaN and ±Inf their own
 * kinds. Use it for every number a provider returns, so no non-finite number reaches JSON.
 */
export function outcomeOfNumber(value: number): MetricOutcome {
  if (Number.isFinite(value)) return { kind: 'value', value };
  if (Number.isNaN(value)) return { kind: 'nan', message: METRIC_MESSAGES.nan };
  return value > 0 ? { kind: 'positiveInfinity', message: METRIC_MESSAGES.positiveInfinity } : { kind: 'negativeInfinity', message: METRIC_MESSAGES.negativeInfinity };
}

const KNOWN_KINDS: ReadonlySet<string> = new Set(Object.values(METRIC_OUTCOME_KINDS));
const DEFAULT_MESSAGES: Record<Exclude<MetricOutcomeKind, 'value'>, string> = {
  noData: METRIC_MESSAGES.noData,
  nan: METRIC_MESSAGES.nan,
  positiveInfinity: METRIC_MESSAGES.positiveInfinity,
  negativeInfinity: METRIC_MESSAGES.negativeInfinity,
  manySeries: 'more than one series: the query must aggregate to one series, e.g. sum(...) around it',
  badAnswer: 'the metric provider answered something that is not a query result',
  httpError: 'the metric provider answered with an HTTP error',
  timeout: 'the metric provider did not answer in time',
  unreachable: 'the metric provider could not be reached',
  error: 'the metric provider failed without saying why',
};

/** A short, printable rendering of an unexpected value for a reason (never throws). */
function shown(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value;
}

/**
 * Reads whatever arrived as an outcome into a well-formed one, never throwing: a `value` that is not
 * a finite number (NaN or ±Inf from an older worker, `null` as JSON made of them, a string) and an
 * unknown or missing kind become faults that say what came.
 */
export function normaliseOutcome(outcome: unknown): MetricOutcome {
  if (typeof outcome !== 'object' || outcome === null) {
    return { kind: 'error', message: `the metric provider returned ${shown(outcome)} instead of an outcome` };
  }
  const { kind, value, message } = outcome as { kind?: unknown; value?: unknown; message?: unknown };
  if (kind === 'value') {
    if (typeof value === 'number') return outcomeOfNumber(value);
    const why = value === null ? ' (NaN or ±Inf turned into null by JSON?)' : '';
    return { kind: 'badAnswer', message: `the metric provider returned ${shown(value)} instead of a number${why}` };
  }
  if (typeof kind !== 'string' || !KNOWN_KINDS.has(kind)) {
    return { kind: 'error', message: `the metric provider returned an outcome of unknown kind ${shown(kind)}` };
  }
  const text = typeof message === 'string' && message.trim() ? message : DEFAULT_MESSAGES[kind as Exclude<MetricOutcomeKind, 'value'>];
  return { ...(outcome as MetricFault), message: text };
}

/** A check to judge: `min` checks pass at or above the threshold, `max` checks at or below. */
export interface MetricReading {
  name: string;
  bound: 'min' | 'max';
  threshold: number;
  /** Unit shown in reasons: `%`, `ms` or empty. */
  unit: string;
  outcome: MetricOutcome;
  /** Extra advice for a no-data or NaN result (no traffic to measure; e.g. blue-green: no traffic reaches green). */
  noDataHint?: string;
  /** A bound against the primary: `threshold` is the allowed change, in the check's unit or in percent of the primary's value. */
  reference?: { change: RelativeChange };
  /** What the primary's query produced in the same round (a check with `reference`). */
  referenceOutcome?: MetricOutcome;
  /** Measured and shown, never counted toward a decision. */
  dryRun?: true;
}

/** How a relative bound's allowed change is expressed: in the check's unit (percentage points, ms), or in percent of the primary's value. */
export type RelativeChange = 'absolute' | 'percent';

/** The judged check, as shown in `status.lastChecks` and in Slack. */
export interface CheckResult {
  name: string;
  value: number | null;
  /** The bound the value was held to (for a check against the primary: the primary's value moved by the allowed change). */
  threshold: number;
  passed: boolean;
  reason: string;
  /** The primary's value, for a check against the primary (null: the primary had none). */
  reference?: number | null;
  /** Measured and shown, never counted: the round is decided without it. */
  dryRun?: true;
}

export interface RoundVerdict {
  passed: boolean;
  checks: CheckResult[];
  /** A statistical judge's score of the round (0–100), when one judged it. */
  score?: number;
  /** Neither passed nor failed (a judge's marginal score): the weight holds, and no failed check is counted. */
  marginal?: true;
}

/** A number with its unit, 2 decimals at most; never throws (a non-finite threshold prints as itself). */
const fmt = (value: number, unit: string) => `${Number.isFinite(value) && !Number.isInteger(value) ? value.toFixed(2) : String(value)}${unit}`;

/**
 * Judges one reading. Only a finite value is compared with the threshold; every other outcome (and
 * anything malformed that arrives as one) is a failed check whose reason says what came back, so it
 * counts toward the failed-check threshold instead of crashing the round.
 */
export function judgeCheck(reading: MetricReading): CheckResult {
  const judged = reading.reference ? judgeAgainstPrimary(reading, reading.reference.change) : judgeAbsolute(reading);
  return reading.dryRun ? { ...judged, dryRun: true, reason: `dry-run: ${judged.reason}` } : judged;
}

/** The failed check for an outcome that is not a value, saying what came back. */
function faultCheck(reading: MetricReading, outcome: MetricFault, track = ''): CheckResult {
  const { name, threshold } = reading;
  const hint = reading.noDataHint && NO_TRAFFIC_KINDS.has(outcome.kind) ? `. ${reading.noDataHint}` : '';
  const what = DATA_KINDS.has(outcome.kind) ? outcome.message : `the metrics query failed (${outcome.message})`;
  return { name, value: null, threshold, passed: false, reason: `${name}: ${track}${what}; counted as a failed check${hint}` };
}

function judgeAbsolute(reading: MetricReading): CheckResult {
  const { name, bound, threshold, unit } = reading;
  const outcome = normaliseOutcome(reading.outcome);
  if (outcome.kind !== 'value') return faultCheck(reading, outcome);
  const limit = `${bound === 'min' ? 'minimum' : 'maximum'} ${fmt(threshold, unit)}`;
  const passed = bound === 'min' ? outcome.value >= threshold : outcome.value <= threshold;
  return {
    name,
    value: outcome.value,
    threshold,
    passed,
    reason: passed ? `${name} ${fmt(outcome.value, unit)} within ${limit}` : `${name} ${fmt(outcome.value, unit)} ${bound === 'min' ? 'below' : 'above'} ${limit}`,
  };
}

/**
 * A bound against the primary: the canary's value held to the primary's, moved by the allowed change
 * ("canary 98.10%, primary 98.60%, allowed −0.5"). A primary that served nothing in the window (the
 * canary at 100%, or blue-green after the switch) leaves nothing to compare: the check passes and says
 * so, and the absolute bounds decide. A primary whose query failed is a failed check, as any failed query.
 */
function judgeAgainstPrimary(reading: MetricReading, change: RelativeChange): CheckResult {
  const { name, bound, threshold: allowed, unit } = reading;
  const canary = normaliseOutcome(reading.outcome);
  const primary = normaliseOutcome(reading.referenceOutcome);
  const sign = bound === 'min' ? '−' : '+';
  // Percentage points of a success rate read "−0.5"; a change in percent of the primary "+20%"; one in ms "+50ms".
  const amount = String(Number(allowed.toFixed(2)));
  const allowance = `allowed ${sign}${change === 'percent' ? `${amount}%` : `${amount}${unit === '%' ? '' : unit}`}`;
  if (primary.kind !== 'value') {
    if (NO_TRAFFIC_KINDS.has(primary.kind)) return { name, value: canary.kind === 'value' ? canary.value : null, threshold: allowed, passed: true, reference: null, reason: `${name}: the primary served no requests in the window, nothing to compare with (${allowance}); the other checks decide` };
    return { ...faultCheck(reading, primary, 'primary: '), reference: null };
  }
  if (canary.kind !== 'value') return { ...faultCheck(reading, canary, 'canary: '), reference: primary.value };
  const delta = change === 'percent' ? (Math.abs(primary.value) * allowed) / 100 : allowed;
  const limit = bound === 'min' ? primary.value - delta : primary.value + delta;
  const passed = bound === 'min' ? canary.value >= limit : canary.value <= limit;
  return {
    name,
    value: canary.value,
    threshold: limit,
    passed,
    reference: primary.value,
    reason: `${name}: canary ${fmt(canary.value, unit)}, primary ${fmt(primary.value, unit)}, ${allowance} (${bound === 'min' ? 'minimum' : 'maximum'} ${fmt(limit, unit)})${passed ? '' : `: ${bound === 'min' ? 'below' : 'above'} it`}`,
  };
}

/** What went wrong inside a round (an activity failed for good, an answer the judge cannot read), as a failed check that counts toward the threshold. */
export function analysisErrorCheck(message: string): CheckResult {
  return { name: 'analysis error', value: null, threshold: 0, passed: false, reason: `analysis error: ${message}` };
}

/** A round passes when every counted check passes (dry-run ones are shown, not counted); a round with no checks passes (nothing to judge). */
export function judgeRound(readings: MetricReading[]): RoundVerdict {
  const checks = readings.map(judgeCheck);
  return { passed: checks.every(counts.passed), checks };
}

const counts = {
  /** A check that passed, or does not count. */
  passed: (check: CheckResult) => check.passed || check.dryRun === true,
  /** A check whose failure counts toward the round. */
  failed: (check: CheckResult) => !check.passed && check.dryRun !== true,
};

export type RoundDecision =
  | { action: 'advance'; failedChecks: number; reason: string }
  | { action: 'hold'; failedChecks: number; reason: string }
  | { action: 'rollback'; failedChecks: number; reason: string };

/**
 * Flagger's rule: a failed round adds one failed check and holds the weight; reaching `threshold`
 * failed checks rolls back. A passed round advances. Failed checks are not reset by a passed round.
 */
export function decideRound(verdict: RoundVerdict, failedChecksBefore: number, threshold: number): RoundDecision {
  const scored = verdict.score === undefined ? '' : ` (score ${verdict.score})`;
  if (verdict.passed) return { action: 'advance', failedChecks: failedChecksBefore, reason: `all checks passed${scored}` };
  if (verdict.marginal) {
    const failing = verdict.checks.filter(counts.failed).map((check) => check.reason).join('; ');
    return { action: 'hold', failedChecks: failedChecksBefore, reason: `marginal${scored}: not counted as failed, the weight holds; ${failing}` };
  }
  const failedChecks = failedChecksBefore + 1;
  const failures = verdict.checks.filter(counts.failed).map((check) => check.reason).join('; ');
  if (failedChecks >= threshold) {
    return { action: 'rollback', failedChecks, reason: `failed checks reached the threshold (${failedChecks}/${threshold})${scored}: ${failures}` };
  }
  return { action: 'hold', failedChecks, reason: `failed check ${failedChecks}/${threshold}${scored}: ${failures}` };
}
