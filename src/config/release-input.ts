import { ConfigError, type ConfigIssue } from './errors';
import { parseConfig } from './load';
import { RELEASE_VERSION_HINT, RELEASE_VERSION_PATTERN, type ReleaseConfig } from './schema';

/** Input of the `release` workflow. Holds no secret: it is shown in the Web UI. */
export interface ReleaseInput {
  config: ReleaseConfig;
  version: string;
  /** Who started it (CLI user), for the record. */
  requestedBy?: string;
  /** `start --override-window --reason`: the deployment windows and freezes do not apply; recorded with who and why. */
  windowOverride?: { by: string; reason: string };
}

/** What the worker found in a release workflow's input: every bad field, or the input as the schema resolves it. */
export type ReleaseInputCheck = { issues: ConfigIssue[]; input?: undefined } | { issues: []; input: ReleaseInput };

/** Why the worker would not act on what a config names (null: it would). */
export interface WorkerRefusals {
  /** A metricsServer whose tokens the worker does not hold. */
  metricsServer(metricsServer: string | undefined): string | null;
  /** A helm.kubeContext missing from the worker's kubeconfig. */
  kubeContext(context: string): string | null;
}

/**
 * The worker's check of a `release` input, with the schema the CLI uses: anyone who can start a
 * workflow on the task queue can send any input, not only what `start` validated. Field paths are
 * prefixed as in the input (`config.analysis.interval`, `version`).
 */
export function checkReleaseInput(input: unknown, refusals: WorkerRefusals): ReleaseInputCheck {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { issues: [{ path: '(input)', message: 'expected { config, version, requestedBy?, windowOverride? }: start releases with `docutag-release start`' }] };
  }
  const { config: raw, version, requestedBy, windowOverride } = input as Record<string, unknown>;
  const issues: ConfigIssue[] = [];
  if (typeof version !== 'string' || !RELEASE_VERSION_PATTERN.test(version)) issues.push({ path: 'version', message: `${JSON.stringify(version) ?? 'undefined'} is not a version: ${RELEASE_VERSION_HINT}` });
  if (requestedBy !== undefined && typeof requestedBy !== 'string') issues.push({ path: 'requestedBy', message: 'expected a user name (string) or nothing' });
  const override = windowOverride as { by?: unknown; reason?: unknown } | undefined;
  const overrideOk = override === undefined || (typeof override === 'object' && override !== null && typeof override.by === 'string' && typeof override.reason === 'string' && override.reason.trim() !== '');
  if (!overrideOk) issues.push({ path: 'windowOverride', message: 'expected { by, reason } with a reason: start --override-window --reason "why"' });
  const checked = checkConfigInput(raw, refusals);
  issues.push(...checked.issues);
  const config = checked.config;
  if (issues.length || !config) return { issues };
  return {
    issues: [],
    input: { config, version: version as string, ...(typeof requestedBy === 'string' ? { requestedBy } : {}), ...(override ? { windowOverride: { by: override.by as string, reason: override.reason as string } } : {}) },
  };
}

/**
 * The worker's check of a config in any workflow input (a release's, a drill's, a migration's): the
 * CLI's schema, then what the worker refuses to act on. Field paths start with `config.`.
 */
export function checkConfigInput(raw: unknown, refusals: WorkerRefusals): { issues: ConfigIssue[]; config?: ReleaseInput['config'] } {
  const issues: ConfigIssue[] = [];
  let config: ReleaseInput['config'] | undefined;
  try {
    config = parseConfig(raw, 'config');
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    issues.push(...error.issues.map((issue) => ({ path: issue.path === '(root)' ? 'config' : `config.${issue.path}`, message: issue.message })));
  }
  if (config && config.target !== 'local') {
    const refusal = refusals.metricsServer(config.metricsServer);
    if (refusal) issues.push({ path: 'config.metricsServer', message: refusal });
    const contextRefusal = config.helm.kubeContext ? refusals.kubeContext(config.helm.kubeContext) : null;
    if (contextRefusal) issues.push({ path: 'config.helm.kubeContext', message: contextRefusal });
  }
  return config && !issues.length ? { issues, config } : { issues };
}
