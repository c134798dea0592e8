import { FAILURE_TYPES, TypedFailure } from '../../activities/failures';
import type { ReadinessChecker } from '../../activities/ports';
import { describeKubeError } from './traefik-router';

/** The part of @kubernetes/client-node's AppsV1Api this adapter uses (injected). */
export interface DeploymentsClient {
  readNamespacedDeployment(param: { name: string; namespace: string }): Promise<{
    metadata?: { generation?: number };
    spec?: { replicas?: number };
    status?: { observedGeneration?: number; replicas?: number; updatedReplicas?: number; availableReplicas?: number; readyReplicas?: number };
  }>;
}

export interface DeploymentReadiness {
  ready: boolean;
  detail: string;
}

/** Same rule as `kubectl rollout status`: the new generation observed, every replica updated and available. */
export function deploymentReadiness(deployment: Awaited<ReturnType<DeploymentsClient['readNamespacedDeployment']>>): DeploymentReadiness {
  const wanted = deployment.spec?.replicas ?? 1;
  const status = deployment.status ?? {};
  if ((status.observedGeneration ?? 0) < (deployment.metadata?.generation ?? 0)) return { ready: false, detail: 'waiting for the deployment spec update to be observed' };
  if ((status.updatedReplicas ?? 0) < wanted) return { ready: false, detail: `${status.updatedReplicas ?? 0} of ${wanted} replicas updated` };
  if ((status.replicas ?? 0) > (status.updatedReplicas ?? 0)) return { ready: false, detail: `${(status.replicas ?? 0) - (status.updatedReplicas ?? 0)} old replicas pending termination` };
  if ((status.availableReplicas ?? 0) < wanted) return { ready: false, detail: `${status.availableReplicas ?? 0} of ${wanted} replicas available` };
  return { ready: true, detail: `${wanted} of ${wanted} replicas available` };
}

export class KubernetesReadiness implements ReadinessChecker {
  constructor(
    private readonly client: DeploymentsClient,
    private readonly pollMs = 2_000,
  ) {}

  async waitReady({ namespace, name, timeoutMs, onProgress }: { namespace: string; name: string; timeoutMs: number; onProgress?: (detail: string) => void }): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 'not read yet';
    while (Date.now() < deadline) {
      try {
        const readiness = deploymentReadiness(await this.client.readNamespacedDeployment({ name, namespace }));
        if (readiness.ready) return;
        last = readiness.detail;
      } catch (error) {
        last = describeKubeError(error); // the API server may be briefly away: keep polling until the deadline
      }
      onProgress?.(last);
      await new Promise((resolve) => setTimeout(resolve, this.pollMs));
    }
    throw new TypedFailure(`deployment ${namespace}/${name} not ready after ${timeoutMs}ms: ${last}`, FAILURE_TYPES.notReady);
  }
}
