import os from 'node:os';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { abortSignal, abortUpdate, pauseSignal, pauseUpdate, promoteSignal, promoteUpdate, resumeSignal, resumeUpdate, type SteeringRequest } from '../../workflows/messages';
import { followRelease } from '../follow';
import { followTrain } from './train';
import type { CliIO } from '../output';
import { connectClient, notFound, resolveReleaseId } from '../temporal';

export const STEERING_SIGNALS = { promote: promoteSignal, abort: abortSignal, pause: pauseSignal, resume: resumeSignal } as const;
const STEERING_UPDATES = { promote: promoteUpdate, abort: abortUpdate, pause: pauseUpdate, resume: resumeUpdate } as const;
export type SteeringSignal = keyof typeof STEERING_SIGNALS;

/** How long the CLI waits for a worker to acknowledge; after that the message goes as a signal, applied when a worker picks the release up. */
const ACKNOWLEDGE_TIMEOUT_MS = 30_000;

export interface SteerOptions {
  reason?: string;
  by?: string;
  wait?: boolean;
}

/** Who steers, for the record: `--by`, else user@host. */
export function defaultSteerer(): string {
  try {
    return `${os.userInfo().username}@${os.hostname()}`;
  } catch {
    return `unknown@${os.hostname()}`;
  }
}

type Acknowledgement = { kind: 'accepted'; reply: string } | { kind: 'refused'; why: string } | { kind: 'unacknowledged'; why: string };

/** Sends the Update and says what came of it; a worker without the Updates, or none answering, is not a refusal. */
async function acknowledge(handle: WorkflowHandle, signal: SteeringSignal, request: SteeringRequest): Promise<Acknowledgement> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Acknowledgement>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'unacknowledged', why: `no worker answered within ${ACKNOWLEDGE_TIMEOUT_MS / 1000}s` }), ACKNOWLEDGE_TIMEOUT_MS);
  });
  const update = handle.executeUpdate(STEERING_UPDATES[signal], { args: [request] }).then(
    (reply): Acknowledgement => ({ kind: 'accepted', reply }),
    (error: unknown): Acknowledgement => {
      if (error instanceof WorkflowNotFoundError || /already completed|aborted by closing workflow/i.test((error as Error)?.message ?? '')) {
        return { kind: 'refused', why: `${signal} refused: the release ended before it took the message (\`docutag-release status ${handle.workflowId}\` shows how)` };
      }
      if (!(error instanceof WorkflowUpdateFailedError)) throw error;
      const why = error.cause?.message ?? error.message;
      // A worker built before acknowledged steering has no handler for the Update: the signal still works.
      if (/no registered handler|unknown update|handler.*not (found|registered)/i.test(why)) return { kind: 'unacknowledged', why: 'its worker predates acknowledged steering' };
      return { kind: 'refused', why };
    },
  );
  try {
    return await Promise.race([update, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * promote / abort / pause / resume as acknowledged Updates: exit 0 with what happens next, or exit 1
 * with the phase and why the release refused it (nothing enters its history then).
 */
export async function steerCommand(signal: SteeringSignal, idOrService: string, options: SteerOptions, io: CliIO, env: NodeJS.ProcessEnv): Promise<number> {
  const id = resolveReleaseId(idOrService);
  const { client, close } = await connectClient(env);
  try {
    const handle = client.workflow.getHandle(id);
    const description = await handle.describe().catch((error) => notFound(id, error));
    if (description.status.name !== 'RUNNING') {
      io.err(`${id} is not running (${description.status.name}); nothing to ${signal}`);
      return 1;
    }
    const request: SteeringRequest = { by: options.by?.trim() || defaultSteerer(), ...(options.reason?.trim() ? { reason: options.reason.trim() } : {}) };
    const answer = await acknowledge(handle, signal, request);
    switch (answer.kind) {
      case 'refused':
        io.err(`${id}: ${answer.why}`);
        return 1;
      case 'unacknowledged':
        // Steering messages are idempotent (a second abort or promote is ignored), so a late Update and this signal cannot both act.
        await handle.signal(STEERING_SIGNALS[signal], request);
        io.out(`sent ${signal} to ${id} as a signal (${answer.why}); \`docutag-release status ${id}\` shows whether it applied`);
        break;
      case 'accepted':
        io.out(`${answer.reply} (${id})`);
        break;
    }
    if (!options.wait) return 0;
    return id.startsWith('train-') ? await followTrain(client, handle, io) : await followRelease(handle, io);
  } finally {
    await close();
  }
}
