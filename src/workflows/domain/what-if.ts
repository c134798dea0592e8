/*
 * What another analysis config would have decided on a finished release: its recorded rounds (the
 * readings the queryChecks activity returned, which are in the history) judged again with the new
 * checks and threshold, by the same pure functions the workflow uses. Nothing is queried again, so
 * a check is replayable only when the release measured it with the same query (the built-in checks:
 * by name), and every reading is over the interval the release ran with.
 */
import { decideRound, judgeRound, type CheckResult, type MetricReading, type RoundDecision, type RoundVerdict } from './analysis';
import type { CheckQuery } from './queries';

/** One analysis round as the history recorded it: the checks asked (with their queries) and the readings returned. */
export interface RecordedRound {
  /** The canary's weight during the round (its last weight change before it). */
  weight: number;
  asked: CheckQuery[];
  readings: MetricReading[];
}

export interface ReplayedRound {
  round: number;
  weight: number;
  recorded: RoundVerdict;
  replayed: RoundVerdict;
  /** The replayed decision (Flagger's failed-check rule with the new threshold). */
  decision: RoundDecision;
}

export interface WhatIf {
  rounds: ReplayedRound[];
  /** The failed-check thresholds: the new config's, and the one the release ran with. */
  threshold: number;
  recordedThreshold: number;
  /** The first round where the recorded checks (with the recorded threshold) rolled back, if any. */
  recordedRollbackAt: number | null;
  /** The first round where the new config rolls back, if any. */
  replayedRollbackAt: number | null;
  /** New checks the release did not measure with the same query: left out of every replayed round, with why. */
  notReplayable: Array<{ name: string; why: string }>;
}

/**
 * Replays `rounds` with `checks` (the new config's checks) and `threshold`. A new check whose name the
 * release measured with the same query (and, for a bound against the primary, the primary's query)
 * takes that round's reading with the new bound; any other is not replayable and left out.
 */
export function replayAnalysis(rounds: readonly RecordedRound[], checks: readonly CheckQuery[], threshold: number, recordedThreshold: number): WhatIf {
  const notReplayable = new Map<string, string>();
  let replayedFailed = 0;
  let recordedFailed = 0;
  let recordedRollbackAt: number | null = null;
  let replayedRollbackAt: number | null = null;
  const replayedRounds = rounds.map((round, index) => {
    const readings: MetricReading[] = [];
    for (const check of checks) {
      const askedBefore = round.asked.find((asked) => asked.name === check.name);
      const reading = round.readings.find((each) => each.name === check.name);
      const why = !askedBefore || !reading ? 'not measured in this release' : !sameMeasurement(askedBefore, check) ? 'measured with another query' : check.reference && !reading.referenceOutcome ? 'the primary was not measured beside it' : null;
      if (why) {
        notReplayable.set(check.name, why);
        continue;
      }
      const { query: _query, reference, ...bound } = check;
      readings.push({ ...bound, ...(reference ? { reference: { change: reference.change }, referenceOutcome: reading!.referenceOutcome } : {}), outcome: reading!.outcome } as MetricReading);
    }
    const recorded = judgeRound(round.readings);
    const replayed = judgeRound(readings);
    const recordedDecision = decideRound(recorded, recordedFailed, recordedThreshold);
    recordedFailed = recordedDecision.failedChecks;
    if (recordedDecision.action === 'rollback' && recordedRollbackAt === null) recordedRollbackAt = index + 1;
    const decision = decideRound(replayed, replayedFailed, threshold);
    replayedFailed = decision.failedChecks;
    if (decision.action === 'rollback' && replayedRollbackAt === null) replayedRollbackAt = index + 1;
    return { round: index + 1, weight: round.weight, recorded, replayed, decision };
  });
  return { rounds: replayedRounds, threshold, recordedThreshold, recordedRollbackAt, replayedRollbackAt, notReplayable: [...notReplayable].map(([name, why]) => ({ name, why })) };
}

/** The built-in checks mean the same whatever version of this project's template asked them; a custom check must have asked the same query. */
const BUILT_IN = /^request-(success-rate|duration)(-vs-primary.*)?$/;
function sameMeasurement(asked: CheckQuery, check: CheckQuery): boolean {
  if (BUILT_IN.test(check.name)) return true;
  return asked.query === check.query && (!check.reference || asked.reference?.query === check.reference.query);
}

/** A verdict in one line: `passed`, or `failed: <the failed checks' reasons>`. */
export function verdictLine(verdict: RoundVerdict): string {
  const failed = verdict.checks.filter((check: CheckResult) => !check.passed && !check.dryRun);
  return verdict.passed ? 'passed' : `failed: ${failed.map((check) => check.reason).join('; ')}`;
}
