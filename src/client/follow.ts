import { ApplicationFailure, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { statusQuery } from '../workflows/messages';
import { EXIT_CODES, exitCodeFor, INVALID_INPUT_FAILURE, type ReleaseResult, type ReleaseStatus } from '../workflows/types';
import { formatMs } from '../workflows/domain/duration';
import { printable, renderStatus, trafficBar, type CliIO } from './output';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The result line a person reads last; also used by `status` of a finished release. */
export function renderResult(result: ReleaseResult): string {
  const timings = [`total ${formatMs(result.totalMs)}`];
  if (result.detectionMs !== null) timings.push(`detection ${formatMs(result.detectionMs)}`);
  if (result.rollbackMs !== null) timings.push(`rollback ${formatMs(result.rollbackMs)}`);
  return `${result.outcome.toUpperCase()}: ${printable(result.reason, { singleLine: true })} (${timings.join(', ')})`;
}

/** A workflow that ended with no result: refused input is bad input (exit 2), anything else failed (exit 4). */
export function endedWithoutResult(error: unknown, workflow: string, statusName: string, io: CliIO): number {
  const cause = printable(error instanceof WorkflowFailedError ? (error.cause?.message ?? error.message) : (error as Error).message);
  // The worker refused the input before acting on it: bad input, as `validate` would say.
  if (error instanceof WorkflowFailedError && error.cause instanceof ApplicationFailure && error.cause.type === INVALID_INPUT_FAILURE) {
    io.err(`REFUSED: ${cause}`);
    return EXIT_CODES.badInput;
  }
  io.err(`FAILED: the ${workflow} workflow ended ${statusName}: ${cause}`);
  return EXIT_CODES.failed;
}

/** The events not yet in `seen` (which then holds them): each is printed once however often status is polled. */
export function unseen<E extends { at: string; message: string }>(seen: Set<string>, events: readonly E[]): E[] {
  return events.filter((event) => {
    const key = `${event.at}|${event.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export interface FollowOptions {
  pollMs?: number;
  json?: boolean;
}

/**
 * Follows a release until it ends: new events as lines (or a redrawn panel on a terminal), a weight
 * bar whenever the weight moves. Returns the exit code of its outcome.
 */
export async function followRelease(handle: WorkflowHandle, io: CliIO, options: FollowOptions = {}): Promise<number> {
  const printed = new Set<string>();
  let lastBar = '';
  let lastMatch: string | undefined;
  let waitingForWorker = false;
  const printNew = (status: ReleaseStatus) => {
    if (options.json) return;
    if (io.isTTY) {
      io.out(`\x1b[H\x1b[2J${renderStatus(status)}`);
      return;
    }
    for (const event of unseen(printed, status.events)) io.out(`${event.at.slice(11, 19)}  ${printable(event.message, { singleLine: true })}`);
    // An A/B test shows its rule once it is in place, instead of a weight that never moves.
    if (status.strategy === 'abTesting') {
      if (status.match && status.match !== lastMatch) {
        lastMatch = status.match;
        io.out(`          A/B canary ← requests where ${printable(status.match, { singleLine: true })}  ${status.phase}`);
      }
      return;
    }
    // A direct release moves no traffic: its story is the events, as the deploy script printed it.
    const bar = trafficBar(status);
    if (status.strategy !== 'direct' && status.operation !== 'revert' && bar !== lastBar) {
      lastBar = bar;
      io.out(`          ${bar}  ${status.phase}`);
    }
  };
  for (;;) {
    const description = await handle.describe();
    if (description.status.name !== 'RUNNING') {
      try {
        const result = (await handle.result()) as ReleaseResult;
        printNew(result.status);
        io.out(options.json ? JSON.stringify(result, null, 2) : renderResult(result));
        return exitCodeFor(result.outcome);
      } catch (error) {
        return endedWithoutResult(error, 'release', description.status.name, io);
      }
    }
    try {
      printNew(await handle.query(statusQuery));
      waitingForWorker = false;
    } catch (error) {
      if (!waitingForWorker && !options.json) io.err(`waiting for a worker to answer (${(error as Error).message.split('\n')[0]}); is \`docutag-release worker\` running?`);
      waitingForWorker = true;
    }
    await sleep(options.pollMs ?? 500);
  }
}
