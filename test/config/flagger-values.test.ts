import { configFromFlaggerValues, loadConfigFile, parseConfig } from '../../src/config';
import { mergeConfig } from '../../src/config/flagger-values';
import { configError, fixture } from './helpers';

const release = fixture('release.yaml');

describe('--values: the flagger: block of a Helm values file', () => {
  test("reads DocuTag's production values block", () => {
    const config = loadConfigFile(release, { valuesFile: fixture('values-production.yaml') });
    expect(config.service).toEqual({ name: 'docutag-controller', namespace: 'docutag' });
    expect(config.helm.chart).toBe('./chart');
    expect(config.strategy).toBe('canary');
    expect(config.analysis).toMatchObject({ interval: '1m', threshold: 5, stepWeight: 10, iterations: 10 });
    expect(config.metrics.requestSuccessRate).toEqual({ enabled: true, threshold: 99 });
    expect(config.metrics.requestDuration).toEqual({ enabled: true, threshold: 500 });
    expect(config.webhooks.helmTests).toEqual({ enabled: true, timeout: '3m' });
    // The one value that differs from the defaults: proof that the block was read.
    expect(config.alerts.slack).toEqual({ enabled: true, channel: '#production-deploys' });
  });

  test('without --values the same release.yaml has no Slack channel', () => {
    expect(loadConfigFile(release).alerts.slack.channel).toBeUndefined();
  });

  test('applies every field of the flat shape when it differs from the defaults', () => {
    const config = loadConfigFile(release, { valuesFile: fixture('values-staging.yaml') });
    expect(config.strategy).toBe('blueGreen');
    expect(config.analysis).toEqual({ interval: '30s', threshold: 3, stepWeight: 20, maxWeight: 60, iterations: 4, postSwitchIterations: 2, guard: { enabled: true, interval: '10s', consecutive: 2 } });
    expect(config.metrics).toEqual({ requestSuccessRate: { enabled: true, threshold: 95 }, requestDuration: { enabled: true, threshold: 800 }, custom: [] });
    expect(config.webhooks).toEqual({ helmTests: { enabled: false, timeout: '90s' }, hooks: [] });
    expect(config.alerts.slack.channel).toBe('#staging-deploys');
  });

  test("reads Flagger's Canary shape: metrics and webhooks as lists inside analysis", () => {
    const config = loadConfigFile(release, { valuesFile: fixture('values-flagger-canary.yaml') });
    expect(config.analysis).toMatchObject({ interval: '30s', threshold: 4, maxWeight: 50, stepWeight: 5 });
    expect(config.metrics.requestSuccessRate).toEqual({ enabled: true, threshold: 97 });
    expect(config.metrics.requestDuration).toEqual({ enabled: true, threshold: 750 });
    expect(config.webhooks.hooks).toEqual([
      { name: 'load-test', type: 'rollout', url: 'http://flagger-loadtester.test/', timeout: '5s', metadata: { cmd: 'hey -z 1m -q 10 -c 2 http://docutag-controller-canary.docutag/' } },
    ]);
    expect(config.webhooks.helmTests).toEqual({ enabled: true, timeout: '3m' });
  });

  test('lets the config file override the values block, field by field', () => {
    const config = loadConfigFile(fixture('release-overrides.yaml'), { valuesFile: fixture('values-staging.yaml') });
    expect(config.analysis).toMatchObject({ interval: '30s', threshold: 2, stepWeight: 20, iterations: 4 });
    expect(config.metrics.requestDuration).toEqual({ enabled: true, threshold: 300 });
    expect(config.metrics.requestSuccessRate).toEqual({ enabled: true, threshold: 95 });
    expect(config.alerts.slack.channel).toBe('#deploys-override');
    expect(config.strategy).toBe('blueGreen');
  });

  test("lets the config file override Flagger's Canary shape", () => {
    const config = loadConfigFile(fixture('release-overrides.yaml'), { valuesFile: fixture('values-flagger-canary.yaml') });
    expect(config.analysis).toMatchObject({ interval: '30s', threshold: 2, maxWeight: 50 });
    expect(config.metrics.requestDuration).toEqual({ enabled: true, threshold: 300 });
    expect(config.metrics.requestSuccessRate.threshold).toBe(97);
  });

  test('maps enabled: false to the direct strategy, even next to strategy: canary', () => {
    expect(loadConfigFile(release, { valuesFile: fixture('values-disabled.yaml') }).strategy).toBe('direct');
  });

  test('a strategy in the config file wins over enabled: false', () => {
    const config = parseConfig(mergeConfig(configFromFlaggerValues({ flagger: { enabled: false } }).config, { service: { name: 'a', namespace: 'b' }, helm: { chart: 'c' }, strategy: 'canary' }));
    expect(config.strategy).toBe('canary');
  });

  test('refuses a values file without a flagger: block', () => {
    const error = configError(() => loadConfigFile(release, { valuesFile: fixture('full.yaml') }));
    expect(error.source).toBe(fixture('full.yaml'));
    expect(error.issues).toEqual([{ path: 'flagger', message: 'expected a flagger: block in the values file' }]);
  });

  test('refuses an empty values file', () => {
    const error = configError(() => loadConfigFile(release, { valuesFile: fixture('empty.yaml') }));
    expect(error.issues.map((issue) => issue.path)).toEqual(['flagger']);
  });

  test('refuses an alias cycle in the values file, naming the values file', () => {
    const error = configError(() => loadConfigFile(release, { valuesFile: fixture('alias-cycle.yaml') }));
    expect(error.source).toBe(fixture('alias-cycle.yaml'));
    expect(error.issues.map((issue) => issue.path)).toEqual(['service.again']);
  });

  test('bad values in the values block are reported at their config paths, with both files as the source', () => {
    const error = configError(() => loadConfigFile(release, { valuesFile: fixture('values-bad.yaml') }));
    expect(error.source).toBe(`${release} (with ${fixture('values-bad.yaml')})`);
    expect(error.issues.map((issue) => issue.path).sort()).toEqual(['analysis.interval', 'metrics.requestSuccessRate.threshold']);
  });
});

