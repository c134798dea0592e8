import { canTransition, decideSignal, nextPhase, PHASES, SIGNALS, TERMINAL_PHASES, type Phase, type SignalName } from '../../src/workflows/domain/phases';

const ALL_PHASES = Object.values(PHASES);
const ALL_SIGNALS = Object.values(SIGNALS);

describe('phase transitions', () => {
  const allowed: Array<[Phase, Phase]> = [
    ['Initializing', 'Progressing'],
    ['Initializing', 'Promoting'],
    ['Initializing', 'RollingBack'],
    ['Initializing', 'Failed'],
    ['Progressing', 'Paused'],
    ['Progressing', 'WaitingPromotion'],
    ['Progressing', 'Promoting'],
    ['Progressing', 'RollingBack'],
    ['Paused', 'Progressing'],
    ['Paused', 'Promoting'],
    ['Paused', 'RollingBack'],
    ['WaitingPromotion', 'Paused'],
    ['WaitingPromotion', 'Promoting'],
    ['Promoting', 'Finalising'],
    ['Promoting', 'RollingBack'],
    ['Promoting', 'Failed'],
    ['Finalising', 'Succeeded'],
    ['Finalising', 'Failed'],
    ['Finalising', 'Baking'],
    ['Baking', 'Succeeded'],
    ['Baking', 'RollingBack'],
    ['Baking', 'Failed'],
    ['RollingBack', 'RolledBack'],
    ['RollingBack', 'Failed'],
  ];
  test.each(allowed)('allows %s -> %s', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
    expect(nextPhase(from, to)).toBe(to);
  });

  const refused: Array<[Phase, Phase]> = [
    ['Initializing', 'Succeeded'],
    ['Initializing', 'RolledBack'],
    ['Progressing', 'Succeeded'],
    ['Progressing', 'Finalising'],
    ['Progressing', 'RolledBack'],
    ['Progressing', 'Initializing'],
    ['Paused', 'Succeeded'],
    ['Promoting', 'Progressing'],
    ['Promoting', 'Succeeded'],
    ['Finalising', 'RollingBack'],
    ['Finalising', 'Progressing'],
    ['Promoting', 'Baking'],
    ['Baking', 'Progressing'],
    ['Baking', 'RolledBack'],
    ['RollingBack', 'Progressing'],
    ['RollingBack', 'Succeeded'],
    ['Succeeded', 'RollingBack'],
    ['Succeeded', 'Progressing'],
    ['RolledBack', 'Progressing'],
    ['RolledBack', 'Succeeded'],
    ['Failed', 'RollingBack'],
    ['Failed', 'Succeeded'],
  ];
  test.each(refused)('refuses %s -> %s and names both phases', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
    expect(() => nextPhase(from, to)).toThrow(`phase transition ${from} -> ${to} is not allowed`);
  });

  test('staying in the same phase is always allowed', () => {
    for (const phase of ALL_PHASES) expect(canTransition(phase, phase)).toBe(true);
  });

  test('nothing follows a terminal phase', () => {
    expect([...TERMINAL_PHASES].sort()).toEqual(['Failed', 'RolledBack', 'Succeeded']);
    for (const from of TERMINAL_PHASES) {
      for (const to of ALL_PHASES.filter((phase) => phase !== from)) expect(canTransition(from, to)).toBe(false);
    }
  });

  test('every non-terminal phase can fail', () => {
    for (const from of ALL_PHASES.filter((phase) => !TERMINAL_PHASES.has(phase))) expect(canTransition(from, 'Failed')).toBe(true);
  });
});

