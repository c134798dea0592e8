import { isDeepStrictEqual } from 'node:util';
import type { TrafficRouter, TrafficSplit, TrafficWeights } from '../../activities/ports';
import { describeMatch, traefikMatchRule } from '../../workflows/domain/match';
import { routeProblem, sameRoute } from '../../workflows/domain/weights';

/** The part of @kubernetes/client-node's CustomObjectsApi this adapter uses (injected). */
export interface CustomObjectsClient {
  getNamespacedCustomObject(param: { group: string; version: string; namespace: string; plural: string; name: string }): Promise<unknown>;
  replaceNamespacedCustomObject(param: { group: string; version: string; namespace: string; plural: string; name: string; body: object }): Promise<unknown>;
  /** A/B testing only: the `-ab` IngressRoute is created and deleted. */
  createNamespacedCustomObject(param: { group: string; version: string; namespace: string; plural: string; body: object }): Promise<unknown>;
  deleteNamespacedCustomObject(param: { group: string; version: string; namespace: string; plural: string; name: string }): Promise<unknown>;
}

interface IngressRouteRoute {
  match: string;
  kind?: string;
  priority?: number;
  middlewares?: unknown[];
  services?: Array<{ name: string; kind?: string; port?: number | string; [key: string]: unknown }>;
  [key: string]: unknown;
}

interface IngressRouteObject {
  metadata?: { name?: string; resourceVersion?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: { entryPoints?: string[]; routes?: IngressRouteRoute[]; tls?: unknown; [key: string]: unknown };
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
const INGRESS_ROUTES = { group: 'traefik.io', version: 'v1alpha1', plural: 'ingressroutes' } as const;
/** The A/B test's IngressRoute, beside the service's own: `<ingressRoute>-ab`. */
export const abIngressRouteName = (ingressRoute: string) => `${ingressRoute}-ab`;
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
    const weights = TraefikTrafficRouter.weightsOf(await this.read(split), split);
    if (split.abTest && (await this.readAbRoute(split))) return { ...weights, matchedToCanary: true };
    return weights;
  }

  /**
   * The weights, then (A/B testing) the A/B IngressRoute: created after the TraefikService is at
   * 100/0, and removed before any other change, so that a rollback takes the matching requests
   * off the canary first.
   */
  async setWeights({ split, weights }: { split: TrafficSplit; weights: TrafficWeights }): Promise<{ changed: boolean }> {
    const problem = routeProblem(weights) ?? (weights.matchedToCanary && !split.abTest ? 'matching requests can go to the canary only on a split with A/B rules (abTest.match)' : null);
    if (problem) throw new TraefikRouterError(split, 'update', new Error(problem));
    const { matchedToCanary, ...serviceRoute } = weights;
    if (!matchedToCanary) {
      const removed = split.abTest ? await this.removeAbRoute(split) : false;
      const { changed } = await this.setServiceRoute(split, serviceRoute);
      return { changed: removed || changed };
    }
    const { changed, object } = await this.setServiceRoute(split, serviceRoute);
    const added = await this.ensureAbRoute(split, object);
    return { changed: changed || added };
  }

  private async readAbRoute(split: TrafficSplit): Promise<IngressRouteObject | null> {
    const name = abIngressRouteName(split.abTest!.ingressRoute);
    try {
      return (await this.client.getNamespacedCustomObject({ ...INGRESS_ROUTES, namespace: split.namespace, name })) as IngressRouteObject;
    } catch (error) {
      if ((error as { code?: number }).code === 404) return null;
      throw new TraefikRouterError(split, `IngressRoute ${name} get`, error);
    }
  }