describe('configFromFlaggerValues', () => {
  test('maps the flat shape to the config blocks', () => {
    const { config, issues } = configFromFlaggerValues({
      flagger: {
        enabled: true,
        strategy: 'blue-green',
        analysis: { interval: '2m', threshold: 3 },
        metrics: { requestSuccessRate: { threshold: 98 } },
        webhooks: { helmTests: { enabled: false } },
        alerts: { slack: { channel: '#x' } },
      },
    });
    expect(issues).toEqual([]);
    expect(config).toEqual({
      strategy: 'blue-green',
      analysis: { interval: '2m', threshold: 3 },
      metrics: { requestSuccessRate: { threshold: 98 } },
      webhooks: { helmTests: { enabled: false } },
      alerts: { slack: { channel: '#x' } },
    });
  });

  test.each([
    ['enabled: false', { enabled: false }, 'direct'],
    ['enabled: false with strategy canary', { enabled: false, strategy: 'canary' }, 'direct'],
    ['enabled: true with strategy blue-green', { enabled: true, strategy: 'blue-green' }, 'blue-green'],
    ['only a strategy', { strategy: 'canary' }, 'canary'],
  ])('sets the strategy from %s', (_name, block, strategy) => {
    expect(configFromFlaggerValues({ flagger: block }).config.strategy).toBe(strategy);
  });

  test('leaves the strategy to the defaults when the block names none', () => {
    expect(configFromFlaggerValues({ flagger: { enabled: true } }).config).not.toHaveProperty('strategy');
  });

  test('maps the canonical metric list to the built-in checks', () => {
    const { config, issues } = configFromFlaggerValues({
      flagger: {
        analysis: {
          metrics: [
            { name: 'request-success-rate', thresholdRange: { min: 99 } },
            { name: 'request-duration', thresholdRange: { max: 500 } },
          ],
        },
      },
    });
    expect(issues).toEqual([]);
    expect(config).toEqual({ metrics: { requestSuccessRate: { enabled: true, threshold: 99 }, requestDuration: { enabled: true, threshold: 500 } } });
  });

  test('turns off a built-in check that the Canary metric list leaves out, as Flagger would not run it', () => {
    const { config } = configFromFlaggerValues({ flagger: { analysis: { metrics: [{ name: 'request-success-rate', thresholdRange: { min: 95 } }] } } });
    const parsed = parseConfig({ ...config, service: { name: 'a', namespace: 'b' }, helm: { chart: 'c' } });
    expect(parsed.metrics.requestSuccessRate).toEqual({ enabled: true, threshold: 95 });
    expect(parsed.metrics.requestDuration.enabled).toBe(false);
  });

  test('maps other listed metrics to custom queries with their ranges', () => {
    const { config } = configFromFlaggerValues({
      flagger: {
        analysis: {
          metrics: [
            { name: 'request-success-rate', thresholdRange: { min: 99 } },
            { name: 'error-budget', query: 'sum(rate(errors[{{ interval }}]))', thresholdRange: { max: 1 } },
            { name: 'throughput', query: 'sum(rate(requests[{{ interval }}]))', thresholdRange: { min: 10, max: 1000 } },
          ],
        },
      },
    });
    const parsed = parseConfig({ ...config, service: { name: 'a', namespace: 'b' }, helm: { chart: 'c' } });
    expect(parsed.metrics.custom).toEqual([
      { name: 'error-budget', query: 'sum(rate(errors[{{ interval }}]))', max: 1 },
      { name: 'throughput', query: 'sum(rate(requests[{{ interval }}]))', min: 10, max: 1000 },
    ]);
  });

  test('a listed custom metric without a threshold range is refused at metrics.custom[0]', () => {
    const { config } = configFromFlaggerValues({ flagger: { analysis: { metrics: [{ name: 'errors', query: 'q' }] } } });
    const error = configError(() => parseConfig({ ...config, service: { name: 'a', namespace: 'b' }, helm: { chart: 'c' } }));
    expect(error.issues.map((issue) => issue.path)).toEqual(['metrics.custom[0]']);
  });

  test('reads metric and webhook lists written directly under flagger:', () => {
    const hook = { name: 'lt', type: 'rollout', url: 'http://lt/' };
    const { config } = configFromFlaggerValues({ flagger: { metrics: [{ name: 'request-duration', thresholdRange: { max: 700 } }], webhooks: [hook] } });
    expect(config.metrics).toMatchObject({ requestDuration: { enabled: true, threshold: 700 } });
    expect(config.webhooks).toEqual({ hooks: [hook] });
  });

  test('keeps flat helmTests settings next to a Canary webhook list', () => {
    const hook = { name: 'lt', type: 'rollout', url: 'http://lt/' };
    const { config } = configFromFlaggerValues({ flagger: { analysis: { webhooks: [hook] }, webhooks: { helmTests: { enabled: false } } } });
    expect(config.webhooks).toEqual({ helmTests: { enabled: false }, hooks: [hook] });
    expect(config.analysis).toBeUndefined();
  });

  test.each([
    ['no flagger block', { image: { tag: '1' } }],
    ['a flagger list', { flagger: [] }],
    ['a null document', null],
    ['flagger: true', { flagger: true }],
  ])('reports %s at flagger', (_name, values) => {
    expect(configFromFlaggerValues(values)).toEqual({ config: {}, issues: [{ path: 'flagger', message: 'expected a flagger: block in the values file' }] });
  });

  test('names unknown keys of the flagger block', () => {
    const { issues } = configFromFlaggerValues({ flagger: { enabled: true, canaryAnalysis: {}, slackUrl: 'x' } });
    expect(issues.map((issue) => issue.path)).toEqual(['flagger.canaryAnalysis', 'flagger.slackUrl']);
  });

  test('names a metric list entry that is not an object', () => {
    const { issues } = configFromFlaggerValues({ flagger: { analysis: { metrics: [{ name: 'request-success-rate', thresholdRange: { min: 99 } }, 'request-duration'] } } });
    expect(issues).toEqual([{ path: 'flagger.analysis.metrics[1]', message: 'expected { name, thresholdRange }' }]);
  });

  test('a Slack webhook URL in the values block is refused with SLACK_WEBHOOK_URL advice', () => {
    const { config } = configFromFlaggerValues({ flagger: { alerts: { slack: { channel: '#x', url: 'https://hooks.slack.com/services/T0/B0/XYZ' } } } });
    const error = configError(() => parseConfig(mergeConfig(config, { service: { name: 'a', namespace: 'b' }, helm: { chart: 'c' } })));
    expect(error.issues).toEqual([{ path: 'alerts.slack.url', message: expect.stringContaining('SLACK_WEBHOOK_URL') }]);
  });
});

describe('mergeConfig', () => {
  test('merges objects deeply and lets the override replace scalars and lists', () => {
    expect(mergeConfig({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3] }, e: 2 })).toEqual({ a: { b: 1, c: [3] }, d: 1, e: 2 });
  });

  test('does not change its inputs', () => {
    const base = { a: { b: 1 } };
    mergeConfig(base, { a: { b: 2 } });
    expect(base).toEqual({ a: { b: 1 } });
  });
});
