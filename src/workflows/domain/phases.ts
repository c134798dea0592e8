import type { Strategy } from './strategy';

/** Release phases, in Flagger's words where they exist. */
export const PHASES = {
  Initializing: 'Initializing',
  Progressing: 'Progressing',
  Paused: 'Paused',
  WaitingPromotion: 'WaitingPromotion',
  Promoting: 'Promoting',
  Finalising: 'Finalising',
  /** Promoted, and the primary still analysed for `bake.duration`: a regression reverts to the revision before the release. */
  Baking: 'Baking',
  Succeeded: 'Succeeded',
  RollingBack: 'RollingBack',
  RolledBack: 'RolledBack',
  Failed: 'Failed',
} as const;
export type Phase = (typeof PHASES)[keyof typeof PHASES];

export const TERMINAL_PHASES: ReadonlySet<Phase> = new Set<Phase>(['Succeeded', 'RolledBack', 'Failed']);

/** Which phase may follow which. Anything not listed is a bug in the workflow, not a user error. */
const TRANSITIONS: Record<Phase, readonly Phase[]> = {
  Initializing: ['Progressing', 'WaitingPromotion', 'Promoting', 'RollingBack', 'Failed'],
  Progressing: ['Paused', 'WaitingPromotion', 'Promoting', 'RollingBack', 'Failed'],
  Paused: ['Progressing', 'WaitingPromotion', 'RollingBack', 'Promoting', 'Failed'],
  WaitingPromotion: ['Progressing', 'Paused', 'Promoting', 'RollingBack', 'Failed'],
  Promoting: ['Finalising', 'RollingBack', 'Failed'],
  Finalising: ['Succeeded', 'Baking', 'Failed'],
  Baking: ['Succeeded', 'RollingBack', 'Failed'],
  Succeeded: [],
  RollingBack: ['RolledBack', 'Failed'],
  RolledBack: [],
  Failed: [],
};

export function canTransition(from: Phase, to: Phase): boolean {
  return from === to || TRANSITIONS[from].includes(to);
}

/** Throws when a transition is not allowed: the workflow fails its task instead of reporting a wrong phase. */
export function nextPhase(from: Phase, to: Phase): Phase {
  if (!canTransition(from, to)) throw new Error(`phase transition ${from} -> ${to} is not allowed`);
  return to;
}

export const SIGNALS = { promote: 'promote', abort: 'abort', pause: 'pause', resume: 'resume' } as const;
export type SignalName = (typeof SIGNALS)[keyof typeof SIGNALS];

export type SignalDecision = { accepted: true; note: string } | { accepted: false; note: string };

/** Phases in which traffic and analysis are still in the release's hands. */
const STEERABLE: ReadonlySet<Phase> = new Set<Phase>(['Initializing', 'Progressing', 'Paused', 'WaitingPromotion']);

/**
 * Whether a signal fits the phase. A signal that does not fit is recorded and ignored, never a crash:
 * `abort` after promotion began cannot undo it, `resume` without `pause` has nothing to resume.
 */
export function decideSignal(
  signal: SignalName,
  phase: Phase,
  state: { paused: boolean; promoteRequested: boolean; abortRequested: boolean },
  strategy: Strategy = 'canary',
): SignalDecision {
  if (TERMINAL_PHASES.has(phase)) return { accepted: false, note: `${signal} ignored: the release already ended (${phase})` };
  if (state.abortRequested || phase === 'RollingBack') return { accepted: false, note: `${signal} ignored: the release is rolling back` };
  if (phase === 'Baking') return bakingDecision(signal, state);
  if (!STEERABLE.has(phase)) return { accepted: false, note: `${signal} ignored: promotion is under way (${phase})` };
  // A direct release is one helm upgrade and its tests: no steps to skip, no weight or analysis to hold.
  if (strategy === 'direct' && signal !== 'abort') {
    return { accepted: false, note: `${signal} ignored: a direct release has no steps to ${signal === 'promote' ? 'skip' : signal === 'pause' ? 'hold' : 'resume'} (abort still rolls back)` };
  }
  switch (signal) {
    case 'abort':
      // promote and abort sent together: exactly one applies. Once promote is accepted the release is
      // past its point of no return, and saying OK to an abort that cannot act would be a lie.
      return state.promoteRequested
        ? { accepted: false, note: 'abort ignored: promote was already accepted and promotion goes on (past the point of no return: release the previous version to go back)' }
        : { accepted: true, note: 'abort accepted: rolling back' };
    case 'promote':
      return state.promoteRequested
        ? { accepted: false, note: 'promote ignored: promotion was already requested' }
        : { accepted: true, note: 'promote accepted: skipping the remaining steps' };
    case 'pause':
      return state.paused ? { accepted: false, note: 'pause ignored: the release is already paused' } : { accepted: true, note: 'pause accepted: weight and analysis held until resume' };
    case 'resume':
      return state.paused ? { accepted: true, note: 'resume accepted: analysis continues' } : { accepted: false, note: 'resume ignored: the release is not paused' };
  }
}

/** After promotion, during the bake: abort reverts to the revision before the release, promote ends the bake early. */
function bakingDecision(signal: SignalName, state: { promoteRequested: boolean }): SignalDecision {
  switch (signal) {
    case 'abort':
      return { accepted: true, note: 'abort accepted: reverting to the revision before the release (bake)' };
    case 'promote':
      return state.promoteRequested ? { accepted: false, note: 'promote ignored: the bake is already ending' } : { accepted: true, note: 'promote accepted: ending the bake, the new version stays' };
    default:
      return { accepted: false, note: `${signal} ignored: a bake holds no weight (abort reverts to the revision before the release, promote ends the bake)` };
  }
}

/** The text an acknowledged steering Update is refused with: the phase it found and why. */
export function steeringRefusal(signal: SignalName, phase: Phase, decision: SignalDecision): string {
  const why = decision.note.startsWith(`${signal} ignored: `) ? decision.note.slice(`${signal} ignored: `.length) : decision.note;
  return `${signal} refused (phase ${phase}): ${why}`;
}

/** What an accepted steering message does next, in the words the CLI prints. */
export function steeringReply(signal: SignalName, by: string, situation: { strategy: Strategy; phase: Phase; canaryWeight: number }): string {
  const { strategy, phase, canaryWeight } = situation;
  const from = `${signal} accepted from ${by}`;
  if (phase === 'Baking') return signal === 'abort' ? `${from}: reverting to the revision before the release` : `${from}: ending the bake, the new version stays`;
  switch (signal) {
    case 'abort':
      if (strategy === 'direct') return `${from}: rolling back to the recorded revision${phase === 'Initializing' ? ' (nothing upgraded yet: the release stops)' : ''}`;
      return `${from}: rolling back from ${canaryWeight}%`;
    case 'promote':
      return `${from}: promoting from ${canaryWeight}%, the remaining steps skipped`;
    case 'pause':
      return `${from}: holding at ${canaryWeight}% (no weight increase, no analysis) until resume or abort`;
    case 'resume':
      return `${from}: the analysis continues from ${canaryWeight}%`;
  }
}
