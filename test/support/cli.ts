import { runCli } from '../../src/client/cli';
import type { CliIO } from '../../src/client/output';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** Runs the CLI in-process against a Temporal server and captures what it prints (no terminal). */
export async function runCliCaptured(address: string, argv: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  let out = '';
  let err = '';
  const io: CliIO = { out: (text) => (out += `${text}\n`), err: (text) => (err += `${text}\n`), isTTY: false };
  const code = await runCli(argv, io, { ...process.env, TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: 'default', ...env });
  return { code, out, err };
}
