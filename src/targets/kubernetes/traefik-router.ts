import type { TrafficRouter, TrafficSplit, TrafficWeights } from '../../activities/ports';
import { routeProblem, sameRoute } from '../../workflows/domain/weights';

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

interface MirrorService {
  name: string;
  port?: number | string;
  percent?: number;
  [key: string]: unknown;
}

interface WeightedSpec {
  services?: WeightedService[];
  sticky?: { cookie?: { name?: string; maxAge?: number; [key: string]: unknown } };
  [key: string]: unknown;
}

interface MirroringSpec {
  name: string;
  port?: number | string;
  mirrors?: MirrorService[];
  [key: string]: unknown;
}

interface TraefikServiceObject {
  metadata?: { resourceVersion?: string; annotations?: Record<string, string> };
  spec?: { weighted?: WeightedSpec; mirroring?: MirroringSpec; [key: string]: unknown };
}

/**
 * While a blue-green mirrors, the TraefikService is of kind mirroring (Traefik reads `weighted`
 * first, so the two cannot live side by side); its weighted spec waits here, as JSON, to come back
 * whole at the switch or the rollback.
 */
export const WEIGHTED_SPEC_ANNOTATION = 'release.docutag.io/weighted-spec';

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

/**
 * TrafficRouter over a Traefik `TraefikService` of kind weighted, through the Kubernetes API. A
 * route with a mirror turns it into kind mirroring (main: the primary's Service; mirror: the
 * canary's) with the weighted spec kept in an annotation; the next route without one brings the
 * weighted spec back. The split's sessionAffinity is written as the weighted spec's sticky cookie.
 */
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
    const mirroring = object.spec?.mirroring;
    if (!object.spec?.weighted && mirroring) {
      const percent = mirroring.mirrors?.find((mirror) => mirror.name === split.canaryService)?.percent ?? 0;
      const primaryWeight = mirroring.name === split.primaryService ? 100 : 0;
      return percent ? { primaryWeight, canaryWeight: 100 - primaryWeight, mirrorPercent: percent } : { primaryWeight, canaryWeight: 100 - primaryWeight };
    }
    const services = object.spec?.weighted?.services ?? [];
    const weightOf = (name: string) => services.find((service) => service.name === name)?.weight ?? 0;
    return { primaryWeight: weightOf(split.primaryService), canaryWeight: weightOf(split.canaryService) };
  }

  /** The weighted spec of the object: its own, or the one kept aside while it mirrors. */
  private static weightedSpecOf(object: TraefikServiceObject): WeightedSpec {
    if (object.spec?.weighted) return object.spec.weighted;
    const kept = object.metadata?.annotations?.[WEIGHTED_SPEC_ANNOTATION];
    if (kept) {
      try {
        return JSON.parse(kept) as WeightedSpec;
      } catch {
        // a damaged annotation: the spec is rebuilt from the split's two Services
      }
    }
    const mirroring = object.spec?.mirroring;
    return mirroring ? { services: [{ name: mirroring.name, ...(mirroring.port === undefined ? {} : { port: mirroring.port }), weight: 100 }] } : {};
  }

  /** Whether the weighted spec already carries the split's sticky cookie (or the split asks for none). */
  private static stickyServed(weighted: WeightedSpec | undefined, split: TrafficSplit): boolean {
    const wanted = split.sessionAffinity;
    if (!wanted) return true;
    const cookie = weighted?.sticky?.cookie;
    return cookie?.name === wanted.cookieName && cookie.maxAge === wanted.maxAgeSeconds;
  }

  /** The object serving `weights`: a weighted spec (with the split's sticky cookie), or while mirroring a mirroring spec. */
  private static withRoute(object: TraefikServiceObject, split: TrafficSplit, weights: TrafficWeights): TraefikServiceObject {
    const weighted = TraefikTrafficRouter.weightedSpecOf(object);
    const services = weighted.services ?? [];
    const template = services.find((service) => service.name === split.primaryService) ?? { name: split.primaryService, port: 80 };
    const withWeight = (name: string, weight: number): WeightedService => ({ ...(services.find((s) => s.name === name) ?? { ...template, name }), weight });
    const others = services.filter((service) => service.name !== split.primaryService && service.name !== split.canaryService);
    const affinity = split.sessionAffinity;
    const sticky = affinity ? { sticky: { cookie: { ...weighted.sticky?.cookie, name: affinity.cookieName, maxAge: affinity.maxAgeSeconds, httpOnly: true } } } : {};
    const nextWeighted: WeightedSpec = { ...weighted, ...sticky, services: [withWeight(split.primaryService, weights.primaryWeight), withWeight(split.canaryService, weights.canaryWeight), ...others] };
    const { weighted: _weighted, mirroring: _mirroring, ...restOfSpec } = object.spec ?? {};
    const { [WEIGHTED_SPEC_ANNOTATION]: _kept, ...annotations } = object.metadata?.annotations ?? {};
    if (!weights.mirrorPercent) {
      return { ...object, metadata: { ...object.metadata, annotations }, spec: { ...restOfSpec, weighted: nextWeighted } };
    }
    const port = (name: string) => services.find((service) => service.name === name)?.port ?? template.port;
    const portOf = (name: string) => (port(name) === undefined ? {} : { port: port(name) });
    return {
      ...object,
      metadata: { ...object.metadata, annotations: { ...annotations, [WEIGHTED_SPEC_ANNOTATION]: JSON.stringify(nextWeighted) } },
      spec: { ...restOfSpec, mirroring: { name: split.primaryService, ...portOf(split.primaryService), mirrors: [{ name: split.canaryService, ...portOf(split.canaryService), percent: weights.mirrorPercent }] } },
    };
  }

  /** The Kubernetes Services the TraefikService sends traffic to (migration checklist). */
  async listServices({ split }: { split: TrafficSplit }): Promise<string[]> {
    return (TraefikTrafficRouter.weightedSpecOf(await this.read(split)).services ?? []).map((service) => service.name);
  }

  async getWeights({ split }: { split: TrafficSplit }): Promise<TrafficWeights> {
    return TraefikTrafficRouter.weightsOf(await this.read(split), split);
  }

  async setWeights({ split, weights }: { split: TrafficSplit; weights: TrafficWeights }): Promise<{ changed: boolean }> {
    const problem = routeProblem(weights);
    if (problem) throw new TraefikRouterError(split, 'update', new Error(problem));
    for (let attempt = 0; ; attempt++) {
      const object = await this.read(split);
      const stickyServed = weights.mirrorPercent || TraefikTrafficRouter.stickyServed(object.spec?.weighted, split);
      if (sameRoute(TraefikTrafficRouter.weightsOf(object, split), weights) && stickyServed) return { changed: false };
      const body = TraefikTrafficRouter.withRoute(object, split, weights);
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
