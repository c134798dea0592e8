/*
 * The Temporal server restarted twice during one release (a dedicated dev server on a SQLite file,
 * stopped and started on the same port and file): the releases running meanwhile finish as they
 * would have, with no step lost, repeated or skipped.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { statusQuery } from '../../src/workflows/messages';
import type { ReleaseResult } from '../../src/workflows/types';
import { startDevServer, type DevServer } from '../support/dev-server';
import { eventually, ReleaseHarness } from '../support/harness';

const HEALTHY = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 0];
/** Helm's story with a step retried after a lost completion report counted once. */
const collapseRepeats = (story: string[]) => story.filter((step, index) => step !== story[index - 1]);

let server: DevServer;
let harness: ReleaseHarness;
let dataDir: string;
beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'temporal-db-'));
  server = await startDevServer({ dbFile: path.join(dataDir, 'temporal.db') });
  harness = await ReleaseHarness.start({ address: server.address });
});
afterAll(async () => {
  await harness?.stop();
  await server?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('the Temporal server restarted twice during a release', () => {
  test('a healthy release is promoted and a failing one rolled back, every weight once and in order', async () => {
    const healthy = harness.config({ analysis: { interval: '1s', stepWeight: 10, threshold: 2 } });
    const failing = harness.config({ analysis: { interval: '1s', stepWeight: 10, threshold: 2 } });
    harness.prometheus.answer = (query) => {
      if (query.includes('histogram_quantile')) return { value: 120 };
      // The failing canary goes bad once it carries 60% of the traffic, after the first restart.
      const weight = harness.kube.currentWeights('shop', failing.traffic.traefikService)[failing.traffic.canaryService] ?? 0;
      return { value: query.includes(`shop-${failing.traffic.canaryService}-[0-9]`) && weight >= 60 ? 80 : 99.9 };
    };
    const [healthyRun, failingRun] = await Promise.all([harness.start(healthy, '1.1.0'), harness.start(failing, '1.1.0')]);

    const restarts: Array<{ atWeight: number; tookMs: number }> = [];
    for (const atWeight of [20, 50]) {
      const before = await eventually(`canary at ${atWeight}%`, () => healthyRun.query(statusQuery), (s) => s.canaryWeight >= atWeight, 90_000);
      const started = Date.now();
      await server.restart();
      restarts.push({ atWeight: before.canaryWeight, tookMs: Date.now() - started });
    }
    process.stdout.write(`Temporal restarted at ${restarts.map((restart) => `${restart.atWeight}% (${restart.tookMs} ms)`).join(' and ')}\n`);

    const promoted = (await healthyRun.result()) as ReleaseResult;
    const rolledBack = (await failingRun.result()) as ReleaseResult;
    expect(restarts).toHaveLength(2);
    expect(promoted.outcome).toBe('promoted');
    expect(harness.canaryWeights(healthy)).toEqual(HEALTHY);
    expect(collapseRepeats(harness.helmStory(healthy))).toEqual([`upgrade ${healthy.helm.releases.canary}`, `test ${healthy.helm.releases.canary}`, `upgrade ${healthy.helm.releases.primary}`, `uninstall ${healthy.helm.releases.canary}`]);
    expect(rolledBack.outcome).toBe('rolledBack');
    expect(rolledBack.reason).toContain('failed checks reached the threshold (2/2)');
    expect(harness.canaryWeights(failing)).toEqual([10, 20, 30, 40, 50, 60, 0]);
    expect(collapseRepeats(harness.helmStory(failing))).toEqual([`upgrade ${failing.helm.releases.canary}`, `test ${failing.helm.releases.canary}`, `uninstall ${failing.helm.releases.canary}`]);
    // The history survived both restarts: it tells the whole story from the start.
    const history = await healthyRun.fetchHistory();
    expect(history.events![0]!.workflowExecutionStartedEventAttributes).toBeTruthy();
    expect(history.events!.at(-1)!.workflowExecutionCompletedEventAttributes).toBeTruthy();
  });
});
