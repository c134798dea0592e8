import { spawn, type ChildProcess } from 'node:child_process';
import { connectWhenServing } from '../../src/support/temporal';
import { freePort, toolPath } from '../../src/support/tools';

export interface DevServer {
  address: string;
  port: number;
  stop(): Promise<void>;
  /** Stops and starts the server again on the same port and database file. */
  restart(): Promise<void>;
}

/** A real Temporal dev server (CLI v1.5.1), headless, on a free port, with a SQLite file if given. */
export async function startDevServer(options: { dbFile?: string; port?: number } = {}): Promise<DevServer> {
  const binary = toolPath('temporal');
  const port = options.port ?? (await freePort());
  const address = `127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const launch = async () => {
    const args = ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'error',
      '--dynamic-config-value', 'frontend.enableServerVersionCheck=false'];
    if (options.dbFile) args.push('--db-filename', options.dbFile);
    child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    await (await connectWhenServing(address, 60_000)).close();
  };
  const stop = async () => {
    const running = child;
    if (!running || running.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGTERM');
      setTimeout(() => running.kill('SIGKILL'), 10_000).unref();
    });
  };
  await launch();
  return { address, port, stop, restart: async () => { await stop(); await launch(); } };
}
