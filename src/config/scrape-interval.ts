/*
 * Whether an analysis interval can see enough scrapes. A round's `rate(...[interval])` needs two
 * samples in its window, so an interval shorter than twice the scrape interval answers "no data" or
 * NaN on healthy releases. Pure: `validate` feeds it Prometheus' own configuration
 * (`/api/v1/status/config`) or the local stack's scrape interval.
 */
import { parse } from 'yaml';
import { durationMs, formatMs } from '../workflows/domain/duration';

const PROM_UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };

/** A Prometheus duration (`15s`, `1m30s`, `500ms`, `2h`) in ms, or null when it is not one. */
export function promDurationMs(text: string): number | null {
  const trimmed = text.trim();
  if (!/^(\d+(ms|s|m|h|d|w|y))+$/.test(trimmed)) return null;
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) total += Number(amount) * PROM_UNIT_MS[unit!]!;
  return total;
}

/** Prometheus' default `global.scrape_interval`. */
const PROMETHEUS_DEFAULT_SCRAPE_MS = 60_000;

export interface ScrapeInterval {
  ms: number;
  /** Where it comes from, for the warning: `job "traefik"`, `global.scrape_interval`, … */
  source: string;
}

/**
 * The scrape interval the release's metrics are collected at, from a Prometheus configuration (YAML):
 * the longest among the jobs whose name mentions traefik (the built-in checks read Traefik's
 * metrics), else the global one (Prometheus' default, 1m, when unset). Null when the text is not a
 * Prometheus configuration.
 */
export function scrapeIntervalOf(configYaml: string): ScrapeInterval | null {
  let config: unknown;
  try {
    config = parse(configYaml);
  } catch {
    return null;
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) return null;
  const { global, scrape_configs: jobs } = config as { global?: { scrape_interval?: unknown }; scrape_configs?: unknown };
  const globalMs = typeof global?.scrape_interval === 'string' ? promDurationMs(global.scrape_interval) : null;
  const fallback: ScrapeInterval = globalMs === null ? { ms: PROMETHEUS_DEFAULT_SCRAPE_MS, source: "Prometheus' default global scrape_interval" } : { ms: globalMs, source: 'global.scrape_interval' };
  const traefikJobs = (Array.isArray(jobs) ? jobs : [])
    .filter((job): job is { job_name: string; scrape_interval?: unknown } => typeof job?.job_name === 'string' && /traefik/i.test(job.job_name))
    .map((job) => {
      const ms = typeof job.scrape_interval === 'string' ? promDurationMs(job.scrape_interval) : null;
      return ms === null ? { ...fallback, source: `job "${job.job_name}" (${fallback.source})` } : { ms, source: `job "${job.job_name}"` };
    });
  if (!traefikJobs.length) return fallback;
  return traefikJobs.reduce((longest, job) => (job.ms > longest.ms ? job : longest));
}

/** The warning `validate` prints when `analysis.interval` is shorter than two scrapes, or null. */
export function scrapeIntervalWarning(analysisInterval: string, scrape: ScrapeInterval): string | null {
  const intervalMs = durationMs(analysisInterval);
  if (intervalMs >= 2 * scrape.ms) return null;
  return (
    `analysis.interval ${analysisInterval} is shorter than twice the scrape interval (${formatMs(scrape.ms)}, ${scrape.source}): ` +
    `a round's rate() window then holds fewer than two samples and reads "no data" or NaN on a healthy canary, a failed check. ` +
    `Set analysis.interval to at least ${formatMs(2 * scrape.ms)}, or scrape Traefik more often.`
  );
}
