/*
 * The state and the steps every strategy shares: status, steering checkpoints, Slack, rollback and
 * promotion, with the step modules beside it: traffic (traffic.ts), analysis rounds (rounds.ts) and
 * Flagger's webhooks as durable gates (gates.ts). Strategies (canary.ts, blue-green.ts, direct.ts)
 * compose these; every decision comes from `domain/`.
 */
import { CancellationScope, condition, isCancellation, log, patched, proxyActivities, proxyLocalActivities, setCurrentDetails, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { ReleaseActivities } from '../activities';
import type { HelmTarget, NotifierName, ReleaseRevision, Severity, TrafficSplit } from '../activities/ports';
import {
  localTargetOf,
  comparedChecks,
  MANN_WHITNEY_DEFAULTS,
  trackChecks,
  trafficSplitOf,
  nextPhase,
  postRolloutNote,
  releaseChecksum,
  enabledNotifiers,
  hooksOfType,
  windowVerdict,
  windowWaitingFor,
  type Freeze,
  type WindowVerdict,
  type CheckQuery,
  type Phase,
  type RoundVerdict,
} from './domain';
import { SEARCH_ATTRIBUTES, statusQuery } from './messages';
import { ReleaseMetrics } from './metrics';
import { currentDetails } from './story';
import { Steering } from './steering';
import { GATE_ACTIVITY_PATCH, PROMOTION_ACTIVITY_PATCH, Webhooks } from './gates';
import { Rounds, type RoundComparison } from './rounds';
import { Traffic } from './traffic';
import { EventHooks } from './event-hooks';
import { concludePromotion } from './bake';
import { releaseTimings, type ReleaseTimings } from './timings';
import { failureMessage, type HookAnswer, type Interruption, type StepResult } from './steered';
import type { Outcome, ReleaseEvent, ReleaseInput, ReleaseResult, ReleaseRevisions, ReleaseStatus } from './types';

/** Events kept in `status`; the full story stays in the workflow history. */
const MAX_EVENTS = 50;

/** A weight change is small and idempotent; it retries longest, since traffic must reach a decided state. */
const TRAFFIC_OPTIONS = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 10 },
} as const;

/**
 * Releases started before weight changes became local activities keep the activity they started with,
 * so their histories replay.
 */
export const LOCAL_WEIGHT_CHANGES_PATCH = 'local-weight-changes';

/**
 * Releases started before the steering checkpoints and the certain rollback keep the command sequence
 * they were recorded with: no checkpoint, no 100/0 before the install, no retry of a rollback's
 * traffic change beyond its ten attempts, no helm rollback of a failed primary upgrade.
 */
export const CHECKPOINTS_PATCH = 'steering-checkpoints';

/** Releases recorded with Slack off told nobody; from here, Teams, Discord and the JSON webhook may still be on. */
export const NOTIFIERS_PATCH = 'notifiers-beyond-slack';

/** Releases recorded before deployment windows read no worker freezes at their start. */
export const WINDOWS_PATCH = 'deployment-windows';

/** The outcome as the search attribute ReleaseOutcome (the Web UI's saved views: rolled back this week). */
export const OUTCOME_ATTRIBUTE_PATCH = 'outcome-search-attribute';

/**
 * Where a release's messages go: the notifiers its config enabled and Slack's channel, or null when
 * it tells nobody (releases recorded with Slack off told nobody, and still do).
 */
export function notificationRoute(alerts: ReleaseInput['config']['alerts']): { to: NotifierName[]; channel?: string } | null {
  const to = enabledNotifiers(alerts);
  if (!to.length || (!alerts.slack.enabled && !patched(NOTIFIERS_PATCH))) return null;
  return { to, ...(alerts.slack.channel ? { channel: alerts.slack.channel } : {}) };
}

