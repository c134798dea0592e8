/*
 * Records the histories the replay test replays. Run when the workflow's command sequence changes
 * on purpose (behind patched()): `npm run record-histories`. Not part of `npm test`.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { ReleaseHarness } from '../support/harness';

const FIXTURES = path.join(__dirname, '../fixtures/histories');

let harness: ReleaseHarness;
beforeAll(async () => {
  harness = await ReleaseHarness.start();
});
afterAll(async () => harness?.stop());

async function record(name: string, run: () => Promise<{ workflowId: string }>): Promise<void> {
  const { workflowId } = await run();
  const history = await harness.client.workflow.getHandle(workflowId).fetchHistory();
  writeFileSync(path.join(FIXTURES, `${name}.json`), historyToJSON(history));
}

test('records a promoted canary', async () => {
  await record('canary-promoted', async () => {
    const config = harness.config();
    harness.seedPrimary(config, '1.0.0');
    const handle = await harness.start(config, '1.1.0');
    await handle.result();
    return handle;
  });
});

test('records a rolled-back canary', async () => {
  await record('canary-rolled-back', async () => {
    const config = harness.config();
    harness.seedPrimary(config, '1.0.0');
    harness.prometheus.answer = (query) => (query.includes('histogram_quantile') ? { value: 900 } : { value: 99.9 });
    const handle = await harness.start(config, '1.1.0');
    await handle.result();
    return handle;
  });
});
