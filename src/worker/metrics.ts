/*
 * The worker's Temporal Runtime: one per process, installed before any NativeConnection or Worker.
 * With DOCUTAG_METRICS_PORT set it serves Prometheus metrics on http://0.0.0.0:<port>/metrics: the
 * Temporal SDK's own (prefixed `temporal_`) and the releases' (`docutag_release_*`, emitted by the
 * workflows, see src/workflows/metrics.ts) on one endpoint. Its logger redacts the worker's secrets.
 */
import { makeTelemetryFilterString, Runtime, type Logger, type LogLevel, type RuntimeOptions } from '@temporalio/worker';
import { RELEASE_DURATION_BUCKETS_SECONDS, RELEASE_METRICS } from '../workflows/metrics';
import type { WorkerEnv } from './environment';

export { RELEASE_METRICS } from '../workflows/metrics';

/** What `installWorkerRuntime` needs. */
export interface WorkerRuntimeSettings {
  env: Pick<WorkerEnv, 'DOCUTAG_METRICS_PORT' | 'DOCUTAG_LOG_LEVEL'>;
  /** Receives the SDK's, the workflows' and the activities' logs, and Temporal core's. */
  logger: Logger;
  /** Interface the metrics endpoint binds to; every interface by default (a scraper reaches the pod). */
  metricsHost?: string;
}

/** Temporal core is chatty below WARN; it follows the worker's level only when that asks for debugging. */
function coreLogLevel(level: LogLevel): LogLevel {
  return level === 'TRACE' || level === 'DEBUG' ? level : 'WARN';
}

/** The Runtime options for the worker process. Pure, for tests. */
export function workerRuntimeOptions({ env, logger, metricsHost = '0.0.0.0' }: WorkerRuntimeSettings): RuntimeOptions {
  return {
    logger,
    telemetryOptions: {
      // Core's own log lines go through `logger` too (and so through its redaction), not straight to the console.
      logging: { forward: {}, filter: makeTelemetryFilterString({ core: coreLogLevel(env.DOCUTAG_LOG_LEVEL), other: 'ERROR' }) },
      ...(env.DOCUTAG_METRICS_PORT > 0
        ? {
            metrics: {
              prometheus: {
                bindAddress: `${metricsHost}:${env.DOCUTAG_METRICS_PORT}`,
                histogramBucketOverrides: { [RELEASE_METRICS.durationSeconds]: RELEASE_DURATION_BUCKETS_SECONDS },
              },
            },
          }
        : {}),
    },
  };
}

/**
 * Installs the process's Temporal Runtime with the worker's logger and metrics. Must run before any
 * NativeConnection or Worker is created; a second call (or a Runtime already made by an earlier
 * Worker in this process) keeps the existing one and returns false.
 */
export function installWorkerRuntime(settings: WorkerRuntimeSettings): boolean {
  try {
    Runtime.install(workerRuntimeOptions(settings));
    return true;
  } catch (error) {
    if ((error as Error).name === 'IllegalStateError') return false;
    throw error;
  }
}
