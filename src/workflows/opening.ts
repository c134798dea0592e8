/*
 * The opening the two-track strategies (canary, blue-green) share: read the primary, announce, the
 * confirm-rollout gate, the cleared canary track, the install, readiness and helm tests, with an
 * abort honoured between every step.
 */
import type { ReleaseRun } from './run';
import type { ReleaseResult } from './types';

export interface TrackOpening {
  /** The Slack message that starts the release (the primary's version is known by then). */
  announce: () => string;
  /** How the track is named in the events and reasons: `canary-x`, `green canary-x`. */
  trackLabel: string;
  /** The event before the install. */
  installing: string;
}

/**
 * Installs and tests the track under analysis. Returns the release's end when it ended here (an
 * abort, a failed helm test), or null with the track ready and the phase Progressing. `progress`
 * says whether the install began, so the caller's error handling knows whether to roll back.
 */
export async function openTrack(run: ReleaseRun, opening: TrackOpening, progress: { installed: boolean }): Promise<ReleaseResult | null> {
  const { config, acts, target, version, primary, canary, status, steering } = run;
  const current = await acts.deploy.describeRelease({ target, release: primary });
  status.previousVersion = current?.version ?? null;
  run.primaryBefore = current;
  await run.notify(opening.announce(), 'info');
  // promote opens confirm-rollout as well (a person confirmed); the request then skips the steps.
  if ((await run.hooks.gate('confirm-rollout')).kind === 'abort') return run.abandon(steering.abortReason);
  if (run.abortedBeforeInstall()) return run.abandon(steering.abortReason);
  // The track must not get user traffic before its first step, whatever the router held before.
  await run.traffic.clearCanaryTrack();
  run.record(opening.installing);
  progress.installed = true;
  // canary.set sizes the canary track of a canary release; green takes all traffic at a blue-green's switch, so it keeps full size.
  const canarySet = config.strategy === 'canary' && config.canary?.set && Object.keys(config.canary.set).length ? { extraSet: config.canary.set } : {};
  await acts.deploy.installRelease({ target, release: canary, version, ...canarySet });
  await run.waitReady(canary);
  run.record(`${canary} is ready`);
  if (steering.abortRequested) return run.rollBack(steering.abortReason, false);
  if (config.webhooks.helmTests.enabled) {
    run.record(`Running helm tests of ${canary}`);
    const tests = await acts.tests.runTests({ target, release: canary, timeoutMs: run.timings.helmTestsTimeoutMs });
    if (!tests.passed) return run.rollBack(`helm test of ${opening.trackLabel} failed: ${tests.output.split('\n').slice(-3).join(' | ')}`, false);
    run.record('Helm tests passed');
  }
  if (steering.abortRequested) return run.rollBack(steering.abortReason, false);
  run.setPhase('Progressing');
  return null;
}
