/*
 * Waiting on an activity while a person may steer, the one pattern the guard and the gates share,
 * and what a person is told of a failed activity.
 */
import { ActivityFailure, ApplicationFailure, CancellationScope, condition } from '@temporalio/workflow';
import { FAILURE_TYPES, type FailureType } from '../activities/failures';
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

/** What a person does about a failure of each type, told after its message (a type not listed needs no advice). */
const FAILURE_ADVICE: Partial<Record<FailureType, string>> = {
  [FAILURE_TYPES.chartInvalid]: 'the chart does not render with these values, so it was not retried: fix the chart or helm.set and start the release again',
  [FAILURE_TYPES.releaseLocked]: 'another helm operation held the release through every attempt: if no helm process runs, helm history shows the pending revision to roll back',
  [FAILURE_TYPES.clusterUnreachable]: 'the API server stayed unreachable through every attempt',
};

/** The message a person needs from a failed activity: the root cause, not Temporal's wrapper, and what its type advises. */
export function failureMessage(error: unknown): string {
  let current: unknown = error;
  while (current instanceof ActivityFailure && current.cause) current = current.cause;
  if (!(current instanceof Error)) return String(error);
  const advice = current instanceof ApplicationFailure && current.type ? FAILURE_ADVICE[current.type as FailureType] : undefined;
  return advice ? `${current.message} (${advice})` : current.message;
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
