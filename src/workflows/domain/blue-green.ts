/**
 * Blue-green decisions: green is analysed at 0% for `iterations` passed rounds, then takes all traffic
 * at once and is watched for `postSwitchIterations` rounds while blue stays warm.
 */
import { decideRound, type RoundVerdict } from './analysis';

/**
 * Advice for a check with no data before the switch: green gets no traffic, so its metrics are empty
 * unless a `rollout` webhook sends test traffic to it (Flagger's load tester does exactly that).
 */
export function blueGreenNoDataHint(green: string, rolloutHooks: readonly string[], mirrorPercent?: number): string {
  if (mirrorPercent) {
    return `Before the switch green (${green}) gets ${mirrorPercent}% of the primary's requests as mirrored copies: no data means the primary had too few requests in the window (lengthen analysis.interval, or raise traffic.mirror.percent).`;
  }
  if (!rolloutHooks.length) {
    return `Before the switch no traffic reaches green (${green}): add a webhook of type rollout that sends test traffic to it (e.g. Flagger's load tester) so its metrics have data.`;
  }
  return `Before the switch green (${green}) gets only the test traffic of the rollout webhook(s) ${rolloutHooks.join(', ')}: check that they send requests to ${green}.`;
}

export type BlueGreenRoundDecision =
  | { action: 'switch'; failedChecks: number; passedRounds: number; reason: string }
  | { action: 'continue'; failedChecks: number; passedRounds: number; reason: string }
  | { action: 'rollback'; failedChecks: number; passedRounds: number; reason: string };

/**
 * One analysis round of green before the switch. As in Flagger, only passed rounds count towards
 * `iterations`; a failed round adds a failed check, and `threshold` failed checks roll back.
 */
export function decideBlueGreenRound(verdict: RoundVerdict, before: { failedChecks: number; passedRounds: number }, limits: { threshold: number; iterations: number }): BlueGreenRoundDecision {
  const round = decideRound(verdict, before.failedChecks, limits.threshold);
  if (round.action === 'rollback') return { action: 'rollback', failedChecks: round.failedChecks, passedRounds: before.passedRounds, reason: round.reason };
  if (round.action === 'hold') return { action: 'continue', failedChecks: round.failedChecks, passedRounds: before.passedRounds, reason: round.reason };
  const passedRounds = before.passedRounds + 1;
  if (passedRounds >= limits.iterations) {
    return { action: 'switch', failedChecks: round.failedChecks, passedRounds, reason: `all checks passed (${passedRounds}/${limits.iterations} rounds passed): switching traffic to green` };
  }
  return { action: 'continue', failedChecks: round.failedChecks, passedRounds, reason: `all checks passed (${passedRounds}/${limits.iterations} rounds passed)` };
}

export type WatchDecision =
  | { action: 'continue'; reason: string }
  | { action: 'done'; reason: string }
  | { action: 'rollback'; reason: string };

/**
 * One round of the watch after the switch. Green carries every request now and blue is still warm,
 * so a single failed round flips traffic back: waiting for `threshold` failures would hurt all users.
 */
export function decideWatchRound(verdict: RoundVerdict, round: number, rounds: number): WatchDecision {
  if (verdict.marginal) return { action: round >= rounds ? 'done' : 'continue', reason: `watch round ${round}/${rounds} marginal (score ${verdict.score ?? '-'}): not counted as failed` };
  if (!verdict.passed) {
    const failures = verdict.checks.filter((check) => !check.passed).map((check) => check.reason).join('; ');
    return { action: 'rollback', reason: `watch round ${round}/${rounds} after the switch failed, traffic goes back to blue: ${failures}` };
  }
  if (round >= rounds) return { action: 'done', reason: `watch round ${round}/${rounds} passed: green holds all traffic` };
  return { action: 'continue', reason: `watch round ${round}/${rounds} passed` };
}
