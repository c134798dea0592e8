/*
 * The bake (`bake: { duration }`): once promoted, the primary is analysed for a while more on its own
 * success rate and latency. `threshold` failed rounds, or an abort, revert it to the revision recorded
 * before the release (`helm rollback --wait`): outcome revertedAfterPromotion, exit 5. Argo Rollouts
 * users know the idea as a post-promotion analysis; Flagger forgets a canary once it is promoted.
 */
import { CancellationScope, condition } from '@temporalio/workflow';
import { analysisErrorCheck, bakeRounds, durationMs, judgeRound, metricChecks, type RoundVerdict } from './domain';
import type { ReleaseRun } from './run';
import { failureMessage } from './steered';
import type { ReleaseResult } from './types';

/** The revision serving before the release, which a regression puts back. */
export interface RevisionBefore {
  revision: number;
  version: string | null;
}

/** Ends a promoted release: straight to Succeeded, or through the bake when the config asks for one. */
export async function concludePromotion(run: ReleaseRun, why: string, promotedNote: string, before: RevisionBefore | null): Promise<ReleaseResult> {
  const bake = run.config.bake;
  if (!bake) {
    run.setPhase('Succeeded');
    await run.notify(promotedNote, 'success');
    return run.conclude('promoted', why);
  }
  if (!before) {
    run.record(`Bake skipped: ${run.primary} had no revision before this release to go back to`);
    run.setPhase('Succeeded');
    await run.notify(promotedNote, 'success');
    return run.conclude('promoted', why);
  }
  const { steering, status, primary, config } = run;
  const intervalMs = bake.interval ? durationMs(bake.interval) : run.timings.intervalMs;
  const rounds = bakeRounds(durationMs(bake.duration), intervalMs);
  const threshold = bake.threshold ?? config.analysis.threshold;
  const checks = metricChecks({ namespace: config.service.namespace, intervalMs, target: config.target, ...config.metrics, custom: [] }, config.traffic.primaryService);
  const endsAt = new Date(Date.now() + rounds * intervalMs).toISOString();

  steering.enterBake();
  run.setPhase('Baking');
  status.failedChecks = 0;
  status.threshold = threshold;
  run.record(`Baking ${run.version} for ${bake.duration} (${rounds} round${rounds === 1 ? '' : 's'} of ${primary}'s own metrics): ${threshold} failed round${threshold === 1 ? '' : 's'} or an abort revert to revision ${before.revision} (${versionText(before.version)})`);
  await run.notify(`${promotedNote}\nBaking for ${bake.duration}: a regression reverts to revision ${before.revision} (${versionText(before.version)}).`, 'info');

  for (let round = 1; round <= rounds; round++) {
    status.waitingFor = `bake: round ${round} of ${rounds}, until ${endsAt} (abort reverts, promote ends the bake)`;
    await condition(() => steering.abortRequested || steering.promoteRequested, intervalMs);
    if (steering.abortRequested) return revertPromotion(run, before, `${steering.abortReason} during the bake`, false);
    if (steering.promoteRequested) {
      run.record(`Bake ended early by promote${steering.by ? ` from ${steering.by}` : ''} after ${round - 1} of ${rounds} rounds`);
      break;
    }
    let verdict: RoundVerdict;
    try {
      verdict = judgeRound(await run.acts.analysis.queryChecks({ checks, ...(config.metricsServer ? { metricsServer: config.metricsServer } : {}) }));
    } catch (error) {
      verdict = { passed: false, checks: [analysisErrorCheck(failureMessage(error))] };
    }
    // An abort that arrived while the round was measured wins over its verdict.
    if (steering.abortRequested) return revertPromotion(run, before, `${steering.abortReason} during the bake`, false);
    run.showChecks(verdict.checks);
    if (verdict.passed) {
      run.record(`Bake round ${round}/${rounds}: ${primary} healthy`);
      continue;
    }
    status.failedChecks += 1;
    run.firstFailedCheckMs ??= Date.now();
    const failed = verdict.checks.filter((check) => !check.passed && check.dryRun !== true).map((check) => check.reason);
    run.record(`Bake round ${round}/${rounds}: failed (${status.failedChecks} of ${threshold}): ${failed.join('; ')}`);
    if (status.failedChecks >= threshold) {
      run.detectionMs = Date.now() - run.firstFailedCheckMs;
      return revertPromotion(run, before, `${primary} regressed after promotion: ${status.failedChecks} failed bake round${status.failedChecks === 1 ? '' : 's'} (${failed.join('; ')})`, true);
    }
  }
  status.waitingFor = null;
  run.setPhase('Succeeded');
  await run.notify(`Bake of ${run.label} passed: ${run.version} stays.`, 'success');
  return run.conclude('promoted', `${why}; the bake passed`);
}

/** `helm rollback <primary> <revision before> --wait`: traffic is all on the primary already, so nothing else moves. */
function revertPromotion(run: ReleaseRun, before: RevisionBefore, reason: string, fromAnalysis: boolean): Promise<ReleaseResult> {
  return CancellationScope.nonCancellable(async () => {
    const { primary, target, status } = run;
    const decisionMs = Date.now();
    status.waitingFor = null;
    run.setPhase('RollingBack');
    run.record(`Reverting ${primary} to revision ${before.revision} (${versionText(before.version)}): ${reason}`);
    let restored;
    try {
      restored = await run.acts.deploy.rollbackRelease({ target, release: primary, revision: before.revision });
      await run.waitReady(primary);
    } catch (error) {
      return run.failed(`the bake asked to revert ${primary} (${reason}), and helm rollback ${primary} ${before.revision} failed: ${failureMessage(error)}. ${run.version} may still serve; look at helm history ${primary} -n ${target.namespace}`);
    }
    run.rollbackMs = Date.now() - decisionMs;
    run.revisions = { from: before.revision, to: restored.revision, rolledBackTo: before.revision };
    run.record(`Rollback to revision ${before.revision} completed successfully: ${primary} serves ${before.version ?? 'the previous version'} again (revision ${restored.revision})`);
    run.setPhase('RolledBack');
    const failedChecks = fromAnalysis ? status.lastChecks.filter((check) => !check.passed).map((check) => `• ${check.reason}`) : [];
    await run.notify([`Reverted ${run.label} after promotion: ${reason}`, ...failedChecks, `${before.version ?? 'The previous version'} serves again (revision ${restored.revision}).`].join('\n'), 'warning');
    return run.conclude('revertedAfterPromotion', reason);
  });
}

const versionText = (version: string | null) => (version === null ? 'version unknown' : `version ${version}`);
