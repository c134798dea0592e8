/*
 * What the Temporal Web UI shows of a release, read the way the UI reads it on the real dev server:
 * the static summary and details of `describe`, and the current details of the metadata query.
 */
import { startReleaseWorkflow } from '../../src/client/commands/start';
import { statusQuery } from '../../src/workflows/messages';
import { eventually, ReleaseHarness, useReleaseHarness } from '../support/harness';

let harness: ReleaseHarness;
useReleaseHarness((started) => (harness = started));

const currentDetails = async (handle: { query: (name: string) => Promise<unknown> }) => ((await handle.query('__temporal_workflow_metadata')) as { currentDetails?: string }).currentDetails ?? '';

test('a release starts with its summary and plan, and its current details follow the phase, weight and checks', async () => {
  const config = harness.config({ analysis: { interval: '1s', stepWeights: [20, 60], threshold: 2 } });
  harness.seedPrimary(config, '1.0.0');
  const handle = await startReleaseWorkflow(harness.client, { config, version: '1.1.0' });
  const description = await handle.describe();
  expect(await description.staticSummary()).toBe(`canary shop/${config.service.name} → 1.1.0`);
  const details = await description.staticDetails();
  expect(details).toContain('- steps: 20% → 60% → 100%, one analysis round every 1s');
  expect(details).toContain('- checks: request-success-rate ≥ 99%, request-duration (p99) ≤ 500 ms');
  expect(details).toContain('- rolled back after 2 failed rounds');

  await eventually('the canary at 60%', () => handle.query(statusQuery), (status) => status.canaryWeight === 60 && status.lastChecks.length > 0, 30_000);
  const running = await currentDetails(handle);
  expect(running).toMatch(/^\*\*Progressing\*\* · canary 60% · 1\.0\.0 → 1\.1\.0/);
  expect(running).toMatch(/- ✓ request-success-rate: 99\.9 \(threshold 99\)/);
  await handle.result();
  expect(await currentDetails(handle)).toMatch(/^\*\*Succeeded\*\*/);
});

test('the outcome is the search attribute ReleaseOutcome: a rolled-back release is found by it, as a saved view finds it', async () => {
  const config = harness.config({ analysis: { interval: '1s', stepWeight: 50, threshold: 1 } });
  harness.seedPrimary(config, '1.0.0');
  harness.prometheus.answer = (query) => (query.includes('histogram_quantile') ? { value: 120 } : { value: query.includes(`-${config.traffic.canaryService}-[0-9]`) ? 80 : 99.9 });
  const handle = await startReleaseWorkflow(harness.client, { config, version: '1.1.0' });
  await handle.result();
  expect((await handle.describe()).searchAttributes.ReleaseOutcome).toEqual(['rolledBack']);
  const found = await eventually(
    'visibility to index the outcome',
    async () => {
      const ids: string[] = [];
      for await (const execution of harness.client.workflow.list({ query: `ReleaseOutcome = 'rolledBack' AND ReleaseService = 'shop/${config.service.name}'` })) ids.push(execution.workflowId);
      return ids;
    },
    (ids) => ids.length > 0,
    10_000,
  );
  expect(found).toEqual([handle.workflowId]);
});
