import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RELEASE_METRICS } from '../../src/worker/metrics';
import type { ReleaseResult } from '../../src/workflows/types';
import { freePort } from '../../src/support/tools';
import { dashboardQueries } from '../support/dashboard';
import { eventually, ReleaseHarness, workflowBundle } from '../support/harness';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition. */
function parseExposition(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
      if (!match) throw new Error(`not an exposition line: ${line}`);
      const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((label) => [label[1]!, label[2]!]));
      return { name: match[1]!, labels, value: Number(match[3]) };
    });
}

async function scrape(port: number): Promise<Sample[]> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(response.status).toBe(200);
  return parseExposition(await response.text());
}

function value(samples: Sample[], name: string, labels: Record<string, string>): number | undefined {
  return samples.find((sample) => sample.name === name && Object.entries(labels).every(([key, wanted]) => sample.labels[key] === wanted))?.value;
}

/** The Prometheus binary when this machine has one (CI installs it with scripts/prometheus.sh), else null: never installed from here. */
function prometheusBinary(): string | null {
  try {
    return execFileSync('bash', ['-c', 'command -v prometheus || ls /usr/bin/prometheus'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || null;
  } catch {
    return null;
  }
}

let harness: ReleaseHarness;
let worker: ChildProcess;
let metricsPort: number;
let workerErr = '';
beforeAll(async () => {
  harness = await ReleaseHarness.start({ inProcessWorker: false });
  metricsPort = await freePort();
  worker = harness.spawnWorker({ DOCUTAG_METRICS_PORT: String(metricsPort) });
  worker.stderr!.on('data', (chunk: Buffer) => (workerErr += chunk));
});
afterAll(async () => {
  worker?.kill('SIGKILL');
  await harness?.stop();
});

describe('the worker\'s own metrics (DOCUTAG_METRICS_PORT)', () => {
  test('a scrape of /metrics shows each release\'s phase, canary weight, duration and failed checks next to the Temporal SDK\'s metrics', async () => {
    const healthy = harness.config();
    const failing = harness.config({ analysis: { threshold: 2 }, metrics: { requestSuccessRate: { threshold: 99, maxDecrease: 1 } } });
    const healthyService = `shop/${healthy.service.name}`;
    const failingService = `shop/${failing.service.name}`;
    harness.prometheus.answer = (query) =>
      query.includes('histogram_quantile') ? { value: 120 } : { value: query.includes(`-${failing.traffic.canaryService}-`) ? 80 : 99.9 };
    const [healthyRun, failingRun] = await Promise.all([harness.start(healthy, '1.1.0'), harness.start(failing, '1.1.0')]);

    // While the healthy canary progresses, its gauges say so.
    const during = await eventually(
      'the healthy canary at 50% or more in /metrics',
      () => scrape(metricsPort).catch(() => [] as Sample[]),
      (samples) => (value(samples, RELEASE_METRICS.canaryWeight, { service: healthyService }) ?? 0) >= 50,
      60_000,
    );
    expect(value(during, RELEASE_METRICS.status, { service: healthyService, phase: 'Progressing' })).toBe(1);
    expect(value(during, RELEASE_METRICS.status, { service: healthyService, phase: 'Initializing' })).toBe(0);

    expect(((await healthyRun.result()) as ReleaseResult).outcome).toBe('promoted');
    expect(((await failingRun.result()) as ReleaseResult).outcome).toBe('rolledBack');
    const after = await scrape(metricsPort);

    // One phase at 1 per service: where each release ended.
    const phasesAt = (service: string, level: number) => after.filter((s) => s.name === RELEASE_METRICS.status && s.labels.service === service && s.value === level).map((s) => s.labels.phase);
    expect(phasesAt(healthyService, 1)).toEqual(['Succeeded']);
    expect(phasesAt(failingService, 1)).toEqual(['RolledBack']);
    expect(phasesAt(healthyService, 0)).toHaveLength(10);
    expect(value(after, RELEASE_METRICS.canaryWeight, { service: healthyService })).toBe(0);
    expect(value(after, RELEASE_METRICS.canaryWeight, { service: failingService })).toBe(0);

    // Failed checks by service and check: the failing canary's success rate failed `threshold` times; the healthy one never.
    expect(value(after, RELEASE_METRICS.failedChecks, { service: failingService, check: 'request-success-rate' })).toBe(2);
    expect(value(after, RELEASE_METRICS.failedChecks, { service: failingService, check: 'request-duration' })).toBeUndefined();
    expect(value(after, RELEASE_METRICS.failedChecks, { service: healthyService })).toBeUndefined();

    // The latest round's values and bounds, per track: the canary at 80% against the primary's 99.9% minus the allowed 1 point.
    expect(value(after, RELEASE_METRICS.checkValue, { service: failingService, check: 'request-success-rate', track: 'canary' })).toBe(80);
    expect(value(after, RELEASE_METRICS.checkThreshold, { service: failingService, check: 'request-success-rate' })).toBe(99);
    expect(value(after, RELEASE_METRICS.checkValue, { service: failingService, check: 'request-success-rate-vs-primary', track: 'primary' })).toBe(99.9);
    expect(value(after, RELEASE_METRICS.checkThreshold, { service: failingService, check: 'request-success-rate-vs-primary' })).toBeCloseTo(98.9, 6);
    expect(value(after, RELEASE_METRICS.checkValue, { service: healthyService, check: 'request-duration', track: 'canary' })).toBe(120);

    // The duration histogram, by outcome, in seconds; the worker adds namespace, taskQueue and workflowType.
    const workerLabels = { namespace: 'default', taskQueue: 'docutag-release', workflowType: 'release' };
    for (const outcome of ['promoted', 'rolledBack']) {
      expect(value(after, `${RELEASE_METRICS.durationSeconds}_count`, { outcome, ...workerLabels })).toBe(1);
      const seconds = value(after, `${RELEASE_METRICS.durationSeconds}_sum`, { outcome })!;
      expect(seconds).toBeGreaterThan(2);
      expect(seconds).toBeLessThan(120);
      expect(value(after, `${RELEASE_METRICS.durationSeconds}_bucket`, { outcome, le: '+Inf' })).toBe(1);
    }

    // The Temporal SDK's own metrics on the same endpoint, with its prefix and snake_case labels.
    expect(value(after, 'temporal_workflow_completed', { workflow_type: 'release', task_queue: 'docutag-release', namespace: 'default' })).toBeGreaterThanOrEqual(2);
    expect(value(after, 'temporal_activity_execution_latency_count', { activity_type: 'queryChecks', task_queue: 'docutag-release' })).toBeGreaterThanOrEqual(4);
    // Weight changes are local activities (they run inside the workflow task).
    expect(value(after, 'temporal_local_activity_execution_latency_count', { activity_type: 'setWeights', task_queue: 'docutag-release' })).toBeGreaterThanOrEqual(4);
    expect(workerErr).not.toMatch(/error/i);
  });

  const prometheus = prometheusBinary();
  (prometheus ? test : test.skip)('a real Prometheus scrapes the endpoint and answers queries on the release metrics', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'prom-scrape-'));
    const port = await freePort();
    writeFileSync(
      path.join(dir, 'prometheus.yml'),
      ['global: { scrape_interval: 1s, evaluation_interval: 1s }', 'scrape_configs:', `  - job_name: docutag-release-worker`, `    static_configs: [{ targets: ["127.0.0.1:${metricsPort}"] }]`].join('\n'),
    );
    const server = spawn(prometheus!, [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
    try {
      const query = async (promql: string) => {
        const response = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(promql)}`);
        return ((await response.json()) as { data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } }).data.result;
      };
      const succeeded = await eventually('Prometheus to have scraped the worker', () => query(`${RELEASE_METRICS.status}{phase="Succeeded"} == 1`).catch(() => []), (result) => result.length >= 1, 60_000);
      expect(succeeded[0]!.metric).toMatchObject({ job: 'docutag-release-worker', workflowType: 'release' });
      // The failing canary's success rate and its bound against the primary failed twice each.
      expect(await query(`sum(${RELEASE_METRICS.failedChecks})`)).toEqual([expect.objectContaining({ value: [expect.any(Number), '4'] })]);
      // What a dashboard plots: the value against its bound, per check (the Grafana panels' queries).
      const against = await query(`${RELEASE_METRICS.checkValue}{check="request-success-rate",track="canary"} < on(service, check) group_left ${RELEASE_METRICS.checkThreshold}`);
      expect(against.map((sample) => sample.value[1])).toEqual(['80']);
      // Every query of the Grafana dashboard runs on this Prometheus and finds the releases above.
      // (rate and increase need two scrapes: each query is given a few seconds to have them.)
      for (const { panel, expr } of dashboardQueries()) await eventually(`the panel "${panel}" to find samples (${expr})`, () => query(expr), (result) => result.length > 0, 15_000);
      expect((await query(`temporal_workflow_completed{workflow_type="release"}`)).length).toBeGreaterThanOrEqual(1);
    } finally {
      server.kill('SIGTERM');
    }
  });

  test('a worker that takes over a running release (its predecessor was SIGKILLed) exports the release\'s current phase and weight', async () => {
    // This test wants the only worker on the task queue.
    await new Promise((resolve) => (worker.exitCode !== null ? resolve(null) : (worker.once('exit', resolve), worker.kill('SIGTERM'))));
    const bundleFile = path.join(harness.helmDir, 'workflow-bundle.js');
    writeFileSync(bundleFile, (await workflowBundle()).code);
    const config = harness.config({ analysis: { interval: '4s', stepWeight: 50 } });
    const service = `shop/${config.service.name}`;
    const firstPort = await freePort();
    const first = harness.spawnWorker({ DOCUTAG_METRICS_PORT: String(firstPort), DOCUTAG_WORKFLOW_BUNDLE: bundleFile, DOCUTAG_STICKY_QUEUE_TIMEOUT: '1s' });
    const handle = await harness.start(config, '1.1.0');
    await eventually('the canary at 50% on the first worker', () => scrape(firstPort).catch(() => [] as Sample[]), (samples) => value(samples, RELEASE_METRICS.canaryWeight, { service }) === 50, 60_000);
    // Killed while the release waits out its interval: the second worker never sees the move to Progressing or to 50% live.
    await new Promise((resolve) => setTimeout(resolve, 500));
    first.kill('SIGKILL');
    // The second worker's first round fails (a held weight), so the weight stays at 50 long enough to be scraped.
    let failNextRound = true;
    harness.prometheus.answer = (query) => {
      if (query.includes('histogram_quantile') || !query.includes(`shop-${config.traffic.canaryService}-[0-9]`) || !failNextRound) return query.includes('histogram_quantile') ? { value: 120 } : { value: 99.9 };
      failNextRound = false;
      return { value: 80 };
    };
    const secondPort = await freePort();
    harness.spawnWorker({ DOCUTAG_METRICS_PORT: String(secondPort), DOCUTAG_WORKFLOW_BUNDLE: bundleFile, DOCUTAG_STICKY_QUEUE_TIMEOUT: '1s' });
    const taken = await eventually(
      'the second worker to export the release',
      () => scrape(secondPort).catch(() => [] as Sample[]),
      (samples) => value(samples, RELEASE_METRICS.canaryWeight, { service }) !== undefined,
      60_000,
    );
    expect(value(taken, RELEASE_METRICS.canaryWeight, { service })).toBe(50);
    expect(value(taken, RELEASE_METRICS.status, { service, phase: 'Progressing' })).toBe(1);
    expect(value(taken, RELEASE_METRICS.status, { service, phase: 'Initializing' })).toBe(0);
    expect(value(taken, RELEASE_METRICS.failedChecks, { service, check: 'request-success-rate' })).toBe(1);
    expect(((await handle.result()) as ReleaseResult).outcome).toBe('promoted');
    const after = await scrape(secondPort);
    expect(value(after, RELEASE_METRICS.status, { service, phase: 'Succeeded' })).toBe(1);
    expect(value(after, `${RELEASE_METRICS.durationSeconds}_count`, { outcome: 'promoted' })).toBe(1);
  });
});
