import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { Worker } from '@temporalio/worker';
import { statusQuery } from '../../src/workflows/messages';
import type { ReleaseResult } from '../../src/workflows/types';
import { startDevServer, type DevServer } from '../support/dev-server';
import { eventually, ReleaseHarness, workflowBundle } from '../support/harness';

/** Every canary weight of the schedule, in order, each once, then 0 after promotion. */
const fullSchedule = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 0];

async function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise((resolve) => child.once('exit', resolve));
}

describe('restart survival', () => {
  test('a worker SIGKILLed mid-rollout is replaced and the release finishes with no weight skipped or going backwards', async () => {
    const harness = await ReleaseHarness.start({ inProcessWorker: false });
    try {
      const config = harness.config({ analysis: { interval: '1s', stepWeight: 10 } });
      harness.seedPrimary(config, '1.0.0');
      const first = harness.spawnWorker();
      const handle = await harness.start(config, '1.1.0');
      await eventually('canary at 40%', () => handle.query(statusQuery), (s) => s.canaryWeight >= 40, 60_000);
      first.kill('SIGKILL');
      await waitForExit(first);
      const weightAtKill = harness.canaryWeights(config).at(-1)!;
      expect(weightAtKill).toBeLessThan(100);

      harness.spawnWorker();
      const outcome = (await handle.result()) as ReleaseResult;
      expect(outcome.outcome).toBe('promoted');
      expect(harness.canaryWeights(config)).toEqual(fullSchedule);
      const { primary, canary } = config.helm.releases;
      expect(harness.helmStory(config)).toEqual([`upgrade ${canary}`, `test ${canary}`, `upgrade ${primary}`, `uninstall ${canary}`]);
    } finally {
      await harness.stop();
    }
  });

  test('a release queried before any worker picked it up replays on the worker that takes it over', async () => {
    // The query waits for the first workflow task and ends it early: the input check's local activity
    // resolves in the next task, the history shape that made patches asked for late fail to replay.
    const harness = await ReleaseHarness.start({ inProcessWorker: false });
    try {
      const config = harness.config({ analysis: { interval: '1s', stepWeight: 25 } });
      harness.seedPrimary(config, '1.0.0');
      const handle = await harness.start(config, '1.1.0');
      const firstAnswer = handle.query(statusQuery);
      harness.spawnWorker();
      expect((await firstAnswer).service).toBe(config.service.name);
      await eventually('canary at 50%', () => handle.query(statusQuery), (s) => s.canaryWeight >= 50, 60_000);

      const history = await handle.fetchHistory();
      const events = history.events ?? [];
      const inputChecked = events.findIndex((event) => event.markerRecordedEventAttributes?.markerName === 'core_local_activity');
      expect(events[inputChecked + 1]?.workflowTaskScheduledEventAttributes).toBeTruthy();
      await expect(Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, 'replay-queried-early')).resolves.toBeUndefined();
      expect(((await handle.result()) as ReleaseResult).outcome).toBe('promoted');
    } finally {
      await harness.stop();
    }
  });

  test('a restart of the Temporal dev server on the same database file delays the release and loses nothing', async () => {
    const dbFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'temporal-db-')), 'temporal.db');
    let server: DevServer | undefined;
    let harness: ReleaseHarness | undefined;
    try {
      server = await startDevServer({ dbFile });
      harness = await ReleaseHarness.start({ address: server.address });
      const config = harness.config({ analysis: { interval: '1s', stepWeight: 10 } });
      const handle = await harness.start(config, '1.1.0');
      await eventually('canary at 30%', () => handle.query(statusQuery), (s) => s.canaryWeight >= 30, 60_000);
      await server.restart();
      const outcome = (await handle.result()) as ReleaseResult;
      expect(outcome.outcome).toBe('promoted');
      expect(harness.canaryWeights(config)).toEqual(fullSchedule);
    } finally {
      await harness?.stop();
      await server?.stop();
    }
  });
});
