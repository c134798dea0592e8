import { ApplicationFailure, getExternalWorkflowHandle, patched, workflowInfo } from '@temporalio/workflow';
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
  if (patched('report-to-migration')) await reportToMigration(input, result);
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

/** Tells the service's migration workflow how this release ended (phase 1 counts successful direct releases). */
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
