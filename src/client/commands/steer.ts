import { abortSignal, pauseSignal, promoteSignal, resumeSignal } from '../../workflows/messages';
import type { CliIO } from '../output';
import { connectClient, notFound, resolveReleaseId } from '../temporal';

export const STEERING_SIGNALS = { promote: promoteSignal, abort: abortSignal, pause: pauseSignal, resume: resumeSignal } as const;
export type SteeringSignal = keyof typeof STEERING_SIGNALS;

/** Sends promote / abort / pause / resume. The workflow records a signal that does not fit its phase. */
export async function steerCommand(signal: SteeringSignal, idOrService: string, options: { reason?: string }, io: CliIO, env: NodeJS.ProcessEnv): Promise<number> {
  const id = resolveReleaseId(idOrService);
  const { client, close } = await connectClient(env);
  try {
    const handle = client.workflow.getHandle(id);
    const description = await handle.describe().catch((error) => notFound(id, error));
    if (description.status.name !== 'RUNNING') {
      io.err(`${id} is not running (${description.status.name}); nothing to ${signal}`);
      return 1;
    }
    if (signal === 'abort') await handle.signal(abortSignal, { reason: options.reason ?? 'aborted from the CLI' });
    else await handle.signal(STEERING_SIGNALS[signal]);
    io.out(`sent ${signal} to ${id}; \`docutag-release status ${id}\` shows whether it applied`);
    return 0;
  } finally {
    await close();
  }
}
