import { ConfigError, loadConfigFile, type ReleaseConfig } from '../../config';
import { allowedPrometheusServers, metricsServerRefusal, PROMETHEUS_SERVERS_ENV } from '../../config/metrics-servers';
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
  if (options.json) {
    io.out(JSON.stringify({ valid: true, config, warnings, notes }, null, 2));
    return 0;
  }
  const lines = [`${options.config} is valid. Resolved config:`, JSON.stringify(config, null, 2), ...notes.map((note) => `Note: ${note}`)];
  io.out(lines.join('\n'));
  for (const warning of warnings) io.err(`Warning: ${warning}`);
  return 0;
}
