import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ReleaseActivities } from '../activities';
import type { HelmTarget, Severity, TrafficSplit } from '../activities/ports';
import {
  decideRound,
  decideSignal,
  durationMs,
  judgeRound,
  metricChecks,
  nextPhase,
  splitWeights,
  weightSchedule,
  type CheckQuery,
  type Phase,
  type SignalName,
} from './domain';
import { abortSignal, pauseSignal, promoteSignal, resumeSignal, SEARCH_ATTRIBUTES, statusQuery } from './messages';
import type { Outcome, ReleaseEvent, ReleaseInput, ReleaseResult, ReleaseStatus } from './types';

/** Events kept in `status`; the full story stays in the workflow history. */
const MAX_EVENTS = 50;

/** Retry profiles. Traffic must reach a decided state, so it retries longest; Slack never blocks a release. */
function activityProfiles(helmTimeoutMs: number, testTimeoutMs: number) {
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
    traffic: proxyActivities<ReleaseActivities>({
      startToCloseTimeout: '30s',
      retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 10 },
    }),
    analysis: proxyActivities<ReleaseActivities>({
      startToCloseTimeout: '1m',
      retry: { initialInterval: '1s', maximumAttempts: 2 },
    }),
    notify: proxyActivities<ReleaseActivities>({
      startToCloseTimeout: '1m',
      retry: { initialInterval: '1s', maximumAttempts: 2 },
    }),
  };
}

/** The message a person needs from a failed activity: the root cause, not Temporal's wrapper. */
export function failureMessage(error: unknown): string {
  let current: unknown = error;
  while (current instanceof ActivityFailure && current.cause) current = current.cause;
  return current instanceof Error ? current.message : String(error);
}

/**
 * One release of one service: canary, blue-green or direct, as DESIGN.md describes. Every decision is
 * made here from facts the activities return, so the history explains the outcome.
 */
