import type { MatchRule } from './match';
/**
 * What the activities get to know about where a service runs, from its config. Pure: the workflows
 * (release, drill) build their HelmTarget with it.
 */
/**
 * One track of a service on target `local`: a shell `command` started per release revision with
 * `PORT`, `VERSION` and the set values in its environment, answering 200 on `healthPath` once it
 * serves; `testCommand` is its `helm test` (env TARGET_URL). `split` is the service's traffic split:
 * the local stack creates its route (at 100/0) before the service's first release, since a direct
 * release never sets weights.
 */
export interface LocalTrack {
  command: string;
  healthPath: string;
  testCommand?: string;
  split?: TrafficSplit;
}

/** Which two services of a namespace a TraefikService splits between. */
export interface TrafficSplit {
  namespace: string;
  /** The TraefikService (or equivalent) that holds the weights. */
  router: string;
  primaryService: string;
  canaryService: string;
  /** The kube context holding the router: the release's helm.kubeContext (the worker's current context when absent). */
  kubeContext?: string;
  /** traffic.sessionAffinity: the weighted service pins each client to the track that first answered it. */
  sessionAffinity?: SessionAffinity;
  /** Strategy abTesting: the requests that reach the canary, through a router beside (and above) the main one. */
  abTest?: AbTestRoute;
}

/** Where an A/B test's router goes and what it matches (the config's analysis.match). */
export interface AbTestRoute {
  match: MatchRule[];
  /** On Kubernetes: the IngressRoute whose route sends to the TraefikService; the A/B one is `<ingressRoute>-ab` beside it. */
  ingressRoute: string;
}

/**
 * A sticky cookie on the weighted service (Flagger's `sessionAffinity`): a client keeps the track
 * that first answered it while both tracks carry weight. Traefik ignores a cookie naming a track
 * at weight 0, so after promotion or rollback (100/0) nobody stays pinned to the removed track.
 */
export interface SessionAffinity {
  cookieName: string;
  /** The cookie's Max-Age, in seconds. */
  maxAgeSeconds: number;
}

/** What of a release config says where its service runs (ReleaseConfig has it all). */
export interface ServicePlacement {
  target: 'kubernetes' | 'local';
  local?: { command: string; healthPath: string; testCommand?: string };
  service: { namespace: string };
  traffic: { traefikService: string; primaryService: string; canaryService: string; ingressRoute?: string; sessionAffinity?: { cookieName: string; maxAge: number } };
  strategy?: string;
  analysis?: { match?: MatchRule[] };
  helm?: { kubeContext?: string };
}

/**
 * The HelmTarget's `local` block on target `local`: the config's `local:` (command, healthPath,
 * testCommand) and the service's traffic split, so the local stack can route to a service whose
 * releases never set weights (direct). Nothing on target `kubernetes`: its targets stay as they were.
 */
export function localTargetOf(config: ServicePlacement): { local?: LocalTrack } {
  if (config.target !== 'local' || !config.local) return {};
  const { command, healthPath, testCommand } = config.local;
  return {
    local: {
      command,
      healthPath,
      ...(testCommand ? { testCommand } : {}),
      split: trafficSplitOf(config),
    },
  };
}

/** The service's traffic split, in the kube context its helm releases live in (one context for everything a release touches). */
export function trafficSplitOf(config: Pick<ServicePlacement, 'service' | 'traffic' | 'helm' | 'strategy' | 'analysis'>): TrafficSplit {
  const match = config.strategy === 'abTesting' ? config.analysis?.match : undefined;
  return {
    namespace: config.service.namespace,
    router: config.traffic.traefikService,
    primaryService: config.traffic.primaryService,
    canaryService: config.traffic.canaryService,
    ...(config.helm?.kubeContext ? { kubeContext: config.helm.kubeContext } : {}),
    ...(match ? { abTest: { match, ingressRoute: config.traffic.ingressRoute ?? config.traffic.traefikService } } : {}),
    ...(config.traffic.sessionAffinity ? { sessionAffinity: { cookieName: config.traffic.sessionAffinity.cookieName, maxAgeSeconds: config.traffic.sessionAffinity.maxAge } } : {}),
  };
}
