import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfigFile } from '../../src/config';
import { configError, fixture } from './helpers';


let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'docutag-release-config-'));
});
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('loadConfigFile', () => {
  test('reads a config with every section of the reference', () => {
    const config = loadConfigFile(fixture('full.yaml'));
    expect(config.strategy).toBe('blueGreen');
    expect(config.helm).toEqual({
      chart: './chart',
      valuesFiles: ['chart/values-production.yaml'],
      versionValue: 'image.tag',
      set: { replicaCount: 2, debug: false },
      releases: { primary: 'controller', canary: 'controller-next' },
      timeout: '7m',
    });
    expect(config.traffic).toEqual({ provider: 'traefik', traefikService: 'controller-split', primaryService: 'controller', canaryService: 'controller-next' });
    expect(config.analysis).toEqual({ interval: '30s', threshold: 3, stepWeight: 20, stepWeights: [5, 10, 25, 50], maxWeight: 80, iterations: 6, postSwitchIterations: 0, guard: { enabled: true, interval: '10s', consecutive: 2 } });
    expect(config.metrics).toEqual({
      requestSuccessRate: { enabled: true, threshold: 98.5 },
      requestDuration: { enabled: false, threshold: 250 },
      custom: [{ name: 'errors', query: 'sum(rate(app_errors_total{service="{{ target }}"}[{{ interval }}]))', max: 1 }],
    });
    expect(config.webhooks).toEqual({
      helmTests: { enabled: false, timeout: '2m' },
      hooks: [{ name: 'load-test', type: 'rollout', url: 'http://loadtester/', timeout: '10s', metadata: { cmd: 'hey' } }],
    });
    expect(config.drill).toEqual({ version: '1.0.0-drill', set: { 'faultInjection.errorRate': '50' }, maxRestore: '5s' });
    expect(config.migration).toEqual({ pilot: 'pilot.yaml', directReleasesToPass: 3 });
    expect(config.metricsServer).toBe('http://prometheus.monitoring:9090');
    expect(config.alerts).toEqual({ slack: { enabled: true, channel: '#production-deploys' }, teams: { enabled: true }, discord: { enabled: false }, webhook: { enabled: true } });
  });

  test('names the file and says to pass --config when it does not exist', () => {
    const missing = path.join(scratch, 'nope.yaml');
    const error = configError(() => loadConfigFile(missing));
    expect(error.source).toBe(missing);
    expect(error.issues).toEqual([{ path: '(file)', message: 'file not found; pass --config with the path of a release.yaml' }]);
    expect(error.message).toContain(missing);
  });

  test('says to pass --values when the values file does not exist', () => {
    const missing = path.join(scratch, 'values-nope.yaml');
    const error = configError(() => loadConfigFile(fixture('release.yaml'), { valuesFile: missing }));
    expect(error.source).toBe(missing);
    expect(error.issues).toEqual([{ path: '(file)', message: expect.stringMatching(/^file not found; pass --values/) }]);
  });

  test('says it cannot read a directory', () => {
    const error = configError(() => loadConfigFile(scratch));
    expect(error.issues).toEqual([{ path: '(file)', message: 'cannot read it (EISDIR)' }]);
  });

  test.each(['empty.yaml', 'only-comments.yaml'])('refuses %s as an empty config and says what it needs', (name) => {
    const error = configError(() => loadConfigFile(fixture(name)));
    expect(error.issues).toEqual([{ path: '(root)', message: expect.stringMatching(/the config is empty; it needs at least service: \{ name, namespace \}/) }]);
  });

  test('refuses invalid YAML with the line and column', () => {
    const error = configError(() => loadConfigFile(fixture('invalid-yaml.yaml')));
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]!.path).toBe('(yaml)');
    expect(error.issues[0]!.message).toMatch(/^not valid YAML: .+ at line \d+, column \d+/);
  });

  test('refuses a key written twice', () => {
    const error = configError(() => loadConfigFile(fixture('duplicate-key.yaml')));
    expect(error.issues).toEqual([{ path: '(yaml)', message: expect.stringMatching(/not valid YAML: Map keys must be unique/) }]);
  });

  test('refuses a file holding several YAML documents', () => {
    const file = path.join(scratch, 'two-documents.yaml');
    writeFileSync(file, 'service: { name: a, namespace: b }\n---\nhelm: { chart: c }\n');
    expect(configError(() => loadConfigFile(file)).issues[0]).toMatchObject({ path: '(yaml)', message: expect.stringMatching(/multiple documents/) });
  });

  test('refuses a YAML alias bomb (billion laughs) quickly', () => {
    const started = Date.now();
    const error = configError(() => loadConfigFile(fixture('alias-bomb.yaml')));
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(error.issues).toEqual([{ path: '(yaml)', message: expect.stringMatching(/not valid YAML: .*[Ee]xcessive alias count/) }]);
  });

  test('refuses an alias bomb in the values file too', () => {
    const error = configError(() => loadConfigFile(fixture('release.yaml'), { valuesFile: fixture('alias-bomb.yaml') }));
    expect(error.source).toBe(fixture('alias-bomb.yaml'));
    expect(error.issues[0]!.path).toBe('(yaml)');
  });

  test('refuses an alias that contains itself instead of overflowing the stack', () => {
    const error = configError(() => loadConfigFile(fixture('alias-cycle.yaml')));
    expect(error.issues).toEqual([{ path: 'service.again', message: expect.stringMatching(/an alias refers to a node that contains it/) }]);
  });

  test('accepts a few harmless aliases', () => {
    const file = path.join(scratch, 'aliases.yaml');
    writeFileSync(file, 'service: { name: &name docutag-controller, namespace: docutag }\nhelm: { chart: ./chart, releases: { primary: *name } }\n');
    expect(loadConfigFile(file).helm.releases.primary).toBe('docutag-controller');
  });

  test('refuses a file over 1 MiB without parsing it', () => {
    const file = path.join(scratch, 'huge.yaml');
    writeFileSync(file, `# ${'x'.repeat(1024 * 1024)}\n`);
    expect(configError(() => loadConfigFile(file)).issues).toEqual([{ path: '(file)', message: expect.stringMatching(/larger than 1048576 bytes/) }]);
  });

  test('reports schema errors with the file as the source', () => {
    const file = path.join(scratch, 'bad-interval.yaml');
    writeFileSync(file, 'service: { name: docutag-controller, namespace: docutag }\nhelm: { chart: ./chart }\nanalysis: { interval: 1 minute }\n');
    const error = configError(() => loadConfigFile(file));
    expect(error.source).toBe(file);
    expect(error.issues.map((issue) => issue.path)).toEqual(['analysis.interval']);
  });
});
