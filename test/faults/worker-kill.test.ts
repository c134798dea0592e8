/*
 * The worker SIGKILLed at a random moment of each of 20 releases running side by side: healthy ones
 * and ones that fail their analysis at a seeded weight. A killed worker is replaced at once by a new
 * `docutag-release worker` process. Each release must end as it would have without the kills, with
 * its weights in order, none skipped, none repeated. Seeded: FAULT_SEED replays the same choices.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { ReleaseConfig } from '../../src/config';
import type { ReleaseResult } from '../../src/workflows/types';
import { ReleaseHarness, workflowBundle, type HelmCall } from '../support/harness';
import { readableHistory, secretsIn } from '../support/secrets';
import { faultSeed, Random } from './seed';

const RELEASES = 20;
const SCHEDULE = [25, 50, 75, 100];
const UNINSTALL_MS = 3_000;

interface Plan {
  config: ReleaseConfig;
  /** The canary weight at which its analysis starts failing; null for a healthy release. */
  failAt: number | null;
  startDelayMs: number;
  /** The progress mark after which the worker is killed for this release, and how long after. */
  killMark: string;
  killDelayMs: number;
}

interface Run {
  plan: Plan;
  handle?: WorkflowHandle;
  startedAt?: number;
  finishedAt?: number;
  result?: ReleaseResult;
  error?: unknown;
  markSeenAt?: number;
  /** Where the release was (its last progress mark) at each kill that hit it. */
  killedAt: string[];
}

/** What a release has done so far, from the stand-ins: `upgrade <release>`, `test <release>`, `weight <w>`. */
function progressMarks(calls: HelmCall[], weights: number[], config: ReleaseConfig): string[] {
  const { primary, canary } = config.helm.releases;
  const helm = calls.filter((call) => call.namespace === config.service.namespace && (call.release === primary || call.release === canary) && ['upgrade', 'test', 'uninstall'].includes(call.action));
  return [...helm.map((call) => `${call.action} ${call.release === canary ? 'canary' : 'primary'}`), ...weights.map((weight) => `weight ${weight}`)];
}

/**
 * The marks a release passes after its canary is installed, in order: a kill there finds it testing,
 * analysing, promoting or rolling back. (Kills during the install come anyway: another release's
 * mark finds it there.) The last step, removing the canary, is left out: it is slowed down so that a
 * kill after "weight 0" still finds the release running.
 */
function killMarks(failAt: number | null): string[] {
  const reached = failAt === null ? SCHEDULE : SCHEDULE.filter((weight) => weight <= failAt);
  return ['test canary', ...reached.map((weight) => `weight ${weight}`), ...(failAt === null ? ['upgrade primary'] : []), 'weight 0'];
}

function readHelmCalls(helmDir: string): HelmCall[] {
  try {
    return readFileSync(path.join(helmDir, 'calls.jsonl'), 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as HelmCall);
  } catch {
    return [];
  }
}

/** Helm's story with a retried step (the worker died before reporting it) counted once. */
const collapseRepeats = (story: string[]) => story.filter((step, index) => step !== story[index - 1]);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let harness: ReleaseHarness;
let bundleFile: string;
beforeAll(async () => {
  harness = await ReleaseHarness.start({ inProcessWorker: false });
  // Built once: each replacement worker starts without bundling the workflow code again.
  bundleFile = path.join(harness.helmDir, 'workflow-bundle.js');
  writeFileSync(bundleFile, (await workflowBundle()).code);
});
afterAll(async () => harness?.stop());

