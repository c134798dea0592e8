/*
 * HelmDeployer.history and describe at a revision: against the helm stand-in (calls recorded), and
 * against helm 3's own JSON output through a scripted runner.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CommandRunner } from '../../src/activities/adapters/command-runner';
import { createProcessRunner } from '../../src/activities/adapters/command-runner';
import { HelmCommandError, HelmDeployer } from '../../src/targets/kubernetes/helm-deployer';
import type { HelmTarget } from '../../src/activities/ports';

const FAKE_HELM = path.resolve(__dirname, '../support/fake-helm.js');

let helmDir: string;
beforeEach(() => {
  helmDir = mkdtempSync(path.join(os.tmpdir(), 'helm-history-'));
  process.env.FAKE_HELM_DIR = helmDir;
});

const target: HelmTarget = { namespace: 'shop', chart: './chart', valuesFiles: [], versionValue: 'image.tag', set: {}, timeoutMs: 300_000 };
const deployer = () => new HelmDeployer({ runner: createProcessRunner(), helmBin: FAKE_HELM });
const calls = () =>
  readFileSync(path.join(helmDir, 'calls.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { action: string; args: string[] });

/** A runner that answers every command with one scripted result and records the arguments. */
function scripted(result: { exitCode: number; stdout?: string; stderr?: string }) {
  const seen: string[][] = [];
  const runner: CommandRunner = {
    async run({ args }) {
      seen.push(args);
      return { exitCode: result.exitCode, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
    },
  };
  return { deployer: new HelmDeployer({ runner, helmBin: 'helm' }), seen };
}

describe('HelmDeployer.history', () => {
  test('runs helm history --max N --output json and lists the revisions oldest first', async () => {
    await deployer().install({ target, release: 'web', version: '1.0.0' });
    await deployer().install({ target, release: 'web', version: '1.1.0' });

    const history = await deployer().history({ target, release: 'web', max: 20 });

    expect(history.map(({ revision, status, description }) => ({ revision, status, description }))).toEqual([
      { revision: 1, status: 'superseded', description: 'Install complete' },
      { revision: 2, status: 'deployed', description: 'Upgrade complete' },
    ]);
    expect(calls().at(-1)!.args).toEqual(['history', 'web', '--max', '20', '--output', 'json', '--namespace', 'shop']);
  });

  test('is empty for a release that is not installed', async () => {
    await expect(deployer().history({ target, release: 'web', max: 20 })).resolves.toEqual([]);
  });

  test("parses helm 3's JSON, sorted by revision whatever order it came in", async () => {
    const stdout = JSON.stringify([
      { revision: 6, updated: '2025-03-01T10:02:00Z', status: 'failed', chart: 'web-0.3.0', app_version: '1.1.0', description: 'Upgrade "web" failed: context deadline exceeded' },
      { revision: 5, updated: '2025-02-01T10:00:00Z', status: 'deployed', chart: 'web-0.2.0', app_version: '1.0.0', description: 'Upgrade complete' },
    ]);
    const { deployer: helm, seen } = scripted({ exitCode: 0, stdout });

    const history = await helm.history({ target: { ...target, kubeContext: 'prod' }, release: 'web', max: 3 });

    expect(history).toEqual([
      { revision: 5, status: 'deployed', description: 'Upgrade complete', appVersion: '1.0.0', updated: '2025-02-01T10:00:00Z' },
      { revision: 6, status: 'failed', description: 'Upgrade "web" failed: context deadline exceeded', appVersion: '1.1.0', updated: '2025-03-01T10:02:00Z' },
    ]);
    expect(seen[0]).toEqual(['history', 'web', '--max', '3', '--output', 'json', '--namespace', 'shop', '--kube-context', 'prod']);
  });

  test('an unreachable cluster is an error, not an empty history', async () => {
    const { deployer: helm } = scripted({ exitCode: 1, stderr: 'Error: Kubernetes cluster unreachable: Get "https://10.0.0.1/version": dial tcp: i/o timeout' });

    const error = await helm.history({ target, release: 'web', max: 20 }).catch((caught: Error) => caught);

    expect(error).toBeInstanceOf(HelmCommandError);
    expect((error as Error).message).toContain('helm history web failed: Error: Kubernetes cluster unreachable');
  });

  test('output that is not a JSON list is an error quoting it', async () => {
    const { deployer: helm } = scripted({ exitCode: 0, stdout: 'REVISION\tUPDATED\tSTATUS' });

    await expect(helm.history({ target, release: 'web', max: 20 })).rejects.toThrow('unexpected output (expected JSON): REVISION');
  });
});

describe('HelmDeployer.describe at a revision', () => {
  test('passes --revision to helm status and helm get values', async () => {
    const { deployer: helm, seen } = scripted({ exitCode: 0, stdout: JSON.stringify({ version: 5, info: { status: 'superseded' }, image: { tag: '1.0.0' } }) });

    const described = await helm.describe({ target, release: 'web', revision: 5 });

    expect(described).toEqual({ release: 'web', revision: 5, version: '1.0.0', status: 'superseded' });
    expect(seen).toEqual([
      ['status', 'web', '--revision', '5', '--output', 'json', '--namespace', 'shop'],
      ['get', 'values', 'web', '--revision', '5', '--all', '--output', 'json', '--namespace', 'shop'],
    ]);
  });

  test('without a revision it asks for the current one, as before', async () => {
    writeFileSync(path.join(helmDir, 'failures.json'), '{}');
    await deployer().install({ target, release: 'web', version: '1.0.0' });
    await deployer().describe({ target, release: 'web' });

    expect(calls().at(-2)!.args).toEqual(['status', 'web', '--output', 'json', '--namespace', 'shop']);
  });
});
