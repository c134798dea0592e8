/**
 * One-command revert (`docutag-release rollback <namespace/service>`): which revision of the primary
 * goes back into service. Argo Rollouts' rollbackWindow and `helm rollback` both go to the previous
 * revision; here "previous" is the newest one that served before the current one (`superseded`), so a
 * failed upgrade sitting on top is never the target.
 */
import type { HistoryEntry } from './direct';

export type RevertPlan = { kind: 'revert'; from: number; to: number } | { kind: 'refused'; reason: string };

export function planRevert(release: string, history: readonly HistoryEntry[], toRevision?: number): RevertPlan {
  if (!history.length) return { kind: 'refused', reason: `${release} is not installed: there is nothing to roll back` };
  const newest = history.reduce((a, b) => (b.revision > a.revision ? b : a));
  if (newest.status.startsWith('pending-')) {
    return { kind: 'refused', reason: `another helm operation is in progress on ${release} (revision ${newest.revision} is ${newest.status}); wait for it or resolve it (helm history ${release}), then roll back` };
  }
  const current = history.filter((entry) => entry.status === 'deployed').sort((a, b) => b.revision - a.revision)[0];
  if (!current) return { kind: 'refused', reason: `${release} has no deployed revision (newest: ${newest.revision}, ${newest.status}): nothing serves to roll back from` };
  const earlier = history.filter((entry) => entry.revision < current.revision && entry.status === 'superseded').map((entry) => entry.revision);
  if (toRevision === undefined) {
    const previous = Math.max(...earlier);
    if (!earlier.length) return { kind: 'refused', reason: `${release} has no revision before ${current.revision} that served: nothing to roll back to` };
    return { kind: 'revert', from: current.revision, to: previous };
  }
  if (toRevision === current.revision) return { kind: 'refused', reason: `revision ${toRevision} is the one serving now; pick another (${listed(earlier)})` };
  const wanted = history.find((entry) => entry.revision === toRevision);
  if (!wanted) return { kind: 'refused', reason: `${release} has no revision ${toRevision} in its last ${history.length} (${listed(earlier)})` };
  if (wanted.status !== 'superseded') return { kind: 'refused', reason: `revision ${toRevision} never served (${wanted.status}); pick one that did (${listed(earlier)})` };
  return { kind: 'revert', from: current.revision, to: toRevision };
}

function listed(revisions: number[]): string {
  if (!revisions.length) return 'no earlier revision served';
  return `revisions that served before: ${[...revisions].sort((a, b) => b - a).slice(0, 10).join(', ')}`;
}

/** Rounds of a bake after promotion: one per interval, at least one. */
export function bakeRounds(bakeMs: number, intervalMs: number): number {
  return Math.max(1, Math.ceil(bakeMs / intervalMs));
}

export type LostRollback = { kind: 'landed' } | { kind: 'pending' } | { kind: 'none' };

/**
 * What a lost attempt of `helm rollback <release> <revision>` left (the worker died; its helm may have
 * lived on): a `Rollback to <revision>` newer than the newest revision before the first attempt that
 * is deployed landed (rolling back again would add a second one), one still pending-rollback may be
 * finishing, and none means the attempt never reached helm.
 */
export function lostRollback(history: readonly { revision: number; status: string; description: string }[], newestBefore: number, revision: number): LostRollback {
  const ours = history.filter((entry) => entry.revision > newestBefore && entry.description.trim() === `Rollback to ${revision}`);
  if (ours.some((entry) => entry.status === 'deployed')) return { kind: 'landed' };
  if (ours.some((entry) => entry.status === 'pending-rollback')) return { kind: 'pending' };
  return { kind: 'none' };
}
