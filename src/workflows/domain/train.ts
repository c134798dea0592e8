/*
 * Release trains: what a service's release outcome means for the train, which services the
 * compensation puts back (newest promotion first), how the train ends, and which steering messages
 * fit the train's phase. Pure, so each rule is table-tested.
 */
import type { SignalName } from './phases';

/**
 * Running: releasing stage by stage. Stopping: a service failed or a person aborted; the releases
 * still running are rolling back or finishing. Compensating: the promoted services go back.
 */
export type TrainPhase = 'Running' | 'Stopping' | 'Compensating' | 'Succeeded' | 'RolledBack' | 'Stopped' | 'Failed';

/** A train's end: every service promoted; stopped and put back; stopped with the earlier services kept (compensate: false); or something for a person. */
export type TrainOutcome = 'promoted' | 'rolledBack' | 'stopped' | 'failed';

export type TrainServiceState = 'waiting' | 'running' | 'promoted' | 'rolledBack' | 'failed' | 'notStarted';

export type CompensationState = 'pending' | 'running' | 'compensated' | 'failed' | 'skipped';

/** What a release outcome makes of its service: `revertedAfterPromotion` put itself back, as a rollback does. */
export function serviceStateOf(outcome: string): 'promoted' | 'rolledBack' | 'failed' {
  if (outcome === 'promoted') return 'promoted';
  if (outcome === 'rolledBack' || outcome === 'revertedAfterPromotion') return 'rolledBack';
  return 'failed';
}

/** The revision serving now (the newest `deployed` one), which compensation puts back; null before the first install. */
export function servingRevision(history: readonly { revision: number; status: string; appVersion?: string | null }[]): { revision: number; version: string | null } | null {
  const deployed = history.filter((entry) => entry.status === 'deployed').sort((a, b) => b.revision - a.revision)[0];
  return deployed ? { revision: deployed.revision, version: deployed.appVersion ?? null } : null;
}

export interface PromotedService {
  service: string;
  /** The revision recorded before the train released it; null on a first install. */
  recordedRevision: number | null;
}

export type CompensationStep = { service: string; kind: 'rollback'; toRevision: number } | { service: string; kind: 'skip'; why: string };

/** The services to put back, in reverse order of promotion, each once: a first install has nothing to go back to. */
export function compensationPlan(promotedInOrder: readonly PromotedService[]): CompensationStep[] {
  const seen = new Set<string>();
  return [...promotedInOrder]
    .reverse()
    .filter(({ service }) => !seen.has(service) && seen.add(service))
    .map(({ service, recordedRevision }) =>
      recordedRevision === null
        ? { service, kind: 'skip' as const, why: `${service} was first installed by this train: there is no earlier revision to go back to (helm uninstall it if it must go)` }
        : { service, kind: 'rollback' as const, toRevision: recordedRevision },
    );
}

export interface TrainEnd {
  /** Why the train stopped (the first failed service, or an abort); null when every service was promoted. */
  stoppedBy: string | null;
  /** Whether a service's release ended `failed` (an orchestration error someone must look at). */
  serviceFailed: boolean;
  compensate: boolean;
  /** The compensation steps' ends. */
  compensations: readonly CompensationState[];
  promotedCount: number;
}

/** How the train ends, and its exit code's meaning (0 promoted, 3 rolled back or stopped, 4 failed). */
export function trainOutcome(end: TrainEnd): { outcome: TrainOutcome; phase: TrainPhase } {
  if (end.stoppedBy === null) return { outcome: 'promoted', phase: 'Succeeded' };
  if (end.serviceFailed || end.compensations.some((state) => state === 'failed' || state === 'skipped')) return { outcome: 'failed', phase: 'Failed' };
  if (end.promotedCount > 0 && !end.compensate) return { outcome: 'stopped', phase: 'Stopped' };
  return { outcome: 'rolledBack', phase: 'RolledBack' };
}

export type TrainDecision = { accepted: true; reply: string } | { accepted: false; why: string };

/**
 * Steering a train: every message goes to the service releases running now (each applies or ignores
 * it by its own phase); an abort also stops the train, which then compensates if asked to.
 */
export function decideTrainMessage(name: SignalName, train: { phase: TrainPhase; running: readonly string[]; compensate: boolean }, by: string): TrainDecision {
  const { phase, running } = train;
  if (phase === 'Compensating') return { accepted: false, why: `${name} refused (train ${phase}): the train is putting the promoted services back, which nothing stops` };
  if (phase !== 'Running' && phase !== 'Stopping') return { accepted: false, why: `${name} refused (train ${phase}): the train is over` };
  if (phase === 'Stopping') return { accepted: false, why: `${name} refused (train Stopping): the train is already stopping; the releases still running end first` };
  const to = running.length ? running.join(', ') : null;
  if (name === 'abort') {
    const then = train.compensate ? 'then the services it promoted go back to their recorded revisions, newest first' : 'the services it promoted keep their new versions (compensate: false)';
    return { accepted: true, reply: `abort accepted from ${by}: ${to ? `${to} roll${running.length === 1 ? 's' : ''} back, ` : ''}no further service starts; ${then}` };
  }
  if (!to) return { accepted: false, why: `${name} refused (train Running): no service release is running at this moment (the next stage is starting); send it again` };
  const what = { promote: 'skips its remaining steps (later services still go through their analysis)', pause: 'holds its weight', resume: 'goes on' }[name];
  return { accepted: true, reply: `${name} accepted from ${by}: sent to ${to}, which ${what}` };
}

/**
 * The shape a train workflow needs, checked by the workflow itself (anyone with access to the task
 * queue can start one); each service's config and version are checked by its own release. Null when it fits.
 */
export function trainInputRefusal(input: unknown): string | null {
  const train = input as { name?: unknown; stages?: unknown } | null;
  if (typeof train !== 'object' || train === null) return 'expected { name, compensate, stages: [{ services: [{ config, version }] }] }';
  if (typeof train.name !== 'string' || !train.name) return `name ${JSON.stringify(train.name)}: expected the train's name`;
  if (!Array.isArray(train.stages) || !train.stages.length) return 'stages: expected at least one stage';
  for (const [index, stage] of (train.stages as Array<{ services?: unknown } | null>).entries()) {
    if (!Array.isArray(stage?.services) || !stage.services.length) return `stages[${index}].services: expected at least one service`;
    for (const [member, service] of (stage.services as Array<{ config?: any; version?: unknown } | null>).entries()) {
      const config = service?.config;
      if (typeof config?.service?.namespace !== 'string' || typeof config.service.name !== 'string' || typeof config.helm?.releases?.primary !== 'string') {
        return `stages[${index}].services[${member}].config: expected a resolved release config (docutag-release validate prints one)`;
      }
      if (typeof service?.version !== 'string') return `stages[${index}].services[${member}].version: expected the version to release`;
    }
  }
  return null;
}
