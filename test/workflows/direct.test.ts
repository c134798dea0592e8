/*
 * The direct strategy (helm upgrade → wait → helm test → helm rollback) on the real Temporal dev
 * server, with the helm stand-in, the Kubernetes API stand-in and the Slack stand-in.
 */
import { runCli } from '../../src/client/cli';
import type { CliIO } from '../../src/client/output';
import type { ReleaseConfig } from '../../src/config';
import type { ReleaseResult } from '../../src/workflows/types';
import { exitCodeFor } from '../../src/workflows/types';
import { ReleaseHarness, useReleaseHarness } from '../support/harness';

let harness: ReleaseHarness;
useReleaseHarness((started) => (harness = started));

const directConfig = () => harness.config({ strategy: 'direct' });
const messages = (outcome: ReleaseResult) => outcome.status.events.map((event) => event.message);
const took = String.raw` \(took \d+(\.\d)?m?s\)`;

/** The events matching `story`, in order: each entry is an exact text or a pattern. */
function expectStory(outcome: ReleaseResult, story: Array<string | RegExp>): void {
  const events = messages(outcome);
  let at = 0;
  for (const line of story) {
    const found = events.findIndex((message, i) => i >= at && (typeof line === 'string' ? message === line : line.test(message)));
    if (found < 0) throw new Error(`event ${String(line)} not found after event ${at} in:\n${events.join('\n')}`);
    at = found + 1;
  }
}

function primaryOf(config: ReleaseConfig) {
  return harness.helmRelease(config.service.namespace, config.helm.releases.primary);
}

