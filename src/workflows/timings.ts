/*
 * A release's durations in ms, parsed once where the workflow takes its config. The config keeps
 * them as people wrote them (`interval: 1m`): that is what `validate`, the Web UI's input and any
 * other Temporal client show and send, so the workflow input stays the same.
 */
import { durationMs, type HookSpec } from './domain';
import type { ReleaseInput } from './types';

export interface ReleaseTimings {
  /** analysis.interval: the wait of a step, and the PromQL range of its queries. */
  intervalMs: number;
  /** analysis.guard.interval, or the analysis interval when there is no guard block. */
  guardIntervalMs: number;
  /** helm.timeout: helm's --timeout, and how long a track may take to become ready. */
  helmTimeoutMs: number;
  /** webhooks.helmTests.timeout. */
  helmTestsTimeoutMs: number;
  /** The longest webhook timeout, at least 10 s: what the hook activities' own timeouts allow for. */
  longestHookMs: number;
  /** One webhook's timeout (a hook of this release's config). */
  hookTimeoutMs(hook: HookSpec): number;
  /** analysis.mannWhitney.sampleInterval, when the statistical judge is on. */
  sampleIntervalMs: number | null;
}

export function releaseTimings(config: ReleaseInput['config']): ReleaseTimings {
  const intervalMs = durationMs(config.analysis.interval);
  const hookTimeouts = new Map(config.webhooks.hooks.map((hook) => [hook, durationMs(hook.timeout)]));
  return {
    intervalMs,
    guardIntervalMs: config.analysis.guard ? durationMs(config.analysis.guard.interval) : intervalMs,
    helmTimeoutMs: durationMs(config.helm.timeout),
    helmTestsTimeoutMs: durationMs(config.webhooks.helmTests.timeout),
    longestHookMs: Math.max(10_000, ...hookTimeouts.values()),
    hookTimeoutMs: (hook) => hookTimeouts.get(hook) ?? durationMs(hook.timeout),
    sampleIntervalMs: config.analysis.judge === 'mannWhitney' ? durationMs(config.analysis.mannWhitney?.sampleInterval ?? '10s') : null,
  };
}
