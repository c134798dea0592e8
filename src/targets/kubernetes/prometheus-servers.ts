import axios from 'axios';
import { findPrometheusServer, metricsServerRefusal, type PrometheusServer } from '../../config/metrics-servers';
import { PrometheusMetricsProvider } from '../../activities/adapters/prometheus-metrics';
import { FAILURE_TYPES, TypedFailure } from '../../activities/failures';
import type { MetricsProvider } from '../../activities/ports';

/** The worker's Prometheus settings (readWorkerEnv reads them): the default server, the listed ones with their tokens. */
export interface PrometheusEnv {
  PROMETHEUS_URL?: string | undefined;
  PROMETHEUS_TIMEOUT_MS: number;
  prometheusServers: PrometheusServer[];
}

/** A config named a Prometheus server the worker does not list; nothing was sent to it. */
export class MetricsServerRefusedError extends TypedFailure {
  constructor(message: string) {
    super(message, FAILURE_TYPES.metricsServer);
    this.name = 'MetricsServerRefusedError';
  }
}

/**
 * The worker's `metricsFor`: a provider per allowed Prometheus server, each sending only its own
 * token. No config URL gets a provider unless the worker's environment lists it (PROMETHEUS_URL or
 * DOCUTAG_PROMETHEUS_SERVERS); one that is not listed throws MetricsServerRefusedError before any
 * request is made.
 */
export function createMetricsServers(env: PrometheusEnv): (serverUrl?: string) => MetricsProvider {
  const providers = new Map<string, MetricsProvider>();
  const unconfigured: MetricsProvider = {
    query: async () => ({ kind: 'error', message: 'no Prometheus configured: set PROMETHEUS_URL on the worker (or list the config\'s metricsServer in DOCUTAG_PROMETHEUS_SERVERS)' }),
  };
  return (serverUrl) => {
    const wanted = serverUrl ?? env.PROMETHEUS_URL;
    if (!wanted) return unconfigured;
    const server = findPrometheusServer(env.prometheusServers, wanted);
    if (!server) throw new MetricsServerRefusedError(metricsServerRefusal(env.prometheusServers, wanted) ?? `metricsServer ${wanted} is not allowed`);
    let provider = providers.get(server.url);
    if (!provider) {
      const headers = server.token ? { Authorization: `Bearer ${server.token}` } : {};
      provider = new PrometheusMetricsProvider(axios.create({ baseURL: server.url, timeout: env.PROMETHEUS_TIMEOUT_MS, headers }));
      providers.set(server.url, provider);
    }
    return provider;
  };
}