/** Where helm finds a config's service: its namespace, chart, values, kube context (and the local stack's ports). */
export function helmTargetOf(config: ReleaseInput['config'], timings: ReleaseTimings = releaseTimings(config)): HelmTarget {
  return {
    namespace: config.service.namespace,
    chart: config.helm.chart ?? '',
    valuesFiles: config.helm.valuesFiles,
    versionValue: config.helm.versionValue,
    set: config.helm.set,
    timeoutMs: timings.helmTimeoutMs,
    ...(config.helm.kubeContext ? { kubeContext: config.helm.kubeContext } : {}),
    ...localTargetOf(config),
  };
}

/** Longest single wait for a window: it is re-read at least this often (a worker's freezes may change with a restart). */
const WINDOW_RECHECK_MS = 3_600_000;

/** Reads the worker's freezes: a fact of the worker's environment, quick, retried only if the worker fails. */
const freezeReads = proxyLocalActivities<ReleaseActivities>({ startToCloseTimeout: '10s', retry: { initialInterval: '500ms', maximumAttempts: 3 } });

/** Releases started before the guard wait their analysis intervals on a timer, as recorded. */
export const GUARD_PATCH = 'analysis-guard';

/** The patches a release run branches on, asked for once when the release starts. */
export interface RunPatches {
  localWeightChanges: boolean;
  checkpoints: boolean;
  guard: boolean;
  gateActivity: boolean;
  windows: boolean;
  promotionActivity: boolean;
}

/** Asks for the run's patches; call it before the workflow's first await (see `release`). */
export function runPatches(): RunPatches {
  return { localWeightChanges: patched(LOCAL_WEIGHT_CHANGES_PATCH), checkpoints: patched(CHECKPOINTS_PATCH), guard: patched(GUARD_PATCH), gateActivity: patched(GATE_ACTIVITY_PATCH), promotionActivity: patched(PROMOTION_ACTIVITY_PATCH), windows: patched(WINDOWS_PATCH) };
}

/** Retry profiles. Traffic must reach a decided state, so it retries longest; Slack never blocks a release. */
function activityProfiles({ helmTimeoutMs, helmTestsTimeoutMs: testTimeoutMs, longestHookMs: hookTimeoutMs }: ReleaseTimings) {
  return {
    deploy: proxyActivities<ReleaseActivities>({
      startToCloseTimeout: helmTimeoutMs + 120_000,
      heartbeatTimeout: '1m',
      retry: { initialInterval: '2s', maximumAttempts: 3 },
    }),
    tests: proxyActivities<ReleaseActivities>({
      startToCloseTimeout: testTimeoutMs + 60_000,
      heartbeatTimeout: '1m',
      retry: { initialInterval: '2s', maximumAttempts: 2 },
    }),
    traffic: proxyActivities<ReleaseActivities>(TRAFFIC_OPTIONS),
    /**
     * A rollback's traffic change once its local attempts are spent (an API server away for a
     * control-plane upgrade): an activity retried until it lands, its retries out of the history.
     */
    trafficUntilLanded: proxyActivities<ReleaseActivities>({
      startToCloseTimeout: '30s',
      // No maximumAttempts: unlimited.
      retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
    }),
    /**
     * The same weight change as a local activity: it runs inside the workflow task, so a step costs one
     * marker event instead of an activity's three plus a workflow task's three, and an abort reaches the
     * router without a trip through the task queue.
     */
    trafficLocal: proxyLocalActivities<ReleaseActivities>(TRAFFIC_OPTIONS),
    analysis: proxyActivities<ReleaseActivities>({
      startToCloseTimeout: '1m',
      retry: { initialInterval: '1s', maximumAttempts: 2 },
    }),
    notify: proxyActivities<ReleaseActivities>({
      startToCloseTimeout: '1m',
      retry: { initialInterval: '1s', maximumAttempts: 2 },
    }),
    /** The activity reports every answer as a fact; a retry only covers a lost worker. */
    hooks: proxyActivities<ReleaseActivities>({
      startToCloseTimeout: hookTimeoutMs + 10_000,
      retry: { initialInterval: '1s', maximumAttempts: 2 },
    }),
  };
}

export { failureMessage };

