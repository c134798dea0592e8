import { ConfigError, parseConfig } from '../../src/config';
import { configError } from './helpers';

const valid = () => ({
  service: { name: 'docutag-controller', namespace: 'docutag' } as Record<string, unknown>,
  helm: { chart: './chart' } as Record<string, unknown>,
});

const issuePaths = (error: ConfigError) => error.issues.map((issue) => issue.path);

type Mutation = (config: Record<string, any>) => void;

describe('a bad value in one field is reported at that field', () => {
  const cases: Array<[string, string, Mutation]> = [
    ['service.name', 'upper-case letters', (c) => (c.service.name = 'DocuTag')],
    ['service.name', 'missing', (c) => delete c.service.name],
    ['service.name', 'longer than 53 characters', (c) => (c.service.name = 'a'.repeat(54))],
    ['service.name', 'too long for the derived canary release', (c) => (c.service.name = 'a'.repeat(47))],
    ['service.name', 'a number', (c) => (c.service.name = 42)],
    ['service.namespace', 'an underscore', (c) => (c.service.namespace = 'docu_tag')],
    ['service.namespace', 'missing', (c) => delete c.service.namespace],
    ['service', 'missing', (c) => delete c.service],
    ['target', 'an unknown target', (c) => (c.target = 'cloud')],
    ['local', 'missing for target local', (c) => (c.target = 'local')],
    ['local.command', 'missing', (c) => Object.assign(c, { target: 'local', local: {} })],
    ['helm.chart', 'missing for target kubernetes', (c) => delete c.helm.chart],
    ['helm.chart', 'missing, with no helm block at all', (c) => delete c.helm],
    ['helm.chart', 'empty', (c) => (c.helm.chart = '')],
    ['helm.timeout', 'not a duration', (c) => (c.helm.timeout = '5 minutes')],
    ['helm.timeout', 'zero', (c) => (c.helm.timeout = '0s')],
    ['helm.releases.canary', 'not a Kubernetes name', (c) => (c.helm.releases = { canary: 'Canary!' })],
    ['helm.set.replicas', 'an object value', (c) => (c.helm.set = { replicas: { nested: 1 } })],
    ['helm.valuesFiles', 'a string instead of a list', (c) => (c.helm.valuesFiles = 'values.yaml')],
    ['traffic.provider', 'an unsupported provider', (c) => (c.traffic = { provider: 'istio' })],
    ['traffic.sessionAffinity.cookieName', 'a cookie name with a space', (c) => (c.traffic = { sessionAffinity: { cookieName: 'my track' } })],
    ['traffic.sessionAffinity.cookieName', 'missing', (c) => (c.traffic = { sessionAffinity: { maxAge: 60 } })],
    ['traffic.sessionAffinity.maxAge', 'zero', (c) => (c.traffic = { sessionAffinity: { cookieName: 'track', maxAge: 0 } })],
    ['traffic.sessionAffinity.maxAge', 'a duration string instead of seconds', (c) => (c.traffic = { sessionAffinity: { cookieName: 'track', maxAge: '1d' } })],
    ['traffic.mirror.percent', 'above 100', (c) => Object.assign(c, { strategy: 'blueGreen', traffic: { mirror: { percent: 150 } } })],
    ['traffic.mirror.percent', 'zero', (c) => Object.assign(c, { strategy: 'blueGreen', traffic: { mirror: { percent: 0 } } })],
    ['traffic.mirror', 'on a canary (real traffic reaches it already)', (c) => (c.traffic = { mirror: { percent: 100 } })],
    ['traffic.mirror', 'on a direct release', (c) => Object.assign(c, { strategy: 'direct', traffic: { mirror: {} } })],
    ['analysis.match', 'missing for strategy abTesting', (c) => (c.strategy = 'abTesting')],
    ['analysis.match', 'on a canary (it never reads it)', (c) => (c.analysis = { match: [{ headers: { 'x-canary': { exact: 'insider' } } }] })],
    ['analysis.match', 'an empty list', (c) => Object.assign(c, { strategy: 'abTesting', analysis: { match: [] } })],
    ['analysis.match[0].headers', 'no header', (c) => Object.assign(c, { strategy: 'abTesting', analysis: { match: [{ headers: {} }] } })],
    ['analysis.match[0].headers.x-canary', 'exact and regex at once', (c) => Object.assign(c, { strategy: 'ab-testing', analysis: { match: [{ headers: { 'x-canary': { exact: 'a', regex: 'b' } } }] } })],
    ['analysis.match[0].headers.cookie', 'a lookahead Traefik cannot run', (c) => Object.assign(c, { strategy: 'abTesting', analysis: { match: [{ headers: { cookie: { regex: 'canary=(?!never)' } } }] } })],
    ['traffic.mirror', 'on an A/B test', (c) => Object.assign(c, { strategy: 'abTesting', analysis: { match: [{ headers: { 'x-canary': { exact: 'insider' } } }] }, traffic: { mirror: {} } })],
    ['metricsServer', 'not a URL', (c) => (c.metricsServer = 'prometheus')],
    ['metricsServer', 'not http(s)', (c) => (c.metricsServer = 'ftp://prometheus.monitoring:9090')],
    ['strategy', 'an unknown strategy', (c) => (c.strategy = 'rolling')],
    ['analysis.guard.interval', 'not a duration', (c) => (c.analysis = { guard: { interval: 'often' } })],
    ['analysis.guard.consecutive', 'zero', (c) => (c.analysis = { guard: { consecutive: 0 } })],
    ['analysis.guard.checks[0]', 'a check without a bound', (c) => (c.analysis = { guard: { checks: [{ name: 'request-success-rate' }] } })],
    ['analysis.guard.checks[0].name', 'a check the config does not have', (c) => (c.analysis = { guard: { checks: [{ name: 'error-budget', max: 5 }] } })],
    ['analysis.guard.checks[0].name', 'a built-in check that is turned off', (c) => Object.assign(c, { metrics: { requestDuration: { enabled: false } }, analysis: { guard: { checks: [{ name: 'request-duration', max: 2500 }] } } })],
    ['analysis.guard.checks', 'an empty list', (c) => (c.analysis = { guard: { checks: [] } })],
    ['analysis.guard.surprise', 'an unknown key', (c) => (c.analysis = { guard: { surprise: true } })],
    ['analysis.interval', 'not a duration', (c) => (c.analysis = { interval: '1 minute' })],
    ['analysis.interval', 'a fraction', (c) => (c.analysis = { interval: '1.5m' })],
    ['analysis.interval', 'zero', (c) => (c.analysis = { interval: '0s' })],
    ['analysis.interval', 'a number', (c) => (c.analysis = { interval: 60 })],
    ['analysis.threshold', 'zero', (c) => (c.analysis = { threshold: 0 })],
    ['analysis.threshold', 'a fraction', (c) => (c.analysis = { threshold: 2.5 })],
    ['analysis.threshold', 'a string', (c) => (c.analysis = { threshold: '5' })],
    ['analysis.stepWeight', 'zero', (c) => (c.analysis = { stepWeight: 0 })],
    ['analysis.stepWeight', 'above 100', (c) => (c.analysis = { stepWeight: 101 })],
    ['analysis.stepWeight', 'a fraction', (c) => (c.analysis = { stepWeight: 12.5 })],
    ['analysis.stepWeights', 'not increasing', (c) => (c.analysis = { stepWeights: [10, 5, 25] })],
    ['analysis.stepWeights', 'repeating a weight', (c) => (c.analysis = { stepWeights: [10, 10, 25] })],
    ['analysis.stepWeights', 'empty', (c) => (c.analysis = { stepWeights: [] })],
    ['analysis.stepWeights[1]', 'holding a weight above 100', (c) => (c.analysis = { stepWeights: [50, 150] })],
    ['analysis.maxWeight', 'zero', (c) => (c.analysis = { maxWeight: 0 })],
    ['analysis.maxWeight', 'above 100', (c) => (c.analysis = { maxWeight: 150 })],
    ['analysis.iterations', 'zero', (c) => (c.analysis = { iterations: 0 })],
    ['analysis.postSwitchIterations', 'negative', (c) => (c.analysis = { postSwitchIterations: -1 })],
    ['metrics.requestSuccessRate.threshold', 'above 100%', (c) => (c.metrics = { requestSuccessRate: { threshold: 101 } })],
    ['metrics.requestSuccessRate.threshold', 'negative', (c) => (c.metrics = { requestSuccessRate: { threshold: -1 } })],
    ['metrics.requestSuccessRate.threshold', 'written with a % sign', (c) => (c.metrics = { requestSuccessRate: { threshold: '99%' } })],
    ['metrics.requestSuccessRate.enabled', 'a string', (c) => (c.metrics = { requestSuccessRate: { enabled: 'yes' } })],
    ['metrics.requestDuration.threshold', 'zero', (c) => (c.metrics = { requestDuration: { threshold: 0 } })],
    ['metrics.custom[0]', 'a custom metric without min or max', (c) => (c.metrics = { custom: [{ name: 'errors', query: 'sum(x)' }] })],
    ['metrics.custom[0].query', 'an empty query', (c) => (c.metrics = { custom: [{ name: 'errors', query: '', max: 1 }] })],
    ['metrics.custom[1].name', 'a name starting with a digit', (c) => (c.metrics = { custom: [{ name: 'ok', query: 'q', max: 1 }, { name: '1bad', query: 'q', max: 1 }] })],
    ['webhooks.hooks[0].type', 'an unknown webhook type', (c) => (c.webhooks = { hooks: [{ name: 'gate', type: 'pre-deploy', url: 'http://gate/' }] })],
    ['webhooks.hooks[0].type', 'a missing webhook type', (c) => (c.webhooks = { hooks: [{ name: 'gate', url: 'http://gate/' }] })],
    ['webhooks.hooks[0].url', 'a file URL', (c) => (c.webhooks = { hooks: [{ name: 'gate', type: 'rollout', url: 'file:///etc/passwd' }] })],
    ['webhooks.hooks[0].url', 'not a URL', (c) => (c.webhooks = { hooks: [{ name: 'gate', type: 'rollout', url: 'loadtester' }] })],
    ['webhooks.hooks[0].timeout', 'not a duration', (c) => (c.webhooks = { hooks: [{ name: 'gate', type: 'rollout', url: 'http://gate/', timeout: 'soon' }] })],
    ['webhooks.helmTests.timeout', 'not a duration', (c) => (c.webhooks = { helmTests: { timeout: '3 minutes' } })],
    ['drill.version', 'missing', (c) => (c.drill = { set: {} })],
    ['migration.directReleasesToPass', 'zero', (c) => (c.migration = { directReleasesToPass: 0 })],
    ['alerts.slack.channel', 'a number', (c) => (c.alerts = { slack: { channel: 5 } })],
    ['analyses', 'an unknown top-level key', (c) => (c.analyses = { interval: '1m' })],
    ['analysis.intervall', 'a misspelt key', (c) => (c.analysis = { intervall: '1m' })],
    ['service.port', 'an unknown key in service', (c) => (c.service.port = 80)],
    ['webhooks.hooks[0].retries', 'an unknown key in a hook', (c) => (c.webhooks = { hooks: [{ name: 'gate', type: 'rollout', url: 'http://gate/', retries: 3 }] })],
    // Configs that would hurt production or never work (issue 12).
    ['helm.releases.canary', 'the canary release named like the service (an in-place upgrade of production, uninstalled on rollback)', (c) => (c.helm.releases = { canary: 'docutag-controller' })],
    ['helm.releases.canary', 'the canary release named like an explicit primary', (c) => (c.helm.releases = { primary: 'web', canary: 'web' })],
    ['helm.releases.primary', 'the primary release named like the default canary', (c) => (c.helm.releases = { primary: 'docutag-controller-canary' })],
    ['traffic.canaryService', 'the canary Service equal to the primary Service', (c) => (c.traffic = { primaryService: 'web', canaryService: 'web' })],
    ['traffic.canaryService', 'the canary Service equal to the derived primary Service', (c) => (c.traffic = { canaryService: 'docutag-controller' })],
    ['analysis.stepWeight', 'above maxWeight (one jump)', (c) => (c.analysis = { stepWeight: 80, maxWeight: 30 })],
    ['analysis.stepWeight', 'the default 10 above a maxWeight of 5', (c) => (c.analysis = { maxWeight: 5 })],
    ['analysis.stepWeights[2]', 'a step above maxWeight (silently dropped)', (c) => (c.analysis = { stepWeights: [5, 10, 60], maxWeight: 50 })],
    ['metrics.custom[0]', 'a custom metric with min above max', (c) => (c.metrics = { custom: [{ name: 'errors', query: 'sum(x)', min: 5, max: 1 }] })],
    ['metrics.requestSuccessRate.threshold', 'zero (passes every round)', (c) => (c.metrics = { requestSuccessRate: { threshold: 0 } })],
    ['traffic.primaryService', 'a Service name starting with a digit', (c) => (c.traffic = { primaryService: '1web' })],
    ['traffic.canaryService', 'a canary Service name starting with a digit', (c) => (c.traffic = { canaryService: '9web-canary' })],
    ['helm.releases.canary', 'a release starting with a digit that names the canary Service', (c) => (c.helm.releases = { canary: '2web-canary' })],
    ['service.name', 'a service name starting with a digit (the derived Service names)', (c) => (c.service.name = '1web')],
    ['metricsServer', 'user:password in the URL (it lands in the history)', (c) => (c.metricsServer = 'http://admin:hunter2@prometheus.monitoring:9090')],
    ['helm.set.db.password', 'a secret-looking helm.set path', (c) => (c.helm.set = { 'db.password': 'hunter2' })],
    ['helm.set.auth.apiKey', 'an api key in a helm.set path', (c) => (c.helm.set = { 'auth.apiKey': 'k-123' })],
    ['drill.set.redis.auth.token', 'a token in a drill.set path', (c) => (c.drill = { version: '1.0.0-drill', set: { 'redis.auth.token': 'abc' } })],
    ['drill.version', 'not a version', (c) => (c.drill = { version: '1.0 drill' })],
    ['helm.set.list[0]', 'a list index in a helm.set path', (c) => (c.helm.set = { 'list[0]': 'x' })],
    ['helm.set.a..b', 'an empty part in a helm.set path', (c) => (c.helm.set = { 'a..b': 'x' })],
    ['helm.versionValue', 'a versionValue ending in a dot', (c) => (c.helm.versionValue = 'image.')],
  ];

  test.each(cases)('%s: %s', (path, _what, mutate) => {
    const config = valid();
    mutate(config);
    const error = configError(() => parseConfig(config, 'release.yaml'));
    expect(issuePaths(error)).toContain(path);
    // No other field is blamed for it.
    expect(new Set(issuePaths(error))).toEqual(new Set([path]));
    expect(error.message).toContain(`  - ${path}: `);
  });

  test('the valid base config of this table is accepted', () => {
    expect(() => parseConfig(valid())).not.toThrow();
  });

  test('what looks like a secret only by name is accepted: a Secret reference, a flag, a step at maxWeight, min equal to max', () => {
    const config = valid();
    config.helm.set = { 'auth.existingSecret': 'db-credentials', 'db.passwordSecretName': 'db', 'serviceAccount.automountToken': false };
    Object.assign(config, { analysis: { stepWeights: [10, 50], maxWeight: 50 }, metrics: { custom: [{ name: 'pods', query: 'q', min: 3, max: 3 }] } });
    expect(() => parseConfig(config)).not.toThrow();
  });

  test('the refusals of issue 12 say what to do', () => {
    const messageOf = (mutate: Mutation) => {
      const config = valid();
      mutate(config);
      return configError(() => parseConfig(config)).message;
    };
    expect(messageOf((c) => (c.helm.releases = { canary: 'docutag-controller' }))).toMatch(/would upgrade production in place.*give helm\.releases\.canary another name \(default "docutag-controller-canary"\)/);
    expect(messageOf((c) => (c.analysis = { stepWeight: 80, maxWeight: 30 }))).toMatch(/set stepWeight to at most 30/);
    expect(messageOf((c) => (c.helm.set = { 'db.password': 'x' }))).toMatch(/keep it in a Kubernetes Secret the chart references/);
    expect(messageOf((c) => (c.metricsServer = 'http://a:b@prom:9090'))).toMatch(/without user:password.*PROMETHEUS_BEARER_TOKEN/);
  });
});

