/*
 * The host's tools, shared by the local target, the demo, the benchmark and the tests: a free port,
 * and the binaries the project's scripts build or install once.
 */
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';

/** The project root: scripts/*.sh live under it (this file runs from src/support or dist/support). */
export const PROJECT_ROOT = path.resolve(__dirname, '../..');

/** A port nobody listens on right now (the OS picks it). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The path of a binary the project's script provides (building or installing it once). */
export function toolPath(script: 'temporal' | 'traefik' | 'prometheus', root = PROJECT_ROOT): string {
  try {
    return execFileSync('bash', [path.join(root, 'scripts', `${script}.sh`), 'path'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  } catch (error) {
    throw new Error(`scripts/${script}.sh could not provide ${script}: ${(error as Error).message}`);
  }
}
