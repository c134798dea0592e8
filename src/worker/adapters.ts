import axios from 'axios';
import * as k8s from '@kubernetes/client-node';
import { Context } from '@temporalio/activity';
import type { ActivityDeps } from '../activities';
import { createProcessRunner } from '../activities/adapters/command-runner';
import { HelmDeployer } from '../activities/adapters/helm-deployer';
import { HttpWebhookCaller } from '../activities/adapters/http-webhook-caller';
import { LogNotifier } from '../activities/adapters/in-memory';
import { KubernetesReadiness } from '../activities/adapters/kubernetes-readiness';
import { SlackNotifier } from '../activities/adapters/slack-notifier';
import { TraefikTrafficRouter } from '../activities/adapters/traefik-router';
import type { WorkerEnv } from './environment';
import { createLocalAdapters, readTargetEnv } from './local-adapters';
import { KubeContexts, readinessByContext, routerByContext } from './kube-contexts';
import { createMetricsServers } from './prometheus-servers';

const heartbeatIfInActivity = () => {
  try {
    Context.current().heartbeat();
  } catch {
    // outside an activity
  }
};

/** Builds the Kubernetes target's adapters from the worker environment (KUBECONFIG or in-cluster). */
export function createKubernetesAdapters(env: WorkerEnv, log: (line: string) => void = console.log): ActivityDeps {
  const kubeConfig = new k8s.KubeConfig();
  if (env.KUBECONFIG) kubeConfig.loadFromFile(env.KUBECONFIG);
  else kubeConfig.loadFromDefault();
  // helm gets --kube-context; the router and readiness read the same context's API server.
  const contexts = new KubeContexts(kubeConfig);
  return {
    deployer: new HelmDeployer({ runner: createProcessRunner(), helmBin: env.HELM_BIN, onTick: heartbeatIfInActivity }),
    readiness: readinessByContext(contexts.perContext((config) => new KubernetesReadiness(config.makeApiClient(k8s.AppsV1Api)))),
    router: routerByContext(contexts.perContext((config) => new TraefikTrafficRouter(config.makeApiClient(k8s.CustomObjectsApi)))),
    kubeContextRefusal: (context) => contexts.refusal(context),
    metricsFor: createMetricsServers(env),
    // Per-hook timeouts come with each call; no default headers, so no worker secret reaches a hook.
    webhooks: new HttpWebhookCaller(axios.create()),
    notifier: env.SLACK_WEBHOOK_URL ? new SlackNotifier({ http: axios.create({ timeout: 10_000 }), webhookUrl: env.SLACK_WEBHOOK_URL }) : new LogNotifier(log),
  };
}

/** The worker's adapters for its target, and what stops them once the worker has drained. */
export interface WorkerAdapters {
  target: 'kubernetes' | 'local';
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
export async function createWorkerAdapters(env: NodeJS.ProcessEnv, workerEnv: WorkerEnv, log: (line: string) => void = console.log): Promise<WorkerAdapters> {
  const { DOCUTAG_TARGET: target, DOCUTAG_LOCAL_DATA_DIR: dataDir } = readTargetEnv(env);
  if (target === 'kubernetes') {
    return {
      target,
      deps: createKubernetesAdapters(workerEnv, log),
      summary: `target kubernetes; Prometheus ${workerEnv.prometheusServers.map((server) => server.url).join(', ') || '(none: set PROMETHEUS_URL)'}; Slack ${workerEnv.SLACK_WEBHOOK_URL ? 'webhook set' : 'log only (SLACK_WEBHOOK_URL unset)'}`,
      stop: async () => {},
    };
  }
  const local = await createLocalAdapters({ dataDir, env: workerEnv, log });
  return {
    target,
    deps: local.deps,
    summary: `target local; Traefik ${local.stack.webUrl}, Prometheus ${local.stack.prometheusUrl}; Slack ${local.slackReceiverUrl ? 'local receiver (SLACK_WEBHOOK_URL unset)' : 'webhook set'}`,
    stop: () => local.stop(),
  };
}