describe('several bad fields', () => {
  test('lists every bad field, not just the first', () => {
    const error = configError(() =>
      parseConfig({
        service: { name: 'Docutag', namespace: 'docutag' },
        target: 'kubernetes',
        helm: { timeout: 'forever' },
        strategy: 'rolling',
        analysis: { interval: 'often', threshold: 0, stepWeights: [50, 10] },
        metrics: { requestSuccessRate: { threshold: 120 }, custom: [{ name: 'errors', query: 'q' }] },
        webhooks: { hooks: [{ name: 'gate', type: 'nope', url: 'http://gate/' }] },
        colour: 'blue',
      }),
    );
    expect(issuePaths(error).sort()).toEqual(
      [
        'service.name',
        'helm.chart',
        'helm.timeout',
        'strategy',
        'analysis.interval',
        'analysis.threshold',
        'analysis.stepWeights',
        'metrics.requestSuccessRate.threshold',
        'metrics.custom[0]',
        'webhooks.hooks[0].type',
        'colour',
      ].sort(),
    );
  });

  test.each([
    ['a badly written duration', { analysis: { interval: 'x' } }, 'analysis.interval'],
    ['a value of the wrong type', { analysis: { threshold: 'five' } }, 'analysis.threshold'],
    ['a missing required field', { service: { name: 'docutag-controller' } }, 'service.namespace'],
    ['an unknown strategy', { strategy: 'rolling' }, 'strategy'],
  ])('reports a missing helm.chart together with %s', (_name, overrides, otherPath) => {
    const error = configError(() => parseConfig({ service: { name: 'docutag-controller', namespace: 'docutag' }, ...overrides }));
    expect(issuePaths(error).sort()).toEqual([otherPath, 'helm.chart'].sort());
  });

  test('names each unknown key of one block separately', () => {
    const error = configError(() => parseConfig({ ...valid(), analysis: { intervall: '1m', treshold: 5 } }));
    expect(issuePaths(error).sort()).toEqual(['analysis.intervall', 'analysis.treshold']);
    expect(error.issues.every((issue) => issue.message.includes('unknown key'))).toBe(true);
  });

  test('the error names its source and prints one line per issue', () => {
    const error = configError(() => parseConfig({ ...valid(), strategy: 'x', analysis: { threshold: 0 } }, 'release.yaml'));
    expect(error.name).toBe('ConfigError');
    expect(error.source).toBe('release.yaml');
    expect(error.message.split('\n')[0]).toBe('release.yaml is not a valid release config:');
    expect(error.message.split('\n').slice(1)).toHaveLength(2);
  });
});

