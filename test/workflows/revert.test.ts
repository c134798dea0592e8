/*
 * One-command revert (`docutag-release rollback <namespace/service>`) on the real Temporal dev server,
 * through the CLI, with the helm stand-in: back to the previous revision that served or to a named
 * one, refused (with nothing changed) when there is nothing to go back to, never beside a running
 * release, and with the config of the service's last release when none is given.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import type { ReleaseConfig } from '../../src/config';
import { abortSignal, promoteSignal, statusQuery } from '../../src/workflows/messages';
import type { ReleaseResult } from '../../src/workflows/types';
import { runCliCaptured } from '../support/cli';
import { eventually, ReleaseHarness, useReleaseHarness } from '../support/harness';

let harness: ReleaseHarness;
useReleaseHarness((started) => (harness = started));

const rollback = (config: ReleaseConfig, ...args: string[]) => runCliCaptured(harness.address, ['rollback', `${config.service.namespace}/${config.service.name}`, '--by', 'ops@laptop', ...args], harness.workerEnv());
const result = (config: ReleaseConfig) => harness.client.workflow.getHandle(`release-${config.service.namespace}-${config.service.name}`).result() as Promise<ReleaseResult>;
const mutations = (config: ReleaseConfig) => harness.helmStory(config).filter((call) => call.startsWith('rollback') || call.startsWith('upgrade'));

/** A direct service whose primary served 1.0.0 (revision 1) and now serves 1.1.0 (revision 2), released by a workflow. */
async function releasedTwice(): Promise<ReleaseConfig> {
  const config = harness.config({ strategy: 'direct' });
  harness.seedPrimary(config, '1.0.0');
  expect((await harness.run(config, '1.1.0')).outcome).toBe('promoted');
  return config;
}

