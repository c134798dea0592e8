import { ApplicationFailure, executeChild, log, ParentClosePolicy, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import { admittedConfig, CHECK_CONFIG_PATCH } from './admission';
import type { ReleaseActivities } from '../activities';
import { durationMs, judgeRound, metricChecks } from './domain';
import { helmTargetOf, notificationRoute } from './run';
import { judgeDrill } from './domain/drill';
import { initialSearchAttributes } from './messages';
import { releaseDetails, releaseSummary } from './story';
import { release } from './release';
import { releaseWorkflowId, type DrillInput, type DrillResult, type ReleaseResult } from './types';
import { releaseTimings } from './timings';

const acts = proxyActivities<ReleaseActivities>({ startToCloseTimeout: '2m', retry: { initialInterval: '1s', maximumAttempts: 3 } });
const notifyActs = proxyActivities<ReleaseActivities>({ startToCloseTimeout: '1m', retry: { initialInterval: '1s', maximumAttempts: 2 } });

/**
 * A rollback drill: releases the config's deliberately faulty version (`drill.version` with
 * `drill.set`), expects it to be rolled back, measures detection and restore, checks the primary
 * serves its old version and is healthy, and reports to Slack. Fails loudly otherwise.
 */
export async function rollbackDrill(input: DrillInput): Promise<DrillResult> {
  if (patched(CHECK_CONFIG_PATCH)) await admittedConfig(input.config, 'drill');
  const { config } = input;
  if (!config.drill) throw ApplicationFailure.nonRetryable(`${config.service.namespace}/${config.service.name} has no drill block: add drill: { version, set, maxRestore } to its config`, 'NoDrillConfig');
  const drill = config.drill;
  const startedAt = new Date().toISOString();
  const maxRestoreMs = durationMs(drill.maxRestore);
  const timings = releaseTimings(config);
  const service = `${config.service.namespace}/${config.service.name}`;
  const target = helmTargetOf(config, timings);
  const childId = releaseWorkflowId(config.service.namespace, config.service.name);
  const base = { service, strategy: config.strategy, drillVersion: drill.version, releaseWorkflowId: childId, maxRestoreMs, startedAt };
  const notify = async (text: string, severity: 'info' | 'success' | 'warning' | 'error') => {
    const route = notificationRoute(config.alerts);
    if (!route) return;
    try {
      await notifyActs.notify({ text, severity, ...route });
    } catch (error) {
      log.warn(`drill notification failed: ${(error as Error).message}`);
    }
  };

  const before = await acts.describeRelease({ target, release: config.helm.releases.primary });
  const drillConfig = { ...config, helm: { ...config.helm, set: { ...config.helm.set, ...drill.set } } };
  let released: ReleaseResult;
  try {
    released = await executeChild(release, {
      workflowId: childId,
      // Cancelling or terminating the drill cancels its release, which then rolls back like an abort.
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      args: [{ config: drillConfig, version: drill.version, requestedBy: `drill (${input.trigger ?? 'manual'}) ${workflowInfo().workflowId}` }],
      typedSearchAttributes: [...initialSearchAttributes(config, drill.version)],
      staticSummary: `${releaseSummary(config, drill.version)} (rollback drill)`,
      staticDetails: releaseDetails(drillConfig),
    });
  } catch (error) {
    const message = (error as Error).message;
    if (/already started|AlreadyStarted/i.test(`${message} ${(error as { cause?: Error }).cause?.message ?? ''}`) || (error as Error).name === 'WorkflowExecutionAlreadyStartedError') {
      const reason = `skipped: a release of ${service} is running (${childId}); the drill waits for the next run`;
      await notify(`Rollback drill of ${service} ${reason}`, 'warning');
      return { ...base, passed: false, skipped: true, reason, releaseOutcome: null, detectionMs: null, restoreMs: null, primaryChecks: [], finishedAt: new Date().toISOString() };
    }
    throw error;
  }

  // A metrics round on the primary: it must serve, and be healthy, once the drill is over.
  const primaryChecks = judgeRound(
    await acts.queryChecks({
      checks: metricChecks({ namespace: config.service.namespace, intervalMs: timings.intervalMs, target: config.target, ...config.metrics, custom: [] }, config.traffic.primaryService),
      ...(config.metricsServer ? { metricsServer: config.metricsServer } : {}),
    }),
  ).checks;
  const after = await acts.describeRelease({ target, release: config.helm.releases.primary });
  const verdict = judgeDrill({
    releaseOutcome: released.outcome,
    releaseReason: released.reason,
    detectionMs: released.detectionMs,
    restoreMs: released.rollbackMs,
    maxRestoreMs,
    primaryChecks,
    primaryVersionBefore: before?.version ?? null,
    primaryVersionAfter: after?.version ?? null,
  });
  const times = `detection ${released.detectionMs ?? '-'}ms, restore ${released.rollbackMs ?? '-'}ms (limit ${maxRestoreMs}ms)`;
  await notify(
    verdict.passed ? `Rollback drill of ${service} passed: ${times}.` : `ROLLBACK DRILL FAILED for ${service}: ${verdict.reason}. ${times}.`,
    verdict.passed ? 'success' : 'error',
  );
  return {
    ...base,
    passed: verdict.passed,
    skipped: false,
    reason: verdict.reason,
    releaseOutcome: released.outcome,
    detectionMs: released.detectionMs,
    restoreMs: released.rollbackMs,
    primaryChecks,
    finishedAt: new Date().toISOString(),
  };
}
