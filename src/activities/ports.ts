/**
 * Ports: the small interfaces the activities see. One adapter per backend implements each; tests
 * and dry runs use the in-memory ones. Every method takes one object and is safe to retry.
 */
import type { MetricOutcome } from '../workflows/domain/analysis';
import type { SamplesOutcome } from '../workflows/domain/mann-whitney';
import type { LocalTrack, TrafficSplit } from '../workflows/domain/target';
import type { TrafficRoute } from '../workflows/domain/weights';
import type { WebhookOutcome, WebhookPayload } from '../workflows/domain/webhooks';

export type { LocalTrack, TrafficSplit };

export type { WebhookOutcome, WebhookPayload };

/** Where a Helm release lives and how it is installed (no credentials: those stay on the worker). */
export interface HelmTarget {
  namespace: string;
  chart: string;
  valuesFiles: string[];
  /** Dotted value path set to the release version, e.g. `image.tag`. */
  versionValue: string;
  set: Record<string, string | number | boolean>;
  /** helm --timeout, in ms. */
  timeoutMs: number;
  kubeContext?: string;
  /** Target `local` only: how a track runs as a local process (the config's `local:` block) and the split that routes to it. */
  local?: LocalTrack;
}

/** A Helm release as it stands: its revision number and the version value it runs. */
export interface ReleaseRevision {
  release: string;
  revision: number;
  version: string | null;
  status: string;
}

export interface TestRun {
  passed: boolean;
  /** helm's output (tail), quoted in reasons. */
  output: string;
}

/** One revision in a release's history (`helm history`), oldest first. */
export interface ReleaseHistoryEntry {
  revision: number;
  /** deployed, superseded, failed, pending-upgrade, ... */
  status: string;
  /** helm's description, e.g. `Upgrade complete`, `Rollback to 5`. */
  description: string;
  /** The chart's appVersion (not necessarily the version value), or null. */
  appVersion: string | null;
  /** ISO time of the revision, or null. */
  updated: string | null;
}

/** Installs and removes the tracks of a service. Contract: idempotent; errors quote the backend. */
export interface Deployer {
  /** The release's current revision (or the given `revision`) with its version value, or null when it is not installed. */
  describe(args: { target: HelmTarget; release: string; revision?: number }): Promise<ReleaseRevision | null>;
  /** The last `max` revisions of the release, oldest first; empty when it is not installed. */
  history(args: { target: HelmTarget; release: string; max: number }): Promise<ReleaseHistoryEntry[]>;
  /**
   * Installs or upgrades `release` to `version` and waits until its resources are ready.
   * `recoverPending`: this is a retry of the worker's own install, so a release left `pending-*` was
   * left by the lost attempt: unlock it first (pending-install: uninstall; pending-upgrade or
   * pending-rollback: roll back to the revision before) instead of failing on "another operation is
   * in progress".
   */
  install(args: { target: HelmTarget; release: string; version: string; extraSet?: Record<string, string | number | boolean>; recoverPending?: boolean }): Promise<ReleaseRevision>;
  /** Runs the chart's tests; a failing test is a result (passed: false), not an error. */
  test(args: { target: HelmTarget; release: string; timeoutMs: number }): Promise<TestRun>;
  /** Rolls `release` back to `revision` and waits. */
  rollback(args: { target: HelmTarget; release: string; revision: number }): Promise<ReleaseRevision>;
  /** Removes `release`; removing a release that is not there succeeds. */
  uninstall(args: { target: HelmTarget; release: string }): Promise<void>;
}

/** Waits until a workload serves: all replicas updated and available. */
export interface ReadinessChecker {
  /** `kubeContext`: the release's helm.kubeContext (the worker's current context when absent). */
  waitReady(args: { namespace: string; name: string; timeoutMs: number; kubeContext?: string; onProgress?: (detail: string) => void }): Promise<void>;
}

/**
 * Weights of the two tracks behind the service's traffic split, 0-100, summing to 100, and the
 * share of the primary's requests mirrored to the canary (only at 100/0: a mirrored blue-green's analysis).
 */
export type TrafficWeights = TrafficRoute;

/**
 * Moves traffic between the primary and canary tracks. Setting the route it already serves is a
 * no-op; a route without `mirrorPercent` removes the mirror; the split's sessionAffinity, when set,
 * is written with every change. A route `routeProblem` refuses is an error, never written.
 */
export interface TrafficRouter {
  getWeights(args: { split: TrafficSplit }): Promise<TrafficWeights>;
  setWeights(args: { split: TrafficSplit; weights: TrafficWeights }): Promise<{ changed: boolean }>;
}

/**
 * Runs one instant query. Contract: never throws for an answer or a missing one; every answer is an
 * outcome (a finite value, no data, NaN, ±Inf, many series, a bad answer, an HTTP error, a timeout,
 * unreachable) with a message a person understands. A value is always a finite number: NaN and ±Inf
 * do not survive JSON, so they are kinds of their own.
 */
export interface MetricsProvider {
  query(args: { query: string }): Promise<MetricOutcome>;
  /** The query evaluated every `stepMs` from `startMs` to `endMs` (epoch ms): the samples a statistical judge compares. */
  queryRange?(args: { query: string; startMs: number; endMs: number; stepMs: number }): Promise<SamplesOutcome>;
}

export const SEVERITIES = { info: 'info', success: 'success', warning: 'warning', error: 'error' } as const;
export type Severity = (typeof SEVERITIES)[keyof typeof SEVERITIES];

export { NOTIFIER_NAMES, type NotifierName } from '../workflows/domain/notifications';
import type { NotifierName } from '../workflows/domain/notifications';

/** The release a message is about (no secret: it is the activity's argument). */
export interface NotificationSubject {
  workflowId: string;
  namespace: string;
  service: string;
  version: string;
  phase: string;
}

export interface NotifyRequest {
  text: string;
  severity: Severity;
  /** Slack's channel override. */
  channel?: string;
  /** The notifiers the release's config enabled; absent means all (releases recorded before there was a choice). */
  to?: NotifierName[];
  subject?: NotificationSubject;
}

/** Tells people (Slack, Teams, Discord, a JSON receiver). Throws when the message could not be delivered after its retries. */
export interface Notifier {
  post(args: NotifyRequest): Promise<void>;
}

/** A configured webhook, as the caller needs it (no secret: the URL is part of the release config). */
export interface WebhookTarget {
  name: string;
  /** Flagger's type, sent for the record only; the caller treats every type alike. */
  type: string;
  url: string;
  /** Per-hook timeout, in ms. */
  timeoutMs: number;
}

/**
 * Calls a Flagger-style webhook: POSTs the JSON payload and reports what came back. Never throws for
 * a non-2xx answer, a timeout or a refused connection: those are outcomes (`status` null without an answer).
 */
export interface WebhookCaller {
  call(args: { hook: WebhookTarget; payload: WebhookPayload }): Promise<WebhookOutcome>;
}
