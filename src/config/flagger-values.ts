/**
 * Reads the `flagger:` block of a Helm values file in the shape DocuTag's charts already use, and
 * turns it into the matching part of a release config. Both the flat shape
 * (`metrics.requestSuccessRate.threshold`) and Flagger's own Canary shape
 * (`analysis.metrics: [{ name: request-success-rate, thresholdRange: { min } }]`) are understood.
 */
import type { ConfigIssue } from './errors';

type Plain = Record<string, unknown>;

const isPlain = (value: unknown): value is Plain => typeof value === 'object' && value !== null && !Array.isArray(value);

export interface FlaggerBlockResult {
  config: Plain;
  issues: ConfigIssue[];
}

const FLAGGER_KEYS = new Set(['enabled', 'strategy', 'analysis', 'metrics', 'webhooks', 'alerts']);

export function configFromFlaggerValues(values: unknown): FlaggerBlockResult {
  const issues: ConfigIssue[] = [];
  if (!isPlain(values) || !isPlain(values.flagger)) {
    return { config: {}, issues: [{ path: 'flagger', message: 'expected a flagger: block in the values file' }] };
  }
  const block = values.flagger;
  for (const key of Object.keys(block)) {
    if (!FLAGGER_KEYS.has(key)) issues.push({ path: `flagger.${key}`, message: `unknown key; expected one of ${[...FLAGGER_KEYS].join(', ')}` });
  }
  const config: Plain = {};
  if (block.enabled === false) config.strategy = 'direct';
  else if (block.strategy !== undefined) config.strategy = block.strategy;

  const analysis: Plain = isPlain(block.analysis) ? { ...block.analysis } : {};
  const metrics: Plain = isPlain(block.metrics) ? { ...block.metrics } : {};
  const webhooks: Plain = isPlain(block.webhooks) ? { ...block.webhooks } : {};

  // Flagger's Canary shape nests metrics and webhooks as lists inside analysis.
  const metricList = Array.isArray(analysis.metrics) ? analysis.metrics : Array.isArray(block.metrics) ? block.metrics : undefined;
  delete analysis.metrics;
  if (metricList) {
    const custom: Plain[] = [];
    metricList.forEach((metric, index) => {
      if (!isPlain(metric)) return issues.push({ path: `flagger.analysis.metrics[${index}]`, message: 'expected { name, thresholdRange }' });
      const range = isPlain(metric.thresholdRange) ? metric.thresholdRange : {};
      if (metric.name === 'request-success-rate') metrics.requestSuccessRate = { enabled: true, threshold: range.min };
      else if (metric.name === 'request-duration') metrics.requestDuration = { enabled: true, threshold: range.max };
      else custom.push({ name: metric.name, query: metric.query, min: range.min, max: range.max });
    });
    if (custom.length) metrics.custom = custom;
    // In Flagger's Canary the list is the whole set of checks: a built-in it leaves out is not run.
    metrics.requestSuccessRate ??= { enabled: false };
    metrics.requestDuration ??= { enabled: false };
  }
  const hookList = Array.isArray(analysis.webhooks) ? analysis.webhooks : Array.isArray(block.webhooks) ? block.webhooks : undefined;
  delete analysis.webhooks;
  // A flat `webhooks.helmTests` (DocuTag's shape) still applies next to Flagger's hook list.
  if (hookList) webhooks.hooks = hookList;

  if (Object.keys(analysis).length) config.analysis = analysis;
  if (Object.keys(metrics).length) config.metrics = metrics;
  if (!Array.isArray(block.webhooks) && Object.keys(webhooks).length) config.webhooks = webhooks;
  else if (hookList) config.webhooks = { hooks: hookList };
  if (isPlain(block.alerts)) config.alerts = block.alerts;
  return { config, issues };
}

/** Deep-merges `override` over `base`; arrays and scalars in `override` replace those in `base`. */
export function mergeConfig(base: Plain, override: Plain): Plain {
  const merged: Plain = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const next = isPlain(value) && Object.hasOwn(merged, key) && isPlain(merged[key]) ? mergeConfig(merged[key] as Plain, value) : value;
    // Defined, not assigned: `merged.__proto__ = value` would set the prototype, hiding the key from validation and leaking its values in.
    Object.defineProperty(merged, key, { value: next, enumerable: true, writable: true, configurable: true });
  }
  return merged;
}
