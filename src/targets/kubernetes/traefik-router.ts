import type { TrafficRouter, TrafficSplit, TrafficWeights } from '../../activities/ports';

/** The part of @kubernetes/client-node's CustomObjectsApi this adapter uses (injected). */
export interface CustomObjectsClient {
  getNamespacedCustomObject(param: { group: string; version: string; namespace: string; plural: string; name: string }): Promise<unknown>;
  replaceNamespacedCustomObject(param: { group: string; version: string; namespace: string; plural: string; name: string; body: object }): Promise<unknown>;
}

interface WeightedService {
  name: string;
  port?: number | string;
  weight?: number;
  [key: string]: unknown;
}

interface TraefikServiceObject {
  metadata?: { resourceVersion?: string };
  spec?: { weighted?: { services?: WeightedService[] } };
}

const TRAEFIK = { group: 'traefik.io', version: 'v1alpha1', plural: 'traefikservices' } as const;
/** Retries on 409: someone else changed the TraefikService between our read and our write. */
const MAX_CONFLICT_RETRIES = 5;

export class TraefikRouterError extends Error {
  constructor(split: TrafficSplit, action: string, cause: unknown) {
    super(`TraefikService ${split.namespace}/${split.router} ${action} error: ${describeKubeError(cause)}`);
    this.name = 'TraefikRouterError';
  }
}

export function describeKubeError(error: unknown): string {
  const apiError = error as { code?: number; body?: unknown; message?: string };
  if (typeof apiError?.code === 'number') {
    if (apiError.body === undefined || apiError.body === null || apiError.body === '') {
      // client-node drops the body of a 401 and keeps only its own reason ("Message: Unauthorized")
      const reason = /^Message: (.+)$/m.exec(apiError.message ?? '')?.[1];
      return `HTTP ${apiError.code}: ${reason && reason !== 'Unknown API Status Code!' ? reason : '(no response body)'}`;
    }
    const body = typeof apiError.body === 'string' ? apiError.body : JSON.stringify(apiError.body);
    let message = body;
    try {
      message = (JSON.parse(body) as { message?: string }).message ?? body;
    } catch {
      // a non-JSON body is quoted as is
    }
    return `HTTP ${apiError.code}: ${message}`;
  }
  return apiError?.message ?? String(error);
}

/** TrafficRouter over a Traefik `TraefikService` of kind weighted, through the Kubernetes API. */
export class TraefikTrafficRouter implements TrafficRouter {
  constructor(private readonly client: CustomObjectsClient) {}

  private async read(split: TrafficSplit): Promise<TraefikServiceObject> {
    try {
      return (await this.client.getNamespacedCustomObject({ ...TRAEFIK, namespace: split.namespace, name: split.router })) as TraefikServiceObject;
    } catch (error) {
      throw new TraefikRouterError(split, 'get', error);
    }
  }

  private static weightsOf(object: TraefikServiceObject, split: TrafficSplit): TrafficWeights {
    const services = object.spec?.weighted?.services ?? [];
    const weightOf = (name: string) => services.find((service) => service.name === name)?.weight ?? 0;
    return { primaryWeight: weightOf(split.primaryService), canaryWeight: weightOf(split.canaryService) };
  }

  /** The Kubernetes Services the TraefikService sends traffic to (migration checklist). */
  async listServices({ split }: { split: TrafficSplit }): Promise<string[]> {
    return ((await this.read(split)).spec?.weighted?.services ?? []).map((service) => service.name);
  }

  async getWeights({ split }: { split: TrafficSplit }): Promise<TrafficWeights> {
    return TraefikTrafficRouter.weightsOf(await this.read(split), split);
  }

  async setWeights({ split, weights }: { split: TrafficSplit; weights: TrafficWeights }): Promise<{ changed: boolean }> {
    for (let attempt = 0; ; attempt++) {
      const object = await this.read(split);
      const current = TraefikTrafficRouter.weightsOf(object, split);
      if (current.primaryWeight === weights.primaryWeight && current.canaryWeight === weights.canaryWeight) return { changed: false };
      const services = object.spec?.weighted?.services ?? [];
      const template = services.find((service) => service.name === split.primaryService) ?? { name: split.primaryService, port: 80 };
      const withWeight = (name: string, weight: number): WeightedService => ({ ...(services.find((s) => s.name === name) ?? { ...template, name }), weight });
      const others = services.filter((service) => service.name !== split.primaryService && service.name !== split.canaryService);
      const body = {
        ...object,
        spec: { ...object.spec, weighted: { ...object.spec?.weighted, services: [withWeight(split.primaryService, weights.primaryWeight), withWeight(split.canaryService, weights.canaryWeight), ...others] } },
      };
      try {
        // replace carries metadata.resourceVersion: a concurrent change answers 409 instead of being overwritten.
        await this.client.replaceNamespacedCustomObject({ ...TRAEFIK, namespace: split.namespace, name: split.router, body });
        return { changed: true };
      } catch (error) {
        if ((error as { code?: number }).code === 409 && attempt < MAX_CONFLICT_RETRIES) continue;
        throw new TraefikRouterError(split, 'update', error);
      }
    }
  }
}
