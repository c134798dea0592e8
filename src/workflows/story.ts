/*
 * What the Temporal Web UI shows of a release: a static summary and static details set when it
 * starts (the list and the top of its page), and current details (markdown) kept up to date at
 * every event. User metadata only: no command, so nothing here touches a replay.
 */
import type { ReleaseConfig } from '../config/schema';
import { weightSchedule } from './domain';
import type { ReleaseStatus } from './types';

const STRATEGY_NAMES = { canary: 'canary', blueGreen: 'blue-green', abTesting: 'A/B test', direct: 'direct' } as const;

/** "canary docutag/docutag-controller → 1.2.0" */
export function releaseSummary(config: Pick<ReleaseConfig, 'strategy' | 'service'>, version: string): string {
  return `${STRATEGY_NAMES[config.strategy] ?? config.strategy} ${config.service.namespace}/${config.service.name} → ${version}`;
}

/** The plan, as it was when the release started: strategy, steps, the checks and their thresholds. */
export function releaseDetails(config: ReleaseConfig): string {
  const { analysis, metrics } = config;
  const lines = [`**${releaseSummary(config, '…').replace(' → …', '')}**`, ''];
  switch (config.strategy) {
    case 'canary':
      lines.push(`- steps: ${weightSchedule(analysis).join('% → ')}%, one analysis round every ${analysis.interval}`);
      break;
    case 'blueGreen':
      lines.push(`- green tested at 0% for ${analysis.iterations} rounds of ${analysis.interval}, then switched at once`);
      break;
    case 'abTesting':
      lines.push(`- matching requests to the canary for ${analysis.iterations} rounds of ${analysis.interval}`);
      break;
    case 'direct':
      lines.push('- helm upgrade → helm test → helm rollback on failure');
      break;
  }
  if (config.strategy !== 'direct') {
    lines.push(`- rolled back after ${analysis.threshold} failed round${analysis.threshold === 1 ? '' : 's'}`);
    const checks = [
      ...(metrics.requestSuccessRate.enabled ? [`request-success-rate ≥ ${metrics.requestSuccessRate.threshold}%`] : []),
      ...(metrics.requestDuration.enabled ? [`request-duration (p99) ≤ ${metrics.requestDuration.threshold} ms`] : []),
      ...metrics.custom.map((check) => `${check.name}${check.min !== undefined ? ` ≥ ${check.min}` : ''}${check.max !== undefined ? ` ≤ ${check.max}` : ''}`),
    ];
    if (checks.length) lines.push(`- checks: ${checks.join(', ')}`);
  }
  if (config.bake) lines.push(`- bake after promotion: ${config.bake.duration}`);
  lines.push(`- helm: ${config.helm.releases.primary} (primary)${config.strategy === 'direct' ? '' : `, ${config.helm.releases.canary} (canary)`}, namespace ${config.service.namespace}`);
  return lines.join('\n');
}

/** Where the release stands now: phase, weight, the last checks against their thresholds, what it waits for. */
export function currentDetails(status: ReleaseStatus): string {
  const lines = [`**${status.phase}**${status.strategy === 'direct' || status.operation === 'revert' ? '' : ` · canary ${status.canaryWeight}%`} · ${status.previousVersion ?? '(none)'} → ${status.version}`];
  if (status.strategy !== 'direct' && status.iteration) lines.push(`round ${status.iteration}, failed checks ${status.failedChecks}/${status.threshold}`);
  for (const check of status.lastChecks) lines.push(`- ${check.passed ? '✓' : '✗'} ${check.name}: ${check.value === null ? 'no data' : check.value} (threshold ${check.threshold})`);
  if (status.waitingFor) lines.push(`waiting for ${status.waitingFor}`);
  const last = status.events.at(-1);
  if (last) lines.push('', `${last.at.slice(11, 19)} ${last.message}`);
  return lines.join('\n');
}

/**
 * The Web UI's summary and details for a release being started, or none: a client may start one with
 * an input the worker will still check and refuse, and metadata must never stop the start.
 */
export function startMetadata(config: ReleaseConfig, version: string): { staticSummary?: string; staticDetails?: string } {
  try {
    return { staticSummary: releaseSummary(config, version), staticDetails: releaseDetails(config) };
  } catch {
    return {};
  }
}
