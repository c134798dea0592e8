import { ConfigError, loadConfigFile, type ReleaseConfig } from '../../config';
import { allowedPrometheusServers, metricsServerRefusal, PROMETHEUS_SERVERS_ENV } from '../../config/metrics-servers';
import { durationMs, trackChecks, type CheckQuery } from '../../workflows/domain';
import type { CliIO } from '../output';
import { checkScrapeInterval } from '../scrape-check';

export interface ValidateOptions {
  config: string;
  values?: string;
  json?: boolean;
}

/**
 * The worker refuses a metricsServer it does not list (its Prometheus token goes only to its own
 * servers). The CLI can tell early when its environment lists them as the worker's does
 * (PROMETHEUS_URL, DOCUTAG_PROMETHEUS_SERVERS): then an unlisted one is a ConfigError (exit 2).
 * Returns whether it could check. Target local ignores metricsServer (the stack's Prometheus).
 */
export function checkMetricsServer(config: ReleaseConfig, source: string, env: NodeJS.ProcessEnv): boolean {
  if (config.target === 'local' || config.metricsServer === undefined) return true;
  if (!env.PROMETHEUS_URL && !env[PROMETHEUS_SERVERS_ENV]) return false;
  const refusal = metricsServerRefusal(allowedPrometheusServers({ PROMETHEUS_URL: env.PROMETHEUS_URL, DOCUTAG_PROMETHEUS_SERVERS: env[PROMETHEUS_SERVERS_ENV] }), config.metricsServer);
  if (refusal) throw new ConfigError(source, [{ path: 'metricsServer', message: refusal }]);
  return true;
}

/**
 * Exit 0 and the resolved config, or a ConfigError (exit 2, every bad field). Needs no server; when
 * it can reach the release's Prometheus it warns about an analysis interval shorter than two scrapes.
 */
export async function validateCommand(options: ValidateOptions, io: CliIO, env: NodeJS.ProcessEnv = {}): Promise<number> {
  const config = loadConfigFile(options.config, options.values ? { valuesFile: options.values } : {});
  const checked = checkMetricsServer(config, options.config, env);
  const notes = checked
    ? []
    : [`metricsServer ${config.metricsServer} must be one of the worker's Prometheus servers (PROMETHEUS_URL or ${PROMETHEUS_SERVERS_ENV} on the worker), or the worker refuses the release; set them here as on the worker to check it now.`];
  const scrape = await checkScrapeInterval(config, env);
  const warnings = scrape && 'warning' in scrape ? [scrape.warning] : [];
  if (scrape && 'note' in scrape) notes.push(scrape.note);
  // A direct release runs no analysis rounds.
  const checks = config.strategy === 'direct' ? [] : trackChecks(config, durationMs(config.analysis.interval));
  if (options.json) {
    io.out(JSON.stringify({ valid: true, config, checks, warnings, notes }, null, 2));
    return 0;
  }
  const lines = [
    `${options.config} is valid. Resolved config:`,
    JSON.stringify(config, null, 2),
    ...(checks.length ? [`Checks of each analysis round (${config.traffic.canaryService}, against ${config.traffic.primaryService} where a bound says so):`, ...checks.map(checkSummary)] : []),
    ...notes.map((note) => `Note: ${note}`),
  ];
  io.out(lines.join('\n'));
  for (const warning of warnings) io.err(`Warning: ${warning}`);
  return 0;
}

/** `  request-success-rate-vs-primary  at least the primary − 0.5 points  [dry-run]` */
function checkSummary(check: CheckQuery): string {
  // A success rate moves in percentage points; a percent change is of the primary's value.
  const unit = check.reference?.change === 'percent' ? '%' : check.reference && check.unit === '%' ? ' points' : check.unit;
  const bound = check.reference
    ? `${check.bound === 'min' ? 'at least' : 'at most'} the primary ${check.bound === 'min' ? '−' : '+'} ${check.threshold}${unit}`
    : `${check.bound === 'min' ? 'at least' : 'at most'} ${check.threshold}${unit}`;
  return `  ${check.name}  ${bound}${check.dryRun ? '  [dry-run]' : ''}`;
}
