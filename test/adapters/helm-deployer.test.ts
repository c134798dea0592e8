/*
 * HelmDeployer over the real process runner and the helm stand-in (test/support/fake-helm.js),
 * which records every call, keeps releases in state.json and fails calls listed in failures.json.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createProcessRunner } from '../../src/activities/adapters/command-runner';
import { HelmCommandError, HelmDeployer } from '../../src/targets/kubernetes/helm-deployer';
import type { HelmTarget } from '../../src/activities/ports';
import { failure } from '../support/failure';

const FAKE_HELM = path.resolve(__dirname, '../support/fake-helm.js');

interface HelmCall {
  action: string;
  release: string;
  namespace: string;
  args: string[];
  /** What the call's JSON values files held (the stand-in reads them while the file exists). */
  values?: Record<string, unknown>;
}

let helmDir: string;
beforeEach(() => {
  helmDir = mkdtempSync(path.join(os.tmpdir(), 'helm-deployer-'));
  process.env.FAKE_HELM_DIR = helmDir;
});

const deployer = () => new HelmDeployer({ runner: createProcessRunner(), helmBin: FAKE_HELM });

const target = (overrides: Partial<HelmTarget> = {}): HelmTarget => ({
  namespace: 'shop',
  chart: './chart',
  valuesFiles: [],
  versionValue: 'image.tag',
  set: {},
  timeoutMs: 300_000,
  ...overrides,
});

