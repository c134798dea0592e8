/*
 * installRelease after a lost worker: Temporal retries the activity (attempt 2), and only then may
 * the deployer unlock a release left pending-* (that attempt's helm died with the worker). A first
 * attempt never touches another operation's lock.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities, type ActivityDeps } from '../../src/activities';
import type { Deployer, HelmTarget } from '../../src/activities/ports';

const target: HelmTarget = { namespace: 'shop', chart: './chart', valuesFiles: [], versionValue: 'version', set: {}, timeoutMs: 60_000 };

function activitiesRecordingInstalls() {
  const installs: Array<{ recoverPending?: boolean }> = [];
  const deployer = {
    install: async (args: { recoverPending?: boolean }) => {
      installs.push({ recoverPending: args.recoverPending });
      return { release: 'web-canary', revision: 1, version: '1.1.0', status: 'deployed' };
    },
  } as unknown as Deployer;
  return { acts: createActivities({ deployer } as unknown as ActivityDeps), installs };
}

test.each([
  [1, false],
  [2, true],
  [5, true],
])('attempt %i: recoverPending %s', async (attempt, expected) => {
  const { acts, installs } = activitiesRecordingInstalls();
  await new MockActivityEnvironment({ attempt }).run(acts.installRelease, { target, release: 'web-canary', version: '1.1.0' });
  expect(installs).toEqual([{ recoverPending: expected }]);
});
