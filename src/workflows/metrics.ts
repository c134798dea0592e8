/*
 * The release's own Prometheus metrics, in the spirit of Flagger's (flagger_canary_status,
 * flagger_canary_weight, flagger_canary_duration_seconds). Emitted through the workflow `metricMeter`:
 * metrics are no commands, the SDK drops them while replaying, and the worker's Temporal Runtime
 * exports them on the same /metrics endpoint as its own (src/worker/metrics.ts).
 */
import { metricMeter, workflowInfo } from '@temporalio/workflow';
import { PHASES, type CheckResult, type Phase } from './domain';
import type { Outcome, ReleaseStatus } from './types';

/** Metric names as exposed (the Runtime adds no prefix to custom metrics and no unit or `_total` suffix). */
export const RELEASE_METRICS = {
  /** Gauge, labels `service` (namespace/name) and `phase`: 1 for the release's current phase, 0 for every other. */
  status: 'docutag_release_status',
  /** Gauge, label `service`: the canary (green) weight, 0-100. */
  canaryWeight: 'docutag_release_canary_weight',
  /** Histogram in seconds, label `outcome` (promoted, rolledBack, failed): from start to end of a release. */
  durationSeconds: 'docutag_release_duration_seconds',
  /** Counter, labels `service` and `check` (e.g. request-success-rate, or a webhook's name): analysis checks that failed. */
  failedChecks: 'docutag_release_analysis_failed_checks_total',
  /** Gauge, labels `service`, `check` and `track` (canary, or primary for a check against it): the latest round's measured value. */
  checkValue: 'docutag_release_check_value',
  /** Gauge, labels `service` and `check`: the bound the latest value was held to (for a check against the primary, the primary's value moved by the allowance). */
  checkThreshold: 'docutag_release_check_threshold',
} as const;

/** Buckets of the duration histogram, in seconds: releases take minutes to an hour. */
export const RELEASE_DURATION_BUCKETS_SECONDS = [5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200];

const ALL_PHASES = Object.values(PHASES) as Phase[];

/**
 * Follows one release's status into the gauges. A worker that takes over a running release (after a
 * crash, or a cache eviction) replays silently, then emits the whole current state at the first live
 * observation, so its gauges never miss what happened before it.
 */
export class ReleaseMetrics {
  private emittedPhase: Phase | null = null;
  private emittedWeight: number | null = null;

  constructor(private readonly service: string) {}

  private live(): boolean {
    return !workflowInfo().unsafe.isReplaying;
  }

  /** Emits what changed in phase and weight since the last live observation. */
  observe(status: Pick<ReleaseStatus, 'phase' | 'canaryWeight'>): void {
    if (!this.live()) return;
    const { service } = this;
    if (this.emittedPhase !== status.phase) {
      const gauge = metricMeter.createGauge(RELEASE_METRICS.status, 'int', undefined, 'Current phase of the service\'s release (1) and the other phases (0)');
      const changed = this.emittedPhase === null ? ALL_PHASES : [this.emittedPhase, status.phase];
      for (const phase of changed) gauge.set(phase === status.phase ? 1 : 0, { service, phase });
      this.emittedPhase = status.phase;
    }
    if (this.emittedWeight !== status.canaryWeight) {
      metricMeter.createGauge(RELEASE_METRICS.canaryWeight, 'int', undefined, 'Canary (green) traffic weight, 0-100').set(status.canaryWeight, { service });
      this.emittedWeight = status.canaryWeight;
    }
  }

  /** One analysis round: its measured values and bounds as gauges, its failed checks counted. */
  failedChecks(checks: readonly CheckResult[]): void {
    if (!this.live()) return;
    const values = metricMeter.createGauge(RELEASE_METRICS.checkValue, 'float', undefined, 'Value of an analysis check in the latest round, per track');
    const thresholds = metricMeter.createGauge(RELEASE_METRICS.checkThreshold, 'float', undefined, 'Bound of an analysis check in the latest round');
    for (const check of checks) {
      if (check.value === null) continue;
      values.set(check.value, { service: this.service, check: check.name, track: 'canary' });
      if (check.reference !== undefined && check.reference !== null) values.set(check.reference, { service: this.service, check: check.name, track: 'primary' });
      thresholds.set(check.threshold, { service: this.service, check: check.name });
    }
    const failed = checks.filter((check) => !check.passed);
    if (!failed.length) return;
    const counter = metricMeter.createCounter(RELEASE_METRICS.failedChecks, undefined, 'Analysis checks that failed');
    for (const check of failed) counter.add(1, { service: this.service, check: check.name });
  }

  /** Records a finished release's duration. */
  finished(outcome: Outcome, durationMs: number): void {
    if (!this.live()) return;
    metricMeter.createHistogram(RELEASE_METRICS.durationSeconds, 'float', undefined, 'Duration of releases, start to end, in seconds').record(Math.max(0, durationMs) / 1000, { outcome });
  }
}
