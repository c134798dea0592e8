/*
 * Waiting on an activity while a person may steer: the one pattern the guard and the gates share.
 */
import { CancellationScope, condition } from '@temporalio/workflow';

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
