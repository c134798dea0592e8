import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { Deployer, HelmTarget, ReadinessChecker, ReleaseHistoryEntry, ReleaseRevision, TestRun } from '../../activities/ports';
import { freePort } from '../../support/tools';
import type { LocalEndpoints } from './endpoints';

/**
 * How one track of a service runs on target `local` (the config's `local:` block).
 * `command` is a shell command line started once per release revision, with `PORT` (a free port),
 * `VERSION` and the release's set values in its environment; it must serve HTTP on 127.0.0.1:$PORT.
 */
export interface LocalTrackConfig {
  /** Shell command line, e.g. `node examples/demo-app/server.js`, run from the deployer's `cwd`. */
  command: string;
  /** Path answered 200 once the process serves (readiness), e.g. `/healthz`. */
  healthPath: string;
  /** Shell command line of the track's tests (the `helm test` of this target); it gets the base URL as env TARGET_URL. */
  testCommand?: string;
}

/**
 * A HelmTarget that may carry the local block. The workflow passes HelmTarget objects built from the
 * config; once they carry `local`, each call uses it. Until then (and for a worker that serves one
 * config, like the demo's) the deployer's `local` option applies.
 */
export type LocalHelmTarget = HelmTarget & { local?: LocalTrackConfig };

export interface LocalProcessDeployerOptions {
  /** Where each release listens; the router subscribes to it. */
  endpoints: LocalEndpoints;
  /** The local block used when a target carries none. */
  local?: LocalTrackConfig;
  /** Working directory of every command (default: this process's). */
  cwd?: string;
  /** When set, each process's output is appended to `<logDir>/<namespace>-<release>-r<revision>.log`. */
  logDir?: string;
  /**
   * ms between moving a release's endpoint to its new process and stopping the old one, for
   * requests the proxy had already routed to the old address (default 1000).
   */
  drainMs?: number;
  /** ms a process gets to exit after SIGTERM before SIGKILL (default 10000). */
  stopTimeoutMs?: number;
  /** ms between two readiness probes (default 100). */
  probeIntervalMs?: number;
  /** Called while waiting, so long activities heartbeat. */
  onTick?: () => void;
  /** One line per process started or stopped (default: silent). */
  log?: (line: string) => void;
}

/** A local release could not be installed, rolled back or found; the message names it and quotes the process. */
export class LocalProcessError extends Error {
  constructor(action: string, namespace: string, release: string, detail: string) {
    super(`local ${action} ${namespace}/${release} failed: ${detail}`);
    this.name = 'LocalProcessError';
  }
}

interface RevisionRecord {
  revision: number;
  version: string;
  /** The set values (target.set + extraSet) as strings, as helm --set-string would keep them. */
  values: Record<string, string>;
  local: LocalTrackConfig;
  status: string;
  description: string;
  updated: string;
}

interface RunningProcess {
  revision: number;
  version: string;
  url: string;
  child: ChildProcess;
  /** Last lines of the process's output, quoted in errors. */
  tail: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exited: boolean;
}

interface ReleaseState {
  history: RevisionRecord[];
  running: RunningProcess | null;
}

const HOST = '127.0.0.1';
const OUTPUT_TAIL_CHARS = 4000;
const PROBE_TIMEOUT_MS = 1000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The HTTP status of GET `url` (0 when it could not connect or timed out). */
export function probe(url: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<number> {
  return new Promise((resolve) => {
    const request = http.get(url, { agent: false, timeout: timeoutMs }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
      response.on('error', () => resolve(0));
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(0));
  });
}

/** Set values become environment variables: a key that is no valid name (`fault.rate`) becomes `FAULT_RATE`. */
export function envName(key: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) return key;
  const name = key.replace(/[^A-Za-z0-9_]/g, '_').toUpperCase();
  return /^[0-9]/.test(name) ? `_${name}` : name;
}

/**
 * Deployer (and ReadinessChecker) of target `local`: each Helm release is one local process of the
 * configured command, on a free port of 127.0.0.1.
 *
 * - install: starts the new revision's process, waits for `healthPath` to answer 200 (within
 *   `target.timeoutMs`), moves the release's endpoint to it (awaiting the router), waits `drainMs`,
 *   then stops the old process: an upgrade loses no request. A process that exits or stays
 *   unhealthy fails the install, is stopped, and leaves the old process serving (helm's
 *   `upgrade --wait` failing leaves the old pods too); its revision is recorded as `failed`.
 * - revisions and history are kept as helm keeps them (rollback = a new revision of an old spec);
 *   uninstall forgets them. State lives in this object: a new worker starts with no releases, so
 *   `stopAll()` must run when the stack stops.
 * - test: runs `testCommand` with env TARGET_URL (the release's base URL), RELEASE, NAMESPACE and
 *   VERSION; exit 0 passes. No testCommand passes with a note.
 */