function calls(): HelmCall[] {
  try {
    return readFileSync(path.join(helmDir, 'calls.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as HelmCall);
  } catch {
    return [];
  }
}

const failOn = (rules: Record<string, string>) => writeFileSync(path.join(helmDir, 'failures.json'), JSON.stringify(rules));


describe('HelmDeployer with the helm stand-in', () => {
  test('install runs helm upgrade --install --wait with the timeout, namespace, values files and version, and returns what helm reports', async () => {
    const revision = await deployer().install({
      target: target({ valuesFiles: ['chart/values-production.yaml', 'chart/values-eu.yaml'], set: { replicas: 3 } }),
      release: 'web-canary',
      version: '1.1.0',
    });

    expect(revision).toEqual({ release: 'web-canary', revision: 1, version: '1.1.0', status: 'deployed' });
    const [upgrade] = calls();
    expect(upgrade!.action).toBe('upgrade');
    expect(upgrade!.args).toEqual([
      'upgrade', 'web-canary', './chart',
      '--install', '--wait', '--timeout', '300s',
      '--values', 'chart/values-production.yaml', '--values', 'chart/values-eu.yaml',
      '--values', expect.stringMatching(/docutag-values-.*\/values\.json$/),
      '--namespace', 'shop',
    ]);
    // helm.set and the version arrive as one JSON values file, typed, after the config's files.
    expect(upgrade!.values).toEqual({ replicas: 3, image: { tag: '1.1.0' } });
    expect(upgrade!.args.some((arg) => arg.startsWith('--set'))).toBe(false);
    expect(upgrade!.args).not.toContain('--kube-context');
  });

  test('install reads the revision and version back from helm (status, then get values)', async () => {
    await deployer().install({ target: target(), release: 'web', version: '1.0.0' });

    const second = await deployer().install({ target: target(), release: 'web', version: '1.1.0' });

    expect(second).toEqual({ release: 'web', revision: 2, version: '1.1.0', status: 'deployed' });
    expect(calls().map((call) => call.action)).toEqual(['upgrade', 'status', 'get values', 'upgrade', 'status', 'get values']);
  });

  test('the version wins over a helm.set of the same value, extra values keep their types, and the values file is removed', async () => {
    await deployer().install({ target: target({ set: { 'image.tag': 'stale' } }), release: 'web', version: '2.0.0', extraSet: { 'faultInjection.errorRate': '50', 'faultInjection.enabled': true } });

    const [upgrade] = calls();
    expect(upgrade!.values).toEqual({ image: { tag: '2.0.0' }, faultInjection: { errorRate: '50', enabled: true } });
    expect(existsSync(upgrade!.args[upgrade!.args.indexOf('--namespace') - 1]!)).toBe(false);
    expect((await deployer().describe({ target: target(), release: 'web' }))?.version).toBe('2.0.0');
  });

  test('every helm call carries --kube-context when the target names one', async () => {
    const withContext = target({ kubeContext: 'prod-eu' });
    await deployer().install({ target: withContext, release: 'web', version: '1.0.0' });
    await deployer().test({ target: withContext, release: 'web', timeoutMs: 60_000 });
    await deployer().uninstall({ target: withContext, release: 'web' });

    const recorded = calls();
    expect(recorded.length).toBeGreaterThanOrEqual(5);
    for (const call of recorded) {
      const at = call.args.indexOf('--kube-context');
      expect(call.args[at + 1]).toBe('prod-eu');
      expect(call.args[call.args.indexOf('--namespace') + 1]).toBe('shop');
    }
  });

  test('describe returns null for a release that is not installed', async () => {
    await expect(deployer().describe({ target: target(), release: 'web-canary' })).resolves.toBeNull();
  });

  test('describe does not mistake an unreachable cluster for a missing release', async () => {
    failOn({ 'status web': 'Kubernetes cluster unreachable: context was not found for specified context: prod-typo' });

    const error = await failure(deployer().describe({ target: target({ kubeContext: 'prod-typo' }), release: 'web' }));

    expect(error).toBeInstanceOf(HelmCommandError);
    expect(error.message).toContain('context was not found for specified context: prod-typo');
  });

  test('test reports passed with helm output when the chart tests pass', async () => {
    await deployer().install({ target: target(), release: 'web-canary', version: '1.1.0' });

    const run = await deployer().test({ target: target(), release: 'web-canary', timeoutMs: 180_000 });

    expect(run).toEqual({ passed: true, output: expect.stringContaining('Phase: Succeeded') });
    expect(calls().at(-1)!.args).toEqual(['test', 'web-canary', '--timeout', '180s', '--namespace', 'shop']);
  });

  test('a failing chart test is a result (passed: false) carrying helm output, not an error', async () => {
    await deployer().install({ target: target(), release: 'web-canary', version: '1.1.0' });
    failOn({ 'test web-canary': 'pod web-canary-smoke-test failed' });

    const run = await deployer().test({ target: target(), release: 'web-canary', timeoutMs: 180_000 });

    expect(run.passed).toBe(false);
    expect(run.output).toContain('pod web-canary-smoke-test failed');
  });

  test("an upgrade failure throws HelmCommandError quoting helm's stderr", async () => {
    failOn({ 'upgrade web': 'UPGRADE FAILED: context deadline exceeded' });

    const error = await failure(deployer().install({ target: target(), release: 'web', version: '1.1.0' }));

    expect(error).toBeInstanceOf(HelmCommandError);
    expect(error).toMatchObject({ action: 'upgrade', release: 'web' });
    expect(error.message).toBe('helm upgrade web failed: Error: UPGRADE FAILED: context deadline exceeded');
    expect(calls().map((call) => call.action)).toEqual(['upgrade']);
  });

  test('rollback returns the release to an earlier revision and waits, reporting the new revision and the old version', async () => {
    await deployer().install({ target: target(), release: 'web', version: '1.0.0' });
    await deployer().install({ target: target(), release: 'web', version: '1.1.0' });

    const after = await deployer().rollback({ target: target(), release: 'web', revision: 1 });

    expect(after).toEqual({ release: 'web', revision: 3, version: '1.0.0', status: 'deployed' });
    const rollback = calls().find((call) => call.action === 'rollback')!;
    expect(rollback.args).toEqual(['rollback', 'web', '1', '--wait', '--timeout', '300s', '--namespace', 'shop']);
  });

  test('a rollback to a revision helm does not have throws HelmCommandError naming it', async () => {
    await deployer().install({ target: target(), release: 'web', version: '1.0.0' });

    const error = await failure(deployer().rollback({ target: target(), release: 'web', revision: 7 }));

    expect(error).toBeInstanceOf(HelmCommandError);
    expect(error.message).toContain('revision 7 not found');
  });

  test('uninstall removes the release', async () => {
    await deployer().install({ target: target(), release: 'web-canary', version: '1.1.0' });

    await deployer().uninstall({ target: target(), release: 'web-canary' });

    await expect(deployer().describe({ target: target(), release: 'web-canary' })).resolves.toBeNull();
    expect(calls().find((call) => call.action === 'uninstall')!.args).toEqual(['uninstall', 'web-canary', '--wait', '--namespace', 'shop']);
  });

  test('uninstalling a release that is not there succeeds (idempotent)', async () => {
    await expect(deployer().uninstall({ target: target(), release: 'web-canary' })).resolves.toBeUndefined();

    expect(calls().map((call) => call.action)).toEqual(['uninstall']);
  });

  test('uninstall does not report success when the cluster cannot be reached', async () => {
    failOn({ 'uninstall web-canary': 'Kubernetes cluster unreachable: context was not found for specified context: prod-typo' });

    const error = await failure(deployer().uninstall({ target: target({ kubeContext: 'prod-typo' }), release: 'web-canary' }));

    expect(error).toBeInstanceOf(HelmCommandError);
    expect(error.message).toContain('Kubernetes cluster unreachable');
  });
});

describe('createProcessRunner', () => {
  test('kills a command that runs past its timeout and says so', async () => {
    const started = Date.now();

    // 3 s: long enough for node to start and print on a busy machine, far below the command's 60 s.
    const result = await createProcessRunner().run({ command: process.execPath, args: ['-e', 'process.stdout.write("started\\n"); setTimeout(() => {}, 60000)'], timeoutMs: 3000 });

    expect(Date.now() - started).toBeLessThan(30_000);
    expect(result.exitCode).not.toBe(0);
    expect(result.stdout).toBe('started\n');
    expect(result.stderr).toContain('killed after 3000ms');
  });

  test('kills a helm call that hangs past its timeout', async () => {
    writeFileSync(path.join(helmDir, 'delays.json'), JSON.stringify({ 'status web': 30_000 }));
    const started = Date.now();

    const result = await createProcessRunner().run({ command: FAKE_HELM, args: ['status', 'web', '--namespace', 'shop'], timeoutMs: 300 });

    expect(Date.now() - started).toBeLessThan(5_000);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain(`${FAKE_HELM} killed after 300ms`);
  });

  test('returns exit code, stdout and stderr of a command that finishes in time, passing arguments without a shell', async () => {
    const result = await createProcessRunner().run({
      command: process.execPath,
      args: ['-e', 'process.stdout.write(process.argv[1]); process.stderr.write("warn"); process.exit(3)', '$(echo injected); *'],
      timeoutMs: 5_000,
    });

    expect(result).toEqual({ exitCode: 3, stdout: '$(echo injected); *', stderr: 'warn' });
  });

  test('rejects with a clear message when the program does not exist', async () => {
    await expect(createProcessRunner().run({ command: '/nonexistent/helm', args: ['version'], timeoutMs: 1_000 })).rejects.toThrow('cannot run /nonexistent/helm');
  });
});
