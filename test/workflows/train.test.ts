/*
 * Release trains on the real Temporal dev server, through the CLI, with the helm, Kubernetes and
 * Prometheus stand-ins: services released in order (a parallel stage side by side), the train
 * stopped at the first that is not promoted, the promoted ones put back to their recorded revisions
 * newest first (compensate: true) or kept (false), steering sent on to the releases running, and a
 * bad train file refused before anything starts.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import type { ReleaseConfig } from '../../src/config';
import { abortSignal, trainStatusQuery } from '../../src/workflows/messages';
import type { TrainResult } from '../../src/workflows/types';
import { runCliCaptured } from '../support/cli';
import { eventually, ReleaseHarness, useReleaseHarness } from '../support/harness';

let harness: ReleaseHarness;
/** Canary services whose success rate drops to 80% from this weight on. */
const failAt = new Map<string, number>();
useReleaseHarness((started) => (harness = started), {
  answer: (query) => {
    if (query.includes('histogram_quantile')) return { value: 120 };
    for (const [canary, weight] of failAt) {
      if (!query.includes(`-${canary}-[0-9]`)) continue;
      const config = configs.find((candidate) => candidate.traffic.canaryService === canary)!;
      const now = harness.kube.currentWeights(config.service.namespace, config.traffic.traefikService)[canary] ?? 0;
      return { value: now >= weight ? 80 : 99.9 };
    }
    return { value: 99.9 };
  },
});
const configs: ReleaseConfig[] = [];
const dir = mkdtempSync(path.join(os.tmpdir(), 'train-'));

/** A canary service whose primary served 1.0.0 as revision 1; `fails` makes its analysis fail from that weight. */
function service(options: { fails?: number; stepWeight?: number } = {}): ReleaseConfig {
  const config = harness.config({ analysis: { interval: '1s', threshold: 1, stepWeight: options.stepWeight ?? 50 } });
  harness.seedPrimary(config, '1.0.0');
  configs.push(config);
  if (options.fails !== undefined) failAt.set(config.traffic.canaryService, options.fails);
  return config;
}

/** train.yaml (and a release.yaml per service beside it); entries are services or parallel groups. */
function trainFile(name: string, entries: Array<ReleaseConfig | ReleaseConfig[]>, compensate: boolean): string {
  const ref = (config: ReleaseConfig) => {
    const file = `${config.service.name}.yaml`;
    writeFileSync(path.join(dir, file), stringify(config));
    return { config: file, version: '1.1.0' };
  };
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(file, stringify({ name, compensate, services: entries.map((entry) => (Array.isArray(entry) ? { parallel: entry.map(ref) } : ref(entry))) }));
  return file;
}

const cli = (...argv: string[]) => runCliCaptured(harness.address, argv, harness.workerEnv());
const trainName = () => `t${Date.now().toString(36)}${Math.floor(Math.random() * 1000)}`;
const trainResult = (name: string) => harness.client.workflow.getHandle(`train-${name}`).result() as Promise<TrainResult>;
const history = (config: ReleaseConfig) => harness.helmRelease(config.service.namespace, config.helm.releases.primary)!.history.map((entry) => entry.description);
const rollbackCalls = (config: ReleaseConfig) => harness.helmCalls(config.service.namespace, [config.helm.releases.primary]).filter((call) => call.action === 'rollback');
const servingTag = (config: ReleaseConfig) => harness.helmRelease(config.service.namespace, config.helm.releases.primary)!.values.image?.tag;