export class LocalProcessDeployer implements Deployer, ReadinessChecker {
  private readonly releases = new Map<string, ReleaseState>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly drainMs: number;
  private readonly stopTimeoutMs: number;
  private readonly probeIntervalMs: number;

  constructor(private readonly options: LocalProcessDeployerOptions) {
    this.drainMs = options.drainMs ?? 1000;
    this.stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
    this.probeIntervalMs = options.probeIntervalMs ?? 100;
    if (options.logDir) mkdirSync(options.logDir, { recursive: true });
  }

  private static key(namespace: string, release: string): string {
    return `${namespace}/${release}`;
  }

  /** Runs the release's operations one at a time, in call order. */
  private serialized<T>(namespace: string, release: string, action: () => Promise<T>): Promise<T> {
    const key = LocalProcessDeployer.key(namespace, release);
    const previous = this.queues.get(key) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(action);
    this.queues.set(key, next);
    return next;
  }

  private localOf(target: HelmTarget, action: string, release: string): LocalTrackConfig {
    const local = (target as LocalHelmTarget).local ?? this.options.local;
    if (!local) throw new LocalProcessError(action, target.namespace, release, 'no local command: set local.command in the config (target: local)');
    return local;
  }

  private static describeRecord(release: string, record: RevisionRecord): ReleaseRevision {
    return { release, revision: record.revision, version: record.version, status: record.status };
  }

  /** Where the release serves now (`http://127.0.0.1:<port>`), or undefined. */
  urlOf(namespace: string, release: string): string | undefined {
    return this.releases.get(LocalProcessDeployer.key(namespace, release))?.running?.url;
  }

  /** The pid of the release's process, which is also its process group id (a simple command is exec'd by the shell), or undefined. */
  pidOf(namespace: string, release: string): number | undefined {
    return this.releases.get(LocalProcessDeployer.key(namespace, release))?.running?.child.pid;
  }

  async describe({ target, release, revision }: { target: HelmTarget; release: string; revision?: number }): Promise<ReleaseRevision | null> {
    const state = this.releases.get(LocalProcessDeployer.key(target.namespace, release));
    if (!state || state.history.length === 0) return null;
    const record = revision === undefined ? state.history[state.history.length - 1] : state.history.find((entry) => entry.revision === revision);
    return record ? LocalProcessDeployer.describeRecord(release, record) : null;
  }

  async history({ target, release, max }: { target: HelmTarget; release: string; max: number }): Promise<ReleaseHistoryEntry[]> {
    const state = this.releases.get(LocalProcessDeployer.key(target.namespace, release));
    return (state?.history ?? []).slice(-max).map((record) => ({
      revision: record.revision,
      status: record.status,
      description: record.description,
      appVersion: record.version,
      updated: record.updated,
    }));
  }

  async install({ target, release, version, extraSet = {} }: { target: HelmTarget; release: string; version: string; extraSet?: Record<string, string | number | boolean> }): Promise<ReleaseRevision> {
    return this.serialized(target.namespace, release, async () => {
      const local = this.localOf(target, 'install', release);
      const values = Object.fromEntries(Object.entries({ ...target.set, ...extraSet }).map(([key, value]) => [key, String(value)]));
      const installed = (this.releases.get(LocalProcessDeployer.key(target.namespace, release))?.history.length ?? 0) > 0;
      return this.deploy(target, release, { version, values, local }, installed ? 'Upgrade complete' : 'Install complete');
    });
  }

  async rollback({ target, release, revision }: { target: HelmTarget; release: string; revision: number }): Promise<ReleaseRevision> {
    return this.serialized(target.namespace, release, async () => {
      const state = this.releases.get(LocalProcessDeployer.key(target.namespace, release));
      const record = state?.history.find((entry) => entry.revision === revision);
      if (!record) throw new LocalProcessError('rollback', target.namespace, release, `it has no revision ${revision}`);
      return this.deploy(target, release, { version: record.version, values: record.values, local: record.local }, `Rollback to ${revision}`);
    });
  }

  async uninstall({ target, release }: { target: HelmTarget; release: string }): Promise<void> {
    return this.serialized(target.namespace, release, async () => {
      const key = LocalProcessDeployer.key(target.namespace, release);
      const state = this.releases.get(key);
      if (!state) return;
      const running = state.running;
      if (running) {
        await this.options.endpoints.set(target.namespace, release, null);
        await sleep(this.drainMs);
        await this.stop(running, `${key} uninstalled`);
      }
      this.releases.delete(key);
    });
  }

