/*
 * KubernetesReadiness through the real @kubernetes/client-node AppsV1Api against a local Kubernetes
 * API server stand-in, and the `kubectl rollout status` rule it applies, table by table.
 */
import * as k8s from '@kubernetes/client-node';
import { deploymentReadiness, KubernetesReadiness, type DeploymentsClient } from '../../src/targets/kubernetes/readiness';
import { FakeKubernetesApi } from '../support/stand-ins';
import { failure } from '../support/failure';

let kube: FakeKubernetesApi;
let readiness: KubernetesReadiness;
beforeAll(async () => {
  kube = await new FakeKubernetesApi().start();
  const config = new k8s.KubeConfig();
  config.loadFromFile(kube.kubeconfigPath);
  readiness = new KubernetesReadiness(config.makeApiClient(k8s.AppsV1Api), 20);
});
afterAll(async () => {
  await kube?.stop();
});
beforeEach(() => {
  kube.unavailable = false;
});


describe('KubernetesReadiness.waitReady with the real AppsV1Api', () => {
  test('returns as soon as the deployment has every replica updated and available', async () => {
    kube.setDeployment('shop', 'web-ready', { ready: true });
    const requestsBefore = kube.requests.length;

    await readiness.waitReady({ namespace: 'shop', name: 'web-ready', timeoutMs: 2_000 });

    const reads = kube.requests.slice(requestsBefore);
    expect(reads).toEqual([{ method: 'GET', path: '/apis/apps/v1/namespaces/shop/deployments/web-ready', authorization: 'Bearer kube-test-token-7f3a' }]);
  });

  test('times out on a deployment that stays not ready, naming it and what is missing', async () => {
    kube.setDeployment('shop', 'web-stuck', { ready: false });
    const progress: string[] = [];
    const started = Date.now();

    const error = await failure(readiness.waitReady({ namespace: 'shop', name: 'web-stuck', timeoutMs: 200, onProgress: (detail) => progress.push(detail) }));

    expect(error.message).toBe('deployment shop/web-stuck not ready after 200ms: 1 of 2 replicas available');
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.every((detail) => detail === '1 of 2 replicas available')).toBe(true);
  });

  test('keeps polling and returns once a not-ready deployment becomes ready', async () => {
    kube.setDeployment('shop', 'web-late', { ready: false });
    setTimeout(() => kube.setDeployment('shop', 'web-late', { ready: true }), 150);

    await expect(readiness.waitReady({ namespace: 'shop', name: 'web-late', timeoutMs: 3_000 })).resolves.toBeUndefined();
  });

  test('a deployment that does not exist times out quoting the API server (HTTP 404, not found)', async () => {
    const error = await failure(readiness.waitReady({ namespace: 'shop', name: 'web-missing', timeoutMs: 150 }));

    expect(error.message).toContain('deployment shop/web-missing not ready after 150ms');
    expect(error.message).toContain('HTTP 404: deployments.apps "web-missing" not found');
  });

  test('rides out a briefly unavailable API server and returns when it answers again', async () => {
    kube.setDeployment('shop', 'web-blip', { ready: true });
    kube.unavailable = true;
    const progress: string[] = [];
    setTimeout(() => (kube.unavailable = false), 120);

    await readiness.waitReady({ namespace: 'shop', name: 'web-blip', timeoutMs: 3_000, onProgress: (detail) => progress.push(detail) });

    expect(progress.length).toBeGreaterThan(0);
    expect(progress[0]).toContain('HTTP 503');
  });
});

type Deployment = Awaited<ReturnType<DeploymentsClient['readNamespacedDeployment']>>;

const deployment = (overrides: { generation?: number; replicas?: number; status?: Deployment['status'] }): Deployment => ({
  metadata: { generation: overrides.generation ?? 3 },
  spec: overrides.replicas === undefined ? {} : { replicas: overrides.replicas },
  status: overrides.status,
});

describe('deploymentReadiness follows the kubectl rollout status rule', () => {
  test.each<[string, Deployment, { ready: boolean; detail: string }]>([
    [
      'not ready while the controller has not observed the new generation',
      deployment({ generation: 3, replicas: 2, status: { observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2 } }),
      { ready: false, detail: 'waiting for the deployment spec update to be observed' },
    ],
    [
      'not ready while fewer replicas than wanted run the new template',
      deployment({ replicas: 3, status: { observedGeneration: 3, replicas: 4, updatedReplicas: 1, availableReplicas: 3 } }),
      { ready: false, detail: '1 of 3 replicas updated' },
    ],
    [
      'not ready while old replicas are still terminating',
      deployment({ replicas: 2, status: { observedGeneration: 3, replicas: 3, updatedReplicas: 2, availableReplicas: 2 } }),
      { ready: false, detail: '1 old replicas pending termination' },
    ],
    [
      'not ready while updated replicas are not yet available',
      deployment({ replicas: 2, status: { observedGeneration: 3, replicas: 2, updatedReplicas: 2, availableReplicas: 1 } }),
      { ready: false, detail: '1 of 2 replicas available' },
    ],
    [
      'ready when the generation is observed and every replica is updated and available',
      deployment({ replicas: 2, status: { observedGeneration: 3, replicas: 2, updatedReplicas: 2, availableReplicas: 2 } }),
      { ready: true, detail: '2 of 2 replicas available' },
    ],
    [
      'ready when the observed generation is ahead of the one read',
      deployment({ generation: 3, replicas: 1, status: { observedGeneration: 4, replicas: 1, updatedReplicas: 1, availableReplicas: 1 } }),
      { ready: true, detail: '1 of 1 replicas available' },
    ],
    [
      'wants one replica when spec.replicas is unset (the Kubernetes default)',
      deployment({ status: { observedGeneration: 3, replicas: 1, updatedReplicas: 0, availableReplicas: 0 } }),
      { ready: false, detail: '0 of 1 replicas updated' },
    ],
    [
      'a deployment scaled to zero is ready once the scale-down is observed',
      deployment({ replicas: 0, status: { observedGeneration: 3 } }),
      { ready: true, detail: '0 of 0 replicas available' },
    ],
    [
      'a deployment without any status yet is not ready',
      deployment({ generation: 1, replicas: 2 }),
      { ready: false, detail: 'waiting for the deployment spec update to be observed' },
    ],
  ])('%s', (_name, input, expected) => {
    expect(deploymentReadiness(input)).toEqual(expected);
  });
});
