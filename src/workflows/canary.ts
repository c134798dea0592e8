import { isCancellation } from '@temporalio/workflow';
import { durationMs, metricChecks, weightSchedule } from './domain';
import { failureMessage, type ReleaseRun } from './run';
import type { ReleaseResult } from './types';

/**
 * Canary: the new version beside the primary, traffic shifted in steps, every step judged on the
 * canary's metrics; promotion upgrades the primary. Webhooks add durable gates around the steps;
 * without hooks the command sequence is the one of the recorded canary histories.
 */
export async function runCanary(run: ReleaseRun): Promise<ReleaseResult> {
  const { config, acts, target, version, primary, canary, status, steering } = run;
  const schedule = weightSchedule(config.analysis);
  const checks = metricChecks({ namespace: config.service.namespace, interval: config.analysis.interval, target: config.target, ...config.metrics }, config.traffic.canaryService);
  const promoteNow = () => run.promote('promoted by a person, remaining steps skipped');
  const guarded = run.rounds.guardOn(checks);
  let installed = false;
  try {
    const current = await acts.deploy.describeRelease({ target, release: primary });
    status.previousVersion = current?.version ?? null;
    run.primaryBefore = current;
    await run.notify(`Starting canary of ${run.label} (serving ${status.previousVersion ?? 'nothing yet'}); steps ${schedule.join(', ')}% every ${config.analysis.interval}.`, 'info');
    // promote opens confirm-rollout as well (a person confirmed); the request then skips the steps.
    if ((await run.hooks.gate('confirm-rollout')).kind === 'abort') return run.abandon(steering.abortReason);
    if (run.abortedBeforeInstall()) return run.abandon(steering.abortReason);
    await run.traffic.clearCanaryTrack();
    run.record(`Installing ${canary} at ${version}`);
    installed = true;
    await acts.deploy.installRelease({ target, release: canary, version });
    await run.waitReady(canary);
    run.record(`${canary} is ready`);
    if (steering.abortRequested) return run.rollBack(steering.abortReason, false);
    if (config.webhooks.helmTests.enabled) {
      run.record(`Running helm tests of ${canary}`);
      const tests = await acts.tests.runTests({ target, release: canary, timeoutMs: durationMs(config.webhooks.helmTests.timeout) });
      if (!tests.passed) return run.rollBack(`helm test of ${canary} failed: ${tests.output.split('\n').slice(-3).join(' | ')}`, false);
      run.record('Helm tests passed');
    }
    if (steering.abortRequested) return run.rollBack(steering.abortReason, false);
    run.setPhase('Progressing');
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
    if (isCancellation(error)) return run.cancelled(installed);
    if (!installed) return run.failed(`stopped before installing ${canary} (reading ${primary} or clearing the canary track's traffic): ${failureMessage(error)}`);
    return run.rollBack(`${failureMessage(error)}`, false);
  }
}