export async function release(input: ReleaseInput): Promise<ReleaseResult> {
  const { config, version } = input;
  const startedMs = Date.now();
  const helmTimeoutMs = durationMs(config.helm.timeout);
  const acts = activityProfiles(helmTimeoutMs, durationMs(config.webhooks.helmTests.timeout));
  const intervalMs = durationMs(config.analysis.interval);
  const target: HelmTarget = {
    namespace: config.service.namespace,
    chart: config.helm.chart ?? '',
    valuesFiles: config.helm.valuesFiles,
    versionValue: config.helm.versionValue,
    set: config.helm.set,
    timeoutMs: helmTimeoutMs,
    ...(config.helm.kubeContext ? { kubeContext: config.helm.kubeContext } : {}),
  };
  const split: TrafficSplit = {
    namespace: config.service.namespace,
    router: config.traffic.traefikService,
    primaryService: config.traffic.primaryService,
    canaryService: config.traffic.canaryService,
  };
  const { primary, canary } = config.helm.releases;

  const status: ReleaseStatus = {
    workflowId: workflowInfo().workflowId,
    service: config.service.name,
    namespace: config.service.namespace,
    version,
    previousVersion: null,
    strategy: config.strategy,
    phase: 'Initializing',
    canaryWeight: 0,
    iteration: 0,
    failedChecks: 0,
    threshold: config.analysis.threshold,
    lastChecks: [],
    events: [],
    waitingFor: null,
    notificationFailures: 0,
    startedAt: new Date(startedMs).toISOString(),
    finishedAt: null,
  };
  const steering = { paused: false, promoteRequested: false, abortRequested: false, abortReason: '' };
  let firstFailedCheckMs: number | null = null;
  let detectionMs: number | null = null;
  let rollbackMs: number | null = null;

  const record = (message: string) => {
    const event: ReleaseEvent = { at: new Date().toISOString(), message };
    status.events = [...status.events, event].slice(-MAX_EVENTS);
    log.info(message, { service: config.service.name, phase: status.phase });
  };
  const setPhase = (phase: Phase) => {
    if (phase === status.phase) return;
    status.phase = nextPhase(status.phase, phase);
    upsertSearchAttributes([
      { key: SEARCH_ATTRIBUTES.phase, value: phase },
      { key: SEARCH_ATTRIBUTES.weight, value: status.canaryWeight },
    ]);
    record(`Phase ${phase}`);
  };
  const label = `${config.service.namespace}/${config.service.name} ${version}`;
  const notify = async (text: string, severity: Severity) => {
    if (!config.alerts.slack.enabled) return;
    try {
      await acts.notify.notify({ text, severity, ...(config.alerts.slack.channel ? { channel: config.alerts.slack.channel } : {}) });
    } catch (error) {
      // Slack is for people; it never changes a release's outcome.
      status.notificationFailures += 1;
      record(`Slack notification failed (the release goes on): ${failureMessage(error)}`);
    }
  };

  // Signals: each one is judged against the phase; one that does not fit is recorded and ignored.
  const steer = (signal: SignalName, apply: () => void) => {
    const decision = decideSignal(signal, status.phase, steering);
    record(decision.note);
    if (decision.accepted) apply();
  };
  setHandler(promoteSignal, () => steer('promote', () => (steering.promoteRequested = true)));
  setHandler(pauseSignal, () => steer('pause', () => (steering.paused = true)));
  setHandler(resumeSignal, () => steer('resume', () => (steering.paused = false)));
  setHandler(abortSignal, (payload?: unknown) => {
    const reason = (payload as { reason?: unknown } | undefined)?.reason;
    if (payload !== undefined && (typeof payload !== 'object' || payload === null || (reason !== undefined && typeof reason !== 'string'))) {
      record(`abort payload ${JSON.stringify(payload)?.slice(0, 100)} is malformed (expected { reason: string }); using the default reason`);
    }
    steer('abort', () => {
      steering.abortRequested = true;
      steering.abortReason = typeof reason === 'string' && reason.trim() ? `aborted: ${reason.trim().slice(0, 500)}` : 'aborted by a person';
    });
  });
  setHandler(statusQuery, () => status);

  upsertSearchAttributes([
    { key: SEARCH_ATTRIBUTES.service, value: `${config.service.namespace}/${config.service.name}` },
    { key: SEARCH_ATTRIBUTES.version, value: version },
    { key: SEARCH_ATTRIBUTES.strategy, value: config.strategy },
    { key: SEARCH_ATTRIBUTES.phase, value: status.phase },
    { key: SEARCH_ATTRIBUTES.weight, value: 0 },
  ]);

  const finish = (outcome: Outcome, reason: string): ReleaseResult => {
    const finishedMs = Date.now();
    status.finishedAt = new Date(finishedMs).toISOString();
    record(`Release ${outcome}: ${reason}`);
    return { outcome, reason, totalMs: finishedMs - startedMs, detectionMs, rollbackMs, status };
  };

  const setCanaryWeight = async (canaryWeight: number) => {
    const weights = splitWeights(canaryWeight);
    await acts.traffic.setWeights({ split, weights });
    status.canaryWeight = weights.canaryWeight;
    upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.weight, value: weights.canaryWeight }]);
    record(`Weights: ${primary} ${weights.primaryWeight}%, ${canary} ${weights.canaryWeight}%`);
  };

  /** A decision to end, taken by a person or by the verdict; it leaves no half-shifted traffic. */
  const failed = async (reason: string): Promise<ReleaseResult> => {
    setPhase('Failed');
    await notify(`Release ${label} FAILED and needs a person: ${reason}`, 'error');
    return finish('failed', reason);
  };

  const rollBack = (reason: string, fromAnalysis: boolean): Promise<ReleaseResult> =>
    CancellationScope.nonCancellable(async () => {
      const decisionMs = Date.now();
      if (fromAnalysis && firstFailedCheckMs !== null) detectionMs = decisionMs - firstFailedCheckMs;
      setPhase('RollingBack');
      record(`Rolling back: ${reason}`);
      try {
        // Traffic first: one call puts every request back on the primary, which was never touched.
        await acts.traffic.setWeights({ split, weights: { primaryWeight: 100, canaryWeight: 0 } });
        status.canaryWeight = 0;
        rollbackMs = Date.now() - decisionMs;
        record(`Weights: ${primary} 100%, ${canary} 0%`);
      } catch (error) {
        return failed(`rollback could not move traffic back to ${primary} (TraefikService ${split.namespace}/${split.router}: check its weights): ${failureMessage(error)}; rollback reason: ${reason}`);
      }
      try {
        await acts.deploy.uninstallRelease({ target, release: canary });
        record(`Removed ${canary}`);
      } catch (error) {
        return failed(`traffic is back on ${primary}, but the canary release ${canary} could not be removed (helm uninstall ${canary} -n ${target.namespace}): ${failureMessage(error)}; rollback reason: ${reason}`);
      }
      setPhase('RolledBack');
      const failedChecks = status.lastChecks.filter((check) => !check.passed).map((check) => `• ${check.reason}`);
      await notify([`Rolled back ${label}: ${reason}`, ...(fromAnalysis ? failedChecks : []), `${status.previousVersion ?? 'the previous version'} keeps serving.`].join('\n'), 'warning');
      return finish('rolledBack', reason);
    });

  const promote = async (why: string): Promise<ReleaseResult> => {
    setPhase('Promoting');
    record(`Promoting ${version}: ${why}`);
    try {
      await acts.deploy.installRelease({ target, release: primary, version });
      await acts.deploy.waitReady({ namespace: target.namespace, name: primary, timeoutMs: helmTimeoutMs });
      setPhase('Finalising');
      await setCanaryWeight(0);
      await acts.deploy.uninstallRelease({ target, release: canary });
      record(`Removed ${canary}`);
    } catch (error) {
      return failed(`promotion of ${version} stopped at ${status.phase}: ${failureMessage(error)}. Traffic stays at ${100 - status.canaryWeight}% ${primary} / ${status.canaryWeight}% ${canary}; check helm status ${primary} -n ${target.namespace}`);
    }
    setPhase('Succeeded');
    await notify(`Promoted ${label} (was ${status.previousVersion ?? 'not installed'}) after ${status.iteration} analysis rounds.`, 'success');
    return finish('promoted', why);
  };

  /** Holds while paused. Returns when resumed, or when abort or promote arrives. */
  const holdWhilePaused = async () => {
    const resumePhase = status.phase;
    setPhase('Paused');
    status.waitingFor = 'resume (paused by a person)';
    await notify(`Paused ${label} at ${status.canaryWeight}%: weight and analysis held until resume.`, 'info');
    await condition(() => !steering.paused || steering.abortRequested || steering.promoteRequested);
    status.waitingFor = null;
    if (!steering.abortRequested && !steering.promoteRequested) {
      setPhase(resumePhase);
      record('Resumed');
    }
  };

  /** Waits one analysis interval; a pause restarts it after resume so every round sees a full window. */
  const waitInterval = async (): Promise<'abort' | 'promote' | 'elapsed'> => {
    for (;;) {
      const interrupted = await condition(() => steering.abortRequested || steering.promoteRequested || steering.paused, intervalMs);
      if (steering.abortRequested) return 'abort';
      if (steering.promoteRequested) return 'promote';
      if (!interrupted) return 'elapsed';
      await holdWhilePaused();
    }
  };

  const analyse = async (checks: CheckQuery[]) => {
    status.iteration += 1;
    const verdict = judgeRound(await acts.analysis.queryChecks({ checks, ...(config.metricsServer ? { metricsServer: config.metricsServer } : {}) }));
    status.lastChecks = verdict.checks;
    if (!verdict.passed && firstFailedCheckMs === null) firstFailedCheckMs = Date.now();
    const decision = decideRound(verdict, status.failedChecks, config.analysis.threshold);
    status.failedChecks = decision.failedChecks;
    record(`Analysis ${status.iteration} at ${status.canaryWeight}%: ${decision.reason}`);
    return decision;
  };

  const runCanary = async (): Promise<ReleaseResult> => {
    const schedule = weightSchedule(config.analysis);
    const checks = metricChecks(
      { namespace: config.service.namespace, interval: config.analysis.interval, ...config.metrics },
      config.traffic.canaryService,
    );
    let installed = false;
    try {
      const current = await acts.deploy.describeRelease({ target, release: primary });
      status.previousVersion = current?.version ?? null;
      await notify(`Starting canary of ${label} (serving ${status.previousVersion ?? 'nothing yet'}); steps ${schedule.join(', ')}% every ${config.analysis.interval}.`, 'info');
      record(`Installing ${canary} at ${version}`);
      installed = true;
      await acts.deploy.installRelease({ target, release: canary, version });
      await acts.deploy.waitReady({ namespace: target.namespace, name: canary, timeoutMs: helmTimeoutMs });
      record(`${canary} is ready`);
      if (steering.abortRequested) return rollBack(steering.abortReason, false);
      if (config.webhooks.helmTests.enabled) {
        record(`Running helm tests of ${canary}`);
        const run = await acts.tests.runTests({ target, release: canary, timeoutMs: durationMs(config.webhooks.helmTests.timeout) });
        if (!run.passed) return rollBack(`helm test of ${canary} failed: ${run.output.split('\n').slice(-3).join(' | ')}`, false);
        record('Helm tests passed');
      }
      if (steering.abortRequested) return rollBack(steering.abortReason, false);
      setPhase('Progressing');
      let step = 0;
      await setCanaryWeight(schedule[step]!);
      for (;;) {
        const waited = await waitInterval();
        if (waited === 'abort') return rollBack(steering.abortReason, false);
        if (waited === 'promote') return promote('promoted by a person, remaining steps skipped');
        const decision = await analyse(checks);
        if (decision.action === 'rollback') return rollBack(decision.reason, true);
        if (decision.action === 'hold') continue;
        if (step === schedule.length - 1) return promote(`all ${schedule.length} steps passed analysis`);
        step += 1;
        await setCanaryWeight(schedule[step]!);
      }
    } catch (error) {
      if (!installed) return failed(`could not read the current release ${primary}: ${failureMessage(error)}`);
      return rollBack(`${failureMessage(error)}`, false);
    }
  };

  switch (config.strategy) {
    case 'canary':
      return runCanary();
    default:
      throw ApplicationFailure.nonRetryable(`strategy ${config.strategy} is not supported by this worker yet`, 'UnsupportedStrategy');
  }
}
