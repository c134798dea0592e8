import { compensationPlan, decideTrainMessage, serviceStateOf, servingRevision, trainInputRefusal, trainOutcome, type TrainEnd, type TrainPhase } from '../../src/workflows/domain';

describe('serviceStateOf', () => {
  test.each([
    ['promoted', 'promoted'],
    ['rolledBack', 'rolledBack'],
    // The bake put the primary back itself: the train has nothing more to undo for it.
    ['revertedAfterPromotion', 'rolledBack'],
    ['failed', 'failed'],
    ['reverted', 'failed'],
  ])('%s → %s', (outcome, state) => expect(serviceStateOf(outcome)).toBe(state));
});

describe('servingRevision', () => {
  test.each([
    ['the deployed one', [{ revision: 1, status: 'superseded' }, { revision: 2, status: 'deployed', appVersion: '1.0.0' }], { revision: 2, version: '1.0.0' }],
    ['a failed upgrade on top does not serve', [{ revision: 4, status: 'deployed' }, { revision: 5, status: 'failed' }], { revision: 4, version: null }],
    ['nothing installed', [], null],
    ['only a failed install', [{ revision: 1, status: 'failed' }], null],
  ])('%s', (_, history, expected) => expect(servingRevision(history)).toEqual(expected));
});

describe('compensationPlan', () => {
  test('newest promotion first, each service once; a first install is skipped with what to do', () => {
    expect(
      compensationPlan([
        { service: 'shop/api', recordedRevision: 5 },
        { service: 'shop/web', recordedRevision: null },
        { service: 'shop/worker', recordedRevision: 12 },
        { service: 'shop/worker', recordedRevision: 12 },
      ]),
    ).toEqual([
      { service: 'shop/worker', kind: 'rollback', toRevision: 12 },
      { service: 'shop/web', kind: 'skip', why: expect.stringContaining('first installed by this train') },
      { service: 'shop/api', kind: 'rollback', toRevision: 5 },
    ]);
  });
  test('nothing promoted, nothing to do', () => expect(compensationPlan([])).toEqual([]));
});

describe('trainOutcome', () => {
  const end = (over: Partial<TrainEnd>): TrainEnd => ({ stoppedBy: 'shop/worker was not promoted', serviceFailed: false, compensate: true, compensations: ['compensated'], promotedCount: 1, ...over });
  test.each<[string, Partial<TrainEnd>, string, TrainPhase]>([
    ['every service promoted', { stoppedBy: null, compensations: [], promotedCount: 3 }, 'promoted', 'Succeeded'],
    ['stopped, the promoted ones put back', {}, 'rolledBack', 'RolledBack'],
    ['stopped at the first service: nothing to put back', { compensations: [], promotedCount: 0 }, 'rolledBack', 'RolledBack'],
    ['stopped with compensate: false, earlier services kept', { compensate: false, compensations: [] }, 'stopped', 'Stopped'],
    ['stopped at the first with compensate: false', { compensate: false, compensations: [], promotedCount: 0 }, 'rolledBack', 'RolledBack'],
    ['a compensation failed', { compensations: ['compensated', 'failed'] }, 'failed', 'Failed'],
    ['a first install could not be put back', { compensations: ['skipped'] }, 'failed', 'Failed'],
    ['a release ended failed (something for a person)', { serviceFailed: true }, 'failed', 'Failed'],
  ])('%s', (_, over, outcome, phase) => expect(trainOutcome(end(over))).toEqual({ outcome, phase }));
});

describe('decideTrainMessage', () => {
  const running = ['release-shop-api'];
  test.each<[string, Parameters<typeof decideTrainMessage>[0], TrainPhase, string[], boolean, RegExp]>([
    ['abort while a release runs', 'abort', 'Running', running, true, /^abort accepted from ops: release-shop-api rolls back, no further service starts; then the services it promoted go back/],
    ['abort between stages still stops the train', 'abort', 'Running', [], true, /^abort accepted from ops: no further service starts/],
    ['promote goes to the running release', 'promote', 'Running', running, true, /^promote accepted from ops: sent to release-shop-api, which skips its remaining steps/],
    ['pause goes to the running release', 'pause', 'Running', running, true, /holds its weight/],
    ['promote between stages has nobody to go to', 'promote', 'Running', [], false, /no service release is running at this moment/],
    ['abort while stopping', 'abort', 'Stopping', running, false, /already stopping/],
    ['abort during compensation', 'abort', 'Compensating', [], false, /putting the promoted services back, which nothing stops/],
    ['resume once it is over', 'resume', 'RolledBack', [], false, /^resume refused \(train RolledBack\): the train is over/],
  ])('%s', (_, name, phase, runningNow, accepted, text) => {
    const decision = decideTrainMessage(name, { phase, running: runningNow, compensate: true }, 'ops');
    expect(decision.accepted).toBe(accepted);
    expect(decision.accepted ? decision.reply : decision.why).toMatch(text);
  });
  test('with compensate: false an abort says the promoted services keep their versions', () => {
    const decision = decideTrainMessage('abort', { phase: 'Running', running, compensate: false }, 'ops');
    expect(decision.accepted && decision.reply).toContain('keep their new versions (compensate: false)');
  });
});

describe('trainInputRefusal', () => {
  const config = { service: { namespace: 'shop', name: 'api' }, helm: { releases: { primary: 'api' } } };
  test.each([
    ['a train that fits', { name: 'storefront', stages: [{ services: [{ config, version: '1.0.0' }] }] }, null],
    ['no input', null, /expected \{ name/],
    ['no stages', { name: 'storefront', stages: [] }, /stages: expected at least one stage/],
    ['an empty stage', { name: 'storefront', stages: [{ services: [] }] }, /stages\[0\]\.services/],
    ['a raw config', { name: 'storefront', stages: [{ services: [{ config: { service: 'api' }, version: '1.0.0' }] }] }, /stages\[0\]\.services\[0\]\.config: expected a resolved release config/],
    ['no version', { name: 'storefront', stages: [{ services: [{ config }] }] }, /\.version: expected the version/],
  ])('%s', (_, input, expected) => {
    const refusal = trainInputRefusal(input);
    if (expected === null) expect(refusal).toBeNull();
    else expect(refusal).toMatch(expected);
  });
});
