import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AxiosInstance } from 'axios';
import YAML from 'yaml';
import type { TrafficRouter, TrafficSplit, TrafficWeights } from '../../activities/ports';
import { traefikMatchRule, type MatchRule } from '../../workflows/domain/match';
import { routeProblem, sameRoute } from '../../workflows/domain/weights';
import type { EndpointChange, LocalEndpoints } from './endpoints';

/*
 * Names in Traefik's file provider (Traefik adds `@file` to each):
 *   leaf service per track   <namespace>-<release>            loadBalancer to the track's process
 *   weighted service         <namespace>-<router>_weighted    the split; `_` never occurs in a
 *                                                             Kubernetes name, so no release collides;
 *                                                             with a sticky cookie under sessionAffinity
 *   mirroring service        <namespace>-<router>_mirroring   while mirroring only: the weighted service,
 *                                                             a share copied to the canary's leaf
 *   router                   <namespace>-<router>             PathPrefix(`/<namespace>/<router>/`), prefix stripped,
 *                                                             to the mirroring service while there is one
 *   A/B router               <namespace>-<router>_ab          during an A/B test only: the same prefix AND the
 *                                                             match rules, to the canary's leaf; its longer rule
 *                                                             gives it Traefik's higher default priority
 * The tracks' service names are their release names (the config's defaults on target local).
 */

/** Traefik's name (without `@file`) of the leaf service of `namespace/service`. */
export function fileServiceName(namespace: string, service: string): string {
  return `${namespace}-${service}`;
}

/** Traefik's name (without `@file`) of the weighted service of a split. */
export function weightedServiceName(split: Pick<TrafficSplit, 'namespace' | 'router'>): string {
  return `${split.namespace}-${split.router}_weighted`;
}

/** Traefik's name (without `@file`) of a split's mirroring service: the weighted service, with a share copied to the canary. */
export function mirroringServiceName(split: Pick<TrafficSplit, 'namespace' | 'router'>): string {
  return `${split.namespace}-${split.router}_mirroring`;
}

/**
 * The `servicePattern` for `metricChecks` on target local: exactly the measured track's leaf
 * service. PromQL anchors `=~`, so `shop-web@file` never matches `shop-web-canary@file`.
 */