describe('the worker SIGKILLed during 20 releases', () => {
  test('every release ends as it would have (healthy promoted, failing rolled back), weights in order with no step skipped', async () => {
    const random = new Random(faultSeed('worker kill'));
    // Both outcomes, in a seeded mix: at least 5 of each.
    const failing = new Set<number>();
    while (failing.size < 5 + random.int(0, 10)) failing.add(random.int(0, RELEASES - 1));
    const runs: Run[] = Array.from({ length: RELEASES }, (_, index) => {
      const failAt = failing.has(index) ? random.pick(SCHEDULE) : null;
      const marks = killMarks(failAt);
      return {
        plan: {
          config: harness.config({ analysis: { interval: '1s', stepWeight: 25, threshold: 2 } }),
          failAt,
          startDelayMs: random.int(0, 16_000),
          killMark: random.pick(marks),
          killDelayMs: random.int(0, 400),
        },
        killedAt: [],
      };
    });
    // Removing the canary takes 3 s: a kill due after the last mark ("weight 0", plus up to 400 ms,
    // plus a replacement worker's start) still finds the release running, on the slowest machine.
    writeFileSync(path.join(harness.helmDir, 'delays.json'), JSON.stringify(Object.fromEntries(runs.map(({ plan: { config } }) => [`uninstall ${config.helm.releases.canary}`, UNINSTALL_MS]))));
    harness.prometheus.answer = (query) => {
      const run = runs.find(({ plan: { config } }) => query.includes(`${config.service.namespace}-${config.traffic.canaryService}-[0-9]`));
      if (!run || query.includes('histogram_quantile')) return { value: 120 };
      const { config, failAt } = run.plan;
      const weight = harness.kube.currentWeights(config.service.namespace, config.traffic.traefikService)[config.traffic.canaryService] ?? 0;
      return { value: failAt !== null && weight >= failAt ? 80 : 99.9 };
    };

    // The worker and its replacements.
    const spawnWorker = () => harness.spawnWatchedWorker({ DOCUTAG_STICKY_QUEUE_TIMEOUT: '1s', DOCUTAG_WORKFLOW_BUNDLE: bundleFile });
    let worker = spawnWorker();
    while (!worker.ready()) await sleep(50);

    // The releases, started at seeded moments within 16 s, so that a kill finds them at different steps.
    const testStart = Date.now();
    const settled = runs.map(async (run) => {
      await sleep(run.plan.startDelayMs);
      run.startedAt = Date.now();
      try {
        // A workflow task lost with its worker is retried after 3 s, not Temporal's default 10 s.
        run.handle = await harness.start(run.plan.config, '1.1.0', { workflowTaskTimeout: '3s' });
        run.result = (await run.handle.result()) as ReleaseResult;
      } catch (error) {
        run.error = error;
      }
      run.finishedAt = Date.now();
    });
    let allSettled = false;
    void Promise.all(settled).then(() => (allSettled = true));

    // Kill the worker once each release reaches its seeded mark (plus its delay), unless a kill already hit it.
    const kills: number[] = [];
    const running = (run: Run, at: number) => run.startedAt !== undefined && run.startedAt <= at && (run.finishedAt === undefined || run.finishedAt > at);
    let lastReport = 0;
    while (!allSettled) {
      const calls = readHelmCalls(harness.helmDir);
      const now = Date.now();
      if (process.env.FAULT_DEBUG && now - lastReport > 5000) {
        lastReport = now;
        process.stdout.write(`+${now - testStart}ms: ${runs.filter((run) => run.finishedAt).length} settled, ${kills.length} kills, worker ${worker.ready() ? 'ready' : 'starting'}; ${runs.map((run) => harness.canaryWeights(run.plan.config).at(-1) ?? '-').join(' ')}\n`);
      }
      for (const run of runs) {
        if (run.markSeenAt !== undefined || run.finishedAt !== undefined) continue;
        if (progressMarks(calls, harness.canaryWeights(run.plan.config), run.plan.config).includes(run.plan.killMark)) run.markSeenAt = now;
      }
      const due = runs.filter((run) => run.markSeenAt !== undefined && now >= run.markSeenAt + run.plan.killDelayMs && running(run, now) && !kills.some((at) => running(run, at)));
      // The first kill waits until the leading release is halfway (or already rolling back): it then finds the others spread over every step.
      const spread = kills.length > 0 || runs.some((run) => {
        const weights = harness.canaryWeights(run.plan.config);
        return weights.includes(50) || (weights.length > 1 && weights.at(-1) === 0);
      });
      if (due.length && worker.ready() && spread) {
        for (const run of runs) if (running(run, now)) run.killedAt.push(progressMarks(calls, harness.canaryWeights(run.plan.config), run.plan.config).at(-1) ?? 'starting');
        const { child } = worker;
        child.kill('SIGKILL');
        await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once('exit', resolve)));
        kills.push(Date.now());
        worker = spawnWorker();
      }
      await sleep(100);
    }
    worker.child.kill('SIGTERM');

    const summary = runs.map(({ plan, startedAt, finishedAt, result, killedAt }, index) =>
      `#${index} ${plan.failAt === null ? 'healthy' : `fails at ${plan.failAt}%`} start +${startedAt! - testStart}ms, kill after "${plan.killMark}"+${plan.killDelayMs}ms, killed at ${killedAt.map((mark) => `"${mark}"`).join(', ') || 'no step'}, ${result?.outcome ?? 'no result'} after ${finishedAt! - startedAt!}ms`);
    process.stdout.write(`worker kill: ${kills.length} kills at +${kills.map((at) => at - testStart).join(', +')}ms\n${summary.join('\n')}\n`);

    for (const [index, run] of runs.entries()) {
      const { config, failAt } = run.plan;
      const { primary, canary } = config.helm.releases;
      const label = `#${index} (${failAt === null ? 'healthy' : `fails at ${failAt}%`})`;
      expect({ label, error: run.error }).toEqual({ label, error: undefined });
      // Each was running when the worker died at least once.
      expect({ label, killed: kills.some((at) => run.startedAt! <= at && at < run.finishedAt!) }).toEqual({ label, killed: true });
      if (failAt === null) {
        expect({ label, outcome: run.result!.outcome, phase: run.result!.status.phase }).toEqual({ label, outcome: 'promoted', phase: 'Succeeded' });
        expect({ label, weights: harness.canaryWeights(config) }).toEqual({ label, weights: [...SCHEDULE, 0] });
        expect({ label, helm: collapseRepeats(harness.helmStory(config)) }).toEqual({ label, helm: [`upgrade ${canary}`, `test ${canary}`, `upgrade ${primary}`, `uninstall ${canary}`] });
      } else {
        expect({ label, outcome: run.result!.outcome, phase: run.result!.status.phase }).toEqual({ label, outcome: 'rolledBack', phase: 'RolledBack' });
        expect(run.result!.reason).toContain('failed checks reached the threshold (2/2)');
        expect({ label, weights: harness.canaryWeights(config) }).toEqual({ label, weights: [...SCHEDULE.filter((weight) => weight <= failAt), 0] });
        expect({ label, helm: collapseRepeats(harness.helmStory(config)) }).toEqual({ label, helm: [`upgrade ${canary}`, `test ${canary}`, `uninstall ${canary}`] });
      }
      expect(secretsIn(readableHistory(await run.handle!.fetchHistory()))).toEqual([]);
    }
  }, 240_000);
});
