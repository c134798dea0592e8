import { ApplicationFailure, getExternalWorkflowHandle, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createMigrationActivities } from '../activities/migration';
import { admittedInput, CHECK_INPUT_PATCH } from './admission';
import { runBlueGreen } from './blue-green';
import { runCanary } from './canary';
import { inapplicableHooksNote } from './domain';
import { runDirect } from './direct';
import { migrationWorkflowId, recheckSignal } from './migration';
import { ReleaseRun } from './run';
import type { ReleaseInput, ReleaseResult } from './types';

export { failureMessage } from './run';

/**
 * One release of one service: canary, blue-green or direct, as DESIGN.md describes. Every decision is
 * made from facts the activities return, so the history explains the outcome.
 */
export async function release(started: ReleaseInput): Promise<ReleaseResult> {
  // Anyone with access to the task queue can start one: the worker validates before acting.
  const input = patched(CHECK_INPUT_PATCH) ? await admittedInput(started) : started;
  const result = await runStrategy(input);
  if (patched(REPORT_BY_ACTIVITY_PATCH)) await reportToRunningMigration(input, result);
  else if (patched('report-to-migration')) await reportToMigration(input, result);
  return result;
}

async function runStrategy(input: ReleaseInput): Promise<ReleaseResult> {
  const run = new ReleaseRun(input);
  const skippedHooks = inapplicableHooksNote(input.config.webhooks.hooks, input.config.strategy);
  if (skippedHooks) run.record(skippedHooks);
  switch (input.config.strategy) {
    case 'canary':
      return runCanary(run);
    case 'blueGreen':
      return runBlueGreen(run);
    case 'direct':
      return runDirect(run);
  }
  throw ApplicationFailure.nonRetryable(`strategy ${String(input.config.strategy)} is not supported by this worker`, 'UnsupportedStrategy');
}

/** Releases report to a migration through an activity that first sees whether one runs (no failed event when none does). */
export const REPORT_BY_ACTIVITY_PATCH = 'report-to-running-migration';

const migrationActs = proxyActivities<ReturnType<typeof createMigrationActivities>>({ startToCloseTimeout: '30s', retry: { initialInterval: '1s', maximumAttempts: 3 } });

/** Tells the service's migration workflow, if one runs, how this release ended (phase 1 counts successful direct releases). */
async function reportToRunningMigration(input: ReleaseInput, result: ReleaseResult): Promise<void> {
  const { namespace, name } = input.config.service;
  try {
    await migrationActs.reportToMigration({
      workflowId: migrationWorkflowId(namespace, name),
      report: { release: { runId: workflowInfo().runId, strategy: input.config.strategy, outcome: result.outcome, startedAt: result.status.startedAt } },
    });
  } catch {
    // The release's outcome does not depend on the migration; the migration also counts releases from visibility.
  }
}

/** Releases recorded before REPORT_BY_ACTIVITY_PATCH: a signal from the workflow, failing when no migration runs. */
async function reportToMigration(input: ReleaseInput, result: ReleaseResult): Promise<void> {
  const { namespace, name } = input.config.service;
  try {
    await getExternalWorkflowHandle(migrationWorkflowId(namespace, name)).signal(recheckSignal, {
      release: { runId: workflowInfo().runId, strategy: input.config.strategy, outcome: result.outcome, startedAt: result.status.startedAt },
    });
  } catch {
    // Most services have no migration running; the release's outcome does not depend on it.
  }
}
