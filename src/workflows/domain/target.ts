/**
 * What the activities get to know about where a service runs, from its config. Pure: the workflows
 * (release, drill) build their HelmTarget with it.
 */
import type { LocalTrack, TrafficSplit } from '../../activities/ports';
import type { ReleaseConfig } from '../../config/schema';

/**
 * The HelmTarget's `local` block on target `local`: the config's `local:` (command, healthPath,
 * testCommand) and the service's traffic split, so the local stack can route to a service whose
 * releases never set weights (direct). Nothing on target `kubernetes`: its targets stay as they were.
 */
export function localTargetOf(config: Pick<ReleaseConfig, 'target' | 'local' | 'service' | 'traffic'>): { local?: LocalTrack } {
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
export function trafficSplitOf(config: Pick<ReleaseConfig, 'service' | 'traffic'> & { helm?: Pick<ReleaseConfig['helm'], 'kubeContext'> }): TrafficSplit {
  return {
    namespace: config.service.namespace,
    router: config.traffic.traefikService,
    primaryService: config.traffic.primaryService,
    canaryService: config.traffic.canaryService,
    ...(config.helm?.kubeContext ? { kubeContext: config.helm.kubeContext } : {}),
  };
}
