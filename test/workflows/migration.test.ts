import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { loadConfigFile } from '../../src/config';
import { recheckSignal, TASK_QUEUE } from '../../src/workflows/messages';
import { migrationStatusQuery, type MigrationInput, type MigrationStatus } from '../../src/workflows/migration';
import { runCliCaptured } from '../support/cli';
import { eventually, ReleaseHarness, useReleaseHarness } from '../support/harness';

let harness: ReleaseHarness;
const dir = mkdtempSync(path.join(os.tmpdir(), 'migration-test-'));
let counter = 0;

useReleaseHarness((started) => (harness = started), {
  answer: (query) => (query.includes('histogram_quantile') ? { value: 120 } : { value: query.includes('-canary-') && query.includes('pilot-') && failPilotCanary ? 20 : 99.9 }),
});
let failPilotCanary = false;

const cli = (...argv: string[]) => runCliCaptured(harness.address, argv, { DOCUTAG_USER: 'alice' });

function serviceFile(prefix: string, extra: Record<string, unknown> = {}): { file: string; name: string } {
  counter += 1;
  const name = `${prefix}-${process.pid.toString(36)}-${Date.now().toString(36)}-${counter}`;
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    stringify({
      service: { name, namespace: 'shop' },
      helm: { chart: './chart', timeout: '30s' },
      analysis: { interval: '1s', threshold: 2, stepWeight: 50 },
      webhooks: { helmTests: { enabled: false } },
      alerts: { slack: { channel: '#production-deploys' } },
      ...extra,
    }),
  );
  harness.kube.addService('shop', name);
  return { file, name };
}

const status = (name: string) => harness.client.workflow.getHandle(`migration-shop-${name}`).query(migrationStatusQuery);

