/*
 * `docutag-release rollback <namespace/service> [--to-revision N]`: the primary back to an earlier
 * revision without analysis, as DocuTag's deploy script words it. It runs under the service's release
 * id, so it never runs beside a release or a drill of the same service (a second start is refused
 * with the running one's id), and it reports the status a release does, so `watch` and `status` work.
 */
import { CancellationScope, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { admittedConfig } from './admission';
import { directStory, formatMs, planRevert } from './domain';
import { SEARCH_ATTRIBUTES, statusQuery } from './messages';
import { checkingStatus } from './release';
import { failureMessage, ReleaseRun, runPatches } from './run';
import type { ReleaseResult, RevertInput } from './types';

/** Revisions of `helm history` read to find the target (Helm keeps 10 by default; operators raise it). */
const HISTORY_MAX = 50;

export async function revert(input: RevertInput): Promise<ReleaseResult> {
  const patches = runPatches();
  setHandler(statusQuery, () => ({ ...checkingStatus({ config: input.config, version: 'rollback' }), operation: 'revert' as const }));
  // Anyone with access to the task queue can start one: the config is checked as a release's is.
  await admittedConfig(input.config, 'revert');
  const { config } = input;
  // RollingBack from the start: promote, abort, pause and resume are refused (or recorded as ignored), never accepted and left undone.
  const run = new ReleaseRun({ config, version: 'rollback', ...(input.requestedBy ? { requestedBy: input.requestedBy } : {}) }, patches, { phase: 'RollingBack' });
  const { acts, target, primary, status } = run;
  const service = `${config.service.namespace}/${config.service.name}`;
  status.operation = 'revert';
  run.record(`Rollback of ${primary} requested by ${input.requestedBy ?? 'unknown'}${input.reason ? `: ${input.reason}` : ''}`);

  let plan: ReturnType<typeof planRevert>;
  try {
    plan = planRevert(primary, await acts.deploy.releaseHistory({ target, release: primary, max: HISTORY_MAX }), input.toRevision);
  } catch (error) {
    return refused(run, `could not read the history of ${primary} (helm history ${primary} -n ${target.namespace}): ${failureMessage(error)}`);
  }
  if (plan.kind === 'refused') return refused(run, plan.reason);

  const [current, wanted] = await Promise.all([
    acts.deploy.describeRelease({ target, release: primary }),
    acts.deploy.describeRelease({ target, release: primary, revision: plan.to }),
  ]);
  status.previousVersion = current?.version ?? null;
  status.version = wanted?.version ?? `revision ${plan.to}`;
  upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.version, value: status.version }]);
  run.revisions = { from: plan.from, to: null, rolledBackTo: null };

  // From here nothing stops it half-way: a cancelled rollback would leave helm mid-operation.
  return CancellationScope.nonCancellable(async () => {
    const startedMs = Date.now();
    run.record(`Rolling back to revision ${plan.to} (version ${wanted?.version ?? 'unknown'})...`);
    await run.notify(`Rolling back ${service} to revision ${plan.to} (version ${wanted?.version ?? 'unknown'}), from revision ${plan.from} (version ${current?.version ?? 'unknown'}), requested by ${input.requestedBy ?? 'unknown'}${input.reason ? `: ${input.reason}` : ''}`, 'warning');
    let restored;
    try {
      restored = await acts.deploy.rollbackRelease({ target, release: primary, revision: plan.to });
      await run.waitReady(primary);
    } catch (error) {
      const reason = `helm rollback ${primary} ${plan.to} failed: ${failureMessage(error)}. Look at helm history ${primary} -n ${target.namespace}`;
      run.record(directStory.rollbackFailed(plan.to, Date.now() - startedMs, failureMessage(error)));
      run.setPhase('Failed');
      await run.notify(`Rollback of ${service} to revision ${plan.to} FAILED and needs a person: ${reason}`, 'error');
      return run.conclude('failed', reason);
    }
    run.rollbackMs = Date.now() - startedMs;
    run.revisions = { from: plan.from, to: restored.revision, rolledBackTo: plan.to };
    run.record(`Rollback to revision ${plan.to} completed successfully (took ${formatMs(run.rollbackMs)})`);
    run.setPhase('RolledBack');
    await run.notify(`Rolled back ${service} to revision ${plan.to} (version ${wanted?.version ?? 'unknown'}) as revision ${restored.revision}.`, 'success');
    return run.conclude('reverted', `rolled back to revision ${plan.to} (version ${wanted?.version ?? 'unknown'}) as revision ${restored.revision}; revision ${plan.from} (version ${current?.version ?? 'unknown'}) no longer serves`);
  });
}

/** Nothing was changed: the reason says what to pick instead. */
async function refused(run: ReleaseRun, reason: string): Promise<ReleaseResult> {
  run.record(`Rollback refused, nothing was changed: ${reason}`);
  run.setPhase('Failed');
  return run.conclude('failed', `nothing was changed: ${reason}`);
}
