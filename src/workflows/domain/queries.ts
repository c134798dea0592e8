import type { MetricReading, RelativeChange } from './analysis';
import { promRange } from './duration';
import type { ComparedQuery } from './mann-whitney';

/** A check to run: the rendered PromQL and how its value is judged. */
export interface CheckQuery extends Omit<MetricReading, 'outcome' | 'referenceOutcome'> {
  query: string;
  /** A bound against the primary: its query, run in the same round (`threshold` is then the allowed change). */
  reference?: { query: string; change: RelativeChange };
}

/** The bounds a check may carry against the primary, as the config names them. */
export interface RelativeBounds {
  maxDecrease?: number | undefined;
  maxDecreasePercent?: number | undefined;
  maxIncrease?: number | undefined;
  maxIncreasePercent?: number | undefined;
  dryRun?: boolean | undefined;
}

/** Each relative bound of a check: which way, and whether the allowed change is in the check's unit or in percent of the primary's value. */
const RELATIVE_BOUNDS = [
  { key: 'maxDecrease', bound: 'min', change: 'absolute', suffix: 'decrease' },
  { key: 'maxDecreasePercent', bound: 'min', change: 'percent', suffix: 'decrease-percent' },
  { key: 'maxIncrease', bound: 'max', change: 'absolute', suffix: 'increase' },
  { key: 'maxIncreasePercent', bound: 'max', change: 'percent', suffix: 'increase-percent' },
] as const;

/** Where the primary is measured for relative bounds: its service (the `{{ target }}` of custom queries) and Traefik's pattern of it. */
export interface ReferenceTrack {
  service: string;
  servicePattern: string;
}

