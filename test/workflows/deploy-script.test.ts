/*
 * scripts/deploy-with-rollback.sh kept for DocuTag's operators, run as a direct release on the real
 * dev server with the helm stand-in: the script's lines, in its order, with its exit status, for a
 * passing and a failing helm test; a missing values file never starts anything.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deployScriptLine } from '../../src/client/deploy-lines';
import { ReleaseHarness, useReleaseHarness } from '../support/harness';

const ROOT = path.join(__dirname, '../..');
let harness: ReleaseHarness;
useReleaseHarness((started) => (harness = started));

/** The document's lines up to the helm test, the same for both outcomes. */
const UPGRADE_LINES = [
  'ℹ Validating prerequisites...',
  '✓ Prerequisites validated',
  'ℹ Upgrading from revision 5 (version 1.0.0)',
  'ℹ New revision: 6 (version 1.1.0)',
  '⏳ Waiting for rollout to complete...',
  '🧪 Running Helm tests...',
];
const dir = mkdtempSync(path.join(os.tmpdir(), 'deploy-script-'));
mkdirSync(path.join(dir, 'chart'), { recursive: true });
writeFileSync(path.join(dir, 'values-production.yaml'), 'image:\n  tag: 1.1.0\nreplicaCount: 2\n');

/** The shell script, as an operator runs it, from a directory with ./chart and the values file. */
function deploy(release: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile('bash', [path.join(ROOT, 'scripts/deploy-with-rollback.sh'), release, 'shop', 'values-production.yaml'], { cwd: dir, env: { ...harness.workerEnv(), TEMPORAL_ADDRESS: harness.address, ...env } }, (error, out, err) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out, err }),
    );
  });
}

test("a passing helm test: the script's lines, in its order, exit 0", async () => {
  const config = harness.config({ strategy: 'direct' });
  harness.seedPrimary(config, '1.0.0', 5);
  const run = await deploy(config.service.name);
  expect(run.err).toBe('');
  expect(run.code).toBe(0);
  expect(run.out.trim().split('\n')).toEqual([
    ...UPGRADE_LINES,
    '✓ All tests passed!',
    '✅ Deployment completed successfully!',
  ]);
  expect(harness.helmRelease('shop', config.helm.releases.primary)!.values.image?.tag).toBe('1.1.0');
});

test("a failing helm test: the script's rollback lines, exit 1, the old revision serving again; TIMEOUT_TESTS reaches helm test", async () => {
  const config = harness.config({ strategy: 'direct' });
  harness.seedPrimary(config, '1.0.0', 5);
  harness.failHelm('test', config.helm.releases.primary, 'pod docutag-smoke failed');
  const run = await deploy(config.service.name, { TIMEOUT_TESTS: '42' });
  expect(run.code).toBe(1);
  expect(run.out.trim().split('\n')).toEqual([
    ...UPGRADE_LINES,
    '✗ Tests failed!',
    '⚠ Rolling back to revision 5 (version 1.0.0)...',
    '✓ Rollback to revision 5 completed successfully',
  ]);
  expect(run.err).toContain('❌ Deployment failed');
  const testCall = harness.helmCalls('shop', [config.helm.releases.primary]).find((call) => call.action === 'test')!;
  expect(testCall.args.join(' ')).toContain('--timeout 42s');
  expect(harness.helmRelease('shop', config.helm.releases.primary)!.history.at(-1)!.description).toBe('Rollback to 5');
});

test('a missing values file fails the prerequisites (exit 1) and starts nothing', async () => {
  const config = harness.config({ strategy: 'direct' });
  const run = await new Promise<{ code: number; out: string; err: string }>((resolve) =>
    execFile('bash', [path.join(ROOT, 'scripts/deploy-with-rollback.sh'), config.service.name, 'shop', 'nope.yaml'], { cwd: dir, env: { ...harness.workerEnv(), TEMPORAL_ADDRESS: harness.address } }, (error, out, err) => resolve({ code: error ? 1 : 0, out, err })),
  );
  expect(run).toMatchObject({ code: 1, out: 'ℹ Validating prerequisites...\n' });
  expect(run.err).toContain('✗ Values file not found: nope.yaml');
  expect(harness.helmStory(config)).toEqual([]);
});

test.each([
  ['Upgrading from revision 5 (version 1.0.0)', 'ℹ Upgrading from revision 5 (version 1.0.0)'],
  ['New revision: 6 (version 1.1.0) (took 2.1s)', 'ℹ New revision: 6 (version 1.1.0)'],
  ['Rolling back to revision 5 (version 1.0.0)', '⚠ Rolling back to revision 5 (version 1.0.0)...'],
  ['Rollback to revision 5 completed (took 3s)', '✓ Rollback to revision 5 completed successfully'],
  ['Phase Progressing', null],
])('the event "%s" prints %j', (event, line) => expect(deployScriptLine(event)).toBe(line));
