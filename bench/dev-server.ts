/**
 * The Temporal CLI dev server for one benchmark round: fresh SQLite file (or in memory), a free
 * port, headless, its /metrics endpoint on, and the dynamic config the benchmark records.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { connectWhenServing } from '../src/support/temporal';
import { freePort, toolPath } from '../src/support/tools';

/** The repository root (this file runs from bench/dist/bench/). */
export const ROOT = path.resolve(__dirname, '../../..');

export { freePort };

/** The Temporal CLI binary: PATH, .tools/bin, or built once by scripts/temporal.sh. */
export function temporalBinary(): string {
  return toolPath('temporal', ROOT);
}

export function temporalVersion(binary: string): string {
  try {
    return execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

export interface BenchServer {
  address: string;
  pid: number;
  metricsUrl: string;
  /** Size of the SQLite file(s) in bytes (0 in memory). */
  dbBytes(): number;
  /** Stops the server and removes its database files. */
  stop(): Promise<void>;
}

export interface BenchServerOptions {
  /** SQLite file; in memory when absent. Removed (with -wal/-shm) on stop. */
  dbFile?: string;
  /** `--dynamic-config-value` entries (values are JSON-encoded). */
  dynamicConfig: Record<string, unknown>;
  /** `--sqlite-pragma` entries, e.g. `{ journal_mode: 'WAL' }` (file databases). */
  sqlitePragmas: Record<string, string>;
  /** The server's own log (level warn) goes here. */
  logFile: string;
}

export async function startBenchServer(binary: string, options: BenchServerOptions): Promise<BenchServer> {
  const [port, metricsPort] = [await freePort(), await freePort()];
  const address = `127.0.0.1:${port}`;
  const args = ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--metrics-port', String(metricsPort), '--log-level', 'warn'];
  for (const [key, value] of Object.entries(options.dynamicConfig)) args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  if (options.dbFile) args.push('--db-filename', options.dbFile);
  for (const [key, value] of Object.entries(options.sqlitePragmas)) args.push('--sqlite-pragma', `${key}=${value}`);
  const log = openSync(options.logFile, 'w');
  const child = spawn(binary, args, { stdio: ['ignore', log, log] });
  closeSync(log);
  const dbFiles = options.dbFile ? [options.dbFile, `${options.dbFile}-wal`, `${options.dbFile}-shm`, `${options.dbFile}-journal`] : [];
  const stop = async () => {
    if (child.exitCode === null) {
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
      });
    }
    for (const file of dbFiles) rmSync(file, { force: true });
  };
  try {
    await (await connectWhenServing(address, 120_000, () => (child.exitCode !== null ? `exited with code ${child.exitCode}` : null))).close();
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    address,
    pid: child.pid!,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    dbBytes: () => dbFiles.reduce((total, file) => total + (statSync(file, { throwIfNoEntry: false })?.size ?? 0), 0),
    stop,
  };
}
