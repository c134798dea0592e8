import { Command, CommanderError } from 'commander';
import { EXIT_CODES } from '../workflows/types';
import { registerCommands, type WorkerRunner } from './commands/register';
import { reportError } from './errors';
import { processIO, type CliIO } from './output';

/**
 * Runs the CLI on `argv` (without node and script) and returns the exit code. Thin: it wires the
 * commands, each in its own file, and sends every error to one sink. `runWorker` is the `worker`
 * command, given by the entry point (bin/docutag-release.js).
 */
export async function runCli(argv: string[], io: CliIO = processIO, env: NodeJS.ProcessEnv = process.env, runWorker?: WorkerRunner): Promise<number> {
  let exitCode = 0;
  let json = false;
  const program = new Command('docutag-release')
    .description('Progressive delivery for Helm services behind Traefik, as durable Temporal workflows')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.out(text), writeErr: (text) => io.err(text) })
    .showSuggestionAfterError();
  const run = (action: (...args: any[]) => Promise<number> | number) => async (...args: any[]) => {
    const options = args.find((arg) => typeof arg === 'object' && arg !== null && !(arg instanceof Command)) as { json?: boolean } | undefined;
    json = !!options?.json;
    exitCode = await action(...args);
  };
  registerCommands(program, run, io, env, runWorker);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
      return EXIT_CODES.badInput;
    }
    return reportError(error, io, json);
  }
  return exitCode;
}
