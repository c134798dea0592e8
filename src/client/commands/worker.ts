import { createKubernetesAdapters } from '../../worker/adapters';
import { readWorkerEnv } from '../../worker/environment';
import { createReleaseWorker } from '../../worker/worker';
import type { CliIO } from '../output';

/** `worker`: runs workflows and activities until SIGINT/SIGTERM, then drains. */
export async function workerCommand(io: CliIO, env: NodeJS.ProcessEnv): Promise<number> {
  const workerEnv = readWorkerEnv(env);
  const deps = createKubernetesAdapters(workerEnv, (line) => io.out(line));
  const { worker, connection, settings } = await createReleaseWorker({ deps, env });
  io.out(`worker on task queue docutag-release, Temporal ${settings.address} namespace ${settings.namespace}; Prometheus ${workerEnv.PROMETHEUS_URL ?? '(from each config)'}; Slack ${workerEnv.SLACK_WEBHOOK_URL ? 'webhook set' : 'log only (SLACK_WEBHOOK_URL unset)'}`);
  try {
    await worker.run();
  } finally {
    await connection.close();
  }
  io.out('worker drained and stopped');
  return 0;
}
