import { parseConfig, type ReleaseConfig } from '../../src/config';
import { trafficSplitOf } from '../../src/workflows/domain';

const minimal = { service: { name: 'docutag-controller', namespace: 'docutag' }, helm: { chart: './chart' } };

describe('defaults (DESIGN.md: DocuTag production values)', () => {
  test('fills every default of a minimal config', () => {
    const config = parseConfig(structuredClone(minimal));
    const expected: ReleaseConfig = {
      service: { name: 'docutag-controller', namespace: 'docutag' },
      target: 'kubernetes',
      helm: {
        chart: './chart',
        valuesFiles: [],
        versionValue: 'image.tag',
        set: {},
        releases: { primary: 'docutag-controller', canary: 'docutag-controller-canary' },
        timeout: '5m',
      },
      traffic: { provider: 'traefik', traefikService: 'docutag-controller', primaryService: 'docutag-controller', canaryService: 'docutag-controller-canary' },
      strategy: 'canary',
      analysis: { interval: '1m', threshold: 5, stepWeight: 10, maxWeight: 100, iterations: 10, postSwitchIterations: 2, guard: { enabled: true, interval: '10s', consecutive: 2 } },
      metrics: { requestSuccessRate: { enabled: true, threshold: 99 }, requestDuration: { enabled: true, threshold: 500 }, custom: [] },
      webhooks: { helmTests: { enabled: true, timeout: '3m' }, hooks: [] },
      alerts: { slack: { enabled: true }, teams: { enabled: true }, discord: { enabled: true }, webhook: { enabled: true } },
    };
    expect(config).toEqual(expected);
    expect(config).not.toHaveProperty('analysis.stepWeights');
    expect(config).not.toHaveProperty('drill');
    expect(config).not.toHaveProperty('local');
  });

  test.each([
    ['strategy', 'canary'],
    ['analysis.interval', '1m'],
    ['analysis.threshold', 5],
    ['analysis.stepWeight', 10],
    ['analysis.maxWeight', 100],
    ['analysis.iterations', 10],
    ['analysis.postSwitchIterations', 2],
    ['analysis.guard.enabled', true],
    ['analysis.guard.interval', '10s'],
    ['analysis.guard.consecutive', 2],
    ['metrics.requestSuccessRate.enabled', true],
    ['metrics.requestSuccessRate.threshold', 99],
    ['metrics.requestDuration.enabled', true],
    ['metrics.requestDuration.threshold', 500],
    ['webhooks.helmTests.enabled', true],
    ['webhooks.helmTests.timeout', '3m'],
    ['helm.timeout', '5m'],
    ['target', 'kubernetes'],
    ['traffic.provider', 'traefik'],
  ])('defaults %s to %j', (dottedPath, value) => {
    expect(parseConfig(structuredClone(minimal))).toHaveProperty(dottedPath, value);
  });

  test('fills defaults inside a partly written block without dropping what was written', () => {
    const config = parseConfig({ ...structuredClone(minimal), analysis: { threshold: 2 }, metrics: { requestDuration: { threshold: 300 } } });
    expect(config.analysis).toEqual({ interval: '1m', threshold: 2, stepWeight: 10, maxWeight: 100, iterations: 10, postSwitchIterations: 2, guard: { enabled: true, interval: '10s', consecutive: 2 } });
    expect(config.metrics.requestDuration).toEqual({ enabled: true, threshold: 300 });
    expect(config.metrics.requestSuccessRate).toEqual({ enabled: true, threshold: 99 });
  });

  test('gives a webhook the default timeout and empty metadata', () => {
    const config = parseConfig({ ...structuredClone(minimal), webhooks: { hooks: [{ name: 'gate', type: 'confirm-promotion', url: 'http://gate.test/' }] } });
    expect(config.webhooks.hooks).toEqual([{ name: 'gate', type: 'confirm-promotion', url: 'http://gate.test/', timeout: '10s', metadata: {} }]);
    expect(config.webhooks.helmTests).toEqual({ enabled: true, timeout: '3m' });
  });

  test('accepts a config without helm.chart for target local', () => {
    const config = parseConfig({ service: { name: 'shop', namespace: 'demo' }, target: 'local', local: { command: 'node server.js' } });
    expect(config.target).toBe('local');
    expect(config.local).toEqual({ command: 'node server.js', healthPath: '/healthz' });
  });
});

