/*
 * A real local Kubernetes API server for the cluster tests, started in a test file's beforeAll and
 * stopped in its afterAll (no jest globalSetup): scripts/kube-cluster.sh runs etcd, kube-apiserver,
 * kube-controller-manager, kube-scheduler and kwok (one fake node; pods become Ready, helm test
 * pods end Succeeded or Failed), with Traefik's CRDs installed. helm comes from scripts/helm.sh.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

export const ROOT = path.resolve(__dirname, '../..');
const run = promisify(execFile);

/**
 * Building the binaries the first time takes long on 2 cores (see docs/development.md "The local cluster"); .ci/run
 * builds them before the tests. Test files look them up in a hook of their own with this timeout.
 */
export const TOOLS_TIMEOUT_MS = 90 * 60_000;
/** Starting the cluster (certificates, etcd, API server, controllers, CRDs, node Ready). */
export const START_TIMEOUT_MS = 180_000;

/** The binaries' directory and helm, built once and cached by the project's scripts. */
export function provideClusterTools(): { binDir: string; helmBin: string } {
  const binDir = execFileSync('bash', [path.join(ROOT, 'scripts/kube.sh'), 'path'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  const helmBin = execFileSync('bash', [path.join(ROOT, 'scripts/helm.sh'), 'path'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  return { binDir, helmBin };
}

export class LocalKubeCluster {
  /** The cluster-admin kubeconfig (client certificate in system:masters). */
  readonly adminKubeconfig: string;
  /** Private helm home (cache, config, data), so tests never touch the user's. */
  readonly helmHome: string;
  startMs = 0;

  private constructor(
    readonly dir: string,
    readonly binDir: string,
    readonly helmBin: string,
    private readonly child: ChildProcess,
    private readonly exited: Promise<number | null>,
    /** Everything the script printed (stdout and stderr). */
    private readonly output: { text: string },
  ) {
    this.adminKubeconfig = path.join(dir, 'admin.kubeconfig');
    this.helmHome = path.join(dir, 'helm');
  }

  static async start(tools = provideClusterTools()): Promise<LocalKubeCluster> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kube-cluster-'));
    const started = Date.now();
    // Its own process group: stop() signals the script and every component it started.
    const child = spawn('bash', [path.join(ROOT, 'scripts/kube-cluster.sh'), 'run', dir], {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, KUBE_BIN_DIR: tools.binDir },
    });
    const output = { text: '' };
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the local cluster did not start within ${START_TIMEOUT_MS}ms:\n${output.text.slice(-3000)}`)), START_TIMEOUT_MS);
      child.stdout!.on('data', (chunk: Buffer) => {
        output.text += chunk.toString();
        if (/^ready /m.test(output.text)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.stderr!.on('data', (chunk: Buffer) => (output.text += chunk.toString()));
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`the local cluster exited (${code}) before it was ready:\n${output.text.slice(-3000)}`));
      });
    });
    const cluster = new LocalKubeCluster(dir, tools.binDir, tools.helmBin, child, exited, output);
    try {
      await ready;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    cluster.startMs = Date.now() - started;
    return cluster;
  }

  /** Kills the API server (as a crash); etcd, the controllers and kwok stay up. Resolves once it is gone. */
  stopApiServer(): Promise<void> {
    return this.signalAndAwait('SIGUSR1', 'apiserver stopped');
  }

  /** Starts the API server again on the same port and data; resolves once it serves (/readyz). */
  startApiServer(): Promise<void> {
    return this.signalAndAwait('SIGUSR2', 'apiserver started');
  }

  private async signalAndAwait(signal: NodeJS.Signals, line: string): Promise<void> {
    const count = () => this.output.text.split('\n').filter((printed) => printed === line).length;
    const before = count();
    this.child.kill(signal);
    const deadline = Date.now() + 120_000;
    while (count() === before) {
      if (Date.now() > deadline || this.child.exitCode !== null) throw new Error(`the local cluster did not answer ${signal} with "${line}":\n${this.output.text.slice(-2000)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Stops every process of the cluster (SIGTERM, then SIGKILL after 15 s) and removes its directory. */
  async stop(): Promise<void> {
    const group = this.child.pid;
    if (group !== undefined) {
      try {
        process.kill(-group, 'SIGTERM');
      } catch {
        // already gone
      }
      let timer: NodeJS.Timeout | undefined;
      const killed = await Promise.race([this.exited.then(() => false), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), 15_000)))]);
      clearTimeout(timer);
      try {
        process.kill(-group, killed ? 'SIGKILL' : 0);
        if (!killed) process.kill(-group, 'SIGKILL'); // a component that outlived the script
      } catch {
        // the whole group is gone
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Runs kubectl (admin unless another kubeconfig is given); resolves with stdout, rejects with stderr. */
  async kubectl(args: string[], options: { kubeconfig?: string; input?: string } = {}): Promise<string> {
    const child = run(path.join(this.binDir, 'kubectl'), ['--kubeconfig', options.kubeconfig ?? this.adminKubeconfig, ...args], { maxBuffer: 16 * 1024 * 1024 });
    if (options.input !== undefined) {
      child.child.stdin!.end(options.input);
    }
    try {
      return (await child).stdout;
    } catch (error) {
      const failure = error as { stderr?: string; message: string };
      throw new Error(`kubectl ${args.join(' ')}: ${failure.stderr?.trim() || failure.message}`);
    }
  }

  /** Applies a manifest (YAML or JSON) as the admin. */
  apply(manifest: string): Promise<string> {
    return this.kubectl(['apply', '-f', '-'], { input: manifest });
  }

  /** Creates a namespace and waits for its default ServiceAccount (pods are refused before it exists). */
  async createNamespace(name: string): Promise<void> {
    await this.kubectl(['create', 'namespace', name]);
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await this.kubectl(['get', 'serviceaccount', 'default', '--namespace', name]);
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  /**
   * A kubeconfig that authenticates as a ServiceAccount with a token from the TokenRequest API
   * (what a pod of that ServiceAccount gets), so RBAC is the ServiceAccount's own.
   */
  async serviceAccountKubeconfig(namespace: string, serviceAccount: string): Promise<string> {
    const token = (await this.kubectl(['create', 'token', serviceAccount, '--namespace', namespace, '--duration', '2h'])).trim();
    const server = (await this.kubectl(['config', 'view', '--minify', '-o', 'jsonpath={.clusters[0].cluster.server}'])).trim();
    const file = path.join(this.dir, `${namespace}-${serviceAccount}.kubeconfig`);
    writeFileSync(
      file,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'local', cluster: { server, 'certificate-authority': path.join(this.dir, 'pki/ca.crt') } }],
        users: [{ name: serviceAccount, user: { token } }],
        contexts: [{ name: 'local', context: { cluster: 'local', user: serviceAccount, namespace } }],
        'current-context': 'local',
      }),
      { mode: 0o600 },
    );
    return file;
  }

  /**
   * Installs deploy/chart (the worker's chart) as an operator would, with its Role in `namespaces`,
   * and returns a kubeconfig holding its ServiceAccount's token. The worker pod never runs here (kwok
   * plays it); its ServiceAccount, Roles and RoleBindings are real.
   */
  async installWorkerChart({ namespace, release, namespaces }: { namespace: string; release: string; namespaces: string[] }): Promise<string> {
    const install = await this.helm(['install', release, path.join(ROOT, 'deploy/chart'), '--namespace', namespace, '--set', `rbac.namespaces={${namespaces.join(',')}}`, '--wait', '--timeout', '60s']);
    if (install.exitCode !== 0) throw new Error(`helm install deploy/chart failed: ${install.stderr}`);
    return this.serviceAccountKubeconfig(namespace, release);
  }

  /** The environment helm runs with: this cluster's kubeconfig and a private helm home. */
  helmEnv(kubeconfig = this.adminKubeconfig): NodeJS.ProcessEnv {
    return {
      ...process.env,
      KUBECONFIG: kubeconfig,
      HELM_CACHE_HOME: path.join(this.helmHome, 'cache'),
      HELM_CONFIG_HOME: path.join(this.helmHome, 'config'),
      HELM_DATA_HOME: path.join(this.helmHome, 'data'),
    };
  }

  /** Runs helm; resolves with its exit code and output (never rejects on a non-zero exit). */
  async helm(args: string[], kubeconfig?: string): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await run(this.helmBin, args, { env: this.helmEnv(kubeconfig), maxBuffer: 16 * 1024 * 1024 });
      return { exitCode: 0, stdout, stderr };
    } catch (error) {
      const failure = error as { code?: number; stdout?: string; stderr?: string };
      return { exitCode: typeof failure.code === 'number' ? failure.code : 1, stdout: failure.stdout ?? '', stderr: failure.stderr ?? '' };
    }
  }

  /** `helm history` of a release, oldest first (revision, status, description); empty when it is not installed. */
  async helmHistory(namespace: string, release: string): Promise<HelmHistoryEntry[]> {
    const history = await this.helm(['history', release, '--namespace', namespace, '--output', 'json']);
    if (history.exitCode !== 0) return [];
    return (JSON.parse(history.stdout) as HelmHistoryEntry[]).map(({ revision, status, description }) => ({ revision, status, description }));
  }

  /** The `version` value of the revision that serves now (examples/chart's version value). */
  async deployedVersion(namespace: string, release: string): Promise<string> {
    const values = await this.helm(['get', 'values', release, '--namespace', namespace, '--output', 'json']);
    return (JSON.parse(values.stdout) as { version: string }).version;
  }
}

export interface HelmHistoryEntry {
  revision: number;
  status: string;
  description: string;
}

/** A scratch directory removed by the caller. */
export function scratchDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}
