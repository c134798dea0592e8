import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { runCli } from '../../src/client/cli';
import { statusQuery } from '../../src/workflows/messages';
import { runCliCaptured } from '../support/cli';
import { eventually, ReleaseHarness, useReleaseHarness } from '../support/harness';

let harness: ReleaseHarness;
const dir = mkdtempSync(path.join(os.tmpdir(), 'cli-test-'));
let counter = 0;

useReleaseHarness((started) => (harness = started));

const cli = (...argv: string[]) => runCliCaptured(harness.address, argv);

/** Writes a release.yaml for a fresh service registered in the Kubernetes API stand-in. */
function releaseFile(overrides: Record<string, unknown> = {}): { file: string; name: string; id: string } {
  counter += 1;
  const name = `cli-${process.pid.toString(36)}-${Date.now().toString(36)}-${counter}`;
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    stringify({
      service: { name, namespace: 'shop' },
      helm: { chart: './chart', timeout: '30s' },
      analysis: { interval: '1s', threshold: 2, stepWeight: 50 },
      webhooks: { helmTests: { enabled: true, timeout: '10s' } },
      alerts: { slack: { channel: '#production-deploys' } },
      ...overrides,
    }),
  );
  harness.kube.addService('shop', name);
  return { file, name, id: `release-shop-${name}` };
}

describe('validate', () => {
  test('prints the resolved config with defaults and exits 0', async () => {
    const { file, name } = releaseFile();
    const result = await cli('validate', '--config', file, '--json');
    expect(result.code).toBe(0);
    const parsed = JSON.parse(result.out);
    expect(parsed.valid).toBe(true);
    expect(parsed.config.helm.releases).toEqual({ primary: name, canary: `${name}-canary` });
    expect(parsed.config.metrics.requestSuccessRate).toEqual({ enabled: true, threshold: 99 });
  });

  test('shows the checks each round runs, those against the primary and the dry-run ones marked', async () => {
    const { file, name } = releaseFile({ metrics: { requestSuccessRate: { threshold: 97, maxDecrease: 0.5 }, requestDuration: { maxIncreasePercent: 20, dryRun: true } } });
    const text = await cli('validate', '--config', file);
    expect(text.code).toBe(0);
    expect(text.out).toContain(`Checks of each analysis round (${name}-canary, against ${name} where a bound says so):`);
    expect(text.out).toContain('  request-success-rate  at least 97%\n  request-success-rate-vs-primary  at least the primary − 0.5 points\n  request-duration  at most 500ms  [dry-run]\n  request-duration-vs-primary  at most the primary + 20%  [dry-run]');
    const json = JSON.parse((await cli('validate', '--config', file, '--json')).out) as { checks: Array<{ name: string; query: string; reference?: { query: string } }> };
    const againstPrimary = json.checks.find((check) => check.name === 'request-success-rate-vs-primary')!;
    expect(againstPrimary.query).toContain(`shop-${name}-canary-[0-9]+@kubernetescrd`);
    expect(againstPrimary.reference!.query).toContain(`shop-${name}-[0-9]+@kubernetescrd`);
  });

  test('exits 2 and names every bad field', async () => {
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, stringify({ service: { name: 'Bad_Name', namespace: 'shop' }, helm: { chart: './c', timeout: 'soon' }, analysis: { stepWeight: 0 } }));
    const result = await cli('validate', '--config', file);
    expect(result.code).toBe(2);
    expect(result.err).toContain('service.name');
    expect(result.err).toContain('helm.timeout');
    expect(result.err).toContain('analysis.stepWeight');
  });
});

describe('start', () => {
  test('a bad config never starts a workflow', async () => {
    const { file, name, id } = releaseFile({ analysis: { interval: 'often' } });
    const result = await cli('start', '--config', file, '--version', '1.1.0');
    expect(result.code).toBe(2);
    expect(result.err).toContain('analysis.interval');
    const listed = await cli('list', '--service', `shop/${name}`, '--json');
    expect(JSON.parse(listed.out)).toEqual([]);
    await expect(harness.client.workflow.getHandle(id).describe()).rejects.toThrow(/not found/i);
  });

  test('a bad --strategy or --version is refused with exit 2', async () => {
    const { file } = releaseFile();
    expect((await cli('start', '--config', file, '--version', '1.1.0', '--strategy', 'yolo')).code).toBe(2);
    const badVersion = await cli('start', '--config', file, '--version', 'v 1; rm -rf');
    expect(badVersion.code).toBe(2);
    expect(badVersion.err).toContain('--version');
  });

  test('start --wait follows a healthy release to promotion and exits 0, showing the weight bar, and the new version at 100% once promoted (not the canary track\'s 0%)', async () => {
    const { file } = releaseFile();
    const result = await cli('start', '--config', file, '--version', '1.1.0', '--wait');
    expect(result.code).toBe(0);
    expect(result.out).toContain('[██████████░░░░░░░░░░]  50%  canary  Progressing');
    expect(result.out).toMatch(/\[█{20}\] 100%  1\.1\.0 on the primary  (Finalising|Baking|Succeeded)/);
    expect(result.out).not.toMatch(/\[░{20}\]   0%  canary  (Finalising|Succeeded)/);
    expect(result.out).toContain('PROMOTED');
  });

  test('start --wait exits 3 when the release is rolled back', async () => {
    const { file } = releaseFile();
    harness.prometheus.answer = () => ({ value: 50 });
    const result = await cli('start', '--config', file, '--version', '1.1.0', '--wait');
    expect(result.code).toBe(3);
    expect(result.out).toContain('ROLLEDBACK');
    expect(result.out).toContain('request-success-rate 50% below minimum 99%');
  });

  test('start --wait exits 4 when the rollback itself leaves something for a person', async () => {
    const { file, name } = releaseFile();
    harness.prometheus.answer = () => ({ value: 50 });
    harness.failHelm('uninstall', `${name}-canary`, 'uninstall: timed out waiting for the condition');
    const result = await cli('start', '--config', file, '--version', '1.1.0', '--wait', '--json');
    expect(result.code).toBe(4);
    const final = JSON.parse(result.out);
    expect(final.outcome).toBe('failed');
    expect(final.reason).toContain(`helm uninstall ${name}-canary`);
  });

  test('a second start for the same service is refused with the running release id', async () => {
    const { file, id } = releaseFile({ analysis: { interval: '1s', stepWeight: 10 } });
    expect((await cli('start', '--config', file, '--version', '1.1.0')).code).toBe(0);
    const second = await cli('start', '--config', file, '--version', '1.2.0');
    expect(second.code).toBe(1);
    expect(second.err).toContain(`already running: ${id}`);
    await cli('abort', id);
    expect(await harness.client.workflow.getHandle(id).result()).toMatchObject({ outcome: 'rolledBack' });
  });
});

