/*
 * Deployment windows and freezes on the real Temporal dev server: a release started outside a window
 * waits durably before touching anything and says until when; a freeze (the config's or the worker's)
 * holds it; abort ends the wait with nothing deployed; `start --override-window --reason` goes now and
 * records who; a canary that meets a closed window at a step holds its weight until the next one.
 * Windows here are seconds wide (HH:MM:SS in UTC, relative to the test's clock), so nothing waits for Monday.
 */
import type { ReleaseConfig } from '../../src/config';
import { abortSignal, pauseSignal, resumeSignal, statusQuery } from '../../src/workflows/messages';
import type { ReleaseResult } from '../../src/workflows/types';
import { runCliCaptured } from '../support/cli';
import { eventually, ReleaseHarness, useReleaseHarness } from '../support/harness';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';

let harness: ReleaseHarness;
useReleaseHarness((started) => (harness = started));

/** `HH:MM:SS` in UTC, `offsetMs` from now. */
const utcTime = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString().slice(11, 19);
const window = (fromMs: number, toMs: number) => ({ days: '*', from: utcTime(fromMs), to: utcTime(toMs), timezone: 'UTC' });
const iso = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();
const messages = (outcome: ReleaseResult) => outcome.status.events.map((event) => event.message);
const touched = (config: ReleaseConfig) => harness.helmStory(config);