export function fileProviderServicePattern(namespace: string, service: string): string {
  return `${fileServiceName(namespace, service)}@file`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The path under Traefik's `web` entrypoint that reaches a split: `/<namespace>/<router>/`. */
export function splitPathPrefix(split: Pick<TrafficSplit, 'namespace' | 'router'>): string {
  return `/${split.namespace}/${split.router}/`;
}

export interface TraefikFileRouterOptions {
  /** The directory Traefik's file provider watches (`providers.file.directory`, watch: true). */
  dynamicDir: string;
  /** Axios instance whose baseURL is Traefik's API (`http://127.0.0.1:<api port>`). */
  api: AxiosInstance;
  /** Where each release listens; the router follows its changes. */
  endpoints: LocalEndpoints;
  /** The entrypoint the splits' routers listen on (default `web`). */
  entryPoint?: string;
  /** ms to wait for Traefik to serve a written configuration (default 15000). */
  applyTimeoutMs?: number;
  /** ms between two reads of Traefik's API while waiting (default 50). */
  pollIntervalMs?: number;
}

export class TraefikFileRouterError extends Error {
  constructor(split: Pick<TrafficSplit, 'namespace' | 'router'>, action: string, detail: string) {
    super(`Traefik file route ${weightedServiceName(split)}@file ${action} error: ${detail}`);
    this.name = 'TraefikFileRouterError';
  }
}

/** What a split looks like in Traefik, as written and as read back. */
interface SplitState {
  /** The weights and, while mirroring, mirrorPercent (never 0: no mirror is an absent one). */
  weights: TrafficWeights;
  /** The sticky cookie of the weighted service, or null. */
  sticky: { name: string; maxAge: number } | null;
  /** The A/B router's rule while it exists (weights.matchedToCanary), else null. */
  abRule: string | null;
  /** Base URL of each track's process; null: the track has no process (its share answers 503). */
  primaryUrl: string | null;
  canaryUrl: string | null;
}

interface ApiService {
  status?: string;
  weighted?: { services?: Array<{ name: string; weight?: number }>; sticky?: { cookie?: { name?: string; maxAge?: number } } };
  mirroring?: { service?: string; mirrors?: Array<{ name: string; percent?: number }> };
  loadBalancer?: { servers?: Array<{ url?: string }> };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function sameState(a: SplitState, b: SplitState): boolean {
  return sameRoute(a.weights, b.weights) && a.abRule === b.abRule && a.sticky?.name === b.sticky?.name && a.sticky?.maxAge === b.sticky?.maxAge && a.primaryUrl === b.primaryUrl && a.canaryUrl === b.canaryUrl;
}

function describeState(state: SplitState | null): string {
  if (!state) return 'absent';
  const mirror = state.weights.mirrorPercent ? `, ${state.weights.mirrorPercent}% mirrored to the canary` : '';
  const sticky = state.sticky ? `, sticky cookie ${state.sticky.name}` : '';
  const ab = state.abRule ? `, A/B router ${state.abRule}` : '';
  return `${state.weights.primaryWeight}/${state.weights.canaryWeight}${mirror}${sticky}${ab} (primary ${state.primaryUrl ?? 'no server'}, canary ${state.canaryUrl ?? 'no server'})`;
}

/** The route as this router keeps it: a mirror of 0% is no mirror. */
function normalRoute(weights: TrafficWeights): TrafficWeights {
  const { primaryWeight, canaryWeight, mirrorPercent, matchedToCanary } = weights;
  return { primaryWeight, canaryWeight, ...(mirrorPercent ? { mirrorPercent } : {}), ...(matchedToCanary ? { matchedToCanary } : {}) };
}

/**
 * TrafficRouter of target local over a real Traefik v3 and its file provider: one YAML file per
 * split in `dynamicDir`, written atomically (temporary file + rename; Traefik reads only .yaml/.yml/.toml).
 *
 * Contracts:
 * - setWeights returns once Traefik's API reads back the written weights and server URLs (Traefik
 *   switches the API and the entrypoints' routing in one step), or throws after `applyTimeoutMs`.
 *   Setting what Traefik already serves is a no-op (`changed: false`) and writes nothing.
 * - getWeights reads the weights from Traefik's API; a split Traefik does not know is an error.
 * - When a release's endpoint changes (an upgrade moved it to a new process), every split that
 *   routes to it is rewritten with the same weights, and the deployer waits for that before it
 *   stops the old process. A track with no process gets a load balancer with no server.
 * Weights are integers 0-100 summing to 100; a track with weight 0 receives no request.
 */
export class TraefikFileRouter implements TrafficRouter {
  /** Splits this router wrote, by weighted service name, with the weights last asked for. */
  private readonly splits = new Map<string, { split: TrafficSplit; weights: TrafficWeights }>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly entryPoint: string;
  private readonly applyTimeoutMs: number;
  private readonly pollIntervalMs: number;
  private readonly unsubscribe: () => void;

  constructor(private readonly options: TraefikFileRouterOptions) {
    this.entryPoint = options.entryPoint ?? 'web';
    this.applyTimeoutMs = options.applyTimeoutMs ?? 15_000;
    this.pollIntervalMs = options.pollIntervalMs ?? 50;
    mkdirSync(options.dynamicDir, { recursive: true });
    this.unsubscribe = options.endpoints.subscribe((change) => this.followEndpoint(change));
  }

  /** Stops following endpoint changes. */
  close(): void {
    this.unsubscribe();
  }

  /** The file that holds a split's configuration. */
  fileOf(split: Pick<TrafficSplit, 'namespace' | 'router'>): string {
    return path.join(this.options.dynamicDir, `${split.namespace}-${split.router}.yaml`);
  }

  /** Creates the split's route at 100/0 unless Traefik already serves it (the local equivalent of applying the IngressRoute and TraefikService). */
  async ensureSplit({ split }: { split: TrafficSplit }): Promise<void> {
    const name = weightedServiceName(split);
    if (this.splits.has(name)) return;
    const served = await this.readBack(split);
    await this.setWeights({ split, weights: served?.weights ?? { primaryWeight: 100, canaryWeight: 0 } });
  }

  async getWeights({ split }: { split: TrafficSplit }): Promise<TrafficWeights> {
    const served = await this.readBack(split);
    if (!served) throw new TraefikFileRouterError(split, 'get', `Traefik serves no such service (the file ${this.fileOf(split)} was never written: set the weights first)`);
    return served.weights;
  }

  async setWeights({ split, weights }: { split: TrafficSplit; weights: TrafficWeights }): Promise<{ changed: boolean }> {
    const problem = routeProblem(weights) ?? (weights.matchedToCanary && !split.abTest ? 'matching requests can go to the canary only on a split with A/B rules (abTest.match)' : null);
    if (problem) throw new TraefikFileRouterError(split, 'update', problem);
    this.splits.set(weightedServiceName(split), { split, weights: normalRoute(weights) });
    return this.apply(split);
  }

  /** Rewrites every split that routes to the changed release, keeping its weights. */
  private async followEndpoint(change: EndpointChange): Promise<void> {
    const affected = [...this.splits.values()].filter(
      ({ split }) => split.namespace === change.namespace && (split.primaryService === change.release || split.canaryService === change.release),
    );
    await Promise.all(affected.map(({ split }) => this.apply(split)));
  }

  /** Writes the split's wanted state unless Traefik serves it already, then waits until it does. One at a time per split. */
  private apply(split: TrafficSplit): Promise<{ changed: boolean }> {
    const name = weightedServiceName(split);
    const previous = this.queues.get(name) ?? Promise.resolve();
    const next = previous
      .catch(() => undefined)
      .then(async () => {
        const wanted = this.wantedState(split);
        const served = await this.readBack(split);
        if (served && sameState(served, wanted)) return { changed: false };
        this.write(split, wanted);
        await this.waitServed(split, wanted);
        return { changed: true };
      });
    this.queues.set(name, next);
    return next;
  }

  private wantedState(split: TrafficSplit): SplitState {
    const weights = this.splits.get(weightedServiceName(split))?.weights ?? { primaryWeight: 100, canaryWeight: 0 };
    const affinity = split.sessionAffinity;
    return {
      weights,
      sticky: affinity ? { name: affinity.cookieName, maxAge: affinity.maxAgeSeconds } : null,
      abRule: weights.matchedToCanary && split.abTest ? this.abRule(split, split.abTest.match) : null,
      primaryUrl: this.options.endpoints.get(split.namespace, split.primaryService) ?? null,
      canaryUrl: this.options.endpoints.get(split.namespace, split.canaryService) ?? null,
    };
  }

  /** The A/B router's rule: the split's prefix and the match rules. */
  private abRule(split: TrafficSplit, match: MatchRule[]): string {
    return `PathPrefix(\`${splitPathPrefix(split)}\`) && (${traefikMatchRule(match)})`;
  }

  /** Traefik's dynamic configuration of one split. */
  render(split: TrafficSplit, state: SplitState): string {
    const prefix = splitPathPrefix(split);
    const routerName = `${split.namespace}-${split.router}`;
    const leaf = (url: string | null) => ({ loadBalancer: { servers: url ? [{ url }] : [] } });
    const canaryLeaf = fileServiceName(split.namespace, split.canaryService);
    const mirroring = state.weights.mirrorPercent
      ? { [mirroringServiceName(split)]: { mirroring: { service: weightedServiceName(split), mirrors: [{ name: canaryLeaf, percent: state.weights.mirrorPercent }] } } }
      : {};
    const config = {
      http: {
        routers: {
          [routerName]: {
            entryPoints: [this.entryPoint],
            rule: `PathPrefix(\`${prefix}\`)`,
            middlewares: [`${routerName}_strip`],
            service: state.weights.mirrorPercent ? mirroringServiceName(split) : weightedServiceName(split),
          },
          ...(state.abRule ? { [`${routerName}_ab`]: { entryPoints: [this.entryPoint], rule: state.abRule, middlewares: [`${routerName}_strip`], service: canaryLeaf } } : {}),
        },
        middlewares: {
          [`${routerName}_strip`]: { stripPrefix: { prefixes: [prefix.slice(0, -1)] } },
        },
        services: {
          [weightedServiceName(split)]: {
            weighted: {
              services: [
                { name: fileServiceName(split.namespace, split.primaryService), weight: state.weights.primaryWeight },
                { name: canaryLeaf, weight: state.weights.canaryWeight },
              ],
              // HttpOnly: the track is no business of the page's scripts.
              ...(state.sticky ? { sticky: { cookie: { name: state.sticky.name, maxAge: state.sticky.maxAge, httpOnly: true } } } : {}),
            },
          },
          ...mirroring,
          [fileServiceName(split.namespace, split.primaryService)]: leaf(state.primaryUrl),
          [fileServiceName(split.namespace, split.canaryService)]: leaf(state.canaryUrl),
        },
      },
    };
    return `# Written by docutag-release (TraefikFileRouter): the traffic split of ${split.namespace}/${split.router}. Do not edit.\n${YAML.stringify(config)}`;
  }

  private write(split: TrafficSplit, state: SplitState): void {
    const file = this.fileOf(split);
    // The temporary name ends in .tmp, an extension Traefik's file provider skips; rename is atomic.
    const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
    try {
      writeFileSync(temporary, this.render(split, state));
      renameSync(temporary, file);
    } catch (error) {
      throw new TraefikFileRouterError(split, 'write', `${file}: ${(error as Error).message}`);
    }
  }

  private async waitServed(split: TrafficSplit, wanted: SplitState): Promise<void> {
    const deadline = Date.now() + this.applyTimeoutMs;
    let served: SplitState | null = null;
    let lastError = '';
    for (;;) {
      try {
        served = await this.readBack(split);
        if (served && sameState(served, wanted)) return;
      } catch (error) {
        lastError = `; last API error: ${(error as Error).message}`;
      }
      if (Date.now() >= deadline) break;
      await sleep(this.pollIntervalMs);
    }
    throw new TraefikFileRouterError(
      split,
      'update',
      `Traefik did not serve ${describeState(wanted)} within ${this.applyTimeoutMs}ms; it serves ${describeState(served)}${lastError} (is it watching ${this.options.dynamicDir}? see its log for a configuration error)`,
    );
  }

  /** What Traefik serves for the split, from its API; null when it has no such weighted service. */
  private async readBack(split: TrafficSplit): Promise<SplitState | null> {
    const weighted = await this.service(split, weightedServiceName(split));
    if (!weighted) return null;
    const children = weighted.weighted?.services ?? [];
    const weightOf = (service: string) => children.find((child) => child.name.replace(/@file$/, '') === fileServiceName(split.namespace, service))?.weight ?? 0;
    const urlOf = async (service: string) => (await this.service(split, fileServiceName(split.namespace, service)))?.loadBalancer?.servers?.[0]?.url ?? null;
    const [primaryUrl, canaryUrl, mirrorPercent, abRouter] = await Promise.all([
      urlOf(split.primaryService),
      urlOf(split.canaryService),
      this.mirrorPercentServed(split),
      this.fetch<{ rule?: string }>(split, `/api/http/routers/${split.namespace}-${split.router}_ab@file`),
    ]);
    const cookie = weighted.weighted?.sticky?.cookie;
    return {
      weights: normalRoute({ primaryWeight: weightOf(split.primaryService), canaryWeight: weightOf(split.canaryService), mirrorPercent, matchedToCanary: Boolean(abRouter) }),
      sticky: cookie?.name ? { name: cookie.name, maxAge: cookie.maxAge ?? 0 } : null,
      abRule: abRouter?.rule ?? null,
      primaryUrl,
      canaryUrl,
    };
  }

  /** The share the split's router mirrors to the canary: 0 unless the router serves the mirroring service. */
  private async mirrorPercentServed(split: TrafficSplit): Promise<number> {
    const router = await this.fetch<{ service?: string }>(split, `/api/http/routers/${split.namespace}-${split.router}@file`);
    if (router?.service?.replace(/@file$/, '') !== mirroringServiceName(split)) return 0;
    const mirroring = (await this.service(split, mirroringServiceName(split)))?.mirroring;
    return mirroring?.mirrors?.find((mirror) => mirror.name.replace(/@file$/, '') === fileServiceName(split.namespace, split.canaryService))?.percent ?? 0;
  }

  private service(split: TrafficSplit, name: string): Promise<ApiService | null> {
    return this.fetch<ApiService>(split, `/api/http/services/${name}@file`);
  }

  /** One object of Traefik's API; null when Traefik does not have it. */
  private async fetch<T>(split: TrafficSplit, apiPath: string): Promise<T | null> {
    let response;
    try {
      response = await this.options.api.get<T>(apiPath, { validateStatus: () => true });
    } catch (error) {
      throw new TraefikFileRouterError(split, 'get', `Traefik's API is unreachable: ${(error as Error).message}`);
    }
    if (response.status === 404) return null;
    if (response.status !== 200) throw new TraefikFileRouterError(split, 'get', `Traefik's API answered ${response.status} for ${apiPath}`);
    return response.data;
  }
}