describe('steering and observing from the CLI', () => {
  test('status, pause, resume, promote and list work on a running release, by id or by service', async () => {
    const { file, name, id } = releaseFile({ analysis: { interval: '1s', stepWeight: 10 } });
    expect((await cli('start', '--config', file, '--version', '2.0.0')).code).toBe(0);
    const handle = harness.client.workflow.getHandle(id);
    await eventually('canary at 10%', () => handle.query(statusQuery), (s) => s.canaryWeight >= 10);

    const status = await cli('status', `shop/${name}`, '--json');
    expect(status.code).toBe(0);
    expect(JSON.parse(status.out)).toMatchObject({ workflowId: id, version: '2.0.0', phase: 'Progressing' });

    expect((await cli('pause', id)).code).toBe(0);
    await eventually('Paused', () => handle.query(statusQuery), (s) => s.phase === 'Paused');
    const human = await cli('status', id);
    expect(human.out).toContain('phase Paused (waiting for resume');

    // Visibility is eventually consistent: the running release shows up in list shortly after start.
    const rows = await eventually('list shows the release', async () => JSON.parse((await cli('list', '--service', `shop/${name}`, '--running', '--json')).out), (listed: unknown[]) => listed.length === 1);
    expect(rows[0]).toMatchObject({ workflowId: id, status: 'RUNNING', version: '2.0.0', strategy: 'canary' });

    expect((await cli('resume', id)).code).toBe(0);
    expect((await cli('promote', id)).code).toBe(0);
    const watched = await cli('watch', id);
    expect(watched.code).toBe(0);
    expect(watched.out).toContain('promote accepted');

    const finished = await cli('status', id, '--json');
    expect(JSON.parse(finished.out)).toMatchObject({ phase: 'Succeeded', outcome: 'promoted' });
    expect((await cli('promote', id)).code).toBe(1);
  });

  test('abort --reason rolls back and the reason reaches the result', async () => {
    const { file, id } = releaseFile({ analysis: { interval: '1s', stepWeight: 10 } });
    await cli('start', '--config', file, '--version', '2.0.0');
    const handle = harness.client.workflow.getHandle(id);
    await eventually('canary at 10%', () => handle.query(statusQuery), (s) => s.canaryWeight >= 10);
    expect((await cli('abort', id, '--reason', 'bad dashboard')).code).toBe(0);
    const watched = await cli('watch', id);
    expect(watched.code).toBe(3);
    expect(watched.out).toContain('aborted: bad dashboard');
  });

  test('steering is acknowledged: the answer says what happens next, a refusal exits 1 with the phase, and abort --wait follows to the end', async () => {
    const { file, id } = releaseFile({ analysis: { interval: '1s', stepWeight: 10 } });
    await cli('start', '--config', file, '--version', '2.0.0');
    const handle = harness.client.workflow.getHandle(id);
    await eventually('canary at 10%', () => handle.query(statusQuery), (s) => s.canaryWeight >= 10);

    const resume = await cli('resume', id, '--by', 'ana@laptop');
    expect(resume.code).toBe(1);
    expect(resume.err).toContain('resume refused (phase Progressing): the release is not paused');
    const pause = await cli('pause', id, '--by', 'ana@laptop');
    expect(pause.code).toBe(0);
    expect(pause.out).toMatch(/^pause accepted from ana@laptop: holding at \d+% \(no weight increase, no analysis\) until resume or abort/);
    const held = await handle.query(statusQuery);
    expect(held.phase).toBe('Paused');

    const aborted = await cli('abort', id, '--by', 'ana@laptop', '--reason', 'error budget', '--wait');
    expect(aborted.out).toContain(`abort accepted from ana@laptop: rolling back from ${held.canaryWeight}% (${id})`);
    expect(aborted.code).toBe(3);
    expect(aborted.out).toContain('ROLLEDBACK: aborted: error budget');
    // A refused message leaves no trace in the history; the accepted ones are there as Updates.
    const history = await handle.fetchHistory();
    const updates = history.events!.filter((event) => event.workflowExecutionUpdateAcceptedEventAttributes).map((event) => event.workflowExecutionUpdateAcceptedEventAttributes!.acceptedRequest!.input!.name);
    expect(updates).toEqual(['pause', 'abort']);
    const again = await cli('abort', id);
    expect(again.code).toBe(1);
  });

  test('an unknown release and an unreachable Temporal give clear errors', async () => {
    const unknown = await cli('status', 'shop/does-not-exist');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('no release release-shop-does-not-exist');
    let err = '';
    const code = await runCli(['status', 'shop/x'], { out: () => {}, err: (text) => (err += text), isTTY: false }, { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(code).toBe(1);
    expect(err).toContain('cannot reach Temporal');
  });
});