/** The step results the strategies branch on (defined in steered.ts). */
export type { HookAnswer, Interruption, StepResult };

/** The statistical judge of every round (analysis.judge mannWhitney), or null: its compared checks and settings. */
function roundComparison(config: ReleaseInput['config'], { sampleIntervalMs, intervalMs }: ReleaseTimings): RoundComparison | null {
  if (sampleIntervalMs === null) return null;
  const { confidence = MANN_WHITNEY_DEFAULTS.confidence, pass = MANN_WHITNEY_DEFAULTS.pass, marginal = MANN_WHITNEY_DEFAULTS.marginal } = config.analysis.mannWhitney ?? {};
  return { checks: comparedChecks(config, sampleIntervalMs), settings: { confidence, pass, marginal, windowMs: intervalMs, stepMs: sampleIntervalMs } };
}

/** One run of the `release` workflow: shared state and steps. Constructing it registers the handlers. */
export class ReleaseRun {
  readonly config: ReleaseInput['config'];
  readonly version: string;
  readonly startedMs = Date.now();
  /** The config's durations in ms, parsed once. */
  readonly timings: ReleaseTimings;
  /** The statistical judge of every round, or null (thresholds only). */
  readonly comparison: RoundComparison | null;
  readonly acts: ReturnType<typeof activityProfiles>;
  readonly target: HelmTarget;
  readonly split: TrafficSplit;
  readonly primary: string;
  readonly canary: string;
  /** `namespace/service version`, for Slack. */
  readonly label: string;
  readonly status: ReleaseStatus;
  readonly steering: Steering;
  /** Whether this run has the steering checkpoints and the certain rollback (see CHECKPOINTS_PATCH). */
  readonly checkpoints: boolean;
  private readonly windowsPatched: boolean;
  /** The worker's freezes as read at the start (and re-read while a window is waited for). */
  private workerFreezes: Freeze[] = [];
  /** `start --override-window`: the windows and freezes do not apply to this release. */
  private windowsOverridden = false;
  /** Traffic between the tracks: steps, the cleared canary track, a rollback's 100/0. */
  readonly traffic: Traffic;
  /** The analysis rounds: the (guarded) interval, a round's measurement, the canary's decision. */
  readonly rounds: Rounds;
  /** Flagger's webhooks: the gates, pre-rollout, rollback hooks. */
  readonly hooks: Webhooks;
  /** The primary as it stood before the release (revision and version), so a failed promotion can put it back. */
  primaryBefore: ReleaseRevision | null = null;
  /** Identifies this run to the webhooks (Flagger's checksum field). */
  readonly checksum: string;
  firstFailedCheckMs: number | null = null;
  detectionMs: number | null = null;
  rollbackMs: number | null = null;
  revisions: ReleaseRevisions | undefined;
  /** Prometheus gauges and counters of this release; no commands, silent while replaying. */
  private readonly metrics: ReleaseMetrics;
  /** Flagger's `event` webhooks: every recorded event, sent in the background. */
  private readonly eventHooks: EventHooks;

