import type { ActivityDeps } from '../activities';
import { createKubernetesAdapters } from '../targets/kubernetes/adapters';
import { createLocalAdapters } from '../targets/local/adapters';
import type { WorkerEnv } from './environment';

/** The worker's adapters for its target, and what stops them once the worker has drained. */
export interface WorkerAdapters {
  target: WorkerEnv['DOCUTAG_TARGET'];
  deps: ActivityDeps;
  /** Where metrics and Slack go, for the worker's start-up line. */
  summary: string;
  stop(): Promise<void>;
}

/**
 * Picks the adapters by `DOCUTAG_TARGET`: `kubernetes` (default: helm, TraefikService, the
 * configured Prometheus) or `local` (starts the local stack in `DOCUTAG_LOCAL_DATA_DIR`, stopped
 * with the worker). A worker runs releases of one target: a config's `target` must match it.
 */
export async function createWorkerAdapters(env: WorkerEnv, log: (line: string) => void = console.log): Promise<WorkerAdapters> {
  if (env.DOCUTAG_TARGET === 'kubernetes') {
    return {
      target: 'kubernetes',
      deps: createKubernetesAdapters(env, log),
      summary: `target kubernetes; Prometheus ${env.prometheusServers.map((server) => server.url).join(', ') || '(none: set PROMETHEUS_URL)'}; Slack ${env.SLACK_WEBHOOK_URL ? 'webhook set' : 'log only (SLACK_WEBHOOK_URL unset)'}`,
      stop: async () => {},
    };
  }
  const local = await createLocalAdapters({ dataDir: env.DOCUTAG_LOCAL_DATA_DIR, env, log });
  return {
    target: 'local',
    deps: local.deps,
    summary: `target local; Traefik ${local.stack.webUrl}, Prometheus ${local.stack.prometheusUrl}; Slack ${local.slackReceiverUrl ? 'local receiver (SLACK_WEBHOOK_URL unset)' : 'webhook set'}`,
    stop: () => local.stop(),
  };
}