describe('documents that are not a config object', () => {
  test.each([
    ['null', null, '(root)', /the config is empty/],
    ['undefined', undefined, '(root)', /the config is empty/],
    ['a list', ['a'], '(root)', /expected object/],
    ['a string', 'service: x', '(root)', /expected object/],
  ])('refuses %s at the root', (_name, raw, path, message) => {
    const error = configError(() => parseConfig(raw));
    expect(error.issues).toEqual([{ path, message: expect.stringMatching(message) }]);
  });
});

describe('bake', () => {
  test('is optional; given, its interval and threshold default to the analysis ones (read at the bake)', () => {
    expect(parseConfig(valid()).bake).toBeUndefined();
    expect(parseConfig({ ...valid(), bake: { duration: '1h' } }).bake).toEqual({ duration: '1h' });
  });

  test.each([
    ['no duration', { bake: {} }, 'bake.duration', /expected/],
    ['a zero duration', { bake: { duration: '0s' } }, 'bake.duration', /above zero/],
    ['a threshold of 0', { bake: { duration: '1h', threshold: 0 } }, 'bake.threshold', /at least 1/],
    ['an unknown key', { bake: { duration: '1h', window: '1h' } }, 'bake.window', /unknown key/],
  ])('refuses %s, naming the field', (_name, overrides, path, message) => {
    const error = configError(() => parseConfig({ ...valid(), ...overrides }));
    expect(error.issues).toEqual([{ path, message: expect.stringMatching(message) }]);
  });
});

