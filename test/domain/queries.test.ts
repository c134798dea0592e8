import { metricChecks, renderTemplate, traefikServicePattern, type MetricChecksInput } from '../../src/workflows/domain/queries';
import { durationMs } from '../../src/workflows/domain/duration';

const input = (overrides: Partial<MetricChecksInput> = {}): MetricChecksInput => ({
  namespace: 'docutag',
  intervalMs: 60_000,
  requestSuccessRate: { enabled: true, threshold: 99 },
  requestDuration: { enabled: true, threshold: 500 },
  custom: [],
  ...overrides,
});

/** Prometheus `=~` matches the whole label value, like an anchored JS RegExp. */
const promMatches = (pattern: string, label: string) => new RegExp(`^(?:${pattern})$`).test(label);
const selectorPatterns = (query: string) => [...query.matchAll(/service=~"([^"]+)"/g)].map((match) => match[1]!);

describe('traefikServicePattern', () => {
  const primary = traefikServicePattern('docutag', 'docutag-controller');
  const canary = traefikServicePattern('docutag', 'docutag-controller-canary');

  test('is <namespace>-<service>-<port digits>@kubernetescrd', () => {
    expect(primary).toBe('docutag-docutag-controller-[0-9]+@kubernetescrd');
  });

  test.each([
    ['docutag-docutag-controller-80@kubernetescrd', true],
    ['docutag-docutag-controller-8080@kubernetescrd', true],
    ['docutag-docutag-controller-canary-80@kubernetescrd', false],
    ['docutag-docutag-controller-80@kubernetes', false],
    ['other-docutag-controller-80@kubernetescrd', false],
    ['docutag-docutag-controller-http@kubernetescrd', false],
  ])('the primary pattern matching %s is %s', (label, matches) => {
    expect(promMatches(primary, label)).toBe(matches);
  });

  test('the canary pattern matches the canary and not the primary', () => {
    expect(promMatches(canary, 'docutag-docutag-controller-canary-80@kubernetescrd')).toBe(true);
    expect(promMatches(canary, 'docutag-docutag-controller-80@kubernetescrd')).toBe(false);
  });
});

describe('metricChecks: Flagger Traefik templates', () => {
  test('renders the success rate as non-5xx over all requests in %, for the measured service only (0% when every request failed, not no data)', () => {
    const [successRate] = metricChecks(input(), 'docutag-controller-canary');
    expect(successRate).toMatchObject({ name: 'request-success-rate', bound: 'min', threshold: 99, unit: '%' });
    expect(successRate!.query).toBe(
      '(sum(rate(traefik_service_request_duration_seconds_bucket{service=~"docutag-docutag-controller-canary-[0-9]+@kubernetescrd",code!~"5..",le="+Inf"}[1m])) or vector(0)) / ' +
        'sum(rate(traefik_service_request_duration_seconds_bucket{service=~"docutag-docutag-controller-canary-[0-9]+@kubernetescrd",le="+Inf"}[1m])) * 100',
    );
  });

  test('renders the request duration as p99 in ms', () => {
    const [, duration] = metricChecks(input(), 'docutag-controller-canary');
    expect(duration).toMatchObject({ name: 'request-duration', bound: 'max', threshold: 500, unit: 'ms' });
    expect(duration!.query).toBe(
      'histogram_quantile(0.99, sum(rate(traefik_service_request_duration_seconds_bucket{service=~"docutag-docutag-controller-canary-[0-9]+@kubernetescrd"}[1m])) by (le)) * 1000',
    );
  });

  test('queries for the primary (after a drill) never match the canary service', () => {
    const checks = metricChecks(input(), 'docutag-controller');
    expect(checks).toHaveLength(2);
    for (const check of checks) {
      const patterns = selectorPatterns(check.query);
      expect(patterns.length).toBeGreaterThan(0);
      for (const pattern of patterns) {
        expect(promMatches(pattern, 'docutag-docutag-controller-80@kubernetescrd')).toBe(true);
        expect(promMatches(pattern, 'docutag-docutag-controller-canary-80@kubernetescrd')).toBe(false);
      }
    }
  });

  test('uses a custom service pattern when given one', () => {
    const checks = metricChecks(input(), 'docutag-controller-green', 'docutag-green-.*');
    for (const check of checks) expect(selectorPatterns(check.query)).toEqual(expect.arrayContaining(['docutag-green-.*']));
    expect(checks[0]!.query).not.toContain('kubernetescrd');
  });

  test.each([
    ['1m', '[1m]'],
    ['30s', '[30s]'],
    ['500ms', '[1s]'],
    ['120s', '[2m]'],
  ])('uses the analysis interval %s as the range %s', (interval, range) => {
    for (const check of metricChecks(input({ intervalMs: durationMs(interval) }), 'svc')) expect(check.query).toContain(range);
  });

  test.each([
    ['both built-ins enabled', input(), ['request-success-rate', 'request-duration']],
    ['success rate disabled', input({ requestSuccessRate: { enabled: false, threshold: 99 } }), ['request-duration']],
    ['duration disabled', input({ requestDuration: { enabled: false, threshold: 500 } }), ['request-success-rate']],
    ['both disabled', input({ requestSuccessRate: { enabled: false, threshold: 99 }, requestDuration: { enabled: false, threshold: 500 } }), []],
  ])('runs only enabled built-in checks: %s', (_name, config, names) => {
    expect(metricChecks(config, 'svc').map((check) => check.name)).toEqual(names);
  });

  test('carries the configured thresholds', () => {
    const checks = metricChecks(input({ requestSuccessRate: { enabled: true, threshold: 95 }, requestDuration: { enabled: true, threshold: 750 } }), 'svc');
    expect(checks.map((check) => check.threshold)).toEqual([95, 750]);
  });
});