describe('derived names', () => {
  test('derives releases and Traefik services from service.name', () => {
    const config = parseConfig({ service: { name: 'shop-web', namespace: 'shop' }, helm: { chart: 'repo/shop' } });
    expect(config.helm.releases).toEqual({ primary: 'shop-web', canary: 'shop-web-canary' });
    expect(config.traffic).toMatchObject({ traefikService: 'shop-web', primaryService: 'shop-web', canaryService: 'shop-web-canary' });
  });

  test('derives Kubernetes services from explicit release names', () => {
    const config = parseConfig({ ...structuredClone(minimal), helm: { chart: './chart', releases: { primary: 'ctl', canary: 'ctl-next' } } });
    expect(config.traffic).toMatchObject({ traefikService: 'docutag-controller', primaryService: 'ctl', canaryService: 'ctl-next' });
  });

  test('keeps explicit traffic names', () => {
    const config = parseConfig({
      ...structuredClone(minimal),
      traffic: { traefikService: 'split', primaryService: 'blue', canaryService: 'green' },
    });
    expect(config.traffic).toEqual({ provider: 'traefik', traefikService: 'split', primaryService: 'blue', canaryService: 'green' });
    expect(config.helm.releases).toEqual({ primary: 'docutag-controller', canary: 'docutag-controller-canary' });
  });

  test('accepts the longest service name whose canary release fits in 53 characters', () => {
    const name = 'a'.repeat(46);
    expect(parseConfig({ service: { name, namespace: 'ns' }, helm: { chart: 'c' } }).helm.releases.canary).toHaveLength(53);
  });

  test('accepts a long service name when the canary release is named explicitly', () => {
    const name = 'a'.repeat(53);
    expect(parseConfig({ service: { name, namespace: 'ns' }, helm: { chart: 'c', releases: { canary: 'a-canary' } } }).helm.releases).toEqual({ primary: name, canary: 'a-canary' });
  });
});

describe('strategy', () => {
  test.each([
    ['canary', 'canary'],
    ['blueGreen', 'blueGreen'],
    ['blue-green', 'blueGreen'],
    ['direct', 'direct'],
  ])('accepts %j as %j', (written, strategy) => {
    expect(parseConfig({ ...structuredClone(minimal), strategy: written }).strategy).toBe(strategy);
  });
});

describe('traffic.sessionAffinity and traffic.mirror (issue 14)', () => {
  test('sessionAffinity defaults maxAge to a day (Flagger) and reaches the split the routers write', () => {
    const config = parseConfig({ ...structuredClone(minimal), traffic: { sessionAffinity: { cookieName: 'docutag-track' } } });
    expect(config.traffic.sessionAffinity).toEqual({ cookieName: 'docutag-track', maxAge: 86400 });
    expect(trafficSplitOf(config).sessionAffinity).toEqual({ cookieName: 'docutag-track', maxAgeSeconds: 86400 });
  });

  test('a split without sessionAffinity carries no such key (histories of earlier releases stay as they were)', () => {
    expect(trafficSplitOf(parseConfig(structuredClone(minimal)))).not.toHaveProperty('sessionAffinity');
  });

  test('mirror defaults to 100% on a blue-green, under either spelling of the strategy', () => {
    for (const strategy of ['blueGreen', 'blue-green']) {
      expect(parseConfig({ ...structuredClone(minimal), strategy, traffic: { mirror: {} } }).traffic.mirror).toEqual({ percent: 100 });
    }
  });

  test('mirror is absent unless asked for', () => {
    expect(parseConfig({ ...structuredClone(minimal), strategy: 'blueGreen' }).traffic).not.toHaveProperty('mirror');
  });
});
