import { createWorkerAdapters } from './adapters';
import { readWorkerEnv } from './environment';
import { createRedactingLogger } from './logging';
import { createRedactor } from './redaction';
import { installWorkerRuntime } from './metrics';
import { createReleaseWorker } from './worker';

/** Where the worker's lines go: the CLI's output. */
export interface WorkerIO {
  out(line: string): void;
  err(line: string): void;
}

/**
 * `docutag-release worker`: runs workflows and activities until SIGINT/SIGTERM, then drains. The
 * entry point (bin/docutag-release.js) hands it to the CLI, so the CLI itself never loads the worker.
 */
export async function runWorker(io: WorkerIO, env: NodeJS.ProcessEnv): Promise<number> {
  const workerEnv = readWorkerEnv(env);
  // Worker logs never carry the webhook URL, the Prometheus token, the Temporal API key or the kube token, whatever prints them.
  const redact = createRedactor(workerEnv);
  const log = (line: string) => io.out(redact(line));
  // Before any connection: the Runtime is per process and holds the logger and the /metrics endpoint.
  const installed = installWorkerRuntime({ env: workerEnv, logger: createRedactingLogger({ level: workerEnv.DOCUTAG_LOG_LEVEL, redact, write: (line) => io.err(line) }) });
  if (!installed) log('a Temporal Runtime was already installed in this process: its logger and metrics settings stay in effect');
  try {
    // DOCUTAG_TARGET picks them: kubernetes (default) or local (starts the local stack, stopped with the worker).
    const adapters = await createWorkerAdapters(workerEnv, log);
    const { worker, close, settings } = await createReleaseWorker({ deps: adapters.deps, env }).catch(async (error: unknown) => {
      await adapters.stop();
      throw error;
    });
    const metrics = workerEnv.DOCUTAG_METRICS_PORT > 0 ? (installed ? `metrics on :${workerEnv.DOCUTAG_METRICS_PORT}/metrics` : 'metrics off (Runtime installed before)') : 'metrics off (DOCUTAG_METRICS_PORT unset)';
    log(`worker on task queue docutag-release, Temporal ${settings.address} namespace ${settings.namespace}; ${adapters.summary}; ${metrics}`);
    try {
      await worker.run();
    } finally {
      await close().finally(() => adapters.stop());
    }
  } catch (error) {
    // The CLI's error sink prints the message: it must not carry a secret either.
    if (error instanceof Error) error.message = redact(error.message);
    throw error;
  }
  log('worker drained and stopped');
  return 0;
}
