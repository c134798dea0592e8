/*
 * The adapters of target `local`: one LocalStack (a real Traefik and Prometheus on 127.0.0.1), each
 * release a local process of the config's `local.command`, Slack through its webhook protocol (the
 * real one when SLACK_WEBHOOK_URL is set, else a local receiver that prints what it gets).
 */
import { renameSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import path from 'node:path';
import axios from 'axios';
import { Context } from '@temporalio/activity';
import YAML from 'yaml';
import { z } from 'zod';
import type { ActivityDeps } from '../activities';
import { HttpWebhookCaller } from '../activities/adapters/http-webhook-caller';
import { LocalStack } from '../activities/adapters/local-stack';
import type { LocalProcessDeployer } from '../activities/adapters/local-process-deployer';
import { SlackNotifier } from '../activities/adapters/slack-notifier';
import { fileServiceName, type TraefikFileRouter } from '../activities/adapters/traefik-file-router';
import type { Deployer, HelmTarget, ReadinessChecker, ReleaseHistoryEntry, ReleaseRevision, TestRun, TrafficRouter, TrafficSplit, TrafficWeights } from '../activities/ports';
import type { WorkerEnv } from './environment';

/** Where the worker's releases run: `DOCUTAG_TARGET`, with the local stack's data directory. */
export const targetEnvSchema = z.object({
  DOCUTAG_TARGET: z.enum(['kubernetes', 'local'], { message: 'expected kubernetes (helm, TraefikService) or local (the local stack: Traefik, Prometheus and local processes)' }).default('kubernetes'),
  /** Target local: configs, logs and Prometheus' data; emptied when the worker starts. */
  DOCUTAG_LOCAL_DATA_DIR: z.string().min(1).default('.data/local-stack'),
});

export type TargetEnv = z.infer<typeof targetEnvSchema>;

export function readTargetEnv(env: NodeJS.ProcessEnv = process.env): TargetEnv {
  const result = targetEnvSchema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  - ${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`the worker environment is not valid:\n${lines.join('\n')}`);
  }
  return result.data;
}

/** One `setWeights` call that returned: the weights Traefik serves from `returnedAt` on (epoch ms). */
export interface AppliedWeights {
  split: TrafficSplit;
  weights: TrafficWeights;
  changed: boolean;
  calledAt: number;
  returnedAt: number;
}

export interface LocalAdaptersOptions {
  /** The stack's directory (emptied at start); default `.data/local-stack` under `cwd`. */
  dataDir?: string;
  /** Working directory of the releases' commands (`local.command` paths are relative to it); default this process's. */
  cwd?: string;
  /** SLACK_WEBHOOK_URL: set, messages go to Slack; unset, to the local Slack receiver. */
  env?: Pick<WorkerEnv, 'SLACK_WEBHOOK_URL'>;
  traefikBin?: string;
  prometheusBin?: string;
  /** ms between moving a release's endpoint and stopping its old process (default 1000). */
  drainMs?: number;
  /** One line per component or process started and stopped (default: silent). */
  log?: (line: string) => void;
  /** What the local Slack receiver prints, one line per message line (default: `log`). */
  slackLog?: (line: string) => void;
  /** Called after every setWeights returned, i.e. once Traefik serves the weights. */
  onWeightsApplied?: (applied: AppliedWeights) => void;
}

export interface LocalAdapters {
  deps: ActivityDeps;
  stack: LocalStack;
  deployer: LocalProcessDeployer;
  router: TraefikFileRouter;
  /** The local Slack receiver's webhook URL, when SLACK_WEBHOOK_URL is unset. */
  slackReceiverUrl: string | undefined;
  /** Creates a split's route at 100/0 unless Traefik serves it already (the local IngressRoute and TraefikService). */
  ensureSplit(split: TrafficSplit): Promise<void>;
  /** The URL through Traefik's `web` entrypoint that reaches a split. */
  entryUrl(split: Pick<TrafficSplit, 'namespace' | 'router'>): string;
  /**
   * A URL through Traefik's `web` entrypoint straight to one track of a split that Traefik serves
   * (`/_track/<namespace>/<release>/`), whatever its weight; its requests count in that track's
   * metrics. How a load tester reaches green before a blue-green switch. Every split's two tracks
   * get one when the split's route is created; this resolves once Traefik routes it.
   */
  trackUrl(namespace: string, release: string): Promise<string>;
  /** Stops every release process, Traefik, Prometheus and the Slack receiver. Safe to call twice. */
  stop(): Promise<void>;
}

const heartbeatIfInActivity = () => {
  try {
    Context.current().heartbeat();
  } catch {
    // outside an activity
  }
};