describe('metricChecks: custom queries', () => {
  const none = { requestSuccessRate: { enabled: false, threshold: 99 }, requestDuration: { enabled: false, threshold: 500 } };

  test('fills {{ namespace }}, {{ target }} and {{ interval }} with the namespace, the measured service and the range', () => {
    const [check] = metricChecks(
      input({
        ...none,
        intervalMs: 30_000,
        custom: [{ name: 'errors', query: 'sum(rate(app_errors_total{namespace="{{ namespace }}",service="{{ target }}"}[{{ interval }}]))', max: 1 }],
      }),
      'docutag-controller-canary',
    );
    expect(check).toEqual({
      name: 'errors',
      bound: 'max',
      threshold: 1,
      unit: '',
      query: 'sum(rate(app_errors_total{namespace="docutag",service="docutag-controller-canary"}[30s]))',
    });
  });

  test('accepts placeholders without spaces and repeated placeholders', () => {
    const [check] = metricChecks(input({ ...none, custom: [{ name: 'ratio', query: 'a{s="{{target}}"}[{{interval}}] / b{s="{{ target }}"}[{{  interval  }}]', min: 1 }] }), 'svc');
    expect(check!.query).toBe('a{s="svc"}[1m] / b{s="svc"}[1m]');
  });

  test('leaves other templates untouched', () => {
    expect(renderTemplate('x{a="{{ variables.env }}",b="{{ namespace }}"}', { namespace: 'ns', target: 't', interval: '1m' })).toBe('x{a="{{ variables.env }}",b="ns"}');
  });

  test('does not interpret $ in values as replacement patterns', () => {
    expect(renderTemplate('{{ target }}', { namespace: 'ns', target: "$&$'", interval: '1m' })).toBe("$&$'");
  });

  test.each([
    ['a min-only query', { min: 10 }, [['throughput', 'min', 10]]],
    ['a max-only query', { max: 2 }, [['throughput', 'max', 2]]],
    ['a query with min and max, as two checks', { min: 10, max: 20 }, [['throughput', 'min', 10], ['throughput-max', 'max', 20]]],
  ])('judges %s', (_name, bounds, expected) => {
    const checks = metricChecks(input({ ...none, custom: [{ name: 'throughput', query: 'q', ...bounds }] }), 'svc');
    expect(checks.map((check) => [check.name, check.bound, check.threshold])).toEqual(expected);
  });

  test('appends custom checks after the built-ins, in config order', () => {
    const checks = metricChecks(input({ custom: [{ name: 'b', query: 'q', max: 1 }, { name: 'a', query: 'q', max: 1 }] }), 'svc');
    expect(checks.map((check) => check.name)).toEqual(['request-success-rate', 'request-duration', 'b', 'a']);
  });
});