describe('a release started outside its window', () => {
  test('waits before touching anything, says which window and when it opens, then runs', async () => {
    const config = harness.config({ analysis: { stepWeight: 50 }, windows: [window(5_000, 3_600_000)] });
    harness.seedPrimary(config, '1.0.0');
    const handle = await harness.start(config, '1.1.0');
    const waiting = await eventually('the wait', () => handle.query(statusQuery), (status) => status.waitingFor !== null, 15_000);
    expect(waiting.phase).toBe('Initializing');
    expect(waiting.waitingFor).toMatch(/^outside the deployment window \* \d\d:\d\d:\d\d-\d\d:\d\d:\d\d UTC \(opens \d{4}-\d\d-\d\dT[\d:.]+Z; abort stops, start --override-window goes anyway\)$/);
    expect(touched(config)).toEqual([]);
    expect(harness.canaryWeights(config)).toEqual([]);
    const outcome = (await handle.result()) as ReleaseResult;
    expect(outcome.outcome).toBe('promoted');
    expect(messages(outcome)).toEqual(expect.arrayContaining([expect.stringMatching(/^Waiting before touching anything: outside the deployment window/), 'Deployment window open: the release starts']));
    expect(harness.slack.delivered().some((text) => text.includes(config.service.name) && text.includes('waits: outside the deployment window'))).toBe(true);
  });

  test('a freeze in the config holds it until the freeze ends, with the freeze\'s reason', async () => {
    const config = harness.config({ analysis: { stepWeight: 100 }, freezes: [{ from: iso(-60_000), to: iso(4_000), reason: 'payments migration' }] });
    harness.seedPrimary(config, '1.0.0');
    const handle = await harness.start(config, '1.1.0');
    const waiting = await eventually('the wait', () => handle.query(statusQuery), (status) => status.waitingFor !== null, 15_000);
    expect(waiting.waitingFor).toMatch(/^freeze until .*: payments migration \(opens /);
    expect(((await handle.result()) as ReleaseResult).outcome).toBe('promoted');
  });

  test('abort during the wait stops it with nothing deployed and no traffic moved', async () => {
    const config = harness.config({ windows: [window(3_600_000, 3_660_000)] });
    harness.seedPrimary(config, '1.0.0');
    const handle = await harness.start(config, '1.1.0');
    await eventually('the wait', () => handle.query(statusQuery), (status) => status.waitingFor !== null, 15_000);
    await handle.signal(abortSignal, { reason: 'not this week' });
    const outcome = (await handle.result()) as ReleaseResult;
    expect(outcome.outcome).toBe('rolledBack');
    expect(outcome.reason).toBe('aborted: not this week');
    expect(touched(config)).toEqual([]);
    expect(harness.canaryWeights(config)).toEqual([]);
  });

  test('start --override-window --reason goes at once and records who and why; without --reason it is refused (exit 2)', async () => {
    const config = harness.config({ analysis: { stepWeight: 100 }, windows: [window(3_600_000, 3_660_000)] });
    harness.seedPrimary(config, '1.0.0');
    const file = path.join(os.tmpdir(), `windows-${config.service.name}.yaml`);
    writeFileSync(file, stringify(config));
    const refused = await runCliCaptured(harness.address, ['start', '--config', file, '--version', '1.1.0', '--strategy', 'canary', '--override-window'], harness.workerEnv());
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('--override-window needs --reason');
    const run = await runCliCaptured(harness.address, ['start', '--config', file, '--version', '1.1.0', '--strategy', 'canary', '--override-window', '--reason', 'hotfix for INC-42', '--by', 'ana', '--wait'], harness.workerEnv());
    expect(run.code).toBe(0);
    const outcome = (await harness.client.workflow.getHandle(`release-shop-${config.service.name}`).result()) as ReleaseResult;
    expect(messages(outcome)).toContain('Deployment windows and freezes overridden by ana: hotfix for INC-42');
    expect(messages(outcome).some((message) => message.startsWith('Waiting before touching anything'))).toBe(false);
  });
});

describe('a canary that meets the end of its window', () => {
  test('holds its weight (no step, no analysis) until the next window, then goes on', async () => {
    // Window 1 now → +10 s; window 2 from +18 s. Paused at 50% until window 1 has closed, the resumed canary meets a closed window.
    const config = harness.config({ analysis: { stepWeight: 50 }, windows: [window(-60_000, 10_000), window(18_000, 3_600_000)] });
    harness.seedPrimary(config, '1.0.0');
    const handle = await harness.start(config, '1.1.0');
    await eventually('the canary at 50%', () => harness.canaryWeights(config), (weights) => weights.includes(50), 9_000);
    await handle.signal(pauseSignal, { by: 'test' });
    await eventually('window 1 closed', () => Date.now(), () => utcTime(0) > config.windows![0]!.to || utcTime(0) < config.windows![0]!.from, 15_000);
    await handle.signal(resumeSignal, { by: 'test' });
    const holding = await eventually('the hold', () => handle.query(statusQuery), (status) => status.waitingFor?.startsWith('outside the deployment windows') ?? false, 10_000);
    expect(holding.canaryWeight).toBe(50);
    expect(harness.canaryWeights(config)).toEqual([50]);
    const outcome = (await handle.result()) as ReleaseResult;
    expect(outcome.outcome).toBe('promoted');
    expect(harness.canaryWeights(config)).toEqual([50, 100, 0]);
    expect(messages(outcome)).toEqual(expect.arrayContaining([expect.stringMatching(/^Holding at 50%: outside the deployment windows/), 'Deployment window open: going on from 50%']));
  });
});

describe("the worker's freezes (DOCUTAG_FREEZES)", () => {
  let frozen: ReleaseHarness;
  let freezeEnds: string;
  beforeAll(async () => {
    // Only the frozen worker polls the task queue here: a worker's freezes are its own.
    await harness.stopWorker();
    freezeEnds = iso(25_000);
    frozen = await ReleaseHarness.start({ env: { DOCUTAG_FREEZES: JSON.stringify([{ from: iso(-3_600_000), to: freezeEnds, reason: 'year-end freeze' }]) } });
  });
  afterAll(async () => {
    await frozen?.stop();
    await harness.startWorker();
  });

  test('hold every release on that worker, whatever its config says, until the freeze ends', async () => {
    const config = frozen.config({ analysis: { stepWeight: 100 } });
    frozen.seedPrimary(config, '1.0.0');
    const handle = await frozen.start(config, '1.1.0');
    const waiting = await eventually('the wait', () => handle.query(statusQuery), (status) => status.waitingFor !== null, 15_000);
    expect(waiting.waitingFor).toContain(`freeze until ${freezeEnds}: year-end freeze`);
    expect(frozen.helmStory(config)).toEqual([]);
    const outcome = (await handle.result()) as ReleaseResult;
    expect(outcome.outcome).toBe('promoted');
    expect(Date.parse(outcome.status.events.find((event) => event.message === 'Deployment window open: the release starts')!.at)).toBeGreaterThanOrEqual(Date.parse(freezeEnds));
  }, 60_000);
});
