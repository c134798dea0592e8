/*
 * The benchmark's worker: the project's own worker wiring (createReleaseWorker, createActivities)
 * with the in-memory adapters, in a process of its own so that RSS and CPU are the worker's. It
 * streams the router's applied weight changes and resource samples to the parent over IPC.
 * Started by run.ts with fork(); not meant to be run by hand.
 */
import { Runtime, type WorkerOptions } from '@temporalio/worker';
import type { Logger, LogLevel } from '@temporalio/common';
import { ImmediateReadiness, InMemoryDeployer, InMemoryTrafficRouter, LogNotifier, StaticMetricsProvider } from '../src/activities/adapters/in-memory';
import type { ActivityDeps } from '../src/activities';
import { createReleaseWorker } from '../src/worker/worker';
import type { AppliedChange, ParentMessage, WorkerMessage, WorkerProcessOptions } from './protocol';

/** Healthy canaries: success rate 99.9% (threshold 99), p99 120 ms (threshold 500). */
const HEALTHY_METRICS = new StaticMetricsProvider((query) =>
  query.includes('histogram_quantile') ? { kind: 'value', value: 120 } : { kind: 'value', value: 99.9 },
);

/** At most this many distinct warnings and errors are forwarded to the parent; all are counted. */
const FORWARDED_LOG_LINES = 20;

function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

/** Drops info and below (1,000 releases log a line per step); counts and forwards warnings and errors. */
class QuietLogger implements Logger {
  warnings = 0;
  errors = 0;
  private readonly forwarded = new Set<string>();

  log(level: LogLevel, message: string): void {
    if (level !== 'WARN' && level !== 'ERROR') return;
    if (level === 'WARN') this.warnings += 1;
    else this.errors += 1;
    const key = `${level} ${message}`.slice(0, 300);
    if (this.forwarded.size < FORWARDED_LOG_LINES && !this.forwarded.has(key)) {
      this.forwarded.add(key);
      void send({ type: 'log', level, message: key });
    }
  }
  trace(message: string): void { this.log('TRACE', message); }
  debug(message: string): void { this.log('DEBUG', message); }
  info(message: string): void { this.log('INFO', message); }
  warn(message: string): void { this.log('WARN', message); }
  error(message: string): void { this.log('ERROR', message); }
}

async function main(): Promise<void> {
  const options = JSON.parse(process.env.BENCH_WORKER ?? '') as WorkerProcessOptions;
  const logger = new QuietLogger();
  Runtime.install({
    shutdownSignals: [],
    logger,
    telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${options.metricsPort}` } } },
  });

  const router = new InMemoryTrafficRouter();
  const deps: ActivityDeps = {
    deployer: new InMemoryDeployer(),
    readiness: new ImmediateReadiness(),
    router,
    metricsFor: () => HEALTHY_METRICS,
    notifier: new LogNotifier(() => undefined),
  };
  const workerOptions: Partial<WorkerOptions> = { workflowBundle: { codePath: options.bundlePath }, ...options.tuning };
  const { worker, close } = await createReleaseWorker({
    deps,
    env: { TEMPORAL_ADDRESS: options.address, TEMPORAL_NAMESPACE: 'default' },
    workerOptions,
  });

  // The router's record, forwarded in batches: the timestamps are taken when the change is applied.
  let forwardedChanges = 0;
  const flushApplied = async () => {
    const fresh = router.applied.slice(forwardedChanges);
    forwardedChanges += fresh.length;
    if (!fresh.length) return;
    const changes: AppliedChange[] = fresh.map(({ router: key, weights, at }) => [key, weights.canaryWeight, at]);
    await send({ type: 'applied', changes });
  };
  const sample = () =>
    send({
      type: 'sample',
      sample: { at: Date.now(), rssBytes: process.memoryUsage.rss(), heapUsedBytes: process.memoryUsage().heapUsed, cpuMs: cpuMs() },
    });
  const flushTimer = setInterval(() => void flushApplied(), 100);
  const sampleTimer = setInterval(() => void sample(), options.sampleEveryMs);

  const running = worker.run();
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'stop' && worker.getState() === 'RUNNING') worker.shutdown();
  });
  // The parent going away must not leave a worker polling its (dead) server.
  process.on('disconnect', () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
  });
  await sample();
  await send({ type: 'ready' });
  await running;
  clearInterval(flushTimer);
  clearInterval(sampleTimer);
  await flushApplied();
  await sample();
  await close();
  await send({ type: 'stopped', peakRssBytes: process.resourceUsage().maxRSS * 1024, warnings: logger.warnings, errors: logger.errors });
}

function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

main().then(
  () => process.exit(0),
  async (error) => {
    await send({ type: 'log', level: 'ERROR', message: `worker process failed: ${(error as Error).stack ?? String(error)}` });
    process.exit(1);
  },
);
