import path from 'node:path';
import { ConfigError } from '../../src/config';

export const fixture = (name: string) => path.join(__dirname, '..', 'fixtures', 'config', name);

/** Runs `fn`, which must throw a ConfigError, and returns that error. */
export function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw new Error(`expected a ConfigError, got ${String(error)}`);
  }
  throw new Error('expected a ConfigError, but the config was accepted');
}

export const issuePaths = (error: ConfigError) => error.issues.map((issue) => issue.path);
