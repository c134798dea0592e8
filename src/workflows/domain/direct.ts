/**
 * The direct strategy (DocuTag's deploy-with-rollback script as a workflow): which revision a failure
 * rolls back to, and the story `watch` prints, in the script's own words.
 */
import { formatMs } from './duration';

/** One entry of `helm history`, oldest first. */
export interface HistoryEntry {
  revision: number;
  /** helm's status: deployed, superseded, failed, pending-install, pending-upgrade, pending-rollback, uninstalled... */
  status: string;
}

export type DirectPlan =
  /** Nothing serves yet (no history, or no revision ever deployed): a failure uninstalls. */
  | { kind: 'firstInstall'; note: string }
  /** The revision serving now is the rollback target. */
  | { kind: 'upgrade'; from: number }
  /** Another helm operation is under way on the release: do not start a second one. */
  | { kind: 'blocked'; reason: string };

/**
 * Chooses the rollback target from the release's history: the newest `deployed` revision (after a
 * failed upgrade the newest revision is `failed`, and rolling back to it would keep the broken one).
 */
export function planDirect(release: string, history: readonly HistoryEntry[]): DirectPlan {
  if (!history.length) return { kind: 'firstInstall', note: `${release} is not installed yet: first install, no revision to roll back to` };
  const newest = history.reduce((a, b) => (b.revision > a.revision ? b : a));
  if (newest.status.startsWith('pending-')) {
    return { kind: 'blocked', reason: `another helm operation is in progress on ${release} (revision ${newest.revision} is ${newest.status}); wait for it or resolve it (helm history ${release}), then start again` };
  }
  const deployed = history.filter((entry) => entry.status === 'deployed').sort((a, b) => b.revision - a.revision)[0];
  if (!deployed) return { kind: 'firstInstall', note: `${release} has no deployed revision (newest: ${newest.revision}, ${newest.status}): no revision to roll back to` };
  return { kind: 'upgrade', from: deployed.revision };
}

const versionText = (version: string | null) => (version === null ? 'version unknown' : `version ${version}`);
const took = (ms: number) => ` (took ${formatMs(ms)})`;

/** The events of a direct release, worded as the deploy script printed them. */
export const directStory = {
  upgradingFrom: (revision: number, version: string | null) => `Upgrading from revision ${revision} (${versionText(version)})`,
  firstInstall: (release: string, version: string) => `Installing ${release} for the first time at version ${version} (no revision to roll back to)`,
  newRevision: (revision: number, version: string | null, ms: number) => `New revision: ${revision} (${versionText(version)})${took(ms)}`,
  upgradeFailed: (ms: number, error: string) => `Upgrade failed${took(ms)}: ${error}`,
  waitingForRollout: () => 'Waiting for rollout to complete',
  rolloutComplete: (ms: number) => `Rollout complete${took(ms)}`,
  rolloutFailed: (ms: number, error: string) => `Rollout failed${took(ms)}: ${error}`,
  runningTests: () => 'Running Helm tests',
  testsPassed: (ms: number) => `Tests passed${took(ms)}`,
  testsFailed: (ms: number, output: string) => `Tests failed${took(ms)}: ${output}`,
  rollingBack: (revision: number, version: string | null) => `Rolling back to revision ${revision} (${versionText(version)})`,
  rollbackCompleted: (revision: number, ms: number) => `Rollback to revision ${revision} completed${took(ms)}`,
  rollbackFailed: (revision: number, ms: number, error: string) => `Rollback to revision ${revision} failed${took(ms)}: ${error}`,
  uninstalling: (release: string) => `Uninstalling ${release}: a failed first install has no revision to roll back to`,
  uninstalled: (release: string, ms: number) => `Uninstalled ${release}${took(ms)}`,
} as const;

/** The last lines of helm's output, joined for one-line reasons. */
export function outputTail(output: string, lines = 3): string {
  return output.trim().split('\n').slice(-lines).join(' | ');
}