  async test({ target, release, timeoutMs }: { target: HelmTarget; release: string; timeoutMs: number }): Promise<TestRun> {
    const state = this.releases.get(LocalProcessDeployer.key(target.namespace, release));
    const running = state?.running;
    if (!state || !running || running.exited) return { passed: false, output: `release ${target.namespace}/${release} is not running` };
    const record = state.history.find((entry) => entry.revision === running.revision);
    const testCommand = ((target as LocalHelmTarget).local ?? record?.local ?? this.options.local)?.testCommand;
    if (!testCommand) return { passed: true, output: 'no local.testCommand configured: nothing to run' };
    const env = { ...process.env, TARGET_URL: running.url, RELEASE: release, NAMESPACE: target.namespace, VERSION: running.version };
    const result = await this.runCommand(testCommand, env, timeoutMs);
    return { passed: result.exitCode === 0, output: result.output.trim().slice(-2000) || `exit code ${result.exitCode}` };
  }

  async waitReady({ namespace, name, timeoutMs, onProgress }: { namespace: string; name: string; timeoutMs: number; onProgress?: (detail: string) => void }): Promise<void> {
    const state = this.releases.get(LocalProcessDeployer.key(namespace, name));
    const record = state?.history.find((entry) => entry.revision === state.running?.revision);
    if (!state?.running || !record) throw new LocalProcessError('readiness of', namespace, name, 'no process of it is running');
    await this.waitHealthy(state.running, record.local.healthPath, timeoutMs, onProgress);
  }

  /** Stops every process this deployer started (the stack's shutdown); endpoints are left as they are. */
  async stopAll(): Promise<void> {
    const running = [...this.releases].flatMap(([key, state]) => (state.running ? [{ key, process: state.running }] : []));
    this.releases.clear();
    await Promise.all(running.map(({ key, process }) => this.stop(process, `${key} stack stopped`)));
  }

  private async deploy(target: HelmTarget, release: string, spec: { version: string; values: Record<string, string>; local: LocalTrackConfig }, description: string): Promise<ReleaseRevision> {
    const key = LocalProcessDeployer.key(target.namespace, release);
    const state = this.releases.get(key) ?? { history: [], running: null };
    this.releases.set(key, state);
    const record: RevisionRecord = {
      revision: (state.history[state.history.length - 1]?.revision ?? 0) + 1,
      ...spec,
      status: state.history.length ? 'pending-upgrade' : 'pending-install',
      description,
      updated: new Date().toISOString(),
    };
    state.history.push(record);
    const fail = async (started: RunningProcess | undefined, detail: string): Promise<never> => {
      record.status = 'failed';
      record.description = `${description.replace(/ complete$/, '')} failed: ${detail}`;
      if (started) await this.stop(started, `${key} r${record.revision} failed`);
      throw new LocalProcessError(description.startsWith('Rollback') ? 'rollback' : 'install', target.namespace, release, detail);
    };

    let started: RunningProcess | undefined;
    try {
      started = await this.start(target.namespace, release, record);
      await this.waitHealthy(started, spec.local.healthPath, target.timeoutMs);
    } catch (error) {
      return fail(started, (error as Error).message);
    }
    const previous = state.running;
    try {
      await this.options.endpoints.set(target.namespace, release, started.url);
    } catch (error) {
      // Put the old address back so the router and the registry agree again, then give up the new process.
      await this.options.endpoints.set(target.namespace, release, previous?.url ?? null).catch(() => undefined);
      return fail(started, `the new process is healthy but traffic could not be moved to it: ${(error as Error).message}`);
    }
    state.running = started;
    for (const entry of state.history) if (entry !== record && entry.status === 'deployed') entry.status = 'superseded';
    record.status = 'deployed';
    if (previous) {
      await sleep(this.drainMs);
      await this.stop(previous, `${key} r${previous.revision} replaced by r${record.revision}`);
    }
    return LocalProcessDeployer.describeRecord(release, record);
  }

