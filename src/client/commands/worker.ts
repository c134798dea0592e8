import { createKubernetesAdapters } from '../../worker/adapters';
import { readWorkerEnv, redactSecrets } from '../../worker/environment';
import { createReleaseWorker } from '../../worker/worker';
import type { CliIO } from '../output';

/** `worker`: runs workflows and activities until SIGINT/SIGTERM, then drains. */
export async function workerCommand(io: CliIO, env: NodeJS.ProcessEnv): Promise<number> {
  const workerEnv = readWorkerEnv(env);
  // Worker logs never carry the webhook URL or the Prometheus token, whatever an adapter prints.
  const log = (line: string) => io.out(redactSecrets(line, workerEnv));
  const deps = createKubernetesAdapters(workerEnv, log);
  const { worker, close, settings } = await createReleaseWorker({ deps, env });
  log(`worker on task queue docutag-release, Temporal ${settings.address} namespace ${settings.namespace}; Prometheus ${workerEnv.PROMETHEUS_URL ?? '(from each config)'}; Slack ${workerEnv.SLACK_WEBHOOK_URL ? 'webhook set' : 'log only (SLACK_WEBHOOK_URL unset)'}`);
  try {
    await worker.run();
  } finally {
    await close();
  }
  log('worker drained and stopped');
  return 0;
}
