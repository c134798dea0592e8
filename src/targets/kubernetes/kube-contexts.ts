import * as k8s from '@kubernetes/client-node';
import type { ReadinessChecker, TrafficRouter, TrafficSplit } from '../../activities/ports';

/**
 * The worker's kubeconfig seen one context at a time: a release that names `helm.kubeContext` gets
 * its TraefikService writes and readiness checks from that context, as helm does with
 * `--kube-context`; a release that names none uses the kubeconfig's current context.
 */
export class KubeContexts {
  private readonly configs = new Map<string, k8s.KubeConfig>();

  constructor(private readonly kubeConfig: k8s.KubeConfig) {}

  /** Why the worker cannot act in `context` (null: it can, or none is named). */
  refusal(context: string | undefined): string | null {
    if (!context || this.kubeConfig.getContextObject(context)) return null;
    const known = this.kubeConfig.getContexts().map((each) => each.name);
    return `kube context "${context}" is not in the worker's kubeconfig (it has: ${known.join(', ') || 'none'}); name one of those, or add the context to the kubeconfig the worker reads (KUBECONFIG)`;
  }

  /** The kubeconfig with `context` current. Throws the refusal for an unknown context. */
  configFor(context: string | undefined): k8s.KubeConfig {
    if (!context) return this.kubeConfig;
    const refusal = this.refusal(context);
    if (refusal) throw new Error(refusal);
    let config = this.configs.get(context);
    if (!config) {
      config = new k8s.KubeConfig();
      config.loadFromOptions({ clusters: this.kubeConfig.clusters, users: this.kubeConfig.users, contexts: this.kubeConfig.contexts, currentContext: context });
      this.configs.set(context, config);
    }
    return config;
  }

  /** One adapter per context, made on first use. */
  perContext<T>(make: (config: k8s.KubeConfig) => T): (context: string | undefined) => T {
    const made = new Map<string, T>();
    return (context) => {
      const key = context ?? '';
      let adapter = made.get(key);
      if (adapter === undefined) {
        adapter = make(this.configFor(context));
        made.set(key, adapter);
      }
      return adapter;
    };
  }
}

type ListingRouter = TrafficRouter & { listServices(args: { split: TrafficSplit }): Promise<string[]> };

/** A router that writes each split's weights through the split's own kube context. */
export function routerByContext(routerFor: (context: string | undefined) => ListingRouter): ListingRouter {
  return {
    getWeights: (args) => routerFor(args.split.kubeContext).getWeights(args),
    setWeights: (args) => routerFor(args.split.kubeContext).setWeights(args),
    listServices: (args) => routerFor(args.split.kubeContext).listServices(args),
  };
}

/** A readiness checker that reads each deployment through the release's kube context. */
export function readinessByContext(readinessFor: (context: string | undefined) => ReadinessChecker): ReadinessChecker {
  return { waitReady: (args) => readinessFor(args.kubeContext).waitReady(args) };
}