describe('direct release: helm upgrade, rollout, helm test, rollback on failure', () => {
  test('a healthy upgrade records revision 5, creates revision 6, tests it and keeps it; the router is never touched', async () => {
    const config = directConfig();
    const { primary } = config.helm.releases;
    harness.seedPrimary(config, '1.0.0', 5);

    const outcome = await harness.run(config, '1.1.0');

    expect(outcome.outcome).toBe('promoted');
    expect(outcome.revisions).toEqual({ from: 5, to: 6, rolledBackTo: null });
    expect(outcome.rollbackMs).toBeNull();
    expect(outcome.status.previousVersion).toBe('1.0.0');
    expect(outcome.status.phase).toBe('Succeeded');
    expect(harness.helmStory(config)).toEqual([`upgrade ${primary}`, `test ${primary}`]);
    expect(harness.helmCalls('shop', [primary]).find((call) => call.action === 'history')?.args).toEqual(expect.arrayContaining(['history', primary, '--max', '20', '--output', 'json']));
    expectStory(outcome, [
      'Upgrading from revision 5 (version 1.0.0)',
      new RegExp(`^New revision: 6 \\(version 1\\.1\\.0\\)${took}$`),
      'Waiting for rollout to complete',
      new RegExp(`^Rollout complete${took}$`),
      'Running Helm tests',
      new RegExp(`^Tests passed${took}$`),
    ]);
    expect(primaryOf(config)?.values.image?.tag).toBe('1.1.0');
    expect(harness.canaryWeights(config)).toEqual([]);
    expect(harness.slack.delivered().some((text) => text.includes(`Released shop/${config.service.name} 1.1.0 directly: revision 6 (was revision 5, version 1.0.0)`))).toBe(true);
  });

  test('a helm test failure rolls back to the recorded revision, and the events tell the script\'s story', async () => {
    const config = directConfig();
    const { primary } = config.helm.releases;
    harness.seedPrimary(config, '1.0.0', 5);
    harness.failHelm('test', primary, `pod ${primary}-smoke failed: expected 200, got 503`);

    const outcome = await harness.run(config, '1.1.0');

    expect(outcome.outcome).toBe('rolledBack');
    expect(exitCodeFor(outcome.outcome)).toBe(3);
    expect(outcome.reason).toContain(`helm test of ${primary} failed`);
    expect(outcome.reason).toContain('rolled back to revision 5 (version 1.0.0)');
    expect(outcome.revisions).toEqual({ from: 5, to: 6, rolledBackTo: 5 });
    expect(outcome.rollbackMs).toEqual(expect.any(Number));
    expect(outcome.rollbackMs!).toBeLessThan(10_000);
    expectStory(outcome, [
      'Upgrading from revision 5 (version 1.0.0)',
      new RegExp(`^New revision: 6 \\(version 1\\.1\\.0\\)${took}$`),
      'Waiting for rollout to complete',
      'Running Helm tests',
      new RegExp(`^Tests failed${took}: .*smoke failed: expected 200, got 503`),
      'Rolling back to revision 5 (version 1.0.0)',
      new RegExp(`^Rollback to revision 5 completed${took}$`),
    ]);
    expect(harness.helmStory(config)).toEqual([`upgrade ${primary}`, `test ${primary}`, `rollback ${primary}`]);
    expect(harness.helmCalls('shop', [primary]).find((call) => call.action === 'rollback')!.args.slice(0, 4)).toEqual(['rollback', primary, '5', '--wait']);
    // helm rollback makes a new revision (7) with revision 5's values.
    expect(primaryOf(config)).toMatchObject({ revision: 7, values: { image: { tag: '1.0.0' } } });
    expect(outcome.status.phase).toBe('RolledBack');
    expect(harness.slack.delivered().some((text) => text.includes(`Rolled back shop/${config.service.name} 1.1.0 to revision 5 (version 1.0.0)`))).toBe(true);
  });

  test('a helm upgrade failure rolls back to the recorded revision', async () => {
    const config = directConfig();
    const { primary } = config.helm.releases;
    harness.seedPrimary(config, '1.0.0', 3);
    harness.failHelm('upgrade', primary, 'UPGRADE FAILED: timed out waiting for the condition');

    const outcome = await harness.run(config, '1.1.0');

    expect(outcome.outcome).toBe('rolledBack');
    expect(outcome.reason).toContain('timed out waiting for the condition');
    expect(outcome.revisions).toEqual({ from: 3, to: null, rolledBackTo: 3 });
    expectStory(outcome, ['Upgrading from revision 3 (version 1.0.0)', new RegExp(`^Upgrade failed${took}: .*timed out waiting`), 'Rolling back to revision 3 (version 1.0.0)', /^Rollback to revision 3 completed/]);
    expect(messages(outcome)).not.toContain('Running Helm tests');
    expect(harness.helmStory(config)).toEqual([`upgrade ${primary}`, `rollback ${primary}`]);
  });

  test('a failed first install has no revision to roll back to: it is uninstalled, and the result says so', async () => {
    const config = directConfig();
    const { primary } = config.helm.releases;
    harness.failHelm('test', primary, 'pod smoke failed');

    const outcome = await harness.run(config, '1.0.0');

    expect(outcome.outcome).toBe('rolledBack');
    expect(outcome.reason).toContain(`first install, no revision to roll back to: ${primary} was uninstalled`);
    expect(outcome.revisions).toEqual({ from: null, to: 1, rolledBackTo: null });
    expect(outcome.rollbackMs).toEqual(expect.any(Number));
    expectStory(outcome, [
      `${primary} is not installed yet: first install, no revision to roll back to`,
      `Installing ${primary} for the first time at version 1.0.0 (no revision to roll back to)`,
      /^New revision: 1 \(version 1\.0\.0\)/,
      /^Tests failed/,
      `Uninstalling ${primary}: a failed first install has no revision to roll back to`,
      new RegExp(`^Uninstalled ${primary}${took}$`),
    ]);
    expect(harness.helmStory(config)).toEqual([`upgrade ${primary}`, `test ${primary}`, `uninstall ${primary}`]);
    expect(primaryOf(config)).toBeUndefined();
  });

  test('a rollback that fails ends failed with exit code 4, helm\'s error, a Slack alert and the revision to look at', async () => {
    const config = directConfig();
    const { primary } = config.helm.releases;
    harness.seedPrimary(config, '1.0.0', 5);
    harness.failHelm('test', primary, 'pod smoke failed');
    harness.failHelm('rollback', primary, 'another operation (install/upgrade/rollback) is in progress');

    const handle = await harness.start(config, '1.1.0');
    let out = '';
    const io: CliIO = { out: (text) => (out += `${text}\n`), err: (text) => (out += `${text}\n`), isTTY: false };
    const code = await runCli(['watch', handle.workflowId], io, { ...process.env, TEMPORAL_ADDRESS: harness.address, TEMPORAL_NAMESPACE: 'default' });
    const outcome = (await handle.result()) as ReleaseResult;

    expect(code).toBe(4);
    expect(outcome.outcome).toBe('failed');
    expect(outcome.status.phase).toBe('Failed');
    expect(outcome.reason).toContain('another operation (install/upgrade/rollback) is in progress');
    expect(outcome.reason).toContain(`helm history ${primary} -n shop: revision 6 (1.1.0) may still be live; revision 5 (version 1.0.0) is the last good one`);
    expect(outcome.revisions).toEqual({ from: 5, to: 6, rolledBackTo: null });
    expect(out).toContain('Rolling back to revision 5 (version 1.0.0)');
    expect(out).toMatch(/Rollback to revision 5 failed \(took .+\): .*another operation/);
    expect(out).toContain('FAILED: rollback of');
    // The Slack stand-in is shared by the file's tests: pick this release's alert.
    const alert = harness.slack.delivered().find((text) => text.includes('FAILED and needs a person') && text.includes(`shop/${config.service.name} 1.1.0`));
    expect(alert).toContain('revision 6');
    expect(alert).toContain('another operation');
  });

  test('promote and pause do not apply to a direct release: recorded and ignored', async () => {
    const config = directConfig();
    harness.seedPrimary(config, '1.0.0');
    const handle = await harness.start(config, '1.1.0');
    await handle.signal('promote');
    await handle.signal('pause');
    const outcome = (await handle.result()) as ReleaseResult;

    expect(outcome.outcome).toBe('promoted');
    expect(messages(outcome)).toEqual(expect.arrayContaining([expect.stringMatching(/^promote ignored: a direct release has no steps to skip/), expect.stringMatching(/^pause ignored: a direct release/)]));
  });
});
