import { ApplicationFailure, getExternalWorkflowHandle, patched, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { createMigrationActivities } from '../activities/migration';
import { admittedInput, CHECK_INPUT_PATCH } from './admission';
import { runAbTesting } from './ab-testing';
import { runBlueGreen } from './blue-green';
import { runCanary } from './canary';
import { inapplicableHooksNote } from './domain';
import { runDirect } from './direct';
import { migrationWorkflowId, recheckSignal, statusQuery } from './messages';
import { ReleaseRun, runPatches, type RunPatches } from './run';
import type { ReleaseInput, ReleaseResult, ReleaseStatus } from './types';

export { failureMessage } from './run';

/**
 * One release of one service: canary, blue-green or direct, as DESIGN.md describes. Every decision is
 * made from facts the activities return, so the history explains the outcome.
 */
export async function release(started: ReleaseInput): Promise<ReleaseResult> {
  // Anyone with access to the task queue can start one: the worker validates before acting.
  // `status` answers while the input is checked (watch and start --wait query at once); the run replaces it.
  setHandler(statusQuery, () => checkingStatus(started));
  // Every patch is asked for before the first await. Asked after the input check's local activity, a
  // replay can reach it before the workflow task that holds its marker, take the old branch and fail
  // with TMPRL1100 (a worker that took over a release queried while its first task was pending did).
  const checkInput = patched(CHECK_INPUT_PATCH);
  const patches = runPatches();
  const reportByActivity = patched(REPORT_BY_ACTIVITY_PATCH);
  const input = checkInput ? await admittedInput(started) : started;
  const result = await runStrategy(input, patches);
  if (reportByActivity) await reportToRunningMigration(input, result);
  // Releases recorded before that asked for this one at their end; they still do.
  else if (patched('report-to-migration')) await reportToMigration(input, result);
  return result;
}

async function runStrategy(input: ReleaseInput, patches: RunPatches): Promise<ReleaseResult> {
  const run = new ReleaseRun(input, patches);
  if ((await run.awaitDeploymentWindow(input.windowOverride)) === 'abort') return run.abandon(run.steering.abortReason);
  const skippedHooks = inapplicableHooksNote(input.config.webhooks.hooks, input.config.strategy);
  if (skippedHooks) run.record(skippedHooks);
  switch (input.config.strategy) {
    case 'canary':
      return runCanary(run);
    case 'blueGreen':
      return runBlueGreen(run);
    case 'abTesting':
      return runAbTesting(run);
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

/** The status of a release whose input the worker is still checking: read defensively, the input is not trusted yet. */
export function checkingStatus(started: ReleaseInput): ReleaseStatus {
  const config = (started as { config?: { service?: { name?: unknown; namespace?: unknown }; strategy?: unknown } } | undefined)?.config;
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  const startedAt = new Date(workflowInfo().startTime.getTime()).toISOString();
  return {
    workflowId: workflowInfo().workflowId,
    service: text(config?.service?.name),
    namespace: text(config?.service?.namespace),
    version: text((started as { version?: unknown } | undefined)?.version),
    previousVersion: null,
    strategy: (['canary', 'blueGreen', 'abTesting', 'direct'].includes(text(config?.strategy)) ? text(config?.strategy) : 'canary') as ReleaseStatus['strategy'],
    phase: 'Initializing',
    canaryWeight: 0,
    iteration: 0,
    failedChecks: 0,
    threshold: 0,
    lastChecks: [],
    events: [],
    waitingFor: null,
    notificationFailures: 0,
    startedAt,
    finishedAt: null,
  };
}
