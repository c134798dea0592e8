import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import axios from 'axios';
import YAML from 'yaml';
import type { TrafficSplit } from '../../activities/ports';
import { LocalEndpoints } from './endpoints';
import { freePort, toolPath } from '../../support/tools';
import { LocalProcessDeployer, probe, type LocalProcessDeployerOptions } from './process-deployer';
import { PrometheusMetricsProvider } from '../../activities/adapters/prometheus-metrics';
import { splitPathPrefix, TraefikFileRouter, type TraefikFileRouterOptions } from './traefik-file-router';

/**
 * Histogram buckets of `traefik_service_request_duration_seconds`, in seconds: fine from 1 ms to
 * 1 s, where the demo's versions and the p99 thresholds (hundreds of ms) lie, so that
 * histogram_quantile interpolates within a narrow bucket.
 */
export const LATENCY_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.75, 1, 2.5, 5, 10];

export interface LocalStackOptions {
  /** Directory for configs, logs and Prometheus' data; emptied at start (e.g. `.data/local-stack`). */
  dataDir: string;
  /** Binaries; default: what scripts/traefik.sh and scripts/prometheus.sh provide. */
  traefikBin?: string;
  prometheusBin?: string;
  /** Prometheus scrape interval in ms (default 1000). */
  scrapeIntervalMs?: number;
  /** ms to wait for each component to serve (default 30000). */
  startTimeoutMs?: number;
  /** One line per component started or stopped (default: silent). */
  log?: (line: string) => void;
}

interface Component {
  name: string;
  child: ChildProcess;
  exit: Promise<void>;
  exited: boolean;
  logFile: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const msToPromDuration = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);

/**
 * A real Traefik v3 and a real Prometheus on 127.0.0.1, on free ports:
 * - Traefik: entrypoint `web` (`webUrl`), API and `/metrics` on entrypoint `traefik` (`apiUrl`,
 *   `api.insecure`), Prometheus metrics with service labels and {@link LATENCY_BUCKETS_SECONDS},
 *   file provider watching `dynamicDir` with a 100 ms provider throttle (Traefik's default is 2 s);
 * - Prometheus: scrapes Traefik's `/metrics` every `scrapeIntervalMs`, TSDB under `dataDir/prometheus`.
 * `stop()` stops the processes of the deployers it created, then Traefik and Prometheus.
 */
export class LocalStack {
  readonly endpoints = new LocalEndpoints();
  private readonly deployers: LocalProcessDeployer[] = [];
  private readonly routers: TraefikFileRouter[] = [];

  private constructor(
    readonly dataDir: string,
    /** Traefik's `web` entrypoint, e.g. `http://127.0.0.1:41234`. */
    readonly webUrl: string,
    /** Traefik's API and metrics entrypoint. */
    readonly apiUrl: string,
    readonly prometheusUrl: string,
    /** The directory Traefik's file provider watches. */
    readonly dynamicDir: string,
    private readonly components: Component[],
    private readonly log: (line: string) => void,
  ) {}

  /** Writes the configs and starts Traefik, then Prometheus; resolves once both serve. */
  static async start(options: LocalStackOptions): Promise<LocalStack> {
    const log = options.log ?? (() => {});
    const dataDir = path.resolve(options.dataDir);
    const startTimeoutMs = options.startTimeoutMs ?? 30_000;
    const scrapeIntervalMs = options.scrapeIntervalMs ?? 1000;
    const traefikBin = options.traefikBin ?? toolPath('traefik');
    const prometheusBin = options.prometheusBin ?? toolPath('prometheus');
    rmSync(dataDir, { recursive: true, force: true });
    const dynamicDir = path.join(dataDir, 'dynamic');
    mkdirSync(dynamicDir, { recursive: true });
    mkdirSync(path.join(dataDir, 'prometheus'), { recursive: true });
    const [webPort, apiPort, prometheusPort] = await distinctFreePorts(3);

    const traefikConfig = path.join(dataDir, 'traefik.yaml');
    writeFileSync(
      traefikConfig,
      YAML.stringify({
        global: { checkNewVersion: false, sendAnonymousUsage: false },
        entryPoints: { web: { address: `127.0.0.1:${webPort}` }, traefik: { address: `127.0.0.1:${apiPort}` } },
        api: { insecure: true, dashboard: false },
        ping: {},
        metrics: { prometheus: { addServicesLabels: true, addEntryPointsLabels: true, addRoutersLabels: false, buckets: LATENCY_BUCKETS_SECONDS } },
        providers: { providersThrottleDuration: '100ms', file: { directory: dynamicDir, watch: true } },
        log: { level: 'ERROR' },
      }),
    );
    const prometheusConfig = path.join(dataDir, 'prometheus.yaml');
    writeFileSync(
      prometheusConfig,
      YAML.stringify({
        global: { scrape_interval: msToPromDuration(scrapeIntervalMs), evaluation_interval: msToPromDuration(scrapeIntervalMs) },
        scrape_configs: [{ job_name: 'traefik', metrics_path: '/metrics', static_configs: [{ targets: [`127.0.0.1:${apiPort}`] }] }],
      }),
    );

    const components: Component[] = [];
    const stack = new LocalStack(dataDir, `http://127.0.0.1:${webPort}`, `http://127.0.0.1:${apiPort}`, `http://127.0.0.1:${prometheusPort}`, dynamicDir, components, log);
    try {
      components.push(launch('traefik', traefikBin, [`--configFile=${traefikConfig}`], dataDir));
      await waitServing(components[0]!, `${stack.apiUrl}/ping`, startTimeoutMs);
      log(`traefik serves: web ${stack.webUrl}, api ${stack.apiUrl}`);
      components.push(
        launch(
          'prometheus',
          prometheusBin,
          [
            `--config.file=${prometheusConfig}`,
            `--storage.tsdb.path=${path.join(dataDir, 'prometheus')}`,
            `--web.listen-address=127.0.0.1:${prometheusPort}`,
            '--storage.tsdb.retention.time=1d',
            '--log.level=warn',
          ],
          dataDir,
        ),
      );
      await waitServing(components[1]!, `${stack.prometheusUrl}/-/ready`, startTimeoutMs);
      log(`prometheus serves: ${stack.prometheusUrl} (scraping ${stack.apiUrl}/metrics every ${scrapeIntervalMs}ms)`);
    } catch (error) {
      await stack.stop();
      throw error;
    }
    return stack;
  }

