/**
 * Small measurement helpers: percentiles, process stats from /proc, and Prometheus text exposition
 * (sums and histogram quantiles over all label sets of a metric).
 */
import { readFileSync } from 'node:fs';

/** Nearest-rank percentile (p in 0-100) of unsorted values; null for no values. */
export function percentile(values: readonly number[], p: number): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export interface Distribution {
  count: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
}

export function distribution(values: readonly number[]): Distribution {
  return {
    count: values.length,
    p50: percentile(values, 50),
    p99: percentile(values, 99),
    max: values.length ? values.reduce((a, b) => Math.max(a, b), -Infinity) : null,
  };
}

export function mean(values: readonly number[]): number | null {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
}

/** Linux clock ticks per second (getconf CLK_TCK), for /proc/<pid>/stat times. */
const CLOCK_TICKS_PER_SECOND = 100;

export interface ProcStats {
  /** User + system CPU time since the process started, in ms. */
  cpuMs: number;
  rssBytes: number;
  /** Peak RSS (VmHWM). */
  peakRssBytes: number;
}

/** CPU and memory of another process (the dev server), from /proc; null once it is gone. */
export function procStats(pid: number): ProcStats | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15 (1-based).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { cpuMs: (ticks * 1000) / CLOCK_TICKS_PER_SECOND, rssBytes: kib('VmRSS'), peakRssBytes: kib('VmHWM') };
  } catch {
    return null;
  }
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus text exposition format (enough of it for counters, gauges and histograms). */
export function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[key!] = value!;
    samples.push({ name: match[1]!, labels, value: Number(match[4]) });
  }
  return samples;
}

/** A metric's value summed over label sets (optionally only those matching `where`); null when absent. */
export function metricSum(samples: Sample[], name: string, where: Record<string, string> = {}): number | null {
  const matching = samples.filter((sample) => sample.name === name && Object.entries(where).every(([key, value]) => sample.labels[key] === value));
  return matching.length ? matching.reduce((sum, sample) => sum + sample.value, 0) : null;
}

export interface HistogramSummary {
  count: number;
  mean: number | null;
  /** Estimated from the buckets (linear inside the bucket), as PromQL's histogram_quantile does. */
  p50: number | null;
  p99: number | null;
}

/** Summary of a histogram summed over its label sets (optionally filtered by `where`). */
export function histogram(samples: Sample[], name: string, where: Record<string, string> = {}): HistogramSummary | null {
  const count = metricSum(samples, `${name}_count`, where);
  const sum = metricSum(samples, `${name}_sum`, where);
  if (count === null || sum === null) return null;
  const buckets = new Map<number, number>();
  for (const sample of samples) {
    if (sample.name !== `${name}_bucket` || !Object.entries(where).every(([key, value]) => sample.labels[key] === value)) continue;
    const le = sample.labels.le === '+Inf' ? Infinity : Number(sample.labels.le);
    buckets.set(le, (buckets.get(le) ?? 0) + sample.value);
  }
  const bounds = [...buckets.entries()].sort((a, b) => a[0] - b[0]);
  const quantile = (q: number): number | null => {
    if (!count) return null;
    const rank = q * count;
    let lowerBound = 0;
    let lowerCount = 0;
    for (const [bound, cumulative] of bounds) {
      if (cumulative >= rank) {
        if (bound === Infinity) return lowerBound;
        const inBucket = cumulative - lowerCount;
        return inBucket ? lowerBound + ((bound - lowerBound) * (rank - lowerCount)) / inBucket : bound;
      }
      lowerBound = bound;
      lowerCount = cumulative;
    }
    return lowerBound;
  };
  return { count, mean: count ? sum / count : null, p50: quantile(0.5), p99: quantile(0.99) };
}

/** Runs `task` over `items` with at most `limit` in flight; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
