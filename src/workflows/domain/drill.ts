import type { CheckResult } from './analysis';

/** What a rollback drill observed. Times in ms. */
export interface DrillObservation {
  /** How the deliberately faulty release ended. */
  releaseOutcome: 'promoted' | 'rolledBack' | 'failed' | 'reverted' | 'revertedAfterPromotion';
  releaseReason: string;
  /** First failed check → rollback decision (canary), or null when not measured. */
  detectionMs: number | null;
  /** Rollback decision → 100% on the primary (canary), or helm's rollback time (direct). */
  restoreMs: number | null;
  maxRestoreMs: number;
  /** The metrics round on the primary after the drill. */
  primaryChecks: CheckResult[];
  primaryVersionBefore: string | null;
  primaryVersionAfter: string | null;
}

export type DrillVerdict = { passed: true; reason: string } | { passed: false; reason: string };

/**
 * A drill passes only when the faulty version was rolled back, in time, and the primary serves
 * the version it served before and is healthy. Each failure says what a person must look at.
 */
export function judgeDrill(observation: DrillObservation): DrillVerdict {
  const { releaseOutcome, restoreMs, maxRestoreMs } = observation;
  if (releaseOutcome === 'promoted') {
    return { passed: false, reason: `the faulty version was PROMOTED: the analysis did not detect the fault (${observation.releaseReason}); roll back by hand and tighten the thresholds` };
  }
  if (releaseOutcome === 'failed') return { passed: false, reason: `the drill's release failed and needs a person: ${observation.releaseReason}` };
  const problems: string[] = [];
  if (restoreMs === null) problems.push('the restore time was not measured');
  else if (restoreMs > maxRestoreMs) problems.push(`rollback took ${restoreMs}ms, over drill.maxRestore ${maxRestoreMs}ms`);
  if (observation.primaryVersionAfter !== observation.primaryVersionBefore) {
    problems.push(`the primary runs ${observation.primaryVersionAfter ?? 'nothing'} after the drill, not ${observation.primaryVersionBefore ?? 'nothing'}`);
  }
  const unhealthy = observation.primaryChecks.filter((check) => !check.passed);
  if (unhealthy.length) problems.push(`the primary is unhealthy after the drill: ${unhealthy.map((check) => check.reason).join('; ')}`);
  if (problems.length) return { passed: false, reason: problems.join('; ') };
  const detection = observation.detectionMs === null ? '' : `detected in ${observation.detectionMs}ms, `;
  return { passed: true, reason: `the faulty version was rolled back (${detection}restored in ${restoreMs}ms, limit ${maxRestoreMs}ms) and the primary is healthy` };
}
