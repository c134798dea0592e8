import type { ReleaseStatus } from '../workflows/types';
import type { CheckResult } from '../workflows/domain/analysis';
import { formatMs } from '../workflows/domain/duration';

/** Where the CLI writes; injected so tests run commands in-process. */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  /** True when stdout is a terminal: watch redraws in place instead of printing lines. */
  isTTY: boolean;
}

export const processIO: CliIO = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  isTTY: !!process.stdout.isTTY,
};

/** `[██████░░░░░░░░░░░░░░]  30%` */
export function weightBar(canaryWeight: number, width = 20): string {
  const filled = Math.round((Math.max(0, Math.min(100, canaryWeight)) / 100) * width);
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${String(canaryWeight).padStart(3)}%`;
}

export function checkLine(check: CheckResult): string {
  return `  ${check.passed ? '✓' : '✗'} ${check.reason}`;
}

const time = (iso: string) => iso.slice(11, 19);

/** The status as a person reads it. */
export function renderStatus(status: ReleaseStatus, options: { events?: number } = {}): string {
  const lines = [
    `${status.workflowId}  ${status.namespace}/${status.service}  ${status.previousVersion ?? '(none)'} → ${status.version}  ${status.strategy}`,
    `phase ${status.phase}${status.waitingFor ? ` (waiting for ${status.waitingFor})` : ''}`,
    status.strategy === 'direct'
      ? `direct (helm upgrade → test → rollback on failure)`
      : `${status.strategy === 'blueGreen' ? 'green ' : 'canary'} ${weightBar(status.canaryWeight)}  iteration ${status.iteration}  failed checks ${status.failedChecks}/${status.threshold}`,
    ...status.lastChecks.map(checkLine),
  ];
  if (status.notificationFailures) lines.push(`  ! ${status.notificationFailures} Slack notification(s) failed`);
  const events = status.events.slice(-(options.events ?? 8));
  if (events.length) lines.push('events:', ...events.map((event) => `  ${time(event.at)}  ${event.message}`));
  if (status.finishedAt) lines.push(`finished ${status.finishedAt} after ${formatMs(Date.parse(status.finishedAt) - Date.parse(status.startedAt))}`);
  return lines.join('\n');
}
