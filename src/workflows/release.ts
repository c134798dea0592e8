import { ApplicationFailure } from '@temporalio/workflow';
import { runBlueGreen } from './blue-green';
import { runCanary } from './canary';
import { inapplicableHooksNote } from './domain';
import { runDirect } from './direct';
import { ReleaseRun } from './run';
import type { ReleaseInput, ReleaseResult } from './types';

export { failureMessage } from './run';

/**
 * One release of one service: canary, blue-green or direct, as DESIGN.md describes. Every decision is
 * made from facts the activities return, so the history explains the outcome.
 */
export async function release(input: ReleaseInput): Promise<ReleaseResult> {
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
