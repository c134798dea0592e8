import { spawn } from 'node:child_process';

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs a program; injected into adapters so tests can record or replace what runs. */
export interface CommandRunner {
  run(args: { command: string; args: string[]; timeoutMs: number; env?: NodeJS.ProcessEnv; onTick?: () => void }): Promise<CommandResult>;
}

/** Output kept per stream: helm can print whole manifests; errors need only the end. */
const MAX_OUTPUT_CHARS = 64 * 1024;

/** Spawns the program without a shell (arguments are never interpreted) and kills it at the timeout. */
export function createProcessRunner(): CommandRunner {
  return {
    run({ command, args, timeoutMs, env, onTick }) {
      return new Promise((resolve, reject) => {
        const child = spawn(command, args, { env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        const keep = (text: string, chunk: Buffer) => (text + chunk.toString()).slice(-MAX_OUTPUT_CHARS);
        child.stdout.on('data', (chunk: Buffer) => (stdout = keep(stdout, chunk)));
        child.stderr.on('data', (chunk: Buffer) => (stderr = keep(stderr, chunk)));
        const tick = onTick ? setInterval(onTick, 5_000) : undefined;
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        const done = () => {
          clearTimeout(timer);
          if (tick) clearInterval(tick);
        };
        child.on('error', (error) => {
          done();
          reject(new Error(`cannot run ${command}: ${error.message}`));
        });
        child.on('close', (code, signal) => {
          done();
          if (signal === 'SIGKILL' && code === null) stderr += `\n${command} killed after ${timeoutMs}ms`;
          resolve({ exitCode: code ?? 1, stdout, stderr });
        });
      });
    },
  };
}