describe('train start --config train.yaml', () => {
  test('three services in order, the third rolled back: the first two go back to their recorded revisions, newest first, once each (exit 3)', async () => {
    const [first, second, third] = [service(), service(), service({ fails: 50 })];
    const name = trainName();
    const run = await cli('train', 'start', '--config', trainFile(name, [first!, second!, third!], true), '--wait');
    expect(run.err).toBe('');
    expect(run.code).toBe(3);
    expect(run.out).toContain(`TRAIN ROLLEDBACK: shop/${third!.service.name} 1.1.0 was not promoted (rolledBack)`);
    expect(run.out).toMatch(/STAGE\s+SERVICE\s+VERSION\s+STATE\s+COMPENSATION/);
    expect(run.out).toContain(`Rolling shop/${second!.service.name} back to revision 1`);

    const result = await trainResult(name);
    expect(result.outcome).toBe('rolledBack');
    expect(result.status.services.map((entry) => [entry.state, entry.compensation?.state ?? null])).toEqual([
      ['promoted', 'compensated'],
      ['promoted', 'compensated'],
      ['rolledBack', null],
    ]);
    for (const config of [first!, second!]) {
      // helm history ends "Rollback to 1" (the revision recorded before the train), once.
      expect(history(config)).toEqual(['Install complete', 'Upgrade complete', 'Rollback to 1']);
      expect(servingTag(config)).toBe('1.0.0');
    }
    // Newest promotion first: the second service went back before the first.
    expect(rollbackCalls(second!)[0]!.at).toBeLessThan(rollbackCalls(first!)[0]!.at);
    // The third never touched its primary; its own rollback removed the canary.
    expect(harness.helmStory(third!)).toEqual([`upgrade ${third!.helm.releases.canary}`, `test ${third!.helm.releases.canary}`, `uninstall ${third!.helm.releases.canary}`]);
    expect(servingTag(third!)).toBe('1.0.0');
  });

  test('compensate: false stops at the failure, starts nothing after it, and keeps the earlier new versions (Stopped, exit 3)', async () => {
    const [first, second, third] = [service(), service({ fails: 50 }), service()];
    const name = trainName();
    const run = await cli('train', 'start', '--config', trainFile(name, [first!, second!, third!], false), '--wait');
    expect(run.code).toBe(3);
    const result = await trainResult(name);
    expect(result).toMatchObject({ outcome: 'stopped', status: { phase: 'Stopped' } });
    expect(result.status.services.map((entry) => entry.state)).toEqual(['promoted', 'rolledBack', 'notStarted']);
    expect(servingTag(first!)).toBe('1.1.0');
    expect(rollbackCalls(first!)).toEqual([]);
    expect(harness.helmStory(third!)).toEqual([]);
  });

  test('a parallel stage: a failure in it aborts its sibling, and the service promoted before goes back', async () => {
    const first = service();
    const failing = service({ fails: 50 });
    const slow = service({ stepWeight: 10 });
    const name = trainName();
    const run = await cli('train', 'start', '--config', trainFile(name, [first, [failing, slow]], true), '--wait');
    expect(run.code).toBe(3);
    const result = await trainResult(name);
    expect(result.outcome).toBe('rolledBack');
    const [a, b, c] = result.status.services;
    expect([a!.stage, b!.stage, c!.stage]).toEqual([1, 2, 2]);
    expect(b!.state).toBe('rolledBack');
    expect(c).toMatchObject({ state: 'rolledBack', outcome: 'rolledBack' });
    expect(c!.reason).toContain(`the train stopped: shop/${failing.service.name} was not promoted`);
    // The sibling never reached 100%: aborted on its way.
    expect(harness.canaryWeights(slow).at(-1)).toBe(0);
    expect(Math.max(...harness.canaryWeights(slow))).toBeLessThan(100);
    expect(history(first).at(-1)).toBe('Rollback to 1');
    expect(rollbackCalls(slow)).toEqual([]);
  });

  test('abort sent to the train as a signal (the Web UI way) while the second service runs: it rolls back, the third never starts, the first goes back', async () => {
    const [first, second, third] = [service(), service({ stepWeight: 10 }), service()];
    const name = trainName();
    const started = await cli('train', 'start', '--config', trainFile(name, [first!, second!, third!], true));
    expect(started.code).toBe(0);
    expect(started.out).toContain(`Started train-${name} (3 services in 3 stages, compensating)`);
    const handle = harness.client.workflow.getHandle(`train-${name}`);
    await eventually('the second service releasing', () => harness.canaryWeights(second!), (weights) => weights.includes(20), 30_000);
    await handle.signal(abortSignal, { by: 'ops@web-ui', reason: 'freeze for the incident' });
    const result = (await handle.result()) as TrainResult;
    expect(result.outcome).toBe('rolledBack');
    expect(result.status.stoppedBy).toBe('aborted: freeze for the incident');
    expect(result.status.services.map((entry) => entry.state)).toEqual(['promoted', 'rolledBack', 'notStarted']);
    expect(result.status.services[1]!.reason).toContain('freeze for the incident');
    expect(history(first!).at(-1)).toBe('Rollback to 1');
    expect(harness.helmStory(third!)).toEqual([]);
    // Once the train is over, steering it is refused with why.
    const late = await cli('train', 'abort', name);
    expect(late.code).toBe(1);
    expect(late.err).toContain(`train-${name} is not running (COMPLETED)`);
  });

  test('train promote (an acknowledged Update) sends promote to the running release, which skips its remaining steps; train status shows its phase', async () => {
    const [first, second] = [service({ stepWeight: 10 }), service()];
    const name = trainName();
    expect((await cli('train', 'start', '--config', trainFile(name, [first!, second!], true))).code).toBe(0);
    await eventually('the first service at 20%', () => harness.canaryWeights(first!), (weights) => weights.includes(20), 30_000);
    const status = await cli('train', 'status', name);
    expect(status.code).toBe(0);
    expect(status.out).toMatch(new RegExp(`1\\s+shop/${first!.service.name}\\s+1\\.1\\.0\\s+Progressing`));
    expect(status.out).toMatch(new RegExp(`2\\s+shop/${second!.service.name}\\s+1\\.1\\.0\\s+waiting`));
    const promote = await cli('train', 'promote', name, '--by', 'alice@laptop');
    expect(promote.err).toBe('');
    expect(promote.code).toBe(0);
    expect(promote.out).toContain(`promote accepted from alice@laptop: sent to release-shop-${first!.service.name}`);
    const result = await trainResult(name);
    expect(result.outcome).toBe('promoted');
    expect(Math.max(...harness.canaryWeights(first!))).toBeLessThan(100);
    expect(result.status.services.map((entry) => entry.state)).toEqual(['promoted', 'promoted']);
    expect(servingTag(second!)).toBe('1.1.0');
  });

  test('a bad service config, a bad version or a service named twice starts nothing: exit 2 with each field by path', async () => {
    const good = service();
    const name = trainName();
    writeFileSync(path.join(dir, 'broken.yaml'), stringify({ service: { name: 'broken', namespace: 'shop' }, helm: { chart: './chart' }, analysis: { interval: 'soon' } }));
    writeFileSync(path.join(dir, 'good.yaml'), stringify(good));
    const file = path.join(dir, `${name}.yaml`);
    writeFileSync(file, stringify({ name, compensate: true, services: [{ config: 'good.yaml', version: '1.1.0' }, { parallel: [{ config: 'broken.yaml', version: '1.1.0' }, { config: 'good.yaml', version: 'not a version!' }] }, { config: 'missing.yaml', version: '2.0.0' }] }));
    const run = await cli('train', 'start', '--config', file);
    expect(run.code).toBe(2);
    expect(run.err).toContain('services[1].parallel[0].config: broken.yaml: analysis.interval:');
    expect(run.err).toContain('services[1].parallel[1].version:');
    expect(run.err).toContain('services[2].config: missing.yaml: file not found');
    expect(run.err).toContain('is not a valid train file');
    writeFileSync(file, stringify({ name, services: [{ config: 'good.yaml', version: '1.1.0' }, { config: 'good.yaml', version: '1.2.0' }] }));
    const twice = await cli('train', 'start', '--config', file);
    expect(twice.code).toBe(2);
    expect(twice.err).toContain(`services[1].config: shop/${good.service.name} is already in the train at services[0]`);
    await expect(harness.client.workflow.getHandle(`train-${name}`).describe()).rejects.toThrow(/not found/i);
    expect(harness.helmStory(good)).toEqual([]);
  });

  test('a service whose release is already running stops the train before it touches that service; the promoted ones go back', async () => {
    const [first, busy] = [service(), service({ stepWeight: 10 })];
    const running = await harness.start(busy, '2.0.0');
    await eventually('the other release progressing', () => harness.canaryWeights(busy), (weights) => weights.includes(10), 30_000);
    const name = trainName();
    const run = await cli('train', 'start', '--config', trainFile(name, [first!, busy!], true), '--wait');
    expect(run.code).toBe(3);
    const result = await trainResult(name);
    expect(result.status.services[1]).toMatchObject({ state: 'failed', reason: `another release of shop/${busy!.service.name} is running (release-shop-${busy!.service.name}); nothing of it was touched` });
    expect(history(first!).at(-1)).toBe('Rollback to 1');
    await running.signal(abortSignal, { reason: 'test over' });
    await running.result();
  });
});

test('the train status query answers while the train runs', async () => {
  const config = service({ stepWeight: 25 });
  const name = trainName();
  expect((await cli('train', 'start', '--config', trainFile(name, [config], false))).code).toBe(0);
  const status = await eventually('the train running', () => harness.client.workflow.getHandle(`train-${name}`).query(trainStatusQuery), (answer) => answer.services[0]!.state === 'running');
  expect(status).toMatchObject({ name, phase: 'Running', stage: 1, stages: 1, compensate: false });
  expect(status.services[0]!.recorded).toEqual({ revision: 1, version: null });
  expect((await trainResult(name)).outcome).toBe('promoted');
});
