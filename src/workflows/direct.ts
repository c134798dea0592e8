import { CancellationScope } from '@temporalio/workflow';
import { directStory, outputTail, planDirect, webhookCheck } from './domain';
import { failureMessage, type ReleaseRun } from './run';
import type { ReleaseResult } from './types';
import { concludePromotion } from './bake';

/** Revisions of `helm history` read to find the rollback target (a few failed upgrades may sit on top of it). */
const HISTORY_MAX = 20;

/**
 * Direct: DocuTag's deploy-with-rollback script as a workflow. Record the serving revision, `helm
 * upgrade --install --wait`, wait for the rollout, run the helm tests; on any failure `helm rollback
 * <recorded revision> --wait` (a first install has no revision: it is uninstalled). The events tell
 * the script's story with the time each step took.
 */
export async function runDirect(run: ReleaseRun): Promise<ReleaseResult> {
  const { config, acts, target, version, primary, status, steering } = run;
  const elapsedSince = (startMs: number) => Date.now() - startMs;

  let from: { revision: number; version: string | null } | null = null;
  try {
    const history = await acts.deploy.releaseHistory({ target, release: primary, max: HISTORY_MAX });
    const plan = planDirect(primary, history);
    if (plan.kind === 'blocked') return run.failed(plan.reason);
    if (plan.kind === 'upgrade') {
      const newest = Math.max(...history.map((entry) => entry.revision));
      const current = await acts.deploy.describeRelease({ target, release: primary, ...(plan.from === newest ? {} : { revision: plan.from }) });
      from = { revision: plan.from, version: current?.version ?? null };
    } else {
      run.record(plan.note);
    }
  } catch (error) {
    return run.failed(`could not read the history of ${primary} (helm history ${primary} -n ${target.namespace}): ${failureMessage(error)}`);
  }
  status.previousVersion = from?.version ?? null;
  const revisions = { from: from?.revision ?? null, to: null as number | null, rolledBackTo: null as number | null };
  run.revisions = revisions;

  /** Puts back what was serving: `helm rollback <recorded revision> --wait`, or uninstall after a failed first install. */
  const rollBack = (reason: string): Promise<ReleaseResult> =>
    CancellationScope.nonCancellable(async () => {
      const decisionMs = Date.now();
      run.setPhase('RollingBack');
      if (!from) {
        run.record(directStory.uninstalling(primary));
        try {
          await acts.deploy.uninstallRelease({ target, release: primary });
        } catch (error) {
          return run.failed(`the first install of ${primary} failed (${reason}) and helm uninstall ${primary} failed too: ${failureMessage(error)}. Look at helm status ${primary} -n ${target.namespace}`);
        }
        run.rollbackMs = elapsedSince(decisionMs);
        run.record(directStory.uninstalled(primary, run.rollbackMs));
        run.setPhase('RolledBack');
        await run.notify(`Release ${run.label} failed on its first install and was uninstalled: ${reason}. Nothing of ${config.service.name} runs now.`, 'warning');
        return run.conclude('rolledBack', `${reason}; first install, no revision to roll back to: ${primary} was uninstalled`);
      }
      run.record(directStory.rollingBack(from.revision, from.version));
      try {
        await acts.deploy.rollbackRelease({ target, release: primary, revision: from.revision });
      } catch (error) {
        const helmError = failureMessage(error);
        run.record(directStory.rollbackFailed(from.revision, elapsedSince(decisionMs), helmError));
        const lookAt = revisions.to !== null ? `revision ${revisions.to} (${version}) may still be live` : `the newest revision may be half-applied`;
        return run.failed(
          `rollback of ${primary} to revision ${from.revision} failed: ${helmError}. It was rolling back because: ${reason}. Look at helm history ${primary} -n ${target.namespace}: ${lookAt}; revision ${from.revision} (version ${from.version ?? 'unknown'}) is the last good one`,
        );
      }
      run.rollbackMs = elapsedSince(decisionMs);
      revisions.rolledBackTo = from.revision;
      run.record(directStory.rollbackCompleted(from.revision, run.rollbackMs));
      run.setPhase('RolledBack');
      await run.notify(`Rolled back ${run.label} to revision ${from.revision} (version ${from.version ?? 'unknown'}): ${reason}`, 'warning');
      return run.conclude('rolledBack', `${reason}; rolled back to revision ${from.revision} (version ${from.version ?? 'unknown'})`);
    });

  await run.notify(
    `Starting direct release of ${run.label}: ${from ? `upgrading ${primary} from revision ${from.revision} (version ${from.version ?? 'unknown'})` : `first install of ${primary}`}; rollback on any failure.`,
    'info',
  );
  if ((await run.hooks.gate('confirm-rollout')).kind === 'abort') return run.abandon(steering.abortReason);
  // pre-rollout runs once before the new version gets traffic, which for direct is the upgrade itself.
  const preRollout = run.hooks.hooksOf('pre-rollout');
  if (preRollout.length) {
    const failed = (await run.hooks.callHooks(preRollout)).map(({ hook, outcome }) => webhookCheck(hook, outcome)).filter((check) => !check.passed);
    if (failed.length) return run.abandon(`${failed.map((check) => check.reason).join('; ')}; nothing was upgraded`);
  }
  // The checkpoint before the upgrade: an abort that came in meanwhile stops the release with nothing upgraded.
  if (run.abortedBeforeInstall()) return run.abandon(`${steering.abortReason}; nothing was upgraded`);

  run.setPhase('Progressing');
  run.record(from ? directStory.upgradingFrom(from.revision, from.version) : directStory.firstInstall(primary, version));
  let stepMs = Date.now();
  try {
    const upgraded = await acts.deploy.installRelease({ target, release: primary, version });
    revisions.to = upgraded.revision;
    run.record(directStory.newRevision(upgraded.revision, upgraded.version, elapsedSince(stepMs)));
  } catch (error) {
    run.record(directStory.upgradeFailed(elapsedSince(stepMs), failureMessage(error)));
    return rollBack(failureMessage(error));
  }
  if (steering.abortRequested) return rollBack(steering.abortReason);

  run.record(directStory.waitingForRollout());
  stepMs = Date.now();
  try {
    await run.waitReady(primary);
    run.record(directStory.rolloutComplete(elapsedSince(stepMs)));
  } catch (error) {
    run.record(directStory.rolloutFailed(elapsedSince(stepMs), failureMessage(error)));
    return rollBack(`the rollout of ${primary} did not complete: ${failureMessage(error)}`);
  }
  if (steering.abortRequested) return rollBack(steering.abortReason);

  if (config.webhooks.helmTests.enabled) {
    run.record(directStory.runningTests());
    stepMs = Date.now();
    let tests: { passed: boolean; output: string };
    try {
      tests = await acts.tests.runTests({ target, release: primary, timeoutMs: run.timings.helmTestsTimeoutMs });
    } catch (error) {
      tests = { passed: false, output: `helm test could not run: ${failureMessage(error)}` };
    }
    if (!tests.passed) {
      run.record(directStory.testsFailed(elapsedSince(stepMs), outputTail(tests.output)));
      return rollBack(`helm test of ${primary} failed: ${outputTail(tests.output)}`);
    }
    run.record(directStory.testsPassed(elapsedSince(stepMs)));
  }
  if (steering.abortRequested) return rollBack(steering.abortReason);

  // rollout hooks run once, as tests of the new revision: a failing one rolls back like a failed helm test.
  const rolloutHooks = run.hooks.hooksOf('rollout');
  if (rolloutHooks.length) {
    const checks = (await run.hooks.callHooks(rolloutHooks)).map(({ hook, outcome }) => webhookCheck(hook, outcome));
    status.lastChecks = checks;
    const failed = checks.filter((check) => !check.passed);
    if (failed.length) return rollBack(failed.map((check) => check.reason).join('; '));
    run.record(checks.map((check) => check.reason).join('; '));
  }
  if (steering.abortRequested) return rollBack(steering.abortReason);

  run.setPhase('Promoting');
  run.record(`Revision ${revisions.to} of ${primary} passed${config.webhooks.helmTests.enabled ? ' its helm tests' : ''}: ${version} stays`);
  run.setPhase('Finalising');
  return concludePromotion(
    run,
    `${primary} upgraded to ${version} as revision ${revisions.to}${from ? ` (from revision ${from.revision})` : ' (first install)'}`,
    `Released ${run.label} directly: revision ${revisions.to}${from ? ` (was revision ${from.revision}, version ${from.version ?? 'unknown'})` : ' (first install)'}.`,
    from,
  );
}
