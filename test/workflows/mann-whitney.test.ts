/*
 * analysis.judge: mannWhitney in real releases: the real Temporal dev server, the worker's real
 * activities (a range query per track per compared check, beside the round's instant queries), the
 * Prometheus stand-in answering samples per track. test/stack runs it on real Traefik series.
 */
import type { ReleaseResult } from '../../src/workflows/types';
import { statusQuery } from '../../src/workflows/messages';
import { eventually, ReleaseHarness, useReleaseHarness } from '../support/harness';

let harness: ReleaseHarness;
useReleaseHarness((started) => (harness = started));

const CANARY = '-canary-[0-9]+@kubernetescrd';
/** Samples around `center` (a fixed spread, so the test reads the same every run). */
const around = (center: number, steps: number) => Array.from({ length: steps }, (_, index) => center + ((index % 5) - 2) * 0.1);

const judged = (extra: Record<string, unknown> = {}) =>
  harness.config({ analysis: { interval: '6s', threshold: 2, stepWeights: [50], maxWeight: 50, judge: 'mannWhitney', mannWhitney: { sampleInterval: '1s' }, ...extra } });

const comparisons = (outcome: ReleaseResult) => outcome.status.lastChecks.filter((check) => check.name.endsWith('-mann-whitney'));

describe('the Mann–Whitney judge on the dev server', () => {
  test('a canary whose success rate is lower in every window is rolled back by the comparison while its 99% threshold passes; both tracks were sampled over the interval', async () => {
    const config = judged();
    config.metrics.requestDuration.enabled = false;
    harness.seedPrimary(config, '1.0.0');
    harness.prometheus.answer = (query) => (query.includes('histogram_quantile') ? { value: 120 } : { value: 99.5 });
    harness.prometheus.rangeAnswer = (query, steps) => (query.includes('histogram_quantile') ? around(120, steps) : around(query.includes(CANARY) ? 99.2 : 99.8, steps));

    const outcome = await harness.run(config, '1.1.0');

    expect(outcome.outcome).toBe('rolledBack');
    expect(outcome.reason).toMatch(/failed checks reached the threshold \(2\/2\) \(score 0\): request-success-rate-mann-whitney: canary median 99\.15%, primary 99\.75% \(6\/6 samples\), shift -0\.60%, p\(lower\) = .* < 0\.020: the canary is lower/);
    expect(outcome.status.lastChecks.find((check) => check.name === 'request-success-rate')).toMatchObject({ passed: true, value: 99.5 });
    const ranges = harness.prometheus.rangeQueries.filter((entry) => entry.query.includes(config.service.name));
    expect(ranges.some((entry) => entry.query.includes(`${config.service.name}${CANARY}`) && entry.step === '1s' && entry.query.includes('[1s]'))).toBe(true);
    expect(ranges.some((entry) => entry.query.includes(`shop-${config.service.name}-[0-9]+@kubernetescrd`))).toBe(true);
    expect(Math.round(ranges[0]!.end - ranges[0]!.start)).toBe(5);
  });

  test('a canary sampled like its primary passes every comparison and is promoted', async () => {
    const config = judged();
    harness.seedPrimary(config, '1.0.0');
    harness.prometheus.rangeAnswer = (query, steps) => around(query.includes('histogram_quantile') ? 120 : 99.8, steps);

    const outcome = await harness.run(config, '1.1.0');

    expect(outcome.outcome).toBe('promoted');
    expect(comparisons(outcome).map((check) => [check.name, check.passed])).toEqual([
      ['request-success-rate-mann-whitney', true],
      ['request-duration-mann-whitney', true],
    ]);
  });

  test('a marginal round (one of two comparisons fails) holds the weight and counts no failed check, until a person decides', async () => {
    const config = judged({ threshold: 1 });
    harness.seedPrimary(config, '1.0.0');
    // The p99 is worse on the canary, the success rate is not: a score of 50, marginal.
    harness.prometheus.rangeAnswer = (query, steps) => (query.includes('histogram_quantile') ? around(query.includes(CANARY) ? 180 : 120, steps) : around(99.8, steps));

    const handle = await harness.start(config, '1.1.0');
    const marginal = await eventually(
      'two marginal rounds',
      () => handle.query(statusQuery),
      (status) => status.events.filter((event) => / marginal \(score 50\): not counted as failed/.test(event.message)).length >= 2,
    );
    expect(marginal.failedChecks).toBe(0);
    expect(marginal.canaryWeight).toBe(50);
    await handle.signal('abort', { reason: 'marginal for too long' });
    expect(((await handle.result()) as ReleaseResult).outcome).toBe('rolledBack');
  });
});
