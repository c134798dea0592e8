import { weightSchedule } from './domain';
import { openTrack } from './opening';
import type { ReleaseRun } from './run';
import type { ReleaseResult } from './types';

/**
 * Canary: the new version beside the primary, traffic shifted in steps, every step judged on the
 * canary's metrics; promotion upgrades the primary. Webhooks add durable gates around the steps;
 * without hooks the command sequence is the one of the recorded canary histories.
 */
export async function runCanary(run: ReleaseRun): Promise<ReleaseResult> {
  const { config, version, canary, status, steering } = run;
  const schedule = weightSchedule(config.analysis);
  const checks = run.trackChecks();
  const promoteNow = () => run.promote('promoted by a person, remaining steps skipped');
  const guarded = run.rounds.guardOn(checks);
  const progress = { installed: false };
  try {
    const opened = await openTrack(
      run,
      {
        announce: () => `Starting canary of ${run.label} (serving ${status.previousVersion ?? 'nothing yet'}); steps ${schedule.join(', ')}% every ${config.analysis.interval}.`,
        trackLabel: canary,
        installing: `Installing ${canary} at ${version}`,
      },
      progress,
    );
    if (opened) return opened;
    const preRollout = await run.hooks.preRollout();
    if (preRollout.kind !== 'open') return run.interrupted(preRollout, promoteNow);
    let step = 0;
    const firstIncrease = await run.hooks.gate('confirm-traffic-increase');
    if (firstIncrease.kind !== 'open') return run.interrupted(firstIncrease, promoteNow);
    const first = await run.checkpoint();
    if (first.kind !== 'open') return run.interrupted(first, promoteNow);
    await run.traffic.setCanaryWeight(schedule[step]!);
    for (;;) {
      const waited = await run.rounds.waitInterval(guarded);
      if (waited === 'abort') return run.rollBack(steering.abortReason, false);
      if (waited === 'promote') return promoteNow();
      if (typeof waited === 'object') return run.rollBack(waited.guard, true);
      const rollbackAsked = await run.hooks.rollbackRequestedByHook();
      if (rollbackAsked) return run.rollBack(rollbackAsked, false);
      const decision = await run.rounds.analyse(checks);
      if (run.promoteWinsOverRound()) return promoteNow();
      if (decision.action === 'rollback') return run.rollBack(decision.reason, true);
      if (decision.action === 'hold') continue;
      if (step === schedule.length - 1) {
        const confirmed = await run.hooks.confirmPromotion(checks);
        if (confirmed.kind !== 'open') return run.interrupted(confirmed, promoteNow);
        const last = await run.checkpoint();
        if (last.kind !== 'open') return run.interrupted(last, promoteNow);
        return run.promote(`all ${schedule.length} steps passed analysis`);
      }
      step += 1;
      const increase = await run.hooks.gate('confirm-traffic-increase');
      if (increase.kind !== 'open') return run.interrupted(increase, promoteNow);
      const next = await run.checkpoint();
      if (next.kind !== 'open') return run.interrupted(next, promoteNow);
      await run.traffic.setCanaryWeight(schedule[step]!);
    }
  } catch (error) {
    return run.stoppedBy(error, progress.installed, canary);
  }
}
