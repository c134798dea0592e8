/*
 * The config of checks against the primary and of dry-run checks: what it accepts, what it refuses
 * (naming the field and the fix), and that a config without them resolves as before.
 */
import { parseConfig } from '../../src/config';
import { configError, validConfig } from './helpers';

const withMetrics = (metrics: Record<string, unknown>, analysis: Record<string, unknown> = {}) => ({ ...validConfig(), metrics, analysis });

describe('bounds against the primary', () => {
  test("the built-in checks take maxDecrease / maxIncreasePercent beside their threshold; a custom check may carry only a relative bound", () => {
    const config = parseConfig(
      withMetrics({
        requestSuccessRate: { threshold: 97, maxDecrease: 0.5 },
        requestDuration: { maxIncreasePercent: 20 },
        custom: [{ name: 'errors', query: 'sum(rate(errors{service="{{ target }}"}[{{ interval }}]))', maxIncrease: 1 }],
      }),
    );
    expect(config.metrics.requestSuccessRate).toEqual({ enabled: true, threshold: 97, maxDecrease: 0.5 });
    expect(config.metrics.requestDuration).toEqual({ enabled: true, threshold: 500, maxIncreasePercent: 20 });
    expect(config.metrics.custom[0]).toMatchObject({ name: 'errors', maxIncrease: 1 });
  });

  test('a config without them resolves to the same metrics block as before (no new keys)', () => {
    expect(parseConfig(validConfig()).metrics).toEqual({ requestSuccessRate: { enabled: true, threshold: 99 }, requestDuration: { enabled: true, threshold: 500 }, custom: [] });
  });

  test.each<[string, Record<string, unknown>, string, RegExp]>([
    ['a negative allowed change', { requestSuccessRate: { maxDecrease: -1 } }, 'metrics.requestSuccessRate.maxDecrease', /at least 0/],
    ['a custom check with no bound at all', { custom: [{ name: 'errors', query: 'sum(x)' }] }, 'metrics.custom[0]', /or a bound against the primary \(maxIncrease, maxIncreasePercent, maxDecrease, maxDecreasePercent\)/],
    ['a primaryQuery without a relative bound', { custom: [{ name: 'errors', query: 'sum(x)', max: 1, primaryQuery: 'sum(y)' }] }, 'metrics.custom[0].primaryQuery', /only read by a bound against the primary/],
    ['an unknown key (a typo of maxDecrease)', { requestSuccessRate: { maxDecreese: 0.5 } }, 'metrics.requestSuccessRate.maxDecreese', /unknown key/],
  ])('refused: %s, at %s', (_name, metrics, path, message) => {
    const error = configError(() => parseConfig(withMetrics(metrics)));
    const issue = error.issues.find((each) => each.path === path);
    expect(issue?.message ?? error.issues).toEqual(expect.stringMatching(message));
  });
});

describe('dry-run checks', () => {
  test('dryRun is accepted on built-in and custom checks', () => {
    const config = parseConfig(withMetrics({ requestDuration: { dryRun: true }, custom: [{ name: 'errors', query: 'sum(x)', max: 1, dryRun: true }] }));
    expect(config.metrics.requestDuration.dryRun).toBe(true);
    expect(config.metrics.custom[0]!.dryRun).toBe(true);
  });

  test('the guard on a dry-run check is refused: it would never act', () => {
    const error = configError(() => parseConfig(withMetrics({ custom: [{ name: 'errors', query: 'sum(x)', max: 1, dryRun: true }] }, { guard: { checks: [{ name: 'errors', max: 10 }] } })));
    expect(error.issues).toContainEqual({ path: 'analysis.guard.checks[0].name', message: expect.stringMatching(/"errors" is a dry-run check: it never decides/) });
  });
});

describe('analysis.judge: mannWhitney', () => {
  test('resolves its settings with Kayenta\'s defaults; a config without a judge resolves as before', () => {
    const config = parseConfig({ ...validConfig(), analysis: { judge: 'mannWhitney', mannWhitney: {} } });
    expect(config.analysis.mannWhitney).toEqual({ confidence: 0.98, sampleInterval: '10s', pass: 75, marginal: 50 });
    expect(Object.keys(parseConfig(validConfig()).analysis)).not.toContain('judge');
  });

  test.each<[string, Record<string, unknown>, string, RegExp]>([
    ['too few samples per interval', { interval: '30s', judge: 'mannWhitney', mannWhitney: { sampleInterval: '10s' } }, 'analysis.mannWhitney.sampleInterval', /gives 3 sample\(s\) per analysis.interval; the comparison needs at least 5 per track/],
    ['marginal above pass', { judge: 'mannWhitney', mannWhitney: { pass: 60, marginal: 70 } }, 'analysis.mannWhitney.marginal', /marginal is above pass/],
    ['a confidence of 1', { judge: 'mannWhitney', mannWhitney: { confidence: 1 } }, 'analysis.mannWhitney.confidence', /below 1/],
    ['settings without the judge', { mannWhitney: {} }, 'analysis.mannWhitney', /only read with analysis.judge: mannWhitney/],
    ['an unknown judge', { judge: 'kayenta' }, 'analysis.judge', /expected threshold .* or mannWhitney/],
  ])('refused: %s', (_name, analysis, path, message) => {
    const error = configError(() => parseConfig({ ...validConfig(), analysis }));
    expect(error.issues).toContainEqual({ path, message: expect.stringMatching(message) });
  });
});
