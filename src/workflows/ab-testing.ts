import { decideBlueGreenRound, describeMatch } from './domain';
import { openTrack } from './opening';
import type { ReleaseRun } from './run';
import type { ReleaseResult } from './types';

/**
 * A/B testing (Flagger's strategy of that name): the canary runs beside the primary and only the
 * requests that match `analysis.match` (a header, a cookie) reach it, through a router above the
 * main one; everyone else stays on the primary. `iterations` passed rounds of analysis, then the
 * promotion of the canary and blue-green: the primary upgraded, then the A/B router removed. A
 * rollback removes the router first (one router call), then the canary release.
 */
export async function runAbTesting(run: ReleaseRun): Promise<ReleaseResult> {
  const { config, version, primary, canary, status, steering } = run;
  const { iterations, threshold } = config.analysis;
  const match = config.analysis.match ?? [];
  const rule = describeMatch(match);
  const checks = run.trackChecks();
  const guarded = run.rounds.guardOn(checks);
  const promoteNow = () => run.promote('promoted by a person, remaining rounds skipped');
  const progress = { installed: false };
  try {
    const opened = await openTrack(
      run,
      {
        announce: () => `Starting A/B test of ${run.label} (serving ${status.previousVersion ?? 'nothing yet'}): requests where ${rule} go to ${canary} for ${iterations} passed rounds every ${config.analysis.interval}; everyone else stays on ${primary}.`,
        trackLabel: canary,
        installing: `Installing ${canary} at ${version}`,
      },
      progress,
    );
    if (opened) return opened;
    const preRollout = await run.hooks.preRollout();
    if (preRollout.kind !== 'open') return run.interrupted(preRollout, promoteNow);
    const first = await run.checkpoint();
    if (first.kind !== 'open') return run.interrupted(first, promoteNow);
    await run.traffic.apply({ primaryWeight: 100, canaryWeight: 0, matchedToCanary: true });
    status.match = rule;
    run.record(`A/B router in place: requests where ${rule} go to ${canary}, all others to ${primary}`);

    let passedRounds = 0;
    for (;;) {
      const waited = await run.rounds.waitInterval(guarded);
      if (waited === 'abort') return run.rollBack(steering.abortReason, false);
      if (waited === 'promote') return promoteNow();
      if (typeof waited === 'object') return run.rollBack(waited.guard, true);
      const rollbackAsked = await run.hooks.rollbackRequestedByHook();
      if (rollbackAsked) return run.rollBack(rollbackAsked, false);
      const verdict = await run.rounds.measure(checks);
      const decision = decideBlueGreenRound(verdict, { failedChecks: status.failedChecks, passedRounds }, { threshold, iterations });
      status.failedChecks = decision.failedChecks;
      passedRounds = decision.passedRounds;
      const reason = decision.action === 'switch' ? `all checks passed (${passedRounds}/${iterations} rounds passed)` : decision.reason;
      run.record(`Analysis ${status.iteration} of ${canary} on the matching requests: ${reason}`);
      if (run.promoteWinsOverRound()) return promoteNow();
      if (decision.action === 'rollback') return run.rollBack(decision.reason, true);
      if (decision.action === 'switch') break;
    }
    const confirmed = await run.hooks.confirmPromotion(checks);
    if (confirmed.kind !== 'open') return run.interrupted(confirmed, promoteNow);
    const last = await run.checkpoint();
    if (last.kind !== 'open') return run.interrupted(last, promoteNow);
    return run.promote(`${canary} passed ${iterations} analysis round${iterations === 1 ? '' : 's'} on the requests where ${rule}`);
  } catch (error) {
    return run.stoppedBy(error, progress.installed, canary);
  }
}
