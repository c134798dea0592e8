import axios from 'axios';
import * as k8s from '@kubernetes/client-node';
import type { ActivityDeps } from '../../activities';
import { createProcessRunner } from '../../activities/adapters/command-runner';
import { HttpWebhookCaller } from '../../activities/adapters/http-webhook-caller';
import { createNotifiers, type NotifierEnv } from '../../activities/adapters/notifier-set';
import { heartbeat } from '../../activities/heartbeat';
import { HelmDeployer } from './helm-deployer';
import { KubeContexts, readinessByContext, routerByContext } from './kube-contexts';
import { createMetricsServers, type PrometheusEnv } from './prometheus-servers';
import { KubernetesReadiness } from './readiness';
import { TraefikTrafficRouter } from './traefik-router';

/** What the Kubernetes target reads of the worker's environment (readWorkerEnv validates it). */
export interface KubernetesTargetEnv extends PrometheusEnv, NotifierEnv {
  KUBECONFIG?: string | undefined;
  HELM_BIN: string;
}

/** Builds the Kubernetes target's adapters from the worker environment (KUBECONFIG or in-cluster). */
export function createKubernetesAdapters(env: KubernetesTargetEnv, log: (line: string) => void = console.log): ActivityDeps {
  const kubeConfig = new k8s.KubeConfig();
  if (env.KUBECONFIG) kubeConfig.loadFromFile(env.KUBECONFIG);
  else kubeConfig.loadFromDefault();
  // helm gets --kube-context; the router and readiness read the same context's API server.
  const contexts = new KubeContexts(kubeConfig);
  return {
    deployer: new HelmDeployer({ runner: createProcessRunner(), helmBin: env.HELM_BIN, onTick: () => heartbeat() }),
    readiness: readinessByContext(contexts.perContext((config) => new KubernetesReadiness(config.makeApiClient(k8s.AppsV1Api)))),
    router: routerByContext(contexts.perContext((config) => new TraefikTrafficRouter(config.makeApiClient(k8s.CustomObjectsApi)))),
    kubeContextRefusal: (context) => contexts.refusal(context),
    metricsFor: createMetricsServers(env),
    // Per-hook timeouts come with each call; no default headers, so no worker secret reaches a hook.
    webhooks: new HttpWebhookCaller(axios.create()),
    notifier: createNotifiers(env, log),
  };
}
