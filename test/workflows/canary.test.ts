import type { WorkflowHandle } from '@temporalio/client';
import { abortSignal, pauseSignal, promoteSignal, resumeSignal, statusQuery } from '../../src/workflows/messages';
import type { ReleaseResult } from '../../src/workflows/types';
import { eventually, ReleaseHarness } from '../support/harness';

let harness: ReleaseHarness;
beforeAll(async () => {
  harness = await ReleaseHarness.start();
});
afterAll(async () => {
  await harness?.stop();
});
beforeEach(() => {
  harness.prometheus.answer = (query) => (query.includes('histogram_quantile') ? { value: 120 } : { value: 99.9 });
});

const result = async (handle: WorkflowHandle) => (await handle.result()) as ReleaseResult;

describe('canary release on the real Temporal dev server', () => {
  test('a healthy canary is promoted: weights 25, 50, 75, 100 then 100/0 on the primary, helm in order', async () => {
    const config = harness.config();
    harness.seedPrimary(config, '1.0.0');
    const outcome = await harness.run(config, '1.1.0');

    expect(outcome.outcome).toBe('promoted');
    expect(harness.canaryWeights(config)).toEqual([25, 50, 75, 100, 0]);
    expect(harness.kube.currentWeights('shop', config.traffic.traefikService)).toEqual({ [config.traffic.primaryService]: 100, [config.traffic.canaryService]: 0 });
    const { primary, canary } = config.helm.releases;
    expect(harness.helmStory(config)).toEqual([`upgrade ${canary}`, `test ${canary}`, `upgrade ${primary}`, `uninstall ${canary}`]);
    expect(outcome.status.previousVersion).toBe('1.0.0');
    expect(outcome.status.phase).toBe('Succeeded');
    expect(outcome.totalMs).toBeGreaterThan(0);
    expect(harness.slack.delivered().some((text) => text.includes(`Promoted shop/${config.service.name} 1.1.0`))).toBe(true);
  });
});
