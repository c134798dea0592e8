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

/** Terminal escape sequences: CSI (`ESC [ … final`, colours, cursor moves, clear screen) and OSC (`ESC ] … BEL`, titles, hyperlinks). */
const ESCAPE_SEQUENCE = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]/g;
/** Other control characters (C0 but tab and newline, DEL, C1) and bidirectional overrides, which reorder what a person reads. */
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text from outside (webhook bodies, helm stderr, Prometheus errors, all quoted in events and check
 * reasons) made safe to print: escape sequences removed, other control characters shown as `�`, so
 * it cannot recolour, clear or retitle the terminal, or hide what came before it. `singleLine` also
 * folds newlines to ` | `, so a quoted text cannot fake a line of the CLI's own.
 */
export function printable(text: string, options: { singleLine?: boolean } = {}): string {
  const cleaned = text.replace(ESCAPE_SEQUENCE, '').replace(/\r\n?/g, '\n').replace(CONTROL, '\ufffd');
  return options.singleLine ? cleaned.replace(/\n/g, ' | ').replace(/\t/g, ' ') : cleaned;
}

const line = (text: string) => printable(text, { singleLine: true });

/** `[██████░░░░░░░░░░░░░░]  30%` */
export function weightBar(canaryWeight: number, width = 20): string {
  const filled = Math.round((Math.max(0, Math.min(100, canaryWeight)) / 100) * width);
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${String(canaryWeight).padStart(3)}%`;
}

/** Phases after promotion: the primary serves the new version, whatever the canary track's weight (0 once the canary is removed). */
const PROMOTED_PHASES: ReadonlySet<string> = new Set(['Finalising', 'Baking', 'Succeeded']);

/**
 * Where the new version's traffic stands, as a person reads it: the canary (green) bar while it is
 * tried, and once promoted `1.1.0 on the primary` at 100%, not the canary track's 0%.
 */
export function trafficBar(status: Pick<ReleaseStatus, 'phase' | 'canaryWeight' | 'version' | 'strategy'>, width = 20): string {
  if (PROMOTED_PHASES.has(status.phase)) return `${weightBar(100, width)}  ${line(status.version)} on the primary`;
  return `${weightBar(status.canaryWeight, width)}  ${status.strategy === 'blueGreen' ? 'green' : 'canary'}`;
}

export function checkLine(check: CheckResult): string {
  return `  ${check.passed ? '✓' : '✗'} ${line(check.reason)}`;
}

const time = (iso: string) => iso.slice(11, 19);

/** The status as a person reads it. */
export function renderStatus(status: ReleaseStatus, options: { events?: number } = {}): string {
  const lines = [
    line(`${status.workflowId}  ${status.namespace}/${status.service}  ${status.previousVersion ?? '(none)'} → ${status.version}  ${status.strategy}`),
    `phase ${status.phase}${status.waitingFor ? ` (waiting for ${line(status.waitingFor)})` : ''}`,
    status.operation === 'revert'
      ? `rollback (helm rollback --wait, no analysis)`
      : status.strategy === 'direct'
      ? `direct (helm upgrade → test → rollback on failure)`
      : status.strategy === 'abTesting'
        ? // No weight to draw: the canary gets the requests that match, and no others.
          `A/B    ${status.match ? line(`canary ← requests where ${status.match}`) : 'canary ← no requests yet (router not in place)'}  iteration ${status.iteration}  failed checks ${status.failedChecks}/${status.threshold}`
        : `${trafficBar(status)}  iteration ${status.iteration}  failed checks ${status.failedChecks}/${status.threshold}`,
    ...status.lastChecks.map(checkLine),
  ];
  if (status.notificationFailures) lines.push(`  ! ${status.notificationFailures} notification(s) failed`);
  const events = status.events.slice(-(options.events ?? 8));
  if (events.length) lines.push('events:', ...events.map((event) => `  ${time(event.at)}  ${line(event.message)}`));
  if (status.finishedAt) lines.push(`finished ${status.finishedAt} after ${formatMs(Date.parse(status.finishedAt) - Date.parse(status.startedAt))}`);
  return lines.join('\n');
}
