/*
 * Waiting on an activity while a person may steer, the one pattern the guard and the gates share,
 * and what a person is told of a failed activity.
 */
import { ActivityFailure, CancellationScope, condition } from '@temporalio/workflow';
import type { HookSpec, WebhookOutcome } from './domain';

/** Something that ends the normal flow of a strategy: a person's signal or a decision to roll back. */
export type Interruption = { kind: 'abort' } | { kind: 'promote' } | { kind: 'rollback'; reason: string; fromAnalysis: boolean };
/** The result of a gate or a pre-traffic step: go on, or an interruption. */
export type StepResult = { kind: 'open' } | Interruption;

/** A webhook's answer, with the hook it came from. */
export interface HookAnswer {
  hook: HookSpec;
  outcome: WebhookOutcome;
}

/** The message a person needs from a failed activity: the root cause, not Temporal's wrapper. */
export function failureMessage(error: unknown): string {
  let current: unknown = error;
  while (current instanceof ActivityFailure && current.cause) current = current.cause;
  return current instanceof Error ? current.message : String(error);
}

/**
 * Runs an activity until it answers or `steered()` holds; then the activity is cancelled (it hears
 * of it at its next heartbeat) and the caller acts at once. A cancellation of the workflow itself
 * comes back as the activity's error.
 */
export async function unlessSteered<T>(work: () => Promise<T>, steered: () => boolean): Promise<'steered' | { result: T } | { error: unknown }> {
  const scope = new CancellationScope();
  const answer = scope.run(work).then(
    (result) => ({ result }),
    (error: unknown) => ({ error }),
  );
  const steeringScope = new CancellationScope();
  const steering = steeringScope.run(() => condition(steered)).then(
    () => 'steered' as const,
    () => 'not steered' as const,
  );
  const first = await Promise.race([answer, steering]);
  if (first === 'steered') {
    scope.cancel();
    return 'steered';
  }
  // The steering wait ended without steering only when the workflow itself is cancelled: the activity's answer says so.
  if (first === 'not steered') return answer;
  steeringScope.cancel();
  return first;
}
