/**
 * The messages between the benchmark (parent) and its worker process (child, over Node's IPC
 * channel). The worker runs in its own process so its RSS and CPU are the worker's alone.
 */

/** Worker options the benchmark tunes and records. */
export interface WorkerTuning {
  maxConcurrentWorkflowTaskExecutions: number;
  maxConcurrentActivityTaskExecutions: number;
  maxCachedWorkflows: number;
  maxConcurrentWorkflowTaskPolls: number;
  maxConcurrentActivityTaskPolls: number;
}

/** What the parent hands the worker process (JSON in the BENCH_WORKER environment variable). */
export interface WorkerProcessOptions {
  /** Node options of the worker process (e.g. `--max-old-space-size=192`), recorded with the results. */
  nodeOptions: string[];
  /** Temporal frontend, `host:port`. */
  address: string;
  /** A prebuilt workflow bundle (bundleWorkflowCode output written to a file). */
  bundlePath: string;
  tuning: WorkerTuning;
  /** Port of the SDK core's Prometheus endpoint (worker-side task latencies, cache counters). */
  metricsPort: number;
  /** How often the worker samples its RSS and CPU, in ms. */
  sampleEveryMs: number;
}

/** One weight change the in-memory router applied: router key (`namespace/name`), canary weight 0-100, epoch ms. */
export type AppliedChange = [router: string, canaryWeight: number, at: number];

/** One resource sample of the worker process. */
export interface ResourceSample {
  /** Epoch ms. */
  at: number;
  rssBytes: number;
  heapUsedBytes: number;
  /** User + system CPU time of the whole process (JS, V8 workflow context, Rust core threads) since start, in ms. */
  cpuMs: number;
}

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'applied'; changes: AppliedChange[] }
  | { type: 'sample'; sample: ResourceSample }
  | { type: 'log'; level: string; message: string }
  | { type: 'stopped'; peakRssBytes: number; warnings: number; errors: number };

export type ParentMessage = { type: 'stop' };
