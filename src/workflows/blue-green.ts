import { blueGreenNoDataHint, decideBlueGreenRound, decideWatchRound } from './domain';
import { openTrack } from './opening';
import type { ReleaseRun } from './run';
import type { ReleaseResult } from './types';

/**
 * Blue-green: green (the canary release) runs beside blue (the primary) with 0% traffic, is tested
 * and analysed for `iterations` passed rounds, then takes 100% in one router call. A watch of
 * `postSwitchIterations` rounds follows while blue stays warm: a failure flips traffic back to blue
 * in one call. Only then is the primary upgraded, traffic moved back to it, and green removed.
 */
export async function runBlueGreen(run: ReleaseRun): Promise<ReleaseResult> {
  const { config, version, primary, canary: green, status, steering } = run;
  const { iterations, postSwitchIterations: watchRounds, threshold } = config.analysis;
  const measured = run.trackChecks();
  // Before the switch green sees no user traffic (unless mirrored): a no-data check says why and what to add.
  const hint = blueGreenNoDataHint(config.traffic.canaryService, run.hooks.hooksOf('rollout').map((hook) => hook.name), config.traffic.mirror?.percent);
  const analysisChecks = measured.map((check) => ({ ...check, noDataHint: hint }));

  /** The instant switch: every request to green in one router call. */
  const switchToGreen = async () => {
    run.record(`Switching all traffic to green (${green}) in one call; blue (${primary}) keeps running ${status.previousVersion ?? 'the previous version'}`);
    await run.traffic.setCanaryWeight(100);
    // Detection after the switch runs from the first failed watch round, not from an earlier held round.
    run.firstFailedCheckMs = null;
  };
  const promoteNow = async () => {
    if (status.canaryWeight < 100) await switchToGreen();
    return run.promote('promoted by a person, remaining rounds skipped');
  };

  const progress = { installed: false };
  try {
    const opened = await openTrack(
      run,
      {
        announce: () =>
          `Starting blue-green of ${run.label} (serving ${status.previousVersion ?? 'nothing yet'}): green gets 0% for ${iterations} passed rounds every ${config.analysis.interval}, then all traffic at once, watched for ${watchRounds} rounds with blue kept warm.`,
        trackLabel: `green ${green}`,
        installing: `Installing green ${green} at ${version} beside ${primary} (0% traffic)`,
      },
      progress,
    );
    if (opened) return opened;
    // Releases recorded before the checkpoints cleared the canary track here, after the install.
    if (!run.checkpoints) await run.traffic.setCanaryWeight(0);
    const preRollout = await run.hooks.preRollout();
    if (preRollout.kind !== 'open') return run.interrupted(preRollout, promoteNow);
    // traffic.mirror: green is judged on copies of real requests; the switch (or a rollback's 100/0) ends the mirror.
    if (config.traffic.mirror) await run.traffic.mirrorToCanary(config.traffic.mirror.percent);

    let passedRounds = 0;
    for (;;) {
      const waited = await run.rounds.waitInterval();
      if (waited === 'abort') return run.rollBack(steering.abortReason, false);
      if (waited === 'promote') return promoteNow();
      const rollbackAsked = await run.hooks.rollbackRequestedByHook();
      if (rollbackAsked) return run.rollBack(rollbackAsked, false);
      const verdict = await run.rounds.measure(analysisChecks);
      const decision = decideBlueGreenRound(verdict, { failedChecks: status.failedChecks, passedRounds }, { threshold, iterations });
      status.failedChecks = decision.failedChecks;
      passedRounds = decision.passedRounds;
      run.record(`Analysis ${status.iteration} of green at 0%: ${decision.reason}`);
      if (run.promoteWinsOverRound()) return promoteNow();
      if (decision.action === 'rollback') return run.rollBack(decision.reason, true);
      if (decision.action === 'switch') break;
    }
    const confirmed = await run.hooks.confirmPromotion(analysisChecks);
    if (confirmed.kind !== 'open') return run.interrupted(confirmed, promoteNow);
    const beforeSwitch = await run.checkpoint();
    if (beforeSwitch.kind !== 'open') return run.interrupted(beforeSwitch, promoteNow);
    run.setPhase('Progressing');
    await switchToGreen();

    // Green serves everyone now: the guard watches it between the watch rounds.
    const guarded = run.rounds.guardOn(measured);
    for (let round = 1; round <= watchRounds; round++) {
      const waited = await run.rounds.waitInterval(guarded);
      // Blue still runs the old version, so abort flips traffic back in one call (rollBack sets 100/0 first).
      if (waited === 'abort') return run.rollBack(steering.abortReason, false);
      if (typeof waited === 'object') return run.rollBack(waited.guard, true);
      if (waited === 'promote') return run.promote('promoted by a person, remaining watch rounds skipped');
      const rollbackAsked = await run.hooks.rollbackRequestedByHook();
      if (rollbackAsked) return run.rollBack(rollbackAsked, false);
      const verdict = await run.rounds.measure(measured);
      const decision = decideWatchRound(verdict, round, watchRounds);
      if (!verdict.passed && !verdict.marginal) status.failedChecks += 1;
      run.record(`Watch ${round}/${watchRounds} of green at 100%: ${decision.reason}`);
      if (run.promoteWinsOverRound()) return run.promote('promoted by a person, remaining watch rounds skipped');
      if (decision.action === 'rollback') return run.rollBack(decision.reason, true);
    }
    const beforePromotion = await run.checkpoint();
    if (beforePromotion.kind !== 'open') return run.interrupted(beforePromotion, () => run.promote('promoted by a person, remaining watch rounds skipped'));
    return run.promote(`green passed ${iterations} analysis round${iterations === 1 ? '' : 's'} at 0% and ${watchRounds} watch round${watchRounds === 1 ? '' : 's'} at 100%`);
  } catch (error) {
    return run.stoppedBy(error, progress.installed, green);
  }
}
