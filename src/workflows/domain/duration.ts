/** A duration as written in configs: `500ms`, `10s`, `1m`, `1h`. */
export const DURATION_PATTERN = /^(\d+)(ms|s|m|h)$/;

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;

/** Parses a config duration into milliseconds; throws on anything the config schema would refuse. */
export function durationMs(text: string): number {
  const match = DURATION_PATTERN.exec(text.trim());
  if (!match) throw new Error(`"${text}" is not a duration: write it like 500ms, 10s, 1m or 1h`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/**
 * The PromQL range of a duration in ms. Prometheus needs a window of at least a few scrapes,
 * so sub-second analysis intervals still query over 1s at minimum.
 */
export function promRange(ms: number): string {
  // A zero or sub-second window is not a range Prometheus accepts ("0h" is a parse error).
  if (ms < 1_000) return '1s';
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1_000 === 0) return `${ms / 1_000}s`;
  return `${Math.max(1, Math.ceil(ms / 1_000))}s`;
}

/** Human text for a duration in ms: `850ms`, `12.3s`, `2m05s`. */
export function formatMs(ms: number): string {
  // Choose the unit after rounding, so 999.6ms reads 1.0s and 119.5s reads 2m00s, never 1000ms or 1m60s.
  if (Math.round(ms) < 1_000) return `${Math.round(ms)}ms`;
  if (Math.round(ms / 100) < 600) return `${(ms / 1_000).toFixed(1)}s`;
  const totalSeconds = Math.round(ms / 1_000);
  return `${Math.floor(totalSeconds / 60)}m${String(totalSeconds % 60).padStart(2, '0')}s`;
}