  /** The A/B IngressRoute for the split: the main route's match AND the rules, to the canary's Service (its middlewares and TLS kept). */
  private async abRouteBody(split: TrafficSplit, service: TraefikServiceObject): Promise<IngressRouteObject> {
    const { ingressRoute, match } = split.abTest!;
    let main: IngressRouteObject;
    try {
      main = (await this.client.getNamespacedCustomObject({ ...INGRESS_ROUTES, namespace: split.namespace, name: ingressRoute })) as IngressRouteObject;
    } catch (error) {
      throw new TraefikRouterError(split, `IngressRoute ${ingressRoute} get (set traffic.ingressRoute to the IngressRoute that sends to TraefikService ${split.router})`, error);
    }
    const route = main.spec?.routes?.find((candidate) => candidate.services?.some((target) => target.name === split.router && target.kind === 'TraefikService'));
    if (!route) {
      throw new TraefikRouterError(split, `IngressRoute ${ingressRoute} read`, new Error(`it has no route to TraefikService ${split.router}; set traffic.ingressRoute to the IngressRoute that has one`));
    }
    const weighted = TraefikTrafficRouter.weightedSpecOf(service).services ?? [];
    const port = (weighted.find((entry) => entry.name === split.canaryService) ?? weighted.find((entry) => entry.name === split.primaryService))?.port ?? 80;
    return {
      metadata: {
        name: abIngressRouteName(ingressRoute),
        labels: { 'app.kubernetes.io/managed-by': 'docutag-release' },
        annotations: { 'release.docutag.io/ab-test': `requests where ${describeMatch(match)} go to ${split.canaryService}` },
      },
      spec: {
        ...(main.spec?.entryPoints ? { entryPoints: main.spec.entryPoints } : {}),
        ...(main.spec?.tls ? { tls: main.spec.tls } : {}),
        routes: [
          {
            kind: 'Rule',
            match: `(${route.match}) && (${traefikMatchRule(match)})`,
            // Without a priority Traefik ranks by rule length, and this rule contains the main one; with one, one above it.
            ...(route.priority === undefined ? {} : { priority: route.priority + 1 }),
            ...(route.middlewares ? { middlewares: route.middlewares } : {}),
            services: [{ name: split.canaryService, port }],
          },
        ],
      },
    };
  }

  private async ensureAbRoute(split: TrafficSplit, service: TraefikServiceObject): Promise<boolean> {
    const wanted = await this.abRouteBody(split, service);
    const current = await this.readAbRoute(split);
    const name = wanted.metadata!.name!;
    // Deep equality, not JSON text: the API server hands the object back with its keys sorted.
    if (current && isDeepStrictEqual(current.spec, wanted.spec)) return false;
    const body = { apiVersion: 'traefik.io/v1alpha1', kind: 'IngressRoute', ...wanted, metadata: { ...wanted.metadata, namespace: split.namespace, ...(current ? { resourceVersion: current.metadata?.resourceVersion } : {}) } };
    try {
      if (current) await this.client.replaceNamespacedCustomObject({ ...INGRESS_ROUTES, namespace: split.namespace, name, body });
      else await this.client.createNamespacedCustomObject({ ...INGRESS_ROUTES, namespace: split.namespace, body });
    } catch (error) {
      throw new TraefikRouterError(split, `IngressRoute ${name} ${current ? 'update' : 'create'}`, error);
    }
    return true;
  }

  private async removeAbRoute(split: TrafficSplit): Promise<boolean> {
    const name = abIngressRouteName(split.abTest!.ingressRoute);
    try {
      await this.client.deleteNamespacedCustomObject({ ...INGRESS_ROUTES, namespace: split.namespace, name });
      return true;
    } catch (error) {
      if ((error as { code?: number }).code === 404) return false;
      throw new TraefikRouterError(split, `IngressRoute ${name} delete`, error);
    }
  }

  /** Writes the TraefikService's route; returns whether it changed and the object as it now stands. */
  private async setServiceRoute(split: TrafficSplit, weights: TrafficWeights): Promise<{ changed: boolean; object: TraefikServiceObject }> {
    for (let attempt = 0; ; attempt++) {
      const object = await this.read(split);
      const stickyServed = weights.mirrorPercent || TraefikTrafficRouter.stickyServed(object.spec?.weighted, split);
      if (sameRoute(TraefikTrafficRouter.weightsOf(object, split), weights) && stickyServed) return { changed: false, object };
      const body = TraefikTrafficRouter.withRoute(object, split, weights);
      try {
        // replace carries metadata.resourceVersion: a concurrent change answers 409 instead of being overwritten.
        await this.client.replaceNamespacedCustomObject({ ...TRAEFIK, namespace: split.namespace, name: split.router, body });
        return { changed: true, object: body };
      } catch (error) {
        if ((error as { code?: number }).code === 409 && attempt < MAX_CONFLICT_RETRIES) continue;
        throw new TraefikRouterError(split, 'update', error);
      }
    }
  }
}