  private async start(namespace: string, release: string, record: RevisionRecord): Promise<RunningProcess> {
    const port = await freePort();
    const values = Object.fromEntries(Object.entries(record.values).map(([name, value]) => [envName(name), value]));
    const env = { ...process.env, ...values, VERSION: record.version, PORT: String(port) };
    // detached: the command gets its own process group, so stopping it also stops what the shell started.
    const child = spawn('/bin/sh', ['-c', shellLine(record.local.command)], { cwd: this.options.cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const logFile = this.options.logDir ? path.join(this.options.logDir, `${namespace}-${release}-r${record.revision}.log`) : undefined;
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-OUTPUT_TAIL_CHARS);
      if (logFile) appendFileSync(logFile, chunk);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const running: RunningProcess = {
      revision: record.revision,
      version: record.version,
      url: `http://${HOST}:${port}`,
      child,
      tail: () => output.trim().split('\n').slice(-5).join(' | '),
      exited: false,
      exit: new Promise((resolve) => {
        child.once('error', (error) => {
          output += `\ncannot start: ${error.message}`;
          running.exited = true;
          resolve({ code: null, signal: null });
        });
        child.once('exit', (code, signal) => {
          running.exited = true;
          resolve({ code, signal });
        });
      }),
    };
    this.options.log?.(`started ${namespace}/${release} r${record.revision} (${record.version}) pid ${child.pid} on ${running.url}`);
    return running;
  }

  private async waitHealthy(running: RunningProcess, healthPath: string, timeoutMs: number, onProgress?: (detail: string) => void): Promise<void> {
    const url = `${running.url}${healthPath}`;
    const deadline = Date.now() + timeoutMs;
    let status = 0;
    for (;;) {
      if (running.exited) {
        const { code, signal } = await running.exit;
        throw new Error(`the process exited (${signal ?? `code ${code}`}) before ${healthPath} answered 200: ${running.tail() || '(no output)'}`);
      }
      status = await probe(url);
      if (status === 200) return;
      if (Date.now() >= deadline) break;
      this.options.onTick?.();
      onProgress?.(`${url} answered ${status || 'nothing'}`);
      await sleep(this.probeIntervalMs);
    }
    throw new Error(`${url} did not answer 200 within ${timeoutMs}ms (last: ${status || 'no answer'}): ${running.tail() || '(no output)'}`);
  }

  /**
   * SIGTERM to the process group, SIGKILL to what is left after `stopTimeoutMs`; resolves once no
   * process of the group runs (the group may outlive its leader: a compound command's shell).
   */
  private async stop(running: RunningProcess, why: string): Promise<void> {
    const pgid = running.child.pid;
    if (pgid !== undefined && (!running.exited || liveGroupMembers(pgid).length > 0)) {
      signalGroup(pgid, 'SIGTERM');
      const deadline = Date.now() + this.stopTimeoutMs;
      while ((!running.exited || liveGroupMembers(pgid).length > 0) && Date.now() < deadline) await sleep(50);
      if (!running.exited || liveGroupMembers(pgid).length > 0) {
        signalGroup(pgid, 'SIGKILL');
        await running.exit;
      }
    }
    this.options.log?.(`stopped pid ${pgid ?? '?'} (${why})`);
  }

  private runCommand(command: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ exitCode: number; output: string }> {
    return new Promise((resolve) => {
      const child = spawn('/bin/sh', ['-c', shellLine(command)], { cwd: this.options.cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-OUTPUT_TAIL_CHARS));
      child.stdout?.on('data', keep);
      child.stderr?.on('data', keep);
      const tick = this.options.onTick ? setInterval(this.options.onTick, 5_000) : undefined;
      const timer = setTimeout(() => {
        output += `\nkilled after ${timeoutMs}ms`;
        if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
      }, timeoutMs);
      const done = (exitCode: number) => {
        clearTimeout(timer);
        if (tick) clearInterval(tick);
        resolve({ exitCode, output });
      };
      child.once('error', (error) => {
        output += `\ncannot run ${command}: ${error.message}`;
        done(127);
      });
      child.once('close', (code) => done(code ?? 1));
    });
  }
}

/**
 * The shell line that runs `command`. A simple command is `exec`ed, so the shell becomes the
 * program: signals reach it directly and its exit is the process's exit (dash, Debian's sh, would
 * otherwise fork it and die at once on SIGTERM, leaving the program draining on its own). A
 * compound command (`;`, `&`, `|`, parentheses, newlines) runs under the shell as written.
 */
export function shellLine(command: string): string {
  return /[;&|()\n]/.test(command) ? command : `exec ${command}`;
}

/**
 * Pids of the group's processes that still run (zombies excluded: an orphan's zombie waits for
 * pid 1 to reap it, which may never happen in a container). Reads /proc; where there is none, the
 * group counts as alive while it can be signalled.
 */
export function liveGroupMembers(pgid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    try {
      process.kill(-pgid, 0);
      return [pgid];
    } catch {
      return [];
    }
  }
  const live: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // pid (comm) state ppid pgrp ...; comm may contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') live.push(Number(entry));
  }
  return live;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}
