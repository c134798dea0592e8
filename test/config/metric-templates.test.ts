/*
 * Flagger's MetricTemplates read into a config (src/config/metric-templates.ts): the file a DocuTag
 * team already has, unchanged, referenced by `metrics.custom[].templateRef`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { loadConfigFile } from '../../src/config';
import { metricChecks } from '../../src/workflows/domain/queries';
import { configError, fixture, validConfig } from './helpers';

const TEMPLATES = fixture('flagger-templates/templates.yaml');
const dir = mkdtempSync(path.join(tmpdir(), 'templates-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;
/** A config file beside nothing but a path to the fixture's templates, with these custom checks. */
function configFile(custom: unknown[]): string {
  counter += 1;
  const file = path.join(dir, `release-${counter}.yaml`);
  writeFileSync(file, YAML.stringify({ ...validConfig(), metrics: { custom } }));
  return file;
}
const ref = (name: string, extra: Record<string, unknown> = {}) => ({ name, namespace: 'docutag', file: path.relative(dir, TEMPLATES), ...extra });

describe('templateRef', () => {
  test("resolves to the template's query, variables filled, thresholdRange as min/max, the reference kept for the record", () => {
    const config = loadConfigFile(configFile([{ name: 'error-rate', templateRef: ref('error-rate'), templateVariables: { env: 'production' }, thresholdRange: { max: 1 } }]));
    const [check] = config.metrics.custom;
    expect(check).toMatchObject({ name: 'error-rate', max: 1, templateRef: ref('error-rate'), templateVariables: { env: 'production' } });
    expect(check!.query).toContain('env="production"');
    expect(check!.query).toContain('pod=~"{{ target }}-canary-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"');
    expect(check!.query).toContain('[{{ interval }}]');
    expect(check!.query).not.toContain('variables.');
  });

  test("renders as Flagger renders it: {{ target }} is the workload, so the template's own -canary- pattern measures the canary", () => {
    const config = loadConfigFile(configFile([{ name: 'queue-depth', templateRef: ref('queue-depth'), thresholdRange: { max: 100 } }]));
    const checks = metricChecks({ namespace: 'docutag', workload: 'docutag-controller', intervalMs: 60_000, requestSuccessRate: { enabled: false, threshold: 99 }, requestDuration: { enabled: false, threshold: 500 }, custom: config.metrics.custom }, 'docutag-controller-canary');
    expect(checks).toEqual([{ name: 'queue-depth', bound: 'max', threshold: 100, unit: '', query: 'sum(queue_depth{namespace="docutag", app="docutag-controller"})' }]);
  });

  test.each<[string, Record<string, unknown>, string, RegExp]>([
    ['an unknown template variable, by name', { templateRef: ref('error-rate'), thresholdRange: { max: 1 } }, 'templateVariables', /uses \{\{ variables\.env \}\}: set env in templateVariables/],
    ['a template that is not in the file, listing those that are', { templateRef: ref('latency'), max: 1 }, 'templateRef.name', /no MetricTemplate docutag\/latency in .*templates\.yaml \(it has docutag\/error-rate, docutag\/queue-depth, docutag\/datadog-latency\)/],
    ['a missing file', { templateRef: ref('error-rate', { file: 'nowhere.yaml' }), max: 1 }, 'templateRef.file', /nowhere\.yaml not found: templateRef\.file is read relative to the config file/],
    ['a provider other than prometheus', { templateRef: ref('datadog-latency'), max: 1 }, 'templateRef', /queries provider datadog; only prometheus templates are read/],
    ['a query beside the templateRef', { templateRef: ref('queue-depth'), query: 'sum(x)', max: 1 }, 'query', /from templateRef or from query, not both/],
  ])('refused with the field and the fix: %s', (_name, entry, field, message) => {
    const error = configError(() => loadConfigFile(configFile([{ name: 'check', ...entry }])));
    expect(error.issues).toContainEqual({ path: `metrics.custom[0].${field}`, message: expect.stringMatching(message) });
  });

  test('a bound against the primary on a template needs the primary\'s query: the template names its track itself', () => {
    const error = configError(() => loadConfigFile(configFile([{ name: 'queue-depth', templateRef: ref('queue-depth'), maxIncreasePercent: 20 }])));
    expect(error.issues).toContainEqual({ path: 'metrics.custom[0].primaryQuery', message: expect.stringMatching(/a bound against the primary needs primaryQuery/) });
  });

  test('thresholdRange works on a plain custom check too (Flagger\'s field name)', () => {
    const config = loadConfigFile(configFile([{ name: 'errors', query: 'sum(rate(errors[{{ interval }}]))', thresholdRange: { min: 0, max: 2 } }]));
    expect(config.metrics.custom[0]).toEqual({ name: 'errors', query: 'sum(rate(errors[{{ interval }}]))', min: 0, max: 2 });
  });
});