  /** A deployer whose releases register in this stack's endpoints; its processes stop with the stack. */
  createDeployer(options: Omit<LocalProcessDeployerOptions, 'endpoints'> = {}): LocalProcessDeployer {
    const deployer = new LocalProcessDeployer({ logDir: path.join(this.dataDir, 'logs'), ...options, endpoints: this.endpoints });
    this.deployers.push(deployer);
    return deployer;
  }

  /** A router writing to this stack's Traefik. */
  createRouter(options: Partial<Omit<TraefikFileRouterOptions, 'endpoints' | 'dynamicDir' | 'api'>> = {}): TraefikFileRouter {
    const router = new TraefikFileRouter({ ...options, dynamicDir: this.dynamicDir, api: axios.create({ baseURL: this.apiUrl, timeout: 5_000 }), endpoints: this.endpoints });
    this.routers.push(router);
    return router;
  }

  /** A metrics provider querying this stack's Prometheus. */
  createMetricsProvider(timeoutMs = 5_000): PrometheusMetricsProvider {
    return new PrometheusMetricsProvider(axios.create({ baseURL: this.prometheusUrl, timeout: timeoutMs }));
  }

  /** The URL through Traefik's `web` entrypoint that reaches a split, e.g. `http://127.0.0.1:41234/shop/web/`. */
  entryUrl(split: Pick<TrafficSplit, 'namespace' | 'router'>): string {
    return `${this.webUrl}${splitPathPrefix(split)}`;
  }

  /** Stops every release process started through this stack, then Traefik and Prometheus. Safe to call twice. */
  async stop(): Promise<void> {
    for (const router of this.routers) router.close();
    await Promise.all(this.deployers.map((deployer) => deployer.stopAll()));
    await Promise.all([...this.components].reverse().map((component) => stopComponent(component)));
    this.log('local stack stopped');
  }
}

async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

function launch(name: string, bin: string, args: string[], dataDir: string): Component {
  const logFile = path.join(dataDir, `${name}.log`);
  const log: WriteStream = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(bin, args, { cwd: dataDir, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const component: Component = {
    name,
    child,
    logFile,
    exited: false,
    exit: new Promise((resolve) => {
      child.once('error', (error) => {
        log.write(`cannot start ${bin}: ${error.message}\n`);
        component.exited = true;
        resolve();
      });
      child.once('exit', () => {
        component.exited = true;
        resolve();
      });
    }),
  };
  return component;
}

async function waitServing(component: Component, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (component.exited) throw new Error(`${component.name} exited at start: see ${component.logFile}`);
    if ((await probe(url)) === 200) return;
    await sleep(100);
  }
  throw new Error(`${component.name} did not serve ${url} within ${timeoutMs}ms: see ${component.logFile}`);
}

async function stopComponent(component: Component): Promise<void> {
  if (component.exited) return;
  component.child.kill('SIGTERM');
  const timer = setTimeout(() => component.child.kill('SIGKILL'), 5_000);
  await component.exit;
  clearTimeout(timer);
}
