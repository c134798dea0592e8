import { bakeRounds, lostRollback, planRevert } from '../../src/workflows/domain/revert';

const h = (...entries: Array<[number, string]>) => entries.map(([revision, status]) => ({ revision, status }));

describe('planRevert: which revision a one-command rollback restores', () => {
  test.each([
    ['the previous revision that served', h([1, 'superseded'], [2, 'superseded'], [3, 'deployed']), undefined, { kind: 'revert', from: 3, to: 2 }],
    ['past a failed upgrade on top (the serving one is older)', h([1, 'superseded'], [2, 'deployed'], [3, 'failed']), undefined, { kind: 'revert', from: 2, to: 1 }],
    ['past a revision that failed before the serving one', h([1, 'superseded'], [2, 'failed'], [3, 'deployed']), undefined, { kind: 'revert', from: 3, to: 1 }],
    ['a named revision', h([1, 'superseded'], [2, 'superseded'], [3, 'deployed']), 1, { kind: 'revert', from: 3, to: 1 }],
    ['after an earlier rollback, the history as helm keeps it', h([1, 'superseded'], [2, 'superseded'], [3, 'superseded'], [4, 'deployed']), undefined, { kind: 'revert', from: 4, to: 3 }],
  ])('goes back to %s', (_, history, toRevision, expected) => {
    expect(planRevert('web', history, toRevision)).toEqual(expected);
  });

  test.each([
    ['a release that is not installed', [], undefined, 'web is not installed: there is nothing to roll back'],
    ['a helm operation under way', h([1, 'superseded'], [2, 'pending-upgrade']), undefined, 'another helm operation is in progress on web (revision 2 is pending-upgrade); wait for it or resolve it (helm history web), then roll back'],
    ['no deployed revision', h([1, 'failed']), undefined, 'web has no deployed revision (newest: 1, failed): nothing serves to roll back from'],
    ['one revision only', h([1, 'deployed']), undefined, 'web has no revision before 1 that served: nothing to roll back to'],
    ['the serving revision', h([1, 'superseded'], [2, 'deployed']), 2, 'revision 2 is the one serving now; pick another (revisions that served before: 1)'],
    ['a revision not in the history', h([4, 'superseded'], [5, 'deployed']), 2, 'web has no revision 2 in its last 2 (revisions that served before: 4)'],
    ['a revision that never served', h([1, 'superseded'], [2, 'failed'], [3, 'deployed']), 2, 'revision 2 never served (failed); pick one that did (revisions that served before: 1)'],
  ])('refuses %s', (_, history, toRevision, reason) => {
    expect(planRevert('web', history, toRevision)).toEqual({ kind: 'refused', reason });
  });
});

describe('bakeRounds: one analysis round per interval of the bake, at least one', () => {
  test.each([
    [3_600_000, 60_000, 60],
    [90_000, 60_000, 2],
    [1_000, 60_000, 1],
    [4_000, 1_000, 4],
  ])('a %d ms bake at %d ms intervals has %d rounds', (bakeMs, intervalMs, rounds) => {
    expect(bakeRounds(bakeMs, intervalMs)).toBe(rounds);
  });
});

describe('lostRollback: what a lost attempt of helm rollback web 1 left (newest revision before it: 2)', () => {
  const e = (revision: number, status: string, description: string) => ({ revision, status, description });
  test.each([
    ['its rollback landed: no second one', [e(1, 'superseded', 'Install complete'), e(2, 'superseded', 'Upgrade complete'), e(3, 'deployed', 'Rollback to 1')], 'landed'],
    ['its helm is still finishing', [e(2, 'superseded', 'Upgrade complete'), e(3, 'pending-rollback', 'Rollback to 1')], 'pending'],
    ['it never reached helm', [e(1, 'superseded', 'Install complete'), e(2, 'deployed', 'Upgrade complete')], 'none'],
    ['its rollback failed: roll back again', [e(2, 'superseded', 'Upgrade complete'), e(3, 'failed', 'Rollback to 1')], 'none'],
    ['an older rollback to 1 (before this attempt) does not count', [e(1, 'superseded', 'Install complete'), e(2, 'deployed', 'Rollback to 1')], 'none'],
    ['a rollback to another revision is not ours', [e(2, 'superseded', 'Upgrade complete'), e(3, 'deployed', 'Rollback to 2')], 'none'],
  ])('%s', (_, history, kind) => {
    expect(lostRollback(history, 2, 1)).toEqual({ kind });
  });
});
