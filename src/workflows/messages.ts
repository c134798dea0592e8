import { defineQuery, defineSignal } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { ReleaseStatus } from './types';

/** Messages shared by the workflow and the CLI. */
export const promoteSignal = defineSignal<[]>('promote');
export const abortSignal = defineSignal<[{ reason?: string }?]>('abort');
export const pauseSignal = defineSignal<[]>('pause');
export const resumeSignal = defineSignal<[]>('resume');
export const statusQuery = defineQuery<ReleaseStatus>('status');

export const TASK_QUEUE = 'docutag-release';

export const SEARCH_ATTRIBUTES = {
  service: defineSearchAttributeKey('ReleaseService', SearchAttributeType.KEYWORD),
  version: defineSearchAttributeKey('ReleaseVersion', SearchAttributeType.KEYWORD),
  strategy: defineSearchAttributeKey('ReleaseStrategy', SearchAttributeType.KEYWORD),
  phase: defineSearchAttributeKey('ReleasePhase', SearchAttributeType.KEYWORD),
  weight: defineSearchAttributeKey('ReleaseWeight', SearchAttributeType.INT),
} as const;
