/*
 * `npm run demo`: two canary releases of DocuTag's controller, end to end, on the embedded Temporal
 * dev server: a good version (promoted) and one with 20% errors (rolled back), with live progress,
 * the Web UI link and a summary. The cluster is simulated (see simulated-cluster.ts) until the local
 * stack with real Traefik and Prometheus lands; `--keep` leaves the server and worker running.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { startReleaseWorkflow } from '../client/commands/start';
import { weightBar } from '../client/output';
import { loadConfigFile } from '../config';
import { createActivities } from '../activities';
import { formatMs } from '../workflows/domain/duration';
import { statusQuery, TASK_QUEUE } from '../workflows/messages';
import type { ReleaseResult } from '../workflows/types';
import { ensureSearchAttributes } from '../worker/worker';
import { SimulatedCluster } from './simulated-cluster';

const ROOT = path.resolve(__dirname, '../..');
const out = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function connectWhenUp(address: string, timeoutMs: number): Promise<Connection> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await Connection.connect({ address, connectTimeout: '2s' });
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`Temporal did not come up at ${address}: ${(error as Error).message}`);
      await sleep(500);
    }
  }
}

/** Uses a Temporal already serving on 7233 (e.g. `npm run temporal`), else starts the dev server. */
async function temporal(): Promise<{ address: string; uiUrl: string; server?: ChildProcess }> {
  if (!(await portFree(7233))) return { address: '127.0.0.1:7233', uiUrl: 'http://localhost:8233' };
  const binary = execFileSync('bash', [path.join(ROOT, 'scripts/temporal.sh'), 'path'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  mkdirSync(path.join(ROOT, '.data'), { recursive: true });
  out('starting the Temporal dev server (SQLite in .data/demo.db, Web UI on :8233)...');
  const server = spawn(binary, ['server', 'start-dev', '--db-filename', path.join(ROOT, '.data/demo.db'), '--port', '7233', '--ui-port', '8233', '--ip', '127.0.0.1',
    '--dynamic-config-value', 'frontend.enableServerVersionCheck=false', '--log-level', 'error'], { stdio: ['ignore', 'ignore', 'inherit'] });
  return { address: '127.0.0.1:7233', uiUrl: 'http://localhost:8233', server };
}

interface Summary {
  version: string;
  expectation: string;
  result: ReleaseResult;
}

/** Prints one line per analysis round: weight bar, success rate, p99, verdict. */
async function follow(client: Client, workflowId: string): Promise<ReleaseResult> {
  const handle = client.workflow.getHandle(workflowId);
  let lastIteration = -1;
  let lastPhase = '';
  const done = handle.result() as Promise<ReleaseResult>;
  let finished = false;
  void done.finally(() => (finished = true));
  while (!finished) {
    const status = await handle.query(statusQuery).catch(() => undefined);
    if (status && (status.iteration !== lastIteration || status.phase !== lastPhase)) {
      const checks = status.lastChecks.map((check) => `${check.name === 'request-success-rate' ? 'success' : 'p99'} ${check.value === null ? 'n/a' : check.name === 'request-success-rate' ? `${check.value.toFixed(1)}%` : `${Math.round(check.value)}ms`}`).join('  ');
      const verdict = status.lastChecks.length ? (status.lastChecks.every((check) => check.passed) ? '✓' : `✗ failed checks ${status.failedChecks}/${status.threshold}`) : '';
      out(`  ${status.phase.padEnd(12)} ${weightBar(status.canaryWeight)}  ${status.iteration ? `step ${status.iteration}  ${checks}  ${verdict}` : ''}`);
      lastIteration = status.iteration;
      lastPhase = status.phase;
    }
    await Promise.race([done.catch(() => undefined), sleep(300)]);
  }
  return done;
}

async function main(): Promise<number> {
  const keep = process.argv.includes('--keep');
  const { address, uiUrl, server } = await temporal();
  let worker: Worker | undefined;
  let workerRun: Promise<void> | undefined;
  const shutdown = async () => {
    if (worker && worker.getState() === 'RUNNING') worker.shutdown();
    await workerRun?.catch(() => undefined);
    if (server && server.exitCode === null) server.kill('SIGTERM');
  };
  process.once('SIGINT', () => void shutdown().then(() => process.exit(130)));
  try {
    const connection = await connectWhenUp(address, 60_000);
    await ensureSearchAttributes(connection, 'default');
    const client = new Client({ connection });
    const cluster = new SimulatedCluster(out);
    Runtime.install({ shutdownSignals: [], logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (message: string) => console.error(message) } as never });
    worker = await Worker.create({ connection: await NativeConnection.connect({ address }), taskQueue: TASK_QUEUE, workflowsPath: require.resolve('../workflows'), activities: createActivities(cluster.deps()) });
    workerRun = worker.run();
    out(`Temporal Web UI: ${uiUrl}/namespaces/default/workflows`);

    const config = loadConfigFile(path.join(ROOT, 'examples/demo/release.yaml'));
    const primaryValues = { target: { namespace: config.service.namespace, chart: '', valuesFiles: [], versionValue: 'image.tag', set: {}, timeoutMs: 0 }, release: config.helm.releases.primary };
    if (!(await cluster.deployer.describe(primaryValues))) await cluster.deployer.install({ ...primaryValues, version: '1.0.0' });

    const releases: Array<{ version: string; set: Record<string, string>; expectation: string }> = [
      { version: '1.1.0', set: {}, expectation: 'healthy: promoted' },
      { version: '1.2.0', set: { FAULT_ERROR_RATE: '0.2' }, expectation: '20% errors: rolled back' },
    ];
    const summaries: Summary[] = [];
    for (const release of releases) {
      out(`\n▶ canary of ${config.service.namespace}/${config.service.name} ${release.version} (${release.expectation.split(':')[0]})`);
      const handle = await startReleaseWorkflow(client, { config: { ...config, helm: { ...config.helm, set: release.set } }, version: release.version });
      out(`  workflow ${handle.workflowId}: ${uiUrl}/namespaces/default/workflows/${handle.workflowId}`);
      const result = await follow(client, handle.workflowId);
      out(`  ${result.outcome.toUpperCase()}: ${result.reason}`);
      summaries.push({ version: release.version, expectation: release.expectation, result });
    }

    out('\nSummary');
    out('  version  expected                   outcome     detection  restore    total');
    for (const { version, expectation, result } of summaries) {
      out(`  ${version.padEnd(8)} ${expectation.padEnd(26)} ${result.outcome.padEnd(11)} ${(result.detectionMs === null ? '-' : formatMs(result.detectionMs)).padEnd(10)} ${(result.rollbackMs === null ? '-' : formatMs(result.rollbackMs)).padEnd(10)} ${formatMs(result.totalMs)}`);
    }
    const asExpected = summaries[0]!.result.outcome === 'promoted' && summaries[1]!.result.outcome === 'rolledBack';
    out(asExpected ? '\nBoth releases ended as expected.' : '\nUNEXPECTED: a release did not end as expected.');
    if (keep) {
      out(`\n--keep: Temporal (${address}) and the worker keep running; try the CLI in another terminal:\n  TEMPORAL_ADDRESS=${address} node bin/docutag-release.js list\nCtrl-C stops everything.`);
      await new Promise(() => undefined);
    }
    return asExpected ? 0 : 1;
  } finally {
    await shutdown();
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`demo failed: ${(error as Error).message}`);
    process.exit(1);
  },
);
