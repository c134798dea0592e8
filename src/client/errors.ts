import { ConfigError } from '../config/errors';
import { EXIT_CODES } from '../workflows/types';
import type { CliIO } from './output';

/** A CLI error with its exit code and a message that says what to do. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_CODES.other,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The one error sink: prints every issue and returns the exit code. */
export function reportError(error: unknown, io: CliIO, json = false): number {
  if (error instanceof ConfigError) {
    if (json) io.out(JSON.stringify({ valid: false, source: error.source, issues: error.issues }, null, 2));
    else io.err(`${error.message}\nFix the fields above; \`docutag-release validate --config FILE\` checks a config without starting anything.`);
    return EXIT_CODES.badInput;
  }
  if (error instanceof CliError) {
    io.err(`error: ${error.message}`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (/ECONNREFUSED|UNAVAILABLE|Failed to connect|transport error|connect ETIMEDOUT/i.test(message)) {
    io.err(`error: cannot reach Temporal (${message}).\nStart it with \`npm run temporal\`, or set TEMPORAL_ADDRESS to your Temporal frontend.`);
    return EXIT_CODES.other;
  }
  io.err(`error: ${message}`);
  return EXIT_CODES.other;
}