describe('migration phases', () => {
  test('phase 1 lists its checklist; approve is refused until it passes; a forced approval records who and why', async () => {
    const { file, name } = serviceFile('svc', { migration: { directReleasesToPass: 2 } });
    expect((await cli('migrate', 'start', '--config', file)).code).toBe(0);
    const first = await eventually('the first verification', () => status(name), (s) => s.lastCheckedAt !== null);
    expect(first.phase).toBe(1);
    expect(first.strategy).toBe('direct');
    expect(first.checklist.map((item) => [item.id, item.state])).toEqual([
      ['direct-releases', 'pending'],
      ['direct-drill', 'pending'],
    ]);
    expect(first.checklist[0]!.reason).toBe('0 of 2 successful direct releases since the phase began');

    const printed = await cli('migrate', 'status', `shop/${name}`);
    expect(printed.out).toContain('phase 1/3: Deploy script (direct releases)');
    expect(printed.out).toContain('… pending successful direct releases since the phase began: 0 of 2');

    const refused = await cli('migrate', 'approve', `shop/${name}`);
    expect(refused.code).toBe(1);
    expect(refused.out).toContain('not moved');
    expect(refused.out).toContain('successful direct releases');
    expect((await cli('migrate', 'approve', `shop/${name}`, '--force')).code).toBe(2);

    const forced = await cli('migrate', 'approve', `shop/${name}`, '--force', '--reason', 'the deploy script ran for a year without incident', '--json');
    expect(forced.code).toBe(0);
    expect(JSON.parse(forced.out)).toMatchObject({ moved: true, phase: 2 });
    const after = await status(name);
    expect(after.phase).toBe(2);
    expect(after.approvals).toEqual([
      expect.objectContaining({ by: 'alice', from: 1, to: 2, forced: true, reason: 'the deploy script ran for a year without incident' }),
    ]);
    expect(after.approvals[0]!.note).toContain('FORCED by alice');
  });

  test('phase 1 passes on reported successful direct releases and a passed direct drill, and approve moves on', async () => {
    const { file, name } = serviceFile('svc', {
      migration: { directReleasesToPass: 2 },
      drill: { version: '1.9.9-drill', set: { FAULT: 'on' }, maxRestore: '10s' },
      webhooks: { helmTests: { enabled: true, timeout: '10s' } },
    });
    expect((await cli('migrate', 'start', '--config', file)).code).toBe(0);
    await eventually('first verification', () => status(name), (s) => s.lastCheckedAt !== null);
    for (const version of ['1.1.0', '1.2.0']) {
      const released = await cli('start', '--config', file, '--version', version, '--wait');
      expect(released.out).toContain('strategy direct');
      expect(released.code).toBe(0);
    }
    const counted = await eventually('two releases counted', () => status(name), (s) => s.checklist[0]!.state === 'passed');
    expect(counted.reported.map((report) => [report.strategy, report.outcome])).toEqual([
      ['direct', 'promoted'],
      ['direct', 'promoted'],
    ]);
    expect((await cli('migrate', 'approve', `shop/${name}`)).code).toBe(1);

    // The direct drill: the faulty version fails its helm test and is rolled back to the recorded revision.
    harness.failHelm('test', name, 'pod smoke-test failed: 500 on /');
    const drilled = await cli('drill', 'run', '--config', file, '--json');
    expect(drilled.code).toBe(0);
    expect(JSON.parse(drilled.out)).toMatchObject({ passed: true, strategy: 'direct', releaseOutcome: 'rolledBack' });

    await harness.client.workflow.getHandle(`migration-shop-${name}`).signal(recheckSignal);
    await eventually('phase 1 passed', () => status(name), (s) => s.checklist.every((item) => item.state === 'passed'));
    const approved = await cli('migrate', 'approve', `shop/${name}`, '--json');
    expect(JSON.parse(approved.out)).toMatchObject({ moved: true, phase: 2 });
    expect((await status(name)).approvals[0]).toMatchObject({ by: 'alice', forced: false });
  });

  test('phase 2 passes on verified infrastructure, a promoted pilot canary and a pilot drill; then releases use the canary', async () => {
    const pilot = serviceFile('pilot', { drill: { version: '0.0.1-drill', set: { FAULT_ERROR_RATE: '0.5' }, maxRestore: '5s' } });
    const { file, name } = serviceFile('svc', { migration: { pilot: path.basename(pilot.file) } });
    expect((await cli('migrate', 'start', '--config', file, '--check-interval', '1s')).code).toBe(0);
    await eventually('phase 1 verified', () => status(name), (s) => s.lastCheckedAt !== null);
    expect((await cli('migrate', 'approve', `shop/${name}`, '--force', '--reason', 'phase 1 proven elsewhere')).code).toBe(0);

    // Without --strategy, a release in phase 2 still uses the deploy script (direct).
    const started = await cli('start', '--config', file, '--version', '1.1.0', '--json');
    expect(started.code).toBe(0);
    const release = harness.client.workflow.getHandle(`release-shop-${name}`);
    expect((await release.describe()).searchAttributes.ReleaseStrategy).toEqual(['direct']);
    await release.terminate('test: only the chosen strategy matters here');

    const infra = await eventually('infrastructure verified', () => status(name), (s) => ['traefik', 'prometheus', 'slack'].every((id) => s.checklist.find((item) => item.id === id)?.state === 'passed'));
    expect(infra.checklist.find((item) => item.id === 'pilot-canary')!.state).toBe('pending');
    expect(harness.slack.delivered().some((text) => text.includes(`migration of shop/${name}: Slack test message`))).toBe(true);

    // The pilot proves the canary path: one promoted canary and one passed canary drill.
    expect((await cli('start', '--config', pilot.file, '--version', '2.0.0', '--strategy', 'canary', '--wait')).code).toBe(0);
    failPilotCanary = true;
    try {
      expect((await cli('drill', 'run', '--config', pilot.file)).code).toBe(0);
    } finally {
      failPilotCanary = false;
    }
    await harness.client.workflow.getHandle(`migration-shop-${name}`).signal(recheckSignal);
    const ready = await eventually('phase 2 checklist passed', () => status(name), (s) => s.checklist.every((item) => item.state === 'passed'), 60_000);
    expect(ready.checklist.map((item) => item.id)).toEqual(['traefik', 'prometheus', 'slack', 'pilot-canary', 'pilot-drill']);

    const approved = await cli('migrate', 'approve', `shop/${name}`, '--json');
    expect(approved.code).toBe(0);
    expect(JSON.parse(approved.out)).toMatchObject({ moved: true, phase: 3 });
    expect((await status(name)).approvals[1]).toMatchObject({ from: 2, to: 3, forced: false });

    const canary = await cli('start', '--config', file, '--version', '1.2.0');
    expect(canary.code).toBe(0);
    expect((await harness.client.workflow.getHandle(`release-shop-${name}`).describe()).searchAttributes.ReleaseStrategy).toEqual(['canary']);
    await cli('abort', `shop/${name}`);
    // Let the rollback finish here: a release left running would be picked up by a later test file's worker.
    expect(await harness.client.workflow.getHandle(`release-shop-${name}`).result()).toMatchObject({ outcome: 'rolledBack' });
    expect((await cli('migrate', 'approve', `shop/${name}`)).out).toContain('already in the last phase');
  });

  test('continues as new to keep history bounded, carrying phase and approvals', async () => {
    const { file, name } = serviceFile('svc');
    const config = loadConfigFile(file);
    const input: MigrationInput = { config, checkInterval: '200ms', historyLimit: 40 };
    const handle = await harness.client.workflow.start('migration', { taskQueue: TASK_QUEUE, workflowId: `migration-shop-${name}`, args: [input] });
    await eventually('first check', () => status(name), (s) => s.lastCheckedAt !== null);
    expect((await cli('migrate', 'approve', `shop/${name}`, '--force', '--reason', 'testing continue-as-new')).code).toBe(0);
    const continued = await eventually<MigrationStatus>('a second run', () => status(name), (s) => s.run >= 2, 60_000);
    expect(continued.phase).toBe(2);
    expect(continued.approvals).toHaveLength(1);
    const description = await harness.client.workflow.getHandle(handle.workflowId).describe();
    expect(description.runId).not.toBe(handle.firstExecutionRunId);
    await harness.client.workflow.getHandle(handle.workflowId).terminate('test done');
  });
});
