/*
 * The adapters of target `local`: one LocalStack (a real Traefik and Prometheus on 127.0.0.1), each
 * release a local process of the config's `local.command`, Slack through its webhook protocol (the
 * real one when SLACK_WEBHOOK_URL is set, else a local receiver that prints what it gets).
 */
import path from 'node:path';
import axios from 'axios';
import type { ActivityDeps } from '../../activities';
import { HttpWebhookCaller } from '../../activities/adapters/http-webhook-caller';
import { createNotifiers, type NotifierEnv } from '../../activities/adapters/notifier-set';
import { heartbeat } from '../../activities/heartbeat';
import type { TrafficSplit } from '../../activities/ports';
import type { LocalProcessDeployer } from './process-deployer';
import { exposeTrack, ReportingRouter, RoutedDeployer, RouteKeeper, type AppliedWeights } from './routes';

export type { AppliedWeights } from './routes';
import { LocalSlackReceiver } from './slack-receiver';
import { LocalStack } from './stack';
import type { TraefikFileRouter } from './traefik-file-router';

export interface LocalAdaptersOptions {
  /** The stack's directory (emptied at start); default `.data/local-stack` under `cwd`. */
  dataDir?: string;
  /** Working directory of the releases' commands (`local.command` paths are relative to it); default this process's. */
  cwd?: string;
  /** SLACK_WEBHOOK_URL: set, messages go to Slack; unset, to the local Slack receiver. */
  env?: NotifierEnv;
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

/**
 * Starts the local stack and builds the activities' adapters on it:
 * - deployer and readiness: LocalProcessDeployer (one process per release revision);
 * - router: TraefikFileRouter; every release's first call creates its service's route (from the
 *   target's `local.split`), since a direct release never sets weights, and a direct route to each
 *   of its two tracks (`/_track/<namespace>/<release>/`, for load testers);
 * - metrics: the stack's Prometheus (a config's `metricsServer` does not apply on target local);
 * - notifier: Slack's incoming webhook (or a local receiver printing each message), plus Teams,
 *   Discord and the JSON webhook when the environment sets their URLs;
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
    const deployer = stack.createDeployer({ cwd, log, onTick: () => heartbeat(), ...(options.drainMs !== undefined ? { drainMs: options.drainMs } : {}) });
    const router = stack.createRouter();
    const routes = new RouteKeeper(router, stack);
    let slackWebhookUrl = options.env?.SLACK_WEBHOOK_URL;
    if (!slackWebhookUrl) {
      receiver = await LocalSlackReceiver.start(options.slackLog ?? log);
      slackWebhookUrl = receiver.url;
    }
    const metrics = stack.createMetricsProvider();
    const deps: ActivityDeps = {
      deployer: new RoutedDeployer(deployer, routes),
      readiness: deployer,
      router: new ReportingRouter(router, options.onWeightsApplied),
      metricsFor: () => metrics,
      webhooks: new HttpWebhookCaller(axios.create()),
      notifier: createNotifiers({ ...options.env, SLACK_WEBHOOK_URL: slackWebhookUrl }, log),
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

