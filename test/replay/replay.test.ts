import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../support/harness';

const FIXTURES = path.join(__dirname, '../fixtures/histories');
/** Histories recorded before a patch() change stay, so releases that were running then still replay. */
const OLDER_RECORDINGS = ['before-local-weight-changes', 'before-steering-checkpoints', 'before-activity-waits'];
const histories = readdirSync(FIXTURES).filter((file) => file.endsWith('.json'));
const allHistories = [...histories, ...OLDER_RECORDINGS.flatMap((dir) => readdirSync(path.join(FIXTURES, dir)).filter((file) => file.endsWith('.json')).map((file) => `${dir}/${file}`))];

describe('replay of recorded release, drill, migration, train and revert histories against the current workflow code', () => {
  test('the recorded histories include canary, blue-green and direct releases, promoted and rolled back', () => {
    expect(histories).toEqual(
      expect.arrayContaining([
        'canary-promoted.json',
        'canary-rolled-back.json',
        'canary-webhooks-promoted.json',
        'blue-green-promoted.json',
        'blue-green-rolled-back-after-switch.json',
        'direct-promoted.json',
        'direct-rolled-back.json',
        'canary-aborted-by-update.json',
        'drill-passed.json',
        'drill-release-rolled-back.json',
        'migration-phase-1-forced.json',
        'train-compensated.json',
        'revert-reverted.json',
        'canary-rolled-back-outcome.json',
      ]),
    );
  });

  test('histories recorded before weight changes became local activities, before the steering checkpoints, and before confirm-promotion waited in an activity, are kept', () => {
    expect(allHistories).toEqual(
      expect.arrayContaining([
        'before-local-weight-changes/canary-promoted.json',
        'before-local-weight-changes/direct-rolled-back.json',
        'before-steering-checkpoints/canary-promoted.json',
        'before-steering-checkpoints/blue-green-promoted.json',
        'before-activity-waits/canary-webhooks-promoted.json',
      ]),
    );
  });

  test.each(allHistories)('%s replays without a determinism violation', async (file) => {
    const history = historyFromJSON(JSON.parse(readFileSync(path.join(FIXTURES, file), 'utf8')));
    await expect(Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, `replay-${file}`)).resolves.toBeUndefined();
  });
});