/**
 * Starts the local stack and builds the activities' adapters on it:
 * - deployer and readiness: LocalProcessDeployer (one process per release revision);
 * - router: TraefikFileRouter; every release's first call creates its service's route (from the
 *   target's `local.split`), since a direct release never sets weights, and a direct route to each
 *   of its two tracks (`/_track/<namespace>/<release>/`, for load testers);
 * - metrics: the stack's Prometheus (a config's `metricsServer` does not apply on target local);
 * - notifier: Slack's incoming webhook, or a local receiver printing each message;
 * - webhooks: plain HTTP, as on Kubernetes.
 */
export async function createLocalAdapters(options: LocalAdaptersOptions = {}): Promise<LocalAdapters> {
  const log = options.log ?? (() => {});
  const cwd = options.cwd ?? process.cwd();
  const stack = await LocalStack.start({
    dataDir: path.resolve(cwd, options.dataDir ?? '.data/local-stack'),
    log,
    ...(options.traefikBin ? { traefikBin: options.traefikBin } : {}),
    ...(options.prometheusBin ? { prometheusBin: options.prometheusBin } : {}),
  });
  let receiver: LocalSlackReceiver | undefined;
  try {
    const deployer = stack.createDeployer({ cwd, log, onTick: heartbeatIfInActivity, ...(options.drainMs !== undefined ? { drainMs: options.drainMs } : {}) });
    const router = stack.createRouter();
    const routes = new RouteKeeper(router, stack);
    let webhookUrl = options.env?.SLACK_WEBHOOK_URL;
    if (!webhookUrl) {
      receiver = await LocalSlackReceiver.start(options.slackLog ?? log);
      webhookUrl = receiver.url;
    }
    const metrics = stack.createMetricsProvider();
    const deps: ActivityDeps = {
      deployer: new RoutedDeployer(deployer, routes),
      readiness: deployer,
      router: new ReportingRouter(router, options.onWeightsApplied),
      metricsFor: () => metrics,
      webhooks: new HttpWebhookCaller(axios.create()),
      notifier: new SlackNotifier({ http: axios.create({ timeout: 10_000 }), webhookUrl }),
    };
    const slackReceiverUrl = receiver?.url;
    log(`local stack: Traefik ${stack.webUrl} (API ${stack.apiUrl}), Prometheus ${stack.prometheusUrl}, Slack ${slackReceiverUrl ? `local receiver ${slackReceiverUrl}` : 'webhook set'}; data in ${stack.dataDir}`);
    let stopped: Promise<void> | undefined;
    return {
      deps,
      stack,
      deployer,
      router,
      slackReceiverUrl,
      ensureSplit: (split) => routes.ensure(split),
      entryUrl: (split) => stack.entryUrl(split),
      trackUrl: (namespace, release) => exposeTrack(stack, namespace, release),
      stop: () => (stopped ??= Promise.all([stack.stop(), receiver?.stop()]).then(() => undefined)),
    };
  } catch (error) {
    await Promise.all([stack.stop(), receiver?.stop()]);
    throw error;
  }
}

