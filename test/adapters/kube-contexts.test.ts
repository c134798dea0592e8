/*
 * The worker's kubeconfig seen one context at a time (src/targets/kubernetes/kube-contexts.ts): a release's
 * helm.kubeContext picks the API server its router and readiness checks talk to, as `--kube-context`
 * does for helm; an unknown context is refused with the contexts the worker has.
 */
import * as k8s from '@kubernetes/client-node';
import type { ReadinessChecker, TrafficSplit } from '../../src/activities/ports';
import { KubeContexts, readinessByContext, routerByContext } from '../../src/targets/kubernetes/kube-contexts';

function kubeconfig(): k8s.KubeConfig {
  const config = new k8s.KubeConfig();
  config.loadFromOptions({
    clusters: [
      { name: 'prod', server: 'https://prod.example:6443', skipTLSVerify: false },
      { name: 'staging', server: 'https://staging.example:6443', skipTLSVerify: false },
    ],
    users: [{ name: 'worker-prod' }, { name: 'worker-staging' }],
    contexts: [
      { name: 'docutag-prod', cluster: 'prod', user: 'worker-prod' },
      { name: 'docutag-staging', cluster: 'staging', user: 'worker-staging' },
    ],
    currentContext: 'docutag-staging',
  });
  return config;
}

describe('KubeContexts', () => {
  test('a named context gets that context\'s cluster; no name gets the current context', () => {
    const contexts = new KubeContexts(kubeconfig());
    expect(contexts.configFor('docutag-prod').getCurrentCluster()?.server).toBe('https://prod.example:6443');
    expect(contexts.configFor(undefined).getCurrentCluster()?.server).toBe('https://staging.example:6443');
    // Picking a context leaves the worker's own kubeconfig as it was.
    expect(contexts.configFor(undefined).getCurrentContext()).toBe('docutag-staging');
  });

  test('an unknown context is refused, naming the contexts the worker has and the fix', () => {
    const contexts = new KubeContexts(kubeconfig());
    const refusal = 'kube context "prod-eu" is not in the worker\'s kubeconfig (it has: docutag-prod, docutag-staging); name one of those, or add the context to the kubeconfig the worker reads (KUBECONFIG)';
    expect(contexts.refusal('prod-eu')).toBe(refusal);
    expect(contexts.refusal('docutag-prod')).toBeNull();
    expect(contexts.refusal(undefined)).toBeNull();
    expect(() => contexts.configFor('prod-eu')).toThrow(refusal);
  });

  test('one adapter per context, made once and reused', () => {
    const made: string[] = [];
    const adapterFor = new KubeContexts(kubeconfig()).perContext((config) => {
      made.push(config.getCurrentContext());
      return { server: config.getCurrentCluster()?.server };
    });
    expect(adapterFor('docutag-prod')).toBe(adapterFor('docutag-prod'));
    expect(adapterFor(undefined).server).toBe('https://staging.example:6443');
    expect(made).toEqual(['docutag-prod', 'docutag-staging']);
  });

  test('the router and the readiness checker route each call by the release\'s context', async () => {
    const calls: string[] = [];
    const split = (kubeContext?: string): TrafficSplit => ({ namespace: 'shop', router: 'web', primaryService: 'web', canaryService: 'web-canary', ...(kubeContext ? { kubeContext } : {}) });
    const router = routerByContext((context) => ({
      getWeights: async () => (calls.push(`get ${context ?? 'current'}`), { primaryWeight: 100, canaryWeight: 0 }),
      setWeights: async () => (calls.push(`set ${context ?? 'current'}`), { changed: true }),
      listServices: async () => (calls.push(`list ${context ?? 'current'}`), []),
    }));
    const readiness: ReadinessChecker = readinessByContext((context) => ({ waitReady: async () => void calls.push(`ready ${context ?? 'current'}`) }));
    await router.getWeights({ split: split('docutag-prod') });
    await router.setWeights({ split: split(), weights: { primaryWeight: 90, canaryWeight: 10 } });
    await router.listServices({ split: split('docutag-staging') });
    await readiness.waitReady({ namespace: 'shop', name: 'web', timeoutMs: 1_000, kubeContext: 'docutag-prod' });
    expect(calls).toEqual(['get docutag-prod', 'set current', 'list docutag-staging', 'ready docutag-prod']);
  });
});
