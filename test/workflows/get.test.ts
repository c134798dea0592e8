/*
 * `docutag-release get [namespace] [-w]` on the real dev server: the built CLI as a process, as an
 * operator runs it beside a canary, printing Flagger's table and a line per change.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { statusQuery } from '../../src/workflows/messages';
import { runCliCaptured } from '../support/cli';
import { eventually, ReleaseHarness, useReleaseHarness } from '../support/harness';

const ROOT = path.join(__dirname, '../..');
let harness: ReleaseHarness;
useReleaseHarness((started) => (harness = started));

test('get -w prints the table, then a line each time the canary moves, through to Succeeded (like kubectl get canaries -w)', async () => {
  const config = harness.config({ analysis: { interval: '1s', stepWeight: 25 } });
  harness.seedPrimary(config, '1.0.0');
  const handle = await harness.start(config, '1.1.0');
  await eventually('the canary progressing', () => handle.query(statusQuery), (status) => status.phase === 'Progressing', 20_000);

  const once = await runCliCaptured(harness.address, ['get', 'shop'], harness.workerEnv());
  expect(once.code).toBe(0);
  expect(once.out.split('\n')[0]).toMatch(/^NAME\s+STATUS\s+WEIGHT\s+LASTTRANSITIONTIME$/);
  expect(once.out).toMatch(new RegExp(`^${config.service.name}\\s+Progressing\\s+(25|50|75|100)\\s+\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$`, 'm'));

  const watcher = spawn(process.execPath, [path.join(ROOT, 'bin/docutag-release.js'), 'get', 'shop', '-w'], { env: { ...harness.workerEnv(), TEMPORAL_ADDRESS: harness.address } });
  let out = '';
  watcher.stdout.on('data', (chunk: Buffer) => (out += String(chunk)));
  try {
    await handle.result();
    await eventually('the watch printing Succeeded', () => out, (text) => new RegExp(`^${config.service.name}\\s+Succeeded`, 'm').test(text), 10_000);
  } finally {
    watcher.kill('SIGTERM');
  }
  const ours = out.split('\n').filter((line) => line.startsWith(`${config.service.name} `)).map((line) => line.split(/\s+/).slice(1, 3).join(' '));
  // One line per change, none repeated, ending where Flagger's table ends: Succeeded at weight 0.
  expect(ours.filter((line, index) => line === ours[index - 1])).toEqual([]);
  // A 1 s poll beside 1 s steps may miss a step (as kubectl's watch of a fast canary can): the lines it
  // prints are in the release's order, the weight rising while it progresses.
  const progressing = ours.filter((line) => line.startsWith('Progressing ')).map((line) => Number(line.split(' ')[1]));
  expect(progressing.length).toBeGreaterThan(0);
  expect(progressing).toEqual([...progressing].sort((a, b) => a - b));
  expect(ours.findIndex((line) => line.startsWith('Succeeded'))).toBeGreaterThan(ours.findIndex((line) => line.startsWith('Progressing')));
  expect(ours.at(-1)).toBe('Succeeded 0');
});

test('get with a bad namespace name is bad input; an empty namespace says so', async () => {
  const bad = await runCliCaptured(harness.address, ['get', 'Not_A_Namespace'], harness.workerEnv());
  expect(bad.code).toBe(2);
  expect(bad.err).toContain('"Not_A_Namespace" is not a namespace name');
  const empty = await runCliCaptured(harness.address, ['get', 'nobody-here'], harness.workerEnv());
  expect(empty).toMatchObject({ code: 0, out: 'No releases found in nobody-here namespace.\n' });
});
