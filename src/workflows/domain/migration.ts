import type { Strategy } from './strategy';

/** DocuTag's path from the deploy script to progressive delivery, per service. */
export const MIGRATION_PHASES = {
  deployScript: 1,
  infrastructure: 2,
  progressiveDelivery: 3,
} as const;
export type MigrationPhase = (typeof MIGRATION_PHASES)[keyof typeof MIGRATION_PHASES];

export const PHASE_NAMES: Record<MigrationPhase, string> = {
  1: 'Deploy script (direct releases)',
  2: 'Progressive-delivery infrastructure',
  3: 'Progressive delivery in production',
};

export const CHECK_STATES = { passed: 'passed', failed: 'failed', pending: 'pending' } as const;
export type CheckState = (typeof CHECK_STATES)[keyof typeof CHECK_STATES];

/** One exit criterion of a phase, as `migrate status` shows it. */
export interface ChecklistItem {
  id: string;
  title: string;
  state: CheckState;
  reason: string;
}

/** The exit criteria of each phase, in the order people read them. */
export const PHASE_CHECKLISTS: Record<MigrationPhase, Array<{ id: string; title: string }>> = {
  1: [
    { id: 'direct-releases', title: 'successful direct releases since the phase began' },
    { id: 'direct-drill', title: 'a direct rollback drill passed' },
  ],
  2: [
    { id: 'traefik', title: "the service's TraefikService is reachable with both services in it" },
    { id: 'prometheus', title: 'Prometheus returns data for the success-rate and duration queries' },
    { id: 'slack', title: 'the Slack webhook delivers a test message' },
    { id: 'pilot-canary', title: 'a canary of the pilot service was promoted' },
    { id: 'pilot-drill', title: 'a canary rollback drill on the pilot passed' },
  ],
  3: [],
};

/** The strategy releases use in a phase: the deploy script until progressive delivery is proven. */
export function strategyForPhase(phase: MigrationPhase, configured: Strategy): Strategy {
  return phase === MIGRATION_PHASES.progressiveDelivery ? configured : 'direct';
}

export interface ApprovalRequest {
  by: string;
  force: boolean;
  reason?: string;
}

export type ApprovalDecision =
  | { moved: true; to: MigrationPhase; note: string }
  | { moved: false; note: string; failing: ChecklistItem[] };

/**
 * `migrate approve`: moves on only when every item passed, or with `force` and a reason (recorded
 * with who gave it). The last phase has nowhere to go.
 */
export function decideApproval(phase: MigrationPhase, checklist: ChecklistItem[], request: ApprovalRequest): ApprovalDecision {
  if (phase === MIGRATION_PHASES.progressiveDelivery) return { moved: false, note: 'already in the last phase: releases use progressive delivery', failing: [] };
  const failing = checklist.filter((item) => item.state !== 'passed');
  const to = (phase + 1) as MigrationPhase;
  if (!failing.length) return { moved: true, to, note: `approved by ${request.by}: every item passed` };
  if (!request.force) return { moved: false, note: `not approved: ${failing.length} item(s) not passed; fix them or use --force --reason "..."`, failing };
  if (!request.reason?.trim()) return { moved: false, note: 'a forced approval needs --reason "why": it is recorded with your name', failing };
  return { moved: true, to, note: `FORCED by ${request.by} with ${failing.length} item(s) not passed (${failing.map((item) => item.id).join(', ')}): ${request.reason.trim()}` };
}

/** The `direct-releases` item from a count of successful direct releases. */
export function directReleasesItem(count: number, needed: number): ChecklistItem {
  const { id, title } = PHASE_CHECKLISTS[1][0]!;
  return { id, title, state: count >= needed ? 'passed' : 'pending', reason: `${count} of ${needed} successful direct releases since the phase began` };
}