describe('windows and freezes', () => {
  test('are optional; a window with its zone, and a freeze, read back as written', () => {
    const windows = [{ days: 'Mon-Thu', from: '09:00', to: '16:00', timezone: 'Europe/Berlin' }];
    const freezes = [{ from: '2026-12-23T00:00:00+01:00', to: '2026-12-28T00:00:00+01:00', reason: 'year-end freeze' }];
    expect(parseConfig(valid()).windows).toBeUndefined();
    expect(parseConfig({ ...valid(), windows, freezes })).toMatchObject({ windows, freezes });
  });

  test.each([
    ['bad days', { windows: [{ days: 'weekdays', from: '09:00', to: '16:00' }] }, 'windows[0].days', /ranges like Mon-Thu/],
    ['a bad time', { windows: [{ days: 'Mon', from: '9am', to: '16:00' }] }, 'windows[0].from', /HH:MM/],
    ['an unknown zone', { windows: [{ days: 'Mon', from: '09:00', to: '16:00', timezone: 'Europe/Atlantis' }] }, 'windows[0].timezone', /IANA time zone/],
    ['an empty window', { windows: [{ days: 'Mon', from: '09:00', to: '09:00' }] }, 'windows[0].to', /the window would be empty/],
    ['a freeze without a reason', { freezes: [{ from: '2026-12-23T00:00:00Z', to: '2026-12-28T00:00:00Z', reason: '' }] }, 'freezes[0].reason', /say why/],
    ['a freeze that ends before it starts', { freezes: [{ from: '2026-12-28T00:00:00Z', to: '2026-12-23T00:00:00Z', reason: 'x' }] }, 'freezes[0].to', /after from/],
    ['a freeze date without a time', { freezes: [{ from: '2026-12-23', to: '2026-12-28T00:00:00Z', reason: 'x' }] }, 'freezes[0].from', /ISO date and time/],
  ])('refuse %s, naming the field', (_name, overrides, path, message) => {
    const error = configError(() => parseConfig({ ...valid(), ...overrides }));
    expect(error.issues).toEqual([{ path, message: expect.stringMatching(message) }]);
  });
});

describe('helpful messages', () => {
  test.each([
    ['analysis.interval', { analysis: { interval: '1 minute' } }, /500ms, 10s, 1m or 1h/],
    ['analysis.stepWeights', { analysis: { stepWeights: [10, 5] } }, /strictly increasing/],
    ['metrics.custom[0]', { metrics: { custom: [{ name: 'e', query: 'q' }] } }, /set min .*, max .*, or a bound against the primary/],
    ['webhooks.hooks[0].type', { webhooks: { hooks: [{ name: 'g', type: 'x', url: 'http://g/' }] } }, /confirm-rollout, pre-rollout, rollout/],
    ['strategy', { strategy: 'x' }, /canary, blueGreen \(or blue-green\), abTesting \(or ab-testing\) or direct/],
    ['service.name', { service: { name: 'A', namespace: 'b' } }, /Kubernetes name/],
    ['service.name', { service: { name: 'a'.repeat(47), namespace: 'b' } }, /helm\.releases\.canary/],
  ])('%s explains what is expected', (path, overrides, message) => {
    const error = configError(() => parseConfig({ ...valid(), ...overrides }));
    expect(error.issues.find((issue) => issue.path === path)?.message).toMatch(message);
  });
});