  /** `phase`: where the run starts; a revert starts RollingBack, so steering finds nothing to steer from its first message. */
  constructor(input: ReleaseInput, patches: RunPatches, options: { phase?: Phase } = {}) {
    const { config, version } = input;
    this.config = config;
    this.version = version;
    this.timings = releaseTimings(config);
    this.comparison = roundComparison(config, this.timings);
    this.acts = activityProfiles(this.timings);
    this.checkpoints = patches.checkpoints;
    this.windowsPatched = patches.windows;
    this.target = helmTargetOf(config, this.timings);
    this.split = trafficSplitOf(config);
    this.primary = config.helm.releases.primary;
    this.canary = config.helm.releases.canary;
    this.label = `${config.service.namespace}/${config.service.name} ${version}`;
    this.metrics = new ReleaseMetrics(`${config.service.namespace}/${config.service.name}`);
    const info = workflowInfo();
    this.checksum = releaseChecksum(`${config.service.namespace}/${config.service.name}/${version}/${info.workflowId}/${info.runId}`);
    this.status = {
      workflowId: info.workflowId,
      service: config.service.name,
      namespace: config.service.namespace,
      version,
      previousVersion: null,
      strategy: config.strategy,
      phase: options.phase ?? 'Initializing',
      canaryWeight: 0,
      iteration: 0,
      failedChecks: 0,
      threshold: config.analysis.threshold,
      lastChecks: [],
      events: [],
      waitingFor: null,
      notificationFailures: 0,
      startedAt: new Date(this.startedMs).toISOString(),
      finishedAt: null,
    };

    this.eventHooks = new EventHooks(
      hooksOfType(config.webhooks.hooks, 'event', config.strategy),
      { name: config.service.name, namespace: config.service.namespace, checksum: this.checksum, hookTimeoutMs: (hook) => this.timings.hookTimeoutMs(hook) },
      (message) => this.record(message, { forward: false }),
    );
    this.steering = new Steering({ phase: () => this.status.phase, canaryWeight: () => this.status.canaryWeight, strategy: config.strategy, record: (message) => this.record(message) });
    this.steering.listen();
    setHandler(statusQuery, () => this.status);

    upsertSearchAttributes([
      { key: SEARCH_ATTRIBUTES.service, value: `${config.service.namespace}/${config.service.name}` },
      { key: SEARCH_ATTRIBUTES.version, value: version },
      { key: SEARCH_ATTRIBUTES.strategy, value: config.strategy },
      { key: SEARCH_ATTRIBUTES.phase, value: this.status.phase },
      { key: SEARCH_ATTRIBUTES.weight, value: 0 },
    ]);
    this.hooks = new Webhooks(this, patches.gateActivity && patches.checkpoints, patches.promotionActivity);
    this.traffic = new Traffic(this, { weightChanges: patches.localWeightChanges ? this.acts.trafficLocal : this.acts.traffic, untilLanded: this.acts.trafficUntilLanded });
    this.rounds = new Rounds(this, this.acts.analysis, patches.guard && patches.checkpoints);
    this.metrics.observe(this.status);
  }

  /** A round's (or a pre-rollout's) checks, as status and the metrics show them. */
  showChecks(checks: RoundVerdict['checks']): void {
    this.status.lastChecks = checks;
    this.metrics.failedChecks(checks);
  }

  /** The round's checks of the track under analysis (the canary, or green), each bound against the primary measured beside it. */
  trackChecks(): CheckQuery[] {
    return trackChecks(this.config, this.timings.intervalMs);
  }


  /** Waits for a track's deployment, read through the release's kube context (the one helm uses). */
  waitReady(name: string): Promise<void> {
    const { namespace, kubeContext } = this.target;
    return this.acts.deploy.waitReady({ namespace, name, timeoutMs: this.timings.helmTimeoutMs, ...(kubeContext ? { kubeContext } : {}) });
  }

  /** Every phase and weight change is recorded, so the metrics follow the status from here. */
  record(message: string, { forward = true }: { forward?: boolean } = {}): void {
    const event: ReleaseEvent = { at: new Date().toISOString(), message };
    this.status.events = [...this.status.events, event].slice(-MAX_EVENTS);
    log.info(message, { service: this.config.service.name, phase: this.status.phase });
    this.metrics.observe(this.status);
    if (forward) this.eventHooks.forward(event, this.status.phase);
    // The Web UI's current details; metadata, not a command.
    setCurrentDetails(currentDetails(this.status));
  }

  setPhase(phase: Phase): void {
    if (phase === this.status.phase) return;
    this.status.phase = nextPhase(this.status.phase, phase);
    upsertSearchAttributes([
      { key: SEARCH_ATTRIBUTES.phase, value: phase },
      { key: SEARCH_ATTRIBUTES.weight, value: this.status.canaryWeight },
    ]);
    this.record(`Phase ${phase}`);
  }

