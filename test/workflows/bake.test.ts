/*
 * The bake after promotion (`bake: { duration }`) on the real Temporal dev server, with the helm and
 * Prometheus stand-ins: a healthy primary stays, a primary that regresses after promotion (or an
 * abort during the bake) goes back to the revision recorded before the release, exit 5; promote ends
 * the bake early; pause is refused, and a signal that does not fit is recorded as ignored.
 */
import type { ReleaseConfig } from '../../src/config';
import { abortSignal, pauseSignal, promoteSignal, statusQuery } from '../../src/workflows/messages';
import type { ReleaseResult } from '../../src/workflows/types';
import { runCliCaptured } from '../support/cli';
import { eventually, ReleaseHarness, useReleaseHarness } from '../support/harness';
import { healthyMetrics, type PromAnswer } from '../support/stand-ins';

let harness: ReleaseHarness;
useReleaseHarness((started) => (harness = started));

/** Queries of the primary's own series (the bake's) and of the canary's (the canary analysis'). */
const ofPrimary = (config: ReleaseConfig, query: string) => query.includes(config.traffic.primaryService) && !query.includes(config.traffic.canaryService);
const regressedPrimary =
  (config: ReleaseConfig) =>
  (query: string): PromAnswer =>
    ofPrimary(config, query) && !query.includes('histogram_quantile') ? { value: 71.5 } : healthyMetrics(query);

const baking = (overrides: Record<string, unknown> = {}, bake: Record<string, unknown> = { duration: '4s', interval: '1s' }) => {
  const config = harness.config({ analysis: { stepWeight: 50 }, bake, ...overrides });
  harness.seedPrimary(config, '1.0.0');
  return config;
};
const messages = (outcome: ReleaseResult) => outcome.status.events.map((event) => event.message);
const rollbacks = (config: ReleaseConfig) => harness.helmStory(config).filter((call) => call.startsWith('rollback'));
const primaryTag = (config: ReleaseConfig) => harness.helmRelease('shop', config.helm.releases.primary)?.values.image?.tag;