/** Writes the route of `trackUrl` (a file of its own; `_` never occurs in a Kubernetes name) and waits until Traefik serves it. */
async function exposeTrack(stack: LocalStack, namespace: string, release: string): Promise<string> {
  const service = fileServiceName(namespace, release);
  const prefix = `/_track/${namespace}/${release}`;
  const routerName = `${service}_track`;
  const config = {
    http: {
      routers: { [routerName]: { entryPoints: ['web'], rule: `PathPrefix(\`${prefix}/\`)`, middlewares: [`${routerName}_strip`], service } },
      middlewares: { [`${routerName}_strip`]: { stripPrefix: { prefixes: [prefix] } } },
    },
  };
  const file = path.join(stack.dynamicDir, `_track-${service}.yaml`);
  const temporary = path.join(stack.dynamicDir, `._track-${service}.yaml.${process.pid}.tmp`);
  writeFileSync(temporary, `# Written by docutag-release (local adapters): a direct route to ${namespace}/${release}. Do not edit.\n${YAML.stringify(config)}`);
  renameSync(temporary, file);
  const api = axios.create({ baseURL: stack.apiUrl, timeout: 2_000, validateStatus: () => true });
  const deadline = Date.now() + 15_000;
  let last = '';
  while (Date.now() < deadline) {
    const response = await api.get<{ status?: string; error?: string[] }>(`/api/http/routers/${routerName}@file`).catch((error: Error) => ({ status: 0, data: { status: undefined, error: [error.message] } }));
    if (response.status === 200 && response.data.status === 'enabled') return `${stack.webUrl}${prefix}/`;
    last = response.status === 200 ? `${response.data.status}: ${(response.data.error ?? []).join('; ')}` : `HTTP ${response.status}`;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Traefik did not serve the route ${routerName}@file within 15s (last: ${last}); is ${namespace}/${release} a track of a split Traefik serves?`);
}

/** Creates each split's route, and a direct route to each of its tracks, once (concurrent callers share the creation). */
class RouteKeeper {
  private readonly ensured = new Map<string, Promise<void>>();

  constructor(
    private readonly router: TraefikFileRouter,
    private readonly stack: LocalStack,
  ) {}

  ensure(split: TrafficSplit): Promise<void> {
    const key = `${split.namespace}/${split.router}`;
    let done = this.ensured.get(key);
    if (!done) {
      done = this.router.ensureSplit({ split }).then(async () => {
        await exposeTrack(this.stack, split.namespace, split.primaryService);
        await exposeTrack(this.stack, split.namespace, split.canaryService);
      });
      this.ensured.set(key, done);
      // A failed creation is tried again by the next release call (the activity's retry).
      void done.catch(() => this.ensured.delete(key));
    }
    return done;
  }

  /** Before any call about a release of the target: its service's route exists. */
  async forTarget(target: HelmTarget): Promise<void> {
    if (target.local?.split) await this.ensure(target.local.split);
  }
}

/** The deployer of target local, with the route of the release's service created before its first call. */
class RoutedDeployer implements Deployer, ReadinessChecker {
  constructor(
    private readonly deployer: LocalProcessDeployer,
    private readonly routes: RouteKeeper,
  ) {}

  async describe(args: { target: HelmTarget; release: string; revision?: number }): Promise<ReleaseRevision | null> {
    await this.routes.forTarget(args.target);
    return this.deployer.describe(args);
  }

  async history(args: { target: HelmTarget; release: string; max: number }): Promise<ReleaseHistoryEntry[]> {
    await this.routes.forTarget(args.target);
    return this.deployer.history(args);
  }

  async install(args: { target: HelmTarget; release: string; version: string; extraSet?: Record<string, string | number | boolean> }): Promise<ReleaseRevision> {
    await this.routes.forTarget(args.target);
    return this.deployer.install(args);
  }

  test(args: { target: HelmTarget; release: string; timeoutMs: number }): Promise<TestRun> {
    return this.deployer.test(args);
  }

  async rollback(args: { target: HelmTarget; release: string; revision: number }): Promise<ReleaseRevision> {
    await this.routes.forTarget(args.target);
    return this.deployer.rollback(args);
  }

  uninstall(args: { target: HelmTarget; release: string }): Promise<void> {
    return this.deployer.uninstall(args);
  }

  waitReady(args: { namespace: string; name: string; timeoutMs: number; onProgress?: (detail: string) => void }): Promise<void> {
    return this.deployer.waitReady(args);
  }
}

/** Tells `onApplied` when Traefik serves new weights (setWeights returns only then). */
class ReportingRouter implements TrafficRouter {
  constructor(
    private readonly router: TrafficRouter,
    private readonly onApplied: ((applied: AppliedWeights) => void) | undefined,
  ) {}

  getWeights(args: { split: TrafficSplit }): Promise<TrafficWeights> {
    return this.router.getWeights(args);
  }

  async setWeights(args: { split: TrafficSplit; weights: TrafficWeights }): Promise<{ changed: boolean }> {
    const calledAt = Date.now();
    const result = await this.router.setWeights(args);
    this.onApplied?.({ split: args.split, weights: { ...args.weights }, changed: result.changed, calledAt, returnedAt: Date.now() });
    return result;
  }
}

/** Slack's icon codes, as a terminal shows them. */
const ICONS: Record<string, string> = { ':arrows_counterclockwise:': '🔄', ':white_check_mark:': '✅', ':warning:': '⚠️ ', ':rotating_light:': '🚨' };

/**
 * Stands in for Slack on target local: accepts incoming-webhook posts (`{ text, channel }`) on
 * 127.0.0.1 and prints them, so the notifier path is the one production uses.
 */
export class LocalSlackReceiver {
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(print: (line: string) => void): Promise<LocalSlackReceiver> {
    const server = createServer((request, response) => {
      void readBody(request).then((body) => {
        let payload: { text?: unknown; channel?: unknown } = {};
        try {
          payload = JSON.parse(body) as typeof payload;
        } catch {
          response.writeHead(400, { 'content-type': 'text/plain' }).end('invalid_payload');
          return;
        }
        const text = typeof payload.text === 'string' ? payload.text.replace(/^:[a-z_]+:/, (code) => ICONS[code] ?? code) : '';
        const channel = typeof payload.channel === 'string' ? ` ${payload.channel}` : '';
        const [first = '', ...rest] = text.split('\n');
        print(`slack${channel}: ${first}`);
        for (const line of rest) print(`  ${line}`);
        response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as { port: number };
    return new LocalSlackReceiver(server, `http://127.0.0.1:${port}/services/local`);
  }

  async stop(): Promise<void> {
    if (!this.server.listening) return;
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body = (body + chunk).slice(0, 64 * 1024)));
    request.on('end', () => resolve(body));
    request.on('error', () => resolve(body));
  });
}