describe('decideSignal', () => {
  const idle = { paused: false, promoteRequested: false, abortRequested: false };
  const paused = { ...idle, paused: true };

  test.each(ALL_SIGNALS.flatMap((signal) => [...TERMINAL_PHASES].map((phase) => [signal, phase] as [SignalName, Phase])))(
    'ignores %s once the release ended (%s)',
    (signal, phase) => {
      for (const state of [idle, paused]) {
        const decision = decideSignal(signal, phase, state);
        expect(decision.accepted).toBe(false);
        expect(decision.note).toBe(`${signal} ignored: the release already ended (${phase})`);
      }
    },
  );

  test.each(ALL_SIGNALS)('ignores %s while rolling back', (signal) => {
    expect(decideSignal(signal, 'RollingBack', idle)).toEqual({ accepted: false, note: `${signal} ignored: the release is rolling back` });
  });

  test.each(ALL_SIGNALS)('ignores %s after an abort was accepted, before the phase changes', (signal) => {
    expect(decideSignal(signal, 'Progressing', { ...idle, abortRequested: true })).toEqual({ accepted: false, note: `${signal} ignored: the release is rolling back` });
  });

  test.each(ALL_SIGNALS.flatMap((signal) => (['Promoting', 'Finalising'] as Phase[]).map((phase) => [signal, phase] as [SignalName, Phase])))(
    'ignores %s while promotion is under way (%s)',
    (signal, phase) => {
      expect(decideSignal(signal, phase, idle)).toEqual({ accepted: false, note: `${signal} ignored: promotion is under way (${phase})` });
    },
  );

  const steerable: Phase[] = ['Initializing', 'Progressing', 'Paused', 'WaitingPromotion'];
  type State = { paused: boolean; promoteRequested: boolean; abortRequested: boolean };
  const cases: Array<[string, SignalName, State, boolean, string]> = [
    ['accepts abort', 'abort', idle, true, 'abort accepted: rolling back'],
    ['accepts abort while paused', 'abort', paused, true, 'abort accepted: rolling back'],
    ['refuses abort once promote was accepted (exactly one of the two applies)', 'abort', { ...idle, promoteRequested: true }, false, 'abort ignored: promote was already accepted and promotion goes on (past the point of no return: release the previous version to go back)'],
    ['accepts the first promote', 'promote', idle, true, 'promote accepted: skipping the remaining steps'],
    ['accepts promote while paused', 'promote', paused, true, 'promote accepted: skipping the remaining steps'],
    ['ignores a second promote', 'promote', { ...idle, promoteRequested: true }, false, 'promote ignored: promotion was already requested'],
    ['accepts pause when not paused', 'pause', idle, true, 'pause accepted: weight and analysis held until resume'],
    ['ignores pause when already paused', 'pause', paused, false, 'pause ignored: the release is already paused'],
    ['accepts resume when paused', 'resume', paused, true, 'resume accepted: analysis continues'],
    ['ignores resume when not paused', 'resume', idle, false, 'resume ignored: the release is not paused'],
  ];
  for (const phase of steerable) {
    test.each(cases)(`${phase}: %s`, (_name, signal, state, accepted, note) => {
      expect(decideSignal(signal, phase, state)).toEqual({ accepted, note });
    });
  }

  const bakeHolds = 'ignored: a bake holds no weight (abort reverts to the revision before the release, promote ends the bake)';
  test.each([
    ['accepts abort: it reverts to the revision before the release', 'abort', idle, true, 'abort accepted: reverting to the revision before the release (bake)'],
    ['accepts abort even while a promote ends the bake (the revert is the safe side)', 'abort', { ...idle, promoteRequested: true }, true, 'abort accepted: reverting to the revision before the release (bake)'],
    ['ignores abort once one was accepted', 'abort', { ...idle, abortRequested: true }, false, 'abort ignored: the release is rolling back'],
    ['accepts promote: it ends the bake early', 'promote', idle, true, 'promote accepted: ending the bake, the new version stays'],
    ['ignores a second promote', 'promote', { ...idle, promoteRequested: true }, false, 'promote ignored: the bake is already ending'],
    ['ignores pause', 'pause', idle, false, `pause ${bakeHolds}`],
    ['ignores resume', 'resume', paused, false, `resume ${bakeHolds}`],
  ] as Array<[string, SignalName, State, boolean, string]>)('Baking: %s', (_name, signal, state, accepted, note) => {
    expect(decideSignal(signal, 'Baking', state)).toEqual({ accepted, note });
  });

  test('promote twice: the first is accepted, the second recorded and ignored', () => {
    const state = { ...idle };
    const first = decideSignal('promote', 'Progressing', state);
    if (first.accepted) state.promoteRequested = true;
    const second = decideSignal('promote', 'Progressing', state);
    expect([first.accepted, second.accepted]).toEqual([true, false]);
  });

  test('never throws for any signal, phase and state', () => {
    for (const signal of ALL_SIGNALS) {
      for (const phase of ALL_PHASES) {
        for (const bits of [0, 1, 2, 3, 4, 5, 6, 7]) {
          const state = { paused: Boolean(bits & 1), promoteRequested: Boolean(bits & 2), abortRequested: Boolean(bits & 4) };
          const decision = decideSignal(signal, phase, state);
          expect(decision.note.startsWith(signal)).toBe(true);
        }
      }
    }
  });
});