describe('bake after promotion', () => {
  test('a healthy primary bakes its rounds and stays; nothing is rolled back', async () => {
    const config = baking();
    const outcome = await harness.run(config, '1.1.0');
    expect(outcome.outcome).toBe('promoted');
    expect(outcome.reason).toMatch(/; the bake passed$/);
    expect(messages(outcome)).toEqual(expect.arrayContaining(['Phase Baking', 'Bake round 1/4: ' + config.helm.releases.primary + ' healthy', 'Bake round 4/4: ' + config.helm.releases.primary + ' healthy', 'Phase Succeeded']));
    expect(rollbacks(config)).toEqual([]);
    expect(primaryTag(config)).toBe('1.1.0');
    expect(harness.slack.delivered().filter((text) => text.includes(config.service.name)).at(-1)).toContain(`Bake of shop/${config.service.name} 1.1.0 passed`);
  });

  test('a primary that regresses after promotion goes back to the revision before the release: revertedAfterPromotion, exit 5, Slack told', async () => {
    const config = baking();
    harness.prometheus.answer = regressedPrimary(config);
    const handle = await harness.start(config, '1.1.0');
    const watched = await runCliCaptured(harness.address, ['watch', handle.workflowId], harness.workerEnv());
    expect(watched.code).toBe(5);
    const outcome = (await handle.result()) as ReleaseResult;
    expect(outcome.outcome).toBe('revertedAfterPromotion');
    expect(outcome.reason).toMatch(new RegExp(`^${config.helm.releases.primary} regressed after promotion: 2 failed bake rounds \\(request-success-rate 71.50% below minimum 99%\\)$`));
    // The canary passed its own analysis: only the bake's checks of the primary failed.
    expect(harness.canaryWeights(config)).toEqual([50, 100, 0]);
    expect(rollbacks(config)).toEqual([`rollback ${config.helm.releases.primary}`]);
    expect(harness.helmRelease('shop', config.helm.releases.primary)!.history.at(-1)!.description).toBe('Rollback to 1');
    expect(primaryTag(config)).toBe('1.0.0');
    expect(outcome.revisions).toEqual({ from: 1, to: 3, rolledBackTo: 1 });
    expect(outcome.detectionMs).not.toBeNull();
    expect(outcome.rollbackMs).not.toBeNull();
    const told = harness.slack.delivered().filter((text) => text.includes(config.service.name)).at(-1)!;
    expect(told).toContain(`Reverted shop/${config.service.name} 1.1.0 after promotion`);
    expect(told).toContain('1.0.0 serves again (revision 3)');
    expect(watched.out).toContain('REVERTEDAFTERPROMOTION');
  });

  test('abort during the bake (acknowledged) reverts at once; pause is refused with why', async () => {
    const config = baking({}, { duration: '1m', interval: '1s' });
    const handle = await harness.start(config, '1.1.0');
    await eventually('the bake', () => handle.query(statusQuery), (status) => status.phase === 'Baking', 30_000);
    const pause = await runCliCaptured(harness.address, ['pause', handle.workflowId], harness.workerEnv());
    expect(pause.code).toBe(1);
    expect(pause.err).toContain('pause refused (phase Baking): a bake holds no weight (abort reverts to the revision before the release, promote ends the bake)');
    const abort = await runCliCaptured(harness.address, ['abort', handle.workflowId, '--reason', 'support tickets', '--by', 'ops'], harness.workerEnv());
    expect(abort.code).toBe(0);
    expect(abort.out).toContain('abort accepted from ops: reverting to the revision before the release');
    const outcome = (await handle.result()) as ReleaseResult;
    expect(outcome.outcome).toBe('revertedAfterPromotion');
    expect(outcome.reason).toBe('aborted: support tickets during the bake');
    expect(primaryTag(config)).toBe('1.0.0');
  });

  test('signals during the bake: promote ends it early and the version stays; pause is recorded as ignored; abort after that is too late', async () => {
    const config = baking({}, { duration: '1m', interval: '1s' });
    const handle = await harness.start(config, '1.1.0');
    await eventually('the bake', () => handle.query(statusQuery), (status) => status.phase === 'Baking', 30_000);
    await handle.signal(pauseSignal, { by: 'web-ui' });
    await handle.signal(promoteSignal, { by: 'web-ui' });
    const outcome = (await handle.result()) as ReleaseResult;
    expect(outcome.outcome).toBe('promoted');
    expect(messages(outcome)).toEqual(expect.arrayContaining([expect.stringMatching(/^pause ignored: a bake holds no weight/), expect.stringMatching(/^Bake ended early by promote from web-ui after \d+ of 60 rounds$/)]));
    expect(rollbacks(config)).toEqual([]);
    expect(primaryTag(config)).toBe('1.1.0');
    await expect(handle.signal(abortSignal, {})).rejects.toThrow();
  });

  test('a direct release bakes too, and a regression rolls back to the revision it recorded', async () => {
    const config = baking({ strategy: 'direct' });
    harness.prometheus.answer = regressedPrimary(config);
    const outcome = await harness.run(config, '1.1.0');
    expect(outcome.outcome).toBe('revertedAfterPromotion');
    expect(rollbacks(config)).toEqual([`rollback ${config.helm.releases.primary}`]);
    expect(primaryTag(config)).toBe('1.0.0');
  });

  test('a first install has nothing to go back to: the bake is skipped and said so', async () => {
    const config = harness.config({ analysis: { stepWeight: 50 }, bake: { duration: '1m' } });
    const outcome = await harness.run(config, '1.1.0');
    expect(outcome.outcome).toBe('promoted');
    expect(messages(outcome)).toContain(`Bake skipped: ${config.helm.releases.primary} had no revision before this release to go back to`);
  });
});
