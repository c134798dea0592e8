/**
 * Starts the benchmark's worker process (worker-process.ts) and collects what it reports: the
 * router's applied weight changes per release and the worker's resource samples.
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import type { ParentMessage, ResourceSample, WorkerMessage, WorkerProcessOptions } from './protocol';

/** One applied change of one release's router: canary weight 0-100 at epoch ms. */
export interface WeightChange {
  canaryWeight: number;
  at: number;
}

export interface WorkerHost {
  /** Applied changes by router key (`namespace/name`), in the order the router applied them. */
  readonly changes: Map<string, WeightChange[]>;
  readonly samples: ResourceSample[];
  /** Warnings and errors the worker logged (the first few distinct ones). */
  readonly logLines: string[];
  /** Set when the process exited before it was asked to stop (a crash, e.g. out of memory). */
  crashed: string | null;
  /** Called for every applied change as it arrives (after the batch delay, with the router's timestamp). */
  onChange?: (router: string, change: WeightChange) => void;
  /** Stops the worker (graceful shutdown) and waits for the process to exit. */
  stop(): Promise<{ peakRssBytes: number; warnings: number; errors: number }>;
  /** Kills the process without waiting for a drain (for a failing run). */
  kill(): void;
}

export async function startWorkerProcess(options: WorkerProcessOptions): Promise<WorkerHost> {
  const child = fork(path.join(__dirname, 'worker-process.js'), [], {
    env: { ...process.env, BENCH_WORKER: JSON.stringify(options) },
    execArgv: options.nodeOptions,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let stopped: { peakRssBytes: number; warnings: number; errors: number } | undefined;
  let stopping = false;
  const host: WorkerHost = {
    changes: new Map(),
    samples: [],
    logLines: [],
    crashed: null,
    stop: async () => {
      stopping = true;
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        if (child.connected) child.send({ type: 'stop' } satisfies ParentMessage);
        else child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
        await exited;
        clearTimeout(timer);
      }
      return stopped ?? { peakRssBytes: 0, warnings: 0, errors: 0 };
    },
    kill: () => {
      stopping = true;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    child.once('exit', (code) => reject(new Error(`the worker process exited with code ${code} before it was ready${host.logLines.length ? `: ${host.logLines.join(' | ')}` : ''}`)));
  });
  // An IPC channel that breaks with a crashing child must not take the benchmark down with it.
  child.on('error', (error) => host.logLines.push(`worker process: ${error.message}`));
  child.once('exit', (code, signal) => {
    if (!stopping) host.crashed = `the worker process exited unasked (${signal ? `signal ${signal}` : `code ${code}`})`;
  });
  child.on('message', (message: WorkerMessage) => {
    switch (message.type) {
      case 'ready':
        markReady();
        break;
      case 'applied':
        for (const [router, canaryWeight, at] of message.changes) {
          const change = { canaryWeight, at };
          const list = host.changes.get(router);
          if (list) list.push(change);
          else host.changes.set(router, [change]);
          host.onChange?.(router, change);
        }
        break;
      case 'sample':
        host.samples.push(message.sample);
        break;
      case 'log':
        host.logLines.push(message.message);
        process.stderr.write(`  worker ${message.message.split('\n')[0]}\n`);
        break;
      case 'stopped':
        stopped = { peakRssBytes: message.peakRssBytes, warnings: message.warnings, errors: message.errors };
        break;
    }
  });
  await ready;
  return host;
}
