/*
 * What an activity's failure means (`failure.type`), and whether another attempt can help. The
 * adapters say which failure an error is (TypedFailure); the activities turn it into an
 * ApplicationFailure that Temporal retries, or not, by that type alone.
 */
import { ApplicationFailure } from '@temporalio/common';

export const FAILURE_TYPES = {
  /** helm cannot render or accept the chart with these values: the same call fails the same way. */
  chartInvalid: 'ChartInvalid',
  /** Another helm operation holds the release (helm's pending-* lock): it may end meanwhile. */
  releaseLocked: 'ReleaseLocked',
  /** The API server could not be reached, or answered that it is busy. */
  clusterUnreachable: 'ClusterUnreachable',
  /** The version did not become ready within its time: a verdict on the version, not on the call. */
  notReady: 'NotReady',
  /** Any other failure of helm or of the local deployer. */
  deploy: 'DeployFailed',
  /** A config named a Prometheus server the worker does not list: nothing was sent. */
  metricsServer: 'MetricsServerRefused',
} as const;

export type FailureType = (typeof FAILURE_TYPES)[keyof typeof FAILURE_TYPES];

/** The failures that another attempt may not meet; every other type fails the activity at once. */
const RETRYABLE: ReadonlySet<FailureType> = new Set([FAILURE_TYPES.releaseLocked, FAILURE_TYPES.clusterUnreachable]);

export const isRetryable = (type: FailureType): boolean => RETRYABLE.has(type);

/** An adapter's error that says what kind of failure it is. */
export class TypedFailure extends Error {
  constructor(
    message: string,
    readonly failureType: FailureType,
  ) {
    super(message);
    this.name = 'TypedFailure';
  }
}

/** The failure type an error carries, if it says. */
export function failureTypeOf(error: unknown): FailureType | undefined {
  const type = (error as { failureType?: unknown } | null)?.failureType;
  return Object.values(FAILURE_TYPES).includes(type as FailureType) ? (type as FailureType) : undefined;
}

/** An adapter's error as the activity's failure: its own type (or `fallback`), retried only when that type can pass. */
export function asApplicationFailure(error: unknown, fallback: FailureType): ApplicationFailure {
  const type = failureTypeOf(error) ?? fallback;
  const message = error instanceof Error ? error.message : String(error);
  return ApplicationFailure.create({ message, type, nonRetryable: !isRetryable(type) });
}

/** Runs an adapter call; what it throws becomes the activity's failure (see asApplicationFailure). */
export async function asFailure<T>(fallback: FailureType, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    throw asApplicationFailure(error, fallback);
  }
}
