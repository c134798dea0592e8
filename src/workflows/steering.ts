/*
 * Steering: promote / abort / pause / resume from people. Each arrives two ways under the same name:
 * as a signal (Web UI "Send Signal", `temporal workflow signal`, any client), which cannot be refused,
 * so one that does not fit is recorded as ignored with why; and as an acknowledged Update (the CLI),
 * whose validator refuses it before it enters the history. An accepted message acts the same either way.
 */
import { ApplicationFailure, setHandler } from '@temporalio/workflow';
import { decideSignal, steeringRefusal, steeringReply, type Phase, type SignalName, type Strategy } from './domain';
import { abortSignal, abortUpdate, pauseSignal, pauseUpdate, promoteSignal, promoteUpdate, resumeSignal, resumeUpdate, type SteeringRequest } from './messages';

const MAX_BY = 100;
const MAX_REASON = 500;

/** What steering needs to know of the release it steers. */
export interface SteeredRelease {
  phase(): Phase;
  canaryWeight(): number;
  readonly strategy: Strategy;
  record(message: string): void;
}

/** A steering payload read leniently: junk never breaks a release, it only loses its `by` and `reason`. */
export function readSteeringRequest(payload: unknown): { by: string | null; reason: string | null; malformed: boolean } {
  if (payload === undefined) return { by: null, reason: null, malformed: false };
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return { by: null, reason: null, malformed: true };
  const { by, reason } = payload as Record<string, unknown>;
  const text = (value: unknown, max: number) => (typeof value === 'string' && value.trim() ? value.trim().slice(0, max) : null);
  return { by: text(by, MAX_BY), reason: text(reason, MAX_REASON), malformed: (by !== undefined && typeof by !== 'string') || (reason !== undefined && typeof reason !== 'string') };
}

/** The four steering messages, each a signal and an Update of the same name (a train takes them too). */
export const STEERING_CHANNELS = [
  ['promote', promoteSignal, promoteUpdate],
  ['abort', abortSignal, abortUpdate],
  ['pause', pauseSignal, pauseUpdate],
  ['resume', resumeSignal, resumeUpdate],
] as const;

/** The steering state of one release; the strategies read it at their checkpoints. */
export class Steering {
  paused = false;
  promoteRequested = false;
  abortRequested = false;
  abortReason = '';
  /** Who sent the accepted promote or abort, when they said. */
  by: string | null = null;

  constructor(private readonly release: SteeredRelease) {}

  /** Whether a person steered (abort, promote or pause): what ends an interval's or a wait's activity. */
  get steered(): boolean {
    return this.abortRequested || this.promoteRequested || this.paused;
  }

  /** The bake is a new stage after promotion: the promote that led there is spent, and a pause had nothing left to hold. */
  enterBake(): void {
    this.promoteRequested = false;
    this.paused = false;
  }

  /** Registers the four signals and the four Updates of the same names. */
  listen(): void {
    for (const [name, signal, update] of STEERING_CHANNELS) {
      setHandler(signal, (payload?: unknown) => {
        const request = readSteeringRequest(payload);
        if (request.malformed && name === 'abort') {
          this.release.record(`abort payload ${JSON.stringify(payload)?.slice(0, 100)} is malformed (expected { reason: string }); using the default reason`);
        }
        const decision = decideSignal(name, this.release.phase(), this, this.release.strategy);
        this.release.record(request.by ? `${decision.note} (from ${request.by})` : decision.note);
        if (decision.accepted) this.apply(name, request);
      });
      setHandler(
        update,
        (payload?: SteeringRequest) => {
          const request = readSteeringRequest(payload);
          // Validated a moment ago; a message handled in between (promote and abort sent together) may have changed the answer.
          const decision = decideSignal(name, this.release.phase(), this, this.release.strategy);
          if (!decision.accepted) throw ApplicationFailure.nonRetryable(steeringRefusal(name, this.release.phase(), decision), 'SteeringRefused');
          const reply = steeringReply(name, request.by ?? 'someone unnamed', { strategy: this.release.strategy, phase: this.release.phase(), canaryWeight: this.release.canaryWeight() });
          this.release.record(request.reason ? `${reply} (reason: ${request.reason})` : reply);
          this.apply(name, request);
          return reply;
        },
        {
          validator: (payload?: SteeringRequest) => {
            const request = readSteeringRequest(payload);
            if (request.malformed) throw new Error(`${name} refused: its payload must be { by?: string, reason?: string }, got ${JSON.stringify(payload)?.slice(0, 100)}`);
            const decision = decideSignal(name, this.release.phase(), this, this.release.strategy);
            if (!decision.accepted) throw new Error(steeringRefusal(name, this.release.phase(), decision));
          },
        },
      );
    }
  }

  private apply(name: SignalName, request: { by: string | null; reason: string | null }): void {
    switch (name) {
      case 'promote':
        this.promoteRequested = true;
        this.by = request.by;
        return;
      case 'abort':
        this.abortRequested = true;
        this.by = request.by;
        this.abortReason = request.reason ? `aborted: ${request.reason}` : request.by ? `aborted by ${request.by}` : 'aborted by a person';
        return;
      case 'pause':
        this.paused = true;
        return;
      case 'resume':
        this.paused = false;
        return;
    }
  }
}
