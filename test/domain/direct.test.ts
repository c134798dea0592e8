import { directStory, outputTail, planDirect, type HistoryEntry } from '../../src/workflows/domain/direct';
import { decideSignal, SIGNALS } from '../../src/workflows/domain/phases';

const entry = (revision: number, status: string): HistoryEntry => ({ revision, status });

describe('planDirect: the revision a failure rolls back to', () => {
  test.each([
    ['not installed: first install', [], { kind: 'firstInstall' }],
    ['one deployed revision', [entry(1, 'deployed')], { kind: 'upgrade', from: 1 }],
    ['the deployed revision on top of superseded ones', [entry(3, 'superseded'), entry(4, 'superseded'), entry(5, 'deployed')], { kind: 'upgrade', from: 5 }],
    ['after a failed upgrade: the deployed one below it, not the failed one', [entry(4, 'superseded'), entry(5, 'deployed'), entry(6, 'failed')], { kind: 'upgrade', from: 5 }],
    ['order of the entries does not matter', [entry(6, 'failed'), entry(5, 'deployed')], { kind: 'upgrade', from: 5 }],
    ['only a failed first install: nothing to roll back to', [entry(1, 'failed')], { kind: 'firstInstall' }],
    ['an upgrade in progress blocks', [entry(5, 'deployed'), entry(6, 'pending-upgrade')], { kind: 'blocked' }],
    ['a rollback in progress blocks', [entry(5, 'superseded'), entry(7, 'pending-rollback')], { kind: 'blocked' }],
  ] as Array<[string, HistoryEntry[], object]>)('%s', (_name, history, expected) => {
    expect(planDirect('web', history)).toMatchObject(expected);
  });

  test('says why there is no rollback target, and what to do when blocked', () => {
    expect(planDirect('web', [])).toEqual({ kind: 'firstInstall', note: 'web is not installed yet: first install, no revision to roll back to' });
    expect(planDirect('web', [entry(1, 'failed')])).toEqual({ kind: 'firstInstall', note: 'web has no deployed revision (newest: 1, failed): no revision to roll back to' });
    const blocked = planDirect('web', [entry(6, 'pending-upgrade')]);
    expect(blocked.kind === 'blocked' && blocked.reason).toBe('another helm operation is in progress on web (revision 6 is pending-upgrade); wait for it or resolve it (helm history web), then start again');
  });
});

describe("directStory: the deploy script's words, with timings", () => {
  test.each([
    [directStory.upgradingFrom(5, '1.0.0'), 'Upgrading from revision 5 (version 1.0.0)'],
    [directStory.upgradingFrom(5, null), 'Upgrading from revision 5 (version unknown)'],
    [directStory.newRevision(6, '1.1.0', 1_234), 'New revision: 6 (version 1.1.0) (took 1.2s)'],
    [directStory.waitingForRollout(), 'Waiting for rollout to complete'],
    [directStory.rolloutComplete(850), 'Rollout complete (took 850ms)'],
    [directStory.runningTests(), 'Running Helm tests'],
    [directStory.testsPassed(2_000), 'Tests passed (took 2.0s)'],
    [directStory.testsFailed(3_100, 'pod web-smoke failed'), 'Tests failed (took 3.1s): pod web-smoke failed'],
    [directStory.rollingBack(5, '1.0.0'), 'Rolling back to revision 5 (version 1.0.0)'],
    [directStory.rollbackCompleted(5, 1_200), 'Rollback to revision 5 completed (took 1.2s)'],
    [directStory.rollbackFailed(5, 400, 'boom'), 'Rollback to revision 5 failed (took 400ms): boom'],
    [directStory.firstInstall('web', '1.1.0'), 'Installing web for the first time at version 1.1.0 (no revision to roll back to)'],
    [directStory.uninstalled('web', 90_000), 'Uninstalled web (took 1m30s)'],
  ])('%s', (actual, expected) => {
    expect(actual).toBe(expected);
  });

  test('outputTail keeps the last lines on one line', () => {
    expect(outputTail('a\nb\nc\nd\n')).toBe('b | c | d');
  });
});

describe('signals in a direct release', () => {
  const idle = { paused: false, promoteRequested: false, abortRequested: false };

  test('abort is accepted while the upgrade and tests run', () => {
    expect(decideSignal('abort', 'Progressing', idle, 'direct')).toEqual({ accepted: true, note: 'abort accepted: rolling back' });
  });

  test.each([
    ['promote', 'promote ignored: a direct release has no steps to skip (abort still rolls back)'],
    ['pause', 'pause ignored: a direct release has no steps to hold (abort still rolls back)'],
    ['resume', 'resume ignored: a direct release has no steps to resume (abort still rolls back)'],
  ] as const)('%s is recorded and ignored', (signal, note) => {
    expect(decideSignal(signal, 'Progressing', idle, 'direct')).toEqual({ accepted: false, note });
  });

  test('the other strategies keep their rules', () => {
    for (const signal of Object.values(SIGNALS)) {
      expect(decideSignal(signal, 'Progressing', idle, 'blueGreen')).toEqual(decideSignal(signal, 'Progressing', idle));
    }
  });
});
