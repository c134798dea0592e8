import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Deployer, HelmTarget, ReleaseHistoryEntry, ReleaseRevision } from '../../activities/ports';
import type { CommandRunner } from '../../activities/adapters/command-runner';
import { TypedFailure } from '../../activities/failures';
import { helmFailureType } from './helm-failures';
import { valueAt, valuesDocument, type HelmValue } from './helm-values';

/** helm exited non-zero; the message quotes its stderr, the failure type says what it means. */
export class HelmCommandError extends TypedFailure {
  constructor(
    readonly action: string,
    readonly release: string,
    readonly stderr: string,
  ) {
    super(`helm ${action} ${release} failed: ${stderr.trim().split('\n').slice(-5).join(' | ') || '(no output)'}`, helmFailureType(stderr));
    this.name = 'HelmCommandError';
  }
}

export interface HelmDeployerOptions {
  runner: CommandRunner;
  /** The helm binary (env HELM_BIN); default `helm` on PATH. */
  helmBin?: string;
  /** Called while helm runs, so long activities heartbeat. */
  onTick?: () => void;
}

/**
 * helm's storage error for a missing release (`Error: release: not found`; uninstall wraps it as
 * `uninstall: Release not loaded: <name>: release: not found`). Any other "not found" (a kube
 * context, a kubeconfig) means helm could not look, which must not read as "not installed".
 */
const NOT_FOUND = /release: not found/i;
/** A `--timeout` value for helm: whole seconds, rounded up. */
const helmDuration = (ms: number) => `${Math.ceil(ms / 1000)}s`;

/** Margin over helm's own --timeout before the process is killed. */
const KILL_MARGIN_MS = 30_000;

/**
 * Runs `use` with a values file holding `entries` (JSON, readable only by the worker's user),
 * removed afterwards: helm gets every value whole and typed, whatever characters it holds.
 */
