/*
 * rollbackRelease after lost workers: each attempt heartbeats the newest revision before the first
 * attempt, so a later attempt can tell that a lost one's `helm rollback` landed. Two workers lost in a
 * row (the second while it waited for the first one's pending rollback) must still roll back once.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities, type ActivityDeps } from '../../src/activities';
import type { Deployer, HelmTarget } from '../../src/activities/ports';

const target: HelmTarget = { namespace: 'shop', chart: './chart', valuesFiles: [], versionValue: 'version', set: {}, timeoutMs: 60_000 };

test("a third attempt after a second lost while waiting for the first's pending rollback finds it landed, and rolls back no second time", async () => {
  // helm history: 3 serves 1.1.0; the first attempt's "Rollback to 2" is revision 4, pending until its orphaned helm ends.
  let pending = true;
  const rollbacks: number[] = [];
  const deployer = {
    history: async () => [
      { revision: 3, status: pending ? 'deployed' : 'superseded', description: 'Upgrade complete', appVersion: null, updated: null },
      { revision: 4, status: pending ? 'pending-rollback' : 'deployed', description: 'Rollback to 2', appVersion: null, updated: null },
    ],
    rollback: async (args: { revision: number }) => {
      rollbacks.push(args.revision);
      return { release: 'web', revision: 5, version: '1.0.0', status: 'deployed' };
    },
    describe: async () => ({ release: 'web', revision: 4, version: '1.0.0', status: 'deployed' }),
  } as unknown as Deployer;
  const acts = createActivities({ deployer } as unknown as ActivityDeps);

  const second = new MockActivityEnvironment({ attempt: 2, heartbeatDetails: { release: 'web', newestBefore: 3 }, heartbeatTimeoutMs: 60_000 });
  const beats: unknown[] = [];
  second.on('heartbeat', (details: unknown) => beats.push(details));
  const waiting = second.run(acts.rollbackRelease, { target, release: 'web', revision: 2 }).catch(() => 'lost');
  await new Promise((resolve) => setTimeout(resolve, 300));
  // The second worker is lost here: what the server keeps is its last heartbeat.
  second.cancel();
  await waiting;
  expect(beats.at(-1)).toMatchObject({ release: 'web', newestBefore: 3 });

  pending = false; // the first worker's orphaned helm rollback lands
  const third = new MockActivityEnvironment({ attempt: 3, heartbeatDetails: beats.at(-1), heartbeatTimeoutMs: 60_000 });
  const restored = (await third.run(acts.rollbackRelease, { target, release: 'web', revision: 2 })) as { revision: number };
  expect(restored.revision).toBe(4);
  expect(rollbacks).toEqual([]);
});
