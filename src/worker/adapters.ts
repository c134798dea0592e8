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
      summary: `target kubernetes; Prometheus ${env.prometheusServers.map((server) => server.url).join(', ') || '(none: set PROMETHEUS_URL)'}; ${notifiersSummary(env)}`,
      stop: async () => {},
    };
  }
  const local = await createLocalAdapters({ dataDir: env.DOCUTAG_LOCAL_DATA_DIR, env, log });
  return {
    target: 'local',
    deps: local.deps,
    summary: `target local; Traefik ${local.stack.webUrl}, Prometheus ${local.stack.prometheusUrl}; ${local.slackReceiverUrl ? 'Slack: local receiver (SLACK_WEBHOOK_URL unset)' : notifiersSummary(env)}`,
    stop: () => local.stop(),
  };
}

/** `notify: Slack, Teams` or `notify: log only (…)`: which URLs are set, never the URLs. */
export function notifiersSummary(env: Pick<WorkerEnv, 'SLACK_WEBHOOK_URL' | 'TEAMS_WEBHOOK_URL' | 'DISCORD_WEBHOOK_URL' | 'NOTIFY_WEBHOOK_URL'>): string {
  const set = [env.SLACK_WEBHOOK_URL && 'Slack', env.TEAMS_WEBHOOK_URL && 'Teams', env.DISCORD_WEBHOOK_URL && 'Discord', env.NOTIFY_WEBHOOK_URL && 'JSON webhook'].filter(Boolean);
  return set.length ? `notify: ${set.join(', ')}` : 'notify: log only (SLACK_WEBHOOK_URL, TEAMS_WEBHOOK_URL, DISCORD_WEBHOOK_URL, NOTIFY_WEBHOOK_URL unset)';
}