describe('rollback <namespace/service>', () => {
  test("goes back to the previous revision that served, with the deploy script's lines, using the last release's config", async () => {
    const config = await releasedTwice();
    const run = await rollback(config, '--reason', 'checkout errors since 1.1.0');
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toContain(`Rolling back shop/${config.service.name} to the previous revision that served`);
    expect(run.out).toContain('Rolling back to revision 1 (version 1.0.0)...');
    expect(run.out).toMatch(/Rollback to revision 1 completed successfully \(took [\d.]+m?s\)/);
    expect(run.out).toMatch(/REVERTED: rolled back to revision 1 \(version 1\.0\.0\) as revision 3; revision 2 \(version 1\.1\.0\) no longer serves/);

    const outcome = await result(config);
    expect(outcome).toMatchObject({ outcome: 'reverted', revisions: { from: 2, to: 3, rolledBackTo: 1 } });
    expect(outcome.status).toMatchObject({ operation: 'revert', version: '1.0.0', previousVersion: '1.1.0', phase: 'RolledBack' });
    expect(outcome.status.events.map((event) => event.message)).toContain(`Rollback of ${config.helm.releases.primary} requested by ops@laptop: checkout errors since 1.1.0`);
    const helm = harness.helmRelease('shop', config.helm.releases.primary)!;
    expect(helm.history.at(-1)).toMatchObject({ revision: 3, status: 'deployed', description: 'Rollback to 1' });
    expect(helm.values.image?.tag).toBe('1.0.0');
    expect(mutations(config).filter((call) => call.startsWith('rollback'))).toEqual([`rollback ${config.helm.releases.primary}`]);
    const told = harness.slack.delivered().filter((text) => text.includes(config.service.name));
    expect(told.at(-1)).toContain(`Rolled back shop/${config.service.name} to revision 1 (version 1.0.0) as revision 3.`);
  });

  test('--to-revision N goes back to that revision, skipping the ones in between', async () => {
    const config = harness.config({ strategy: 'direct' });
    harness.seedPrimary(config, '1.0.0', 3);
    const run = await rollback(config, '--to-revision', '1', '--config', writeConfig(config));
    expect(run.code).toBe(0);
    expect((await result(config)).revisions).toEqual({ from: 3, to: 4, rolledBackTo: 1 });
    expect(harness.helmRelease('shop', config.helm.releases.primary)!.history.at(-1)!.description).toBe('Rollback to 1');
  });

  test.each([
    ['the serving revision', ['--to-revision', '2'], 'revision 2 is the one serving now; pick another (revisions that served before: 1)'],
    ['a revision helm no longer lists', ['--to-revision', '9'], 'has no revision 9 in its last 2 (revisions that served before: 1)'],
  ])('refuses %s: exit 4, nothing changed, the reason lists what served', async (_, args, reason) => {
    const config = await releasedTwice();
    const before = mutations(config);
    const run = await rollback(config, ...args);
    expect(run.code).toBe(4);
    expect(run.out).toContain(reason);
    expect((await result(config)).reason).toMatch(/^nothing was changed: /);
    expect(mutations(config)).toEqual(before);
  });

  test('a service with one revision has nothing to roll back to', async () => {
    const config = harness.config({ strategy: 'direct' });
    harness.seedPrimary(config, '1.0.0');
    const run = await rollback(config, '--config', writeConfig(config));
    expect(run.code).toBe(4);
    expect(run.out).toContain(`${config.helm.releases.primary} has no revision before 1 that served: nothing to roll back to`);
    expect(mutations(config)).toEqual([]);
  });

  test('is refused while a release of the service runs, naming it and what to do; the release goes on untouched', async () => {
    const config = harness.config({ analysis: { stepWeight: 50, interval: '1s' } });
    harness.seedPrimary(config, '1.0.0');
    const handle = await harness.start(config, '1.1.0');
    await eventually('the canary progressing', () => handle.query(statusQuery), (status) => status.phase === 'Progressing', 20_000);
    const run = await rollback(config);
    expect(run.code).toBe(1);
    expect(run.err).toContain(`a release of shop/${config.service.name} is running: release-shop-${config.service.name} (version 1.1.0, phase Progressing)`);
    expect(run.err).toContain('`docutag-release abort');
    expect(((await handle.result()) as ReleaseResult).outcome).toBe('promoted');
  });

  test('with no release on record and no --config, says to give one (exit 2); a bad --to-revision is bad input too', async () => {
    const config = harness.config({ strategy: 'direct' });
    const none = await rollback(config);
    expect(none.code).toBe(2);
    expect(none.err).toContain(`no release of shop/${config.service.name} on record (release-shop-${config.service.name}), so its config is unknown; give it with --config release.yaml`);
    const bad = await rollback(config, '--to-revision', 'latest');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--to-revision "latest": expected a revision number');
  });

  test('promote and abort during a rollback are refused as Updates and recorded as ignored as signals; the rollback goes on', async () => {
    const config = await releasedTwice();
    writeFileSync(path.join(harness.helmDir, 'delays.json'), JSON.stringify({ [`rollback ${config.helm.releases.primary}`]: 3_000 }));
    try {
      const started = await rollback(config, '--no-wait');
      expect(started.code).toBe(0);
      const id = `release-shop-${config.service.name}`;
      const handle = harness.client.workflow.getHandle(id);
      await eventually('the rollback under way', () => handle.query(statusQuery), (status) => status.events.some((event) => event.message.startsWith('Rolling back to revision 1')), 20_000);
      const abort = await runCliCaptured(harness.address, ['abort', id, '--reason', 'changed my mind'], harness.workerEnv());
      expect(abort.code).toBe(1);
      expect(abort.err).toContain('abort refused (phase RollingBack): the release is rolling back');
      await handle.signal(abortSignal, { reason: 'from the Web UI' });
      await handle.signal(promoteSignal, {});
      const outcome = await result(config);
      expect(outcome.outcome).toBe('reverted');
      const messages = outcome.status.events.map((event) => event.message);
      expect(messages.filter((message) => /^(abort|promote) ignored: the release is rolling back/.test(message))).toHaveLength(2);
      expect(harness.helmRelease('shop', config.helm.releases.primary)!.values.image?.tag).toBe('1.0.0');
    } finally {
      writeFileSync(path.join(harness.helmDir, 'delays.json'), '{}');
    }
  });

  test('a helm rollback that fails ends Failed (exit 4) with helm\'s words and a Slack alert', async () => {
    const config = await releasedTwice();
    harness.failHelm('rollback', config.helm.releases.primary, 'Error: timed out waiting for the condition');
    const run = await rollback(config);
    expect(run.code).toBe(4);
    const outcome = await result(config);
    expect(outcome.outcome).toBe('failed');
    expect(outcome.reason).toContain(`helm rollback ${config.helm.releases.primary} 1 failed`);
    expect(outcome.reason).toContain('timed out waiting for the condition');
    expect(harness.slack.delivered().filter((text) => text.includes(config.service.name)).at(-1)).toContain('FAILED and needs a person');
  });
});

function writeConfig(config: ReleaseConfig): string {
  const file = path.join(os.tmpdir(), `revert-${config.service.name}.yaml`);
  writeFileSync(file, stringify(config));
  return file;
}
