/*
 * helm values reach helm exactly: the HelmDeployer's own `helm upgrade` arguments, run as
 * `helm template` by the real helm 3 binary (scripts/helm.sh path) on a tiny chart that renders
 * `.Values` as JSON. Commas, `=`, backslashes, quotes, leading dashes, booleans and numbers arrive
 * as written: `--set-string key=value` split "a,b" into two assignments and made `false` truthy.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { createProcessRunner, type CommandRunner } from '../../src/activities/adapters/command-runner';
import { HelmDeployer } from '../../src/targets/kubernetes/helm-deployer';
import { valueAt, valuesDocument } from '../../src/targets/kubernetes/helm-values';
import type { HelmTarget } from '../../src/activities/ports';

const ROOT = path.join(__dirname, '../..');
const helmBin = execFileSync('bash', [path.join(ROOT, 'scripts/helm.sh'), 'path'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();

const chart = mkdtempSync(path.join(os.tmpdir(), 'values-chart-'));
mkdirSync(path.join(chart, 'templates'));
writeFileSync(path.join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: values-probe\nversion: 0.1.0\n');
writeFileSync(path.join(chart, 'values.yaml'), 'feature:\n  enabled: true\nreplicas: 1\nimage:\n  tag: from-chart\n');
writeFileSync(
  path.join(chart, 'templates/values.yaml'),
  ['apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: {{ .Release.Name }}', 'data:', '  values.json: {{ toJson .Values | quote }}', '  feature: {{ if .Values.feature.enabled }}"on"{{ else }}"off"{{ end }}', '  replicasKind: {{ kindOf .Values.replicas | quote }}', ''].join('\n'),
);
const valuesFile = path.join(chart, 'values-production.yaml');
writeFileSync(valuesFile, 'replicas: 2\nenv:\n  LOG_LEVEL: info\n');

/**
 * The process runner, with `helm upgrade --install --wait` run as `helm template` (no cluster): the
 * rendered values are kept; status and get values answer as helm would after an install.
 */
function templatingRunner(): { runner: CommandRunner; rendered: () => { values: Record<string, any>; feature: string; replicasKind: string } } {
  const real = createProcessRunner();
  let output = '';
  const runner: CommandRunner = {
    async run(call) {
      const [action] = call.args;
      if (action === 'upgrade') {
        const args = call.args.filter((arg, i) => !['--install', '--wait', '--timeout'].includes(arg) && call.args[i - 1] !== '--timeout');
        const result = await real.run({ ...call, args: ['template', ...args.slice(1)] });
        output = result.stdout;
        return result.exitCode === 0 ? result : { ...result, stdout: '' };
      }
      const values = JSON.parse(parse(output).data['values.json']);
      if (action === 'status') return { exitCode: 0, stdout: JSON.stringify({ version: 1, info: { status: 'deployed' } }), stderr: '' };
      return { exitCode: 0, stdout: JSON.stringify(values), stderr: '' };
    },
  };
  return {
    runner,
    rendered: () => {
      const data = parse(output).data;
      return { values: JSON.parse(data['values.json']), feature: data.feature, replicasKind: data.replicasKind };
    },
  };
}

const target = (set: HelmTarget['set']): HelmTarget => ({ namespace: 'shop', chart, valuesFiles: [valuesFile], versionValue: 'image.tag', set, timeoutMs: 60_000 });

describe('helm values reach the real helm exactly', () => {
  test('commas, =, backslashes, quotes, leading dashes, booleans, numbers and escaped dots', async () => {
    const { runner, rendered } = templatingRunner();
    const set = {
      'env.NO_PROXY': 'a,b,.svc',
      'env.INJECT': 'x,replicas=99',
      'env.EQUATION': 'a=b=c',
      'env.WINDOWS_PATH': 'C:\\temp\\new',
      'env.QUOTED': `say "hi" and 'bye'`,
      'env.DASHES': '--set=evil',
      'env.BRACES': '{a,b}[0]',
      'feature.enabled': false,
      replicas: 3,
      'limits.ratio': 0.25,
      'nodeSelector.kubernetes\\.io/os': 'linux',
      'env.NUMBER_AS_TEXT': '007',
    };
    const revision = await new HelmDeployer({ runner, helmBin }).install({ target: target(set), release: 'web-canary', version: '1.1.0-rc.1+build.5', extraSet: { 'faultInjection.errorRate': '50' } });
    const { values, feature, replicasKind } = rendered();
    expect(values.env).toEqual({
      LOG_LEVEL: 'info',
      NO_PROXY: 'a,b,.svc',
      INJECT: 'x,replicas=99',
      EQUATION: 'a=b=c',
      WINDOWS_PATH: 'C:\\temp\\new',
      QUOTED: `say "hi" and 'bye'`,
      DASHES: '--set=evil',
      BRACES: '{a,b}[0]',
      NUMBER_AS_TEXT: '007',
    });
    // A boolean stays a boolean: `{{ if }}` sees false. A number stays a number, over the values file's.
    expect(feature).toBe('off');
    expect(values.feature).toEqual({ enabled: false });
    expect(values.replicas).toBe(3);
    expect(replicasKind).toBe('float64');
    expect(values.limits).toEqual({ ratio: 0.25 });
    expect(values.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
    expect(values.faultInjection).toEqual({ errorRate: '50' });
    expect(values.image).toEqual({ tag: '1.1.0-rc.1+build.5' });
    // The deployer reads the version back from the same values.
    expect(revision.version).toBe('1.1.0-rc.1+build.5');
  });

  test('without helm.set the chart and the values files decide; the version is always set', async () => {
    const { runner, rendered } = templatingRunner();
    await new HelmDeployer({ runner, helmBin }).install({ target: target({}), release: 'web', version: '2.0.0' });
    const { values, feature } = rendered();
    expect(feature).toBe('on');
    expect(values).toMatchObject({ replicas: 2, image: { tag: '2.0.0' }, env: { LOG_LEVEL: 'info' } });
  });
});

describe('value paths', () => {
  test('a later path wins, a scalar is replaced by a map, __proto__ is a plain key', () => {
    const document = valuesDocument({ a: 1, 'a.b': 2, '__proto__.polluted': 'yes' });
    expect(JSON.parse(JSON.stringify(document))).toEqual({ a: { b: 2 }, ['__proto__']: { polluted: 'yes' } });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test('valueAt reads escaped dots and ignores inherited keys', () => {
    expect(valueAt({ 'kubernetes.io': { os: 'linux' } }, 'kubernetes\\.io.os')).toBe('linux');
    expect(valueAt({}, 'constructor')).toBeNull();
  });
});