/** What `metricChecks` needs from the config. */
export interface MetricChecksInput {
  namespace: string;
  /** analysis.interval in ms: the range of every query. */
  intervalMs: number;
  /** Where the service runs; picks how Traefik names the measured service (default `kubernetes`). */
  target?: 'kubernetes' | 'local';
  requestSuccessRate: { enabled: boolean; threshold: number } & RelativeBounds;
  requestDuration: { enabled: boolean; threshold: number } & RelativeBounds;
  custom: Array<{ name: string; query: string; min?: number | undefined; max?: number | undefined; primaryQuery?: string | undefined; templateRef?: object | undefined } & RelativeBounds>;
  /** The workload (service.name): what `{{ target }}` is in a Flagger template, which names its track itself. */
  workload?: string;
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
 * The service pattern follows `input.target` unless given. With a `reference` track (the primary),
 * each bound against it is a check of its own, `<name>-vs-primary`, whose query runs on both tracks.
 */
export function metricChecks(input: MetricChecksInput, measuredService: string, servicePattern = servicePatternFor(input.target, input.namespace, measuredService), reference?: ReferenceTrack): CheckQuery[] {
  const range = promRange(input.intervalMs);
  const checks: CheckQuery[] = [];
  const add = (base: Omit<CheckQuery, 'dryRun' | 'reference'>, bounds: RelativeBounds, primaryQuery: (() => string) | undefined) => {
    const dryRun = bounds.dryRun ? { dryRun: true as const } : {};
    checks.push({ ...base, ...dryRun });
    if (reference && primaryQuery) checks.push(...relativeChecks(base, bounds, primaryQuery()).map((check) => ({ ...check, ...dryRun })));
  };
  const { requestSuccessRate, requestDuration } = input;
  const successRate = (pattern: string) => {
    const selector = `service=~"${pattern}"`;
    // `or vector(0)`: a track answering only 5xx has no non-5xx series at all, and Flagger's template
    // would read "no data" (not a breach for the guard); with it, traffic that all fails reads 0%.
    // Without any traffic the denominator stays empty: still no data.
    return (
      `(sum(rate(traefik_service_request_duration_seconds_bucket{${selector},code!~"5..",le="+Inf"}[${range}])) or vector(0)) / ` +
      `sum(rate(traefik_service_request_duration_seconds_bucket{${selector},le="+Inf"}[${range}])) * 100`
    );
  };
  const p99 = (pattern: string) => `histogram_quantile(0.99, sum(rate(traefik_service_request_duration_seconds_bucket{service=~"${pattern}"}[${range}])) by (le)) * 1000`;
  if (requestSuccessRate.enabled) {
    add({ name: 'request-success-rate', bound: 'min', threshold: requestSuccessRate.threshold, unit: '%', query: successRate(servicePattern) }, requestSuccessRate, reference && (() => successRate(reference.servicePattern)));
  }
  if (requestDuration.enabled) {
    add({ name: 'request-duration', bound: 'max', threshold: requestDuration.threshold, unit: 'ms', query: p99(servicePattern) }, requestDuration, reference && (() => p99(reference.servicePattern)));
  }
  for (const custom of input.custom) {
    // A Flagger template's {{ target }} is the workload, whichever track it measures (Flagger renders it so).
    const fromTemplate = custom.templateRef !== undefined && input.workload !== undefined;
    const render = (template: string, target: string) => renderTemplate(template, { namespace: input.namespace, target: fromTemplate ? input.workload! : target, interval: range });
    const query = render(custom.query, measuredService);
    const onPrimary = reference && (() => render(custom.primaryQuery ?? custom.query, reference.service));
    const absolute: Array<Omit<CheckQuery, 'dryRun' | 'reference'>> = [];
    if (custom.min !== undefined) absolute.push({ name: custom.name, bound: 'min', threshold: custom.min, unit: '', query });
    if (custom.max !== undefined) absolute.push({ name: custom.min !== undefined ? `${custom.name}-max` : custom.name, bound: 'max', threshold: custom.max, unit: '', query });
    for (const check of absolute) add(check, custom, undefined);
    if (onPrimary) {
      const relative = relativeChecks({ name: custom.name, bound: 'max', threshold: 0, unit: '', query }, custom, onPrimary());
      checks.push(...relative.map((check) => (custom.dryRun ? { ...check, dryRun: true as const } : check)));
    }
  }
  return checks;
}

/** A check's bounds against the primary, one check each: `<name>-vs-primary`, suffixed by the bound when there are several. */
function relativeChecks(base: Omit<CheckQuery, 'dryRun' | 'reference'>, bounds: RelativeBounds, primaryQuery: string): CheckQuery[] {
  const present = RELATIVE_BOUNDS.filter(({ key }) => bounds[key] !== undefined);
  return present.map(({ key, bound, change, suffix }) => ({
    name: present.length === 1 ? `${base.name}-vs-primary` : `${base.name}-vs-primary-${suffix}`,
    bound,
    threshold: bounds[key]!,
    unit: base.unit,
    query: base.query,
    reference: { query: primaryQuery, change },
  }));
}

/** What `trackChecks` reads of a release config. */
export interface TrackChecksConfig {
  service: { name: string; namespace: string };
  target?: 'kubernetes' | 'local';
  traffic: { canaryService: string; primaryService: string };
  metrics: Pick<MetricChecksInput, 'requestSuccessRate' | 'requestDuration' | 'custom'>;
}

/** The checks a round runs on the track under analysis (the canary, or green), each bound against the primary measured beside it. */
export function trackChecks(config: TrackChecksConfig, intervalMs: number): CheckQuery[] {
  const { namespace, name } = config.service;
  const { canaryService, primaryService } = config.traffic;
  const primary = { service: primaryService, servicePattern: servicePatternFor(config.target, namespace, primaryService) };
  return metricChecks({ namespace, workload: name, intervalMs, ...(config.target ? { target: config.target } : {}), ...config.metrics }, canaryService, undefined, primary);
}

/**
 * The checks the statistical judge compares (analysis.judge: mannWhitney): each counted check's
 * query on the canary and on the primary, over windows of `sampleMs` (its `{{ interval }}`). A
 * Flagger template is compared only with its primaryQuery: it names its track itself.
 */
export function comparedChecks(config: TrackChecksConfig, sampleMs: number): ComparedQuery[] {
  const { namespace, name } = config.service;
  const { canaryService, primaryService } = config.traffic;
  const { requestSuccessRate, requestDuration } = config.metrics;
  const custom = config.metrics.custom.filter((check) => !check.dryRun && (check.templateRef === undefined || check.primaryQuery !== undefined));
  const base: MetricChecksInput = {
    namespace,
    workload: name,
    intervalMs: sampleMs,
    ...(config.target ? { target: config.target } : {}),
    requestSuccessRate: { enabled: requestSuccessRate.enabled && !requestSuccessRate.dryRun, threshold: requestSuccessRate.threshold },
    requestDuration: { enabled: requestDuration.enabled && !requestDuration.dryRun, threshold: requestDuration.threshold },
    custom: custom.map(({ name: checkName, query, min, max, templateRef }) => ({ name: checkName, query, min, max, templateRef })),
  };
  const canary = metricChecks(base, canaryService);
  const primaryCustom = custom.map(({ name: checkName, query, primaryQuery, min, max, templateRef }) => ({ name: checkName, query: primaryQuery ?? query, min, max, templateRef }));
  const primary = metricChecks({ ...base, custom: primaryCustom }, primaryService, servicePatternFor(config.target, namespace, primaryService));
  return canary.map((check, index) => ({ name: check.name, bound: check.bound, unit: check.unit, query: check.query, primaryQuery: primary[index]!.query }));
}

