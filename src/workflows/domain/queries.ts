import type { MetricReading } from './analysis';
import { promRange } from './duration';

/** A check to run: the rendered PromQL and how its value is judged. */
export interface CheckQuery extends Omit<MetricReading, 'outcome'> {
  query: string;
}

/** What `metricChecks` needs from the config. */
export interface MetricChecksInput {
  namespace: string;
  interval: string;
  /** Where the service runs; picks how Traefik names the measured service (default `kubernetes`). */
  target?: 'kubernetes' | 'local';
  requestSuccessRate: { enabled: boolean; threshold: number };
  requestDuration: { enabled: boolean; threshold: number };
  custom: Array<{ name: string; query: string; min?: number; max?: number }>;
}

/**
 * Traefik names a Kubernetes service `<namespace>-<service>-<port>@kubernetescrd`. Matching the port
 * as digits keeps `shop-web` from also matching `shop-web-canary-80`.
 */
export function traefikServicePattern(namespace: string, service: string): string {
  return `${namespace}-${service}-[0-9]+@kubernetescrd`;
}

/**
 * On target `local` Traefik's file provider names a track's service `<namespace>-<release>@file`
 * (the tracks' services are their releases there). Regex-escaped; PromQL anchors `=~`, so
 * `shop-web@file` never matches `shop-web-canary@file`. The same text as the adapter's
 * fileProviderServicePattern (traefik-file-router.ts), which workflow code cannot import.
 */
export function fileProviderServicePattern(namespace: string, service: string): string {
  return `${namespace}-${service}@file`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The service pattern of the measured track on the given target. */
export function servicePatternFor(target: MetricChecksInput['target'], namespace: string, service: string): string {
  return target === 'local' ? fileProviderServicePattern(namespace, service) : traefikServicePattern(namespace, service);
}

/** Replaces Flagger's `{{ namespace }}`, `{{ target }}`, `{{ interval }}` placeholders. */
export function renderTemplate(template: string, values: { namespace: string; target: string; interval: string }): string {
  return template.replace(/\{\{\s*(namespace|target|interval)\s*\}\}/g, (_, key: keyof typeof values) => values[key]);
}

/**
 * The checks of one analysis round for the measured track's Kubernetes Service (the canary, green,
 * or the primary after a drill): Flagger's Traefik success rate (%) and p99 (ms), then custom queries.
 * The service pattern follows `input.target` unless given.
 */
export function metricChecks(input: MetricChecksInput, measuredService: string, servicePattern = servicePatternFor(input.target, input.namespace, measuredService)): CheckQuery[] {
  const range = promRange(input.interval);
  const selector = `service=~"${servicePattern}"`;
  const checks: CheckQuery[] = [];
  if (input.requestSuccessRate.enabled) {
    checks.push({
      name: 'request-success-rate',
      bound: 'min',
      threshold: input.requestSuccessRate.threshold,
      unit: '%',
      // `or vector(0)`: a track answering only 5xx has no non-5xx series at all, and Flagger's template
      // would read "no data" (not a breach for the guard); with it, traffic that all fails reads 0%.
      // Without any traffic the denominator stays empty: still no data.
      query:
        `(sum(rate(traefik_service_request_duration_seconds_bucket{${selector},code!~"5..",le="+Inf"}[${range}])) or vector(0)) / ` +
        `sum(rate(traefik_service_request_duration_seconds_bucket{${selector},le="+Inf"}[${range}])) * 100`,
    });
  }
  if (input.requestDuration.enabled) {
    checks.push({
      name: 'request-duration',
      bound: 'max',
      threshold: input.requestDuration.threshold,
      unit: 'ms',
      query: `histogram_quantile(0.99, sum(rate(traefik_service_request_duration_seconds_bucket{${selector}}[${range}])) by (le)) * 1000`,
    });
  }
  for (const custom of input.custom) {
    const query = renderTemplate(custom.query, { namespace: input.namespace, target: measuredService, interval: range });
    if (custom.min !== undefined) checks.push({ name: custom.name, bound: 'min', threshold: custom.min, unit: '', query });
    if (custom.max !== undefined) checks.push({ name: custom.min !== undefined ? `${custom.name}-max` : custom.name, bound: 'max', threshold: custom.max, unit: '', query });
  }
  return checks;
}
