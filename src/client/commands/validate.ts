import { loadConfigFile } from '../../config';
import type { CliIO } from '../output';

export interface ValidateOptions {
  config: string;
  values?: string;
  json?: boolean;
}

/** Exit 0 and the resolved config, or a ConfigError (exit 2, every bad field). Needs no server. */
export function validateCommand(options: ValidateOptions, io: CliIO): number {
  const config = loadConfigFile(options.config, options.values ? { valuesFile: options.values } : {});
  io.out(options.json ? JSON.stringify({ valid: true, config }, null, 2) : `${options.config} is valid. Resolved config:\n${JSON.stringify(config, null, 2)}`);
  return 0;
}