async function withValuesFile<T>(entries: Record<string, HelmValue>, use: (file: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'docutag-values-'));
  try {
    const file = path.join(dir, 'values.json');
    await writeFile(file, JSON.stringify(valuesDocument(entries)), { mode: 0o600 });
    return await use(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Deployer over the helm CLI: one Helm release per track. */
export class HelmDeployer implements Deployer {
  private readonly helmBin: string;

  constructor(private readonly options: HelmDeployerOptions) {
    this.helmBin = options.helmBin ?? 'helm';
  }

  private async helm(action: string, release: string, args: string[], target: HelmTarget, timeoutMs = target.timeoutMs) {
    const context = target.kubeContext ? ['--kube-context', target.kubeContext] : [];
    const result = await this.options.runner.run({
      command: this.helmBin,
      args: [...args, '--namespace', target.namespace, ...context],
      timeoutMs: timeoutMs + KILL_MARGIN_MS,
      onTick: this.options.onTick,
    });
    return { ...result, fail: () => new HelmCommandError(action, release, result.stderr || result.stdout) };
  }

  async describe({ target, release, revision }: { target: HelmTarget; release: string; revision?: number }): Promise<ReleaseRevision | null> {
    const at = revision === undefined ? [] : ['--revision', String(revision)];
    const status = await this.helm('status', release, ['status', release, ...at, '--output', 'json'], target);
    if (status.exitCode !== 0) {
      if (NOT_FOUND.test(status.stderr)) return null;
      throw status.fail();
    }
    const parsed = JSON.parse(status.stdout) as { version?: number; info?: { status?: string } };
    const values = await this.helm('get values', release, ['get', 'values', release, ...at, '--all', '--output', 'json'], target);
    if (values.exitCode !== 0) throw values.fail();
    return {
      release,
      revision: Number(parsed.version ?? revision ?? 0),
      version: valueAt(JSON.parse(values.stdout || '{}'), target.versionValue),
      status: parsed.info?.status ?? 'unknown',
    };
  }

  async history({ target, release, max }: { target: HelmTarget; release: string; max: number }): Promise<ReleaseHistoryEntry[]> {
    const result = await this.helm('history', release, ['history', release, '--max', String(max), '--output', 'json'], target);
    if (result.exitCode !== 0) {
      if (NOT_FOUND.test(result.stderr)) return [];
      throw result.fail();
    }
    let entries: unknown;
    try {
      entries = JSON.parse(result.stdout || '[]');
    } catch {
      throw new HelmCommandError('history', release, `unexpected output (expected JSON): ${result.stdout.slice(0, 200)}`);
    }
    if (!Array.isArray(entries)) throw new HelmCommandError('history', release, `unexpected output (expected a JSON list): ${result.stdout.slice(0, 200)}`);
    return entries
      .map((entry: Record<string, unknown>) => ({
        revision: Number(entry.revision),
        status: String(entry.status ?? 'unknown'),
        description: String(entry.description ?? ''),
        appVersion: typeof entry.app_version === 'string' && entry.app_version ? entry.app_version : null,
        updated: typeof entry.updated === 'string' ? entry.updated : null,
      }))
      .filter((entry) => Number.isInteger(entry.revision) && entry.revision > 0)
      .sort((a, b) => a.revision - b.revision);
  }

  /**
   * `helm upgrade --install --wait`: the config's values files, then one JSON values file with
   * helm.set, the extra values and the version (in that order of precedence, the version last).
   */
  async install({ target, release, version, extraSet = {}, recoverPending = false }: { target: HelmTarget; release: string; version: string; extraSet?: Record<string, HelmValue>; recoverPending?: boolean }) {
    if (recoverPending) await this.unlockPending(target, release);
    const values = target.valuesFiles.flatMap((file) => ['--values', file]);
    const result = await withValuesFile({ ...target.set, ...extraSet, [target.versionValue]: version }, (setFile) =>
      this.helm('upgrade', release, ['upgrade', release, target.chart, '--install', '--wait', '--timeout', helmDuration(target.timeoutMs), ...values, '--values', setFile], target),
    );
    if (result.exitCode !== 0) throw result.fail();
    const revision = await this.describe({ target, release });
    if (!revision) throw new HelmCommandError('upgrade', release, 'helm reported success but the release is not there');
    return revision;
  }

  /**
   * A release left pending-* by a helm process that died with the worker stays locked ("another
   * operation (install/upgrade/rollback) is in progress"). Unlocks it the way helm's users do: a
   * pending install never served and is uninstalled; a pending upgrade or rollback is rolled back to
   * the revision before it, which served until then.
   */
  private async unlockPending(target: HelmTarget, release: string): Promise<void> {
    const status = await this.helm('status', release, ['status', release, '--output', 'json'], target);
    if (status.exitCode !== 0) {
      if (NOT_FOUND.test(status.stderr)) return;
      throw status.fail();
    }
    const state = (JSON.parse(status.stdout) as { info?: { status?: string } }).info?.status ?? '';
    if (state === 'pending-install') {
      const removed = await this.helm('uninstall', release, ['uninstall', release, '--wait', '--timeout', helmDuration(target.timeoutMs)], target);
      if (removed.exitCode !== 0) throw removed.fail();
    } else if (state === 'pending-upgrade' || state === 'pending-rollback') {
      const rolledBack = await this.helm('rollback', release, ['rollback', release, '--wait', '--timeout', helmDuration(target.timeoutMs)], target);
      if (rolledBack.exitCode !== 0) throw rolledBack.fail();
    }
  }

  async test({ target, release, timeoutMs }: { target: HelmTarget; release: string; timeoutMs: number }) {
    const result = await this.helm('test', release, ['test', release, '--timeout', helmDuration(timeoutMs)], target, timeoutMs);
    const output = `${result.stdout}\n${result.stderr}`.trim().slice(-2000);
    return { passed: result.exitCode === 0, output };
  }

  async rollback({ target, release, revision }: { target: HelmTarget; release: string; revision: number }) {
    const result = await this.helm('rollback', release, ['rollback', release, String(revision), '--wait', '--timeout', helmDuration(target.timeoutMs)], target);
    if (result.exitCode !== 0) throw result.fail();
    const now = await this.describe({ target, release });
    if (!now) throw new HelmCommandError('rollback', release, 'the release is gone after the rollback');
    return now;
  }

  async uninstall({ target, release }: { target: HelmTarget; release: string }) {
    const result = await this.helm('uninstall', release, ['uninstall', release, '--wait'], target);
    if (result.exitCode !== 0 && !NOT_FOUND.test(result.stderr)) throw result.fail();
  }
}
