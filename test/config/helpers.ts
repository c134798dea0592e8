import path from 'node:path';
import { ConfigError } from '../../src/config';

/** A path under test/fixtures/config. */
export const fixture = (name: string) => path.join(__dirname, '..', 'fixtures', 'config', name);

/** The smallest valid config, to which each test adds the field it is about. */
export const validConfig = () => ({ service: { name: 'docutag-controller', namespace: 'docutag' }, helm: { chart: './chart' } }) as Record<string, any>;

/** Runs `fn` and returns the ConfigError it threw; fails when it threw something else or nothing. */
export function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw new Error(`expected a ConfigError, got ${String(error)}`);
  }
  throw new Error('expected a ConfigError, but the config was accepted');
}
