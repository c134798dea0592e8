import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { ReleaseReport, ReleaseStatus, TrainStatus } from './types';

/** Who steers and why: recorded in the status and the history (never a secret). */
export interface SteeringRequest {
  by?: string;
  reason?: string;
}

/**
 * Messages shared by the workflow and the CLI. Steering comes two ways under the same names:
 * signals (the Web UI's "Send Signal", `temporal workflow signal`, any client) and acknowledged
 * Updates (the CLI), whose validators refuse what does not fit the phase before it enters the history.
 */
export const promoteSignal = defineSignal<[SteeringRequest?]>('promote');
export const abortSignal = defineSignal<[SteeringRequest?]>('abort');
export const pauseSignal = defineSignal<[SteeringRequest?]>('pause');
export const resumeSignal = defineSignal<[SteeringRequest?]>('resume');
/** Each returns what happens next ("abort accepted from alice@laptop: rolling back from 50%"). */
export const promoteUpdate = defineUpdate<string, [SteeringRequest]>('promote');
export const abortUpdate = defineUpdate<string, [SteeringRequest]>('abort');
export const pauseUpdate = defineUpdate<string, [SteeringRequest]>('pause');
export const resumeUpdate = defineUpdate<string, [SteeringRequest]>('resume');
export const statusQuery = defineQuery<ReleaseStatus>('status');
/** A train answers `status` too, with each service's state (src/workflows/train.ts). */
export const trainStatusQuery = defineQuery<TrainStatus>('status');

export const TASK_QUEUE = 'docutag-release';

export const SEARCH_ATTRIBUTES = {
  service: defineSearchAttributeKey('ReleaseService', SearchAttributeType.KEYWORD),
  version: defineSearchAttributeKey('ReleaseVersion', SearchAttributeType.KEYWORD),
  strategy: defineSearchAttributeKey('ReleaseStrategy', SearchAttributeType.KEYWORD),
  phase: defineSearchAttributeKey('ReleasePhase', SearchAttributeType.KEYWORD),
  weight: defineSearchAttributeKey('ReleaseWeight', SearchAttributeType.INT),
  /** Set when the release ends: promoted, rolledBack, failed, reverted, revertedAfterPromotion. */
  outcome: defineSearchAttributeKey('ReleaseOutcome', SearchAttributeType.KEYWORD),
} as const;

/** The search attributes a release starts with (then upserted on each phase change). */
export function initialSearchAttributes(config: { service: { namespace: string; name: string }; strategy: string }, version: string) {
  return [
    { key: SEARCH_ATTRIBUTES.service, value: `${config.service.namespace}/${config.service.name}` },
    { key: SEARCH_ATTRIBUTES.version, value: version },
    { key: SEARCH_ATTRIBUTES.strategy, value: config.strategy },
    { key: SEARCH_ATTRIBUTES.phase, value: 'Initializing' },
    { key: SEARCH_ATTRIBUTES.weight, value: 0 },
  ] as const;
}

/** To a service's migration workflow: verify the checklist now. Releases send it with their report when they end, so phase 1 counts them at once. */
export const recheckSignal = defineSignal<[{ release?: ReleaseReport }?]>('recheck');

export const migrationWorkflowId = (namespace: string, service: string) => `migration-${namespace}-${service}`;