  async notify(text: string, severity: Severity): Promise<void> {
    const route = notificationRoute(this.config.alerts);
    if (!route) return;
    const { workflowId, namespace, service, version, phase } = this.status;
    try {
      await this.acts.notify.notify({ text, severity, ...route, subject: { workflowId, namespace, service, version, phase } });
    } catch (error) {
      // Notifications are for people; they never change a release's outcome.
      this.status.notificationFailures += 1;
      this.record(`Notification failed (the release goes on): ${failureMessage(error)}`);
    }
  }

  private finish(outcome: Outcome, reason: string): ReleaseResult {
    // Releases recorded before the outcome was a search attribute end without it, as they did.
    if (patched(OUTCOME_ATTRIBUTE_PATCH)) upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.outcome, value: outcome }]);
    const finishedMs = Date.now();
    this.status.finishedAt = new Date(finishedMs).toISOString();
    this.record(`Release ${outcome}: ${reason}`);
    this.metrics.finished(outcome, finishedMs - this.startedMs);
    return {
      outcome,
      reason,
      totalMs: finishedMs - this.startedMs,
      detectionMs: this.detectionMs,
      rollbackMs: this.rollbackMs,
      ...(this.revisions ? { revisions: { ...this.revisions } } : {}),
      status: this.status,
    };
  }

  /** Ends the release: post-rollout webhooks (logged only, as in Flagger), then the result. */
  async conclude(outcome: Outcome, reason: string): Promise<ReleaseResult> {
    const hooks = this.hooks.hooksOf('post-rollout');
    if (hooks.length) {
      for (const { hook, outcome: answer } of await this.hooks.callHooks(hooks)) this.record(postRolloutNote(hook, answer));
    }
    const result = this.finish(outcome, reason);
    await this.eventHooks.drain();
    return result;
  }

  /** An orchestration error that leaves something for a person: Slack alert, outcome `failed` (exit code 4). */
  async failed(reason: string): Promise<ReleaseResult> {
    this.setPhase('Failed');
    await this.notify(`Release ${this.label} FAILED and needs a person: ${reason}`, 'error');
    return this.conclude('failed', reason);
  }

  /** A release stopped before anything was deployed (abort at confirm-rollout, a failed pre-rollout check of a direct release). */
  async abandon(reason: string): Promise<ReleaseResult> {
    this.setPhase('RollingBack');
    this.record(`Stopping before anything was deployed: ${reason}`);
    this.setPhase('RolledBack');
    await this.notify(`Stopped ${this.label} before deploying anything: ${reason}\n${this.status.previousVersion ?? 'the previous version'} keeps serving.`, 'warning');
    return this.conclude('rolledBack', reason);
  }

  /**
   * Rollback of the two-track strategies (canary, blue-green): 100% back on the primary in one router
   * call first, then the canary (green) release removed. The primary was never touched.
   */
  rollBack(reason: string, fromAnalysis: boolean): Promise<ReleaseResult> {
    return CancellationScope.nonCancellable(async () => {
      const decisionMs = Date.now();
      if (fromAnalysis && this.firstFailedCheckMs !== null) this.detectionMs = decisionMs - this.firstFailedCheckMs;
      this.setPhase('RollingBack');
      this.record(`Rolling back: ${reason}`);
      const { primary, canary, split, target } = this;
      try {
        // Traffic first: one call puts every request back on the primary, which was never touched.
        await this.traffic.restorePrimary(reason);
        this.status.canaryWeight = 0;
        this.rollbackMs = Date.now() - decisionMs;
        this.record(`Weights: ${primary} 100%, ${canary} 0%`);
      } catch (error) {
        return this.failed(`rollback could not move traffic back to ${primary} (TraefikService ${split.namespace}/${split.router}: check its weights): ${failureMessage(error)}; rollback reason: ${reason}`);
      }
      try {
        await this.acts.deploy.uninstallRelease({ target, release: canary });
        this.record(`Removed ${canary}`);
      } catch (error) {
        return this.failed(`traffic is back on ${primary}, but the canary release ${canary} could not be removed (helm uninstall ${canary} -n ${target.namespace}): ${failureMessage(error)}; rollback reason: ${reason}`);
      }
      this.setPhase('RolledBack');
      const failedChecks = this.status.lastChecks.filter((check) => !check.passed).map((check) => `• ${check.reason}`);
      await this.notify([`Rolled back ${this.label}: ${reason}`, ...(fromAnalysis ? failedChecks : []), `${this.status.previousVersion ?? 'the previous version'} keeps serving.`].join('\n'), 'warning');
      return this.conclude('rolledBack', reason);
    });
  }

  /**
   * A two-track strategy stopped by an error of its own steps: a cancellation ends as cancelled;
   * before `track` was installed there is nothing to undo (failed); after it, a rollback.
   */
  stoppedBy(error: unknown, installed: boolean, track: string): Promise<ReleaseResult> {
    if (isCancellation(error)) return this.cancelled(installed);
    if (!installed) return this.failed(`stopped before installing ${track} (reading ${this.primary} or clearing the canary track's traffic): ${failureMessage(error)}`);
    return this.rollBack(failureMessage(error), false);
  }

  /** Promotion of the two-track strategies: the primary upgraded and ready, 100% back on it, the canary (green) removed. */
  async promote(why: string): Promise<ReleaseResult> {
    const { primary, canary, target, version } = this;
    this.setPhase('Promoting');
    this.record(`Promoting ${version}: ${why}`);
    try {
      await this.acts.deploy.installRelease({ target, release: primary, version });
      await this.waitReady(primary);
      this.setPhase('Finalising');
      await this.traffic.setCanaryWeight(0);
      await this.acts.deploy.uninstallRelease({ target, release: canary });
      this.record(`Removed ${canary}`);
    } catch (error) {
      if (this.checkpoints && this.status.phase === 'Promoting') return this.primaryUpgradeFailed(failureMessage(error));
      return this.failed(`promotion of ${version} stopped at ${this.status.phase}: ${failureMessage(error)}. Traffic stays at ${100 - this.status.canaryWeight}% ${primary} / ${this.status.canaryWeight}% ${canary}; check helm status ${primary} -n ${target.namespace}`);
    }
    const before = this.primaryBefore ? { revision: this.primaryBefore.revision, version: this.primaryBefore.version } : null;
    return concludePromotion(this, why, `Promoted ${this.label} (was ${this.status.previousVersion ?? 'not installed'}) after ${this.status.iteration} analysis rounds.`, before);
  }

  /**
   * The primary's upgrade failed during promotion: a half-upgraded primary must not keep serving.
   * Traffic moves to the canary (which runs the new version and passed analysis) while the primary
   * is rolled back to the revision it had, then back to the primary; the canary is removed. The
   * release ends `failed` with the exact state, since the new version was not released.
   */
  private primaryUpgradeFailed(upgradeError: string): Promise<ReleaseResult> {
    return CancellationScope.nonCancellable(async () => {
      const { primary, canary, target, version } = this;
      const what = `the helm upgrade of ${primary} to ${version} failed during promotion (${upgradeError})`;
      try {
        await this.traffic.apply({ primaryWeight: 0, canaryWeight: 100 });
        this.status.canaryWeight = 100;
        this.record(`Weights: ${primary} 0%, ${canary} 100% while ${primary} is put back`);
      } catch (error) {
        return this.failed(`${what}, and traffic could not be moved to ${canary} (${failureMessage(error)}): ${100 - this.status.canaryWeight}% still reaches ${primary}; check helm history ${primary} -n ${target.namespace} and TraefikService ${this.split.namespace}/${this.split.router}`);
      }
      const before = this.primaryBefore;
      if (!before) return this.failed(`${what}; ${primary} had no revision to roll back to. Traffic is 100% on ${canary} (${version}, passed analysis); ${primary} needs a person: helm history ${primary} -n ${target.namespace}`);
      this.record(`Rolling ${primary} back to revision ${before.revision} (${before.version ?? 'unknown version'})`);
      try {
        await this.acts.deploy.rollbackRelease({ target, release: primary, revision: before.revision });
        await this.waitReady(primary);
      } catch (error) {
        return this.failed(`${what}, and helm rollback ${primary} ${before.revision} failed too (${failureMessage(error)}). Traffic is 100% on ${canary} (${version}, passed analysis); ${primary} needs a person: helm history ${primary} -n ${target.namespace}`);
      }
      try {
        await this.traffic.restorePrimary(what);
        this.status.canaryWeight = 0;
        this.record(`Weights: ${primary} 100%, ${canary} 0%`);
      } catch (error) {
        return this.failed(`${what}; ${primary} is back at revision ${before.revision} (${before.version ?? 'unknown version'}), but traffic could not move back to it (${failureMessage(error)}): 100% reaches ${canary} (${version}); check TraefikService ${this.split.namespace}/${this.split.router}`);
      }
      try {
        await this.acts.deploy.uninstallRelease({ target, release: canary });
        this.record(`Removed ${canary}`);
      } catch (error) {
        return this.failed(`${what}; ${primary} is back at revision ${before.revision} (${before.version ?? 'unknown version'}) with 100% of traffic, but ${canary} could not be removed (helm uninstall ${canary} -n ${target.namespace}): ${failureMessage(error)}`);
      }
      return this.failed(`${what}; ${primary} was rolled back to revision ${before.revision} (${before.version ?? 'unknown version'}) and serves 100%; ${canary} was removed; ${version} is not released`);
    });
  }

  /**
   * The steering rule, checked before every forward step (a weight increase, the switch to green,
   * the promotion after the last round): an accepted abort wins, a pause holds here until resume or
   * abort, a promote skips what remains.
   */
  async checkpoint(): Promise<StepResult> {
    if (!this.checkpoints) return { kind: 'open' };
    for (;;) {
      if (this.steering.abortRequested) return { kind: 'abort' };
      if (this.steering.paused) {
        await this.holdWhilePaused();
        continue;
      }
      if (this.steering.promoteRequested) return { kind: 'promote' };
      if (this.windowRules()) {
        const verdict = this.windowNow();
        if (!verdict.open) {
          await this.holdOutsideWindow(verdict);
          continue;
        }
      }
      return { kind: 'open' };
    }
  }

  /** Whether windows or freezes govern this release (its config's, the worker's), unless overridden. */
  private windowRules(): boolean {
    return this.windowsPatched && !this.windowsOverridden && !!(this.config.windows?.length || this.config.freezes?.length || this.workerFreezes.length);
  }

  private windowNow(): WindowVerdict {
    return windowVerdict(Date.now(), this.config.windows ?? [], [...(this.config.freezes ?? []), ...this.workerFreezes]);
  }

  /** Sleeps until the window should open (at most an hour), then re-reads the worker's freezes. Returns early when `interrupt` holds. */
  private async sleepTowardsWindow(verdict: Extract<WindowVerdict, { open: false }>, interrupt: () => boolean): Promise<boolean> {
    const untilMs = verdict.opensAtMs === null ? WINDOW_RECHECK_MS : Math.min(WINDOW_RECHECK_MS, Math.max(1_000, verdict.opensAtMs - Date.now()));
    if (await condition(interrupt, untilMs)) return true;
    this.workerFreezes = await freezeReads.workerFreezes();
    return false;
  }

  /**
   * Before anything is touched: the worker's freezes are read, and outside every window (or inside a
   * freeze) the release waits durably, phase Initializing, `waitingFor` naming the window and when it
   * opens. Only an abort ends the wait early ('abort'); `start --override-window` skips it, recorded.
   */
  async awaitDeploymentWindow(override: { by: string; reason: string } | undefined): Promise<'open' | 'abort'> {
    if (!this.windowsPatched) return 'open';
    this.workerFreezes = await freezeReads.workerFreezes();
    if (override) {
      this.windowsOverridden = true;
      if (this.config.windows?.length || this.config.freezes?.length || this.workerFreezes.length) this.record(`Deployment windows and freezes overridden by ${override.by}: ${override.reason}`);
      return 'open';
    }
    if (!this.windowRules()) return 'open';
    let waited = false;
    for (;;) {
      const verdict = this.windowNow();
      if (verdict.open) {
        this.status.waitingFor = null;
        if (waited) this.record('Deployment window open: the release starts');
        return 'open';
      }
      this.status.waitingFor = windowWaitingFor(verdict);
      if (!waited) {
        waited = true;
        this.record(`Waiting before touching anything: ${this.status.waitingFor}`);
        await this.notify(`${this.label} waits: ${this.status.waitingFor}`, 'info');
      }
      if (await this.sleepTowardsWindow(verdict, () => this.steering.abortRequested)) return 'abort';
    }
  }

  /** A forward step outside the window: the weight holds (no step, no analysis) until it opens, or a person aborts, promotes or pauses. */
  private async holdOutsideWindow(verdict: Extract<WindowVerdict, { open: false }>): Promise<void> {
    this.status.waitingFor = windowWaitingFor(verdict);
    this.record(`Holding at ${this.status.canaryWeight}%: ${this.status.waitingFor}`);
    await this.notify(`${this.label} holds at ${this.status.canaryWeight}%: ${this.status.waitingFor}`, 'info');
    let current = verdict;
    for (;;) {
      if (await this.sleepTowardsWindow(current, () => this.steering.steered)) break;
      const next = this.windowNow();
      if (next.open) {
        this.record(`Deployment window open: going on from ${this.status.canaryWeight}%`);
        break;
      }
      current = next;
      this.status.waitingFor = windowWaitingFor(current);
    }
    this.status.waitingFor = null;
  }

  /**
   * A promote accepted while a round was being measured wins over that round's verdict, as an abort
   * would: the person's answer was "promote", and the CLI told them so.
   */
  promoteWinsOverRound(): boolean {
    if (!this.checkpoints || !this.steering.promoteRequested || this.steering.abortRequested) return false;
    this.record(`promote was accepted while analysis ${this.status.iteration} ran: it wins over that round's verdict`);
    return true;
  }

  /** The checkpoint before anything is installed: only an abort counts (a pause holds the first weight, not the install). */
  abortedBeforeInstall(): boolean {
    return this.checkpoints && this.steering.abortRequested;
  }

  /**
   * The workflow was cancelled (a cancelled drill cancels its release; `temporal workflow cancel`):
   * it rolls back like an abort, or stops if nothing was installed yet.
   */
  cancelled(installed: boolean): Promise<ReleaseResult> {
    const reason = 'cancelled: the workflow was cancelled (a cancelled drill, or temporal workflow cancel)';
    return installed ? this.rollBack(reason, false) : CancellationScope.nonCancellable(() => this.abandon(reason));
  }

  /** What a strategy does with an interruption of its flow. */
  interrupted(interruption: Interruption, promote: () => Promise<ReleaseResult>): Promise<ReleaseResult> {
    switch (interruption.kind) {
      case 'abort':
        return this.rollBack(this.steering.abortReason, false);
      case 'promote':
        return promote();
      case 'rollback':
        return this.rollBack(interruption.reason, interruption.fromAnalysis);
    }
  }

  /** Holds while paused. Returns when resumed, or when abort or promote arrives. */
  async holdWhilePaused(): Promise<void> {
    const resumePhase = this.status.phase;
    this.setPhase('Paused');
    this.status.waitingFor = 'resume (paused by a person)';
    await this.notify(`Paused ${this.label} at ${this.status.canaryWeight}%: weight and analysis held until resume.`, 'info');
    await condition(() => !this.steering.paused || this.steering.abortRequested || this.steering.promoteRequested);
    this.status.waitingFor = null;
    if (!this.steering.abortRequested && !this.steering.promoteRequested) {
      this.setPhase(resumePhase);
      this.record('Resumed');
    }
  }
}
