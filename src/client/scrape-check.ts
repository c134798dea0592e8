/*
 * `validate`'s look at the Prometheus a release will be measured on: its scrape interval, read from
 * `/api/v1/status/config` with the token of that server only (the same rule as the worker's), so
 * the config can be warned about before a healthy canary fails on "no data".
 */
import axios from 'axios';
import type { ReleaseConfig } from '../config';
import { allowedPrometheusServers, findPrometheusServer, PROMETHEUS_SERVERS_ENV } from '../config/metrics-servers';
import { scrapeIntervalOf, scrapeIntervalWarning, type ScrapeInterval } from '../config/scrape-interval';

/** The local stack's Prometheus scrapes Traefik every second (src/targets/local/stack.ts). */
const LOCAL_STACK_SCRAPE: ScrapeInterval = { ms: 1_000, source: "the local stack's Prometheus" };

/** What validate learnt: a warning, a note that it could not tell, or nothing to say. */
export type ScrapeCheck = { warning: string } | { note: string } | null;

export async function checkScrapeInterval(config: ReleaseConfig, env: NodeJS.ProcessEnv, timeoutMs = 5_000): Promise<ScrapeCheck> {
  if (config.target === 'local') {
    const warning = scrapeIntervalWarning(config.analysis.interval, LOCAL_STACK_SCRAPE);
    return warning ? { warning } : null;
  }
  const url = config.metricsServer ?? env.PROMETHEUS_URL;
  if (!url) return { note: 'set PROMETHEUS_URL (as on the worker) to check analysis.interval against the scrape interval' };
  const server = findPrometheusServer(allowedPrometheusServers({ PROMETHEUS_URL: env.PROMETHEUS_URL, DOCUTAG_PROMETHEUS_SERVERS: env[PROMETHEUS_SERVERS_ENV] }), url);
  const token = server?.tokenEnv ? env[server.tokenEnv] : undefined;
  let yaml: unknown;
  try {
    const response = await axios.get(`${url.replace(/\/+$/, '')}/api/v1/status/config`, {
      timeout: timeoutMs,
      headers: token ? { Authorization: `Bearer ${token}` } : {},
      // A server that is not listed gets no token: it may still answer its configuration.
    });
    yaml = (response.data as { data?: { yaml?: unknown } })?.data?.yaml;
  } catch (error) {
    const status = axios.isAxiosError(error) && error.response ? `answered ${error.response.status}` : (error as Error).message;
    return { note: `could not read the scrape interval from ${url}/api/v1/status/config (${status}); analysis.interval should be at least twice it` };
  }
  const scrape = typeof yaml === 'string' ? scrapeIntervalOf(yaml) : null;
  if (!scrape) return { note: `${url}/api/v1/status/config did not answer a Prometheus configuration; analysis.interval should be at least twice the scrape interval` };
  const warning = scrapeIntervalWarning(config.analysis.interval, scrape);
  return warning ? { warning } : null;
}
