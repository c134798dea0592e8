import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { runCliCaptured } from '../support/cli';
import { eventually, ReleaseHarness, useReleaseHarness } from '../support/harness';

let harness: ReleaseHarness;
const dir = mkdtempSync(path.join(os.tmpdir(), 'drill-test-'));
let counter = 0;

useReleaseHarness((started) => (harness = started));

const cli = (...argv: string[]) => runCliCaptured(harness.address, argv);

/** A pilot service with a drill block, its primary at 1.0.0, and metrics that see `canaryErrors` on the canary only. */
function pilot(options: { canarySuccessRate: number; maxRestore?: string }): { file: string; name: string; service: string } {
  counter += 1;
  const name = `pilot-${process.pid.toString(36)}-${Date.now().toString(36)}-${counter}`;
  const file = path.join(dir, `${name}.yaml`);
  const config = {
    service: { name, namespace: 'shop' },
    helm: { chart: './chart', timeout: '30s' },
    analysis: { interval: '1s', threshold: 2, stepWeight: 25 },
    webhooks: { helmTests: { enabled: false } },
    drill: { version: '9.9.9-drill', set: { 'faultInjection.errorRate': '50' }, maxRestore: options.maxRestore ?? '5s' },
    alerts: { slack: { channel: '#production-deploys' } },
  };
  writeFileSync(file, stringify(config));
  harness.kube.addService('shop', name);
  const parsed = harness.config(config as never);
  harness.seedPrimary({ ...parsed, service: { name, namespace: 'shop' }, helm: { ...parsed.helm, releases: { primary: name, canary: `${name}-canary` } } }, '1.0.0');
  const canaryPattern = `shop-${name}-canary-`;
  harness.prometheus.answer = (query) => {
    if (query.includes('histogram_quantile')) return { value: 100 };
    return { value: query.includes(canaryPattern) ? options.canarySuccessRate : 99.9 };
  };
  return { file, name, service: `shop/${name}` };
}

describe('rollback drills', () => {
  test('a canary drill detects the fault, rolls back, reports both times and passes (exit 0)', async () => {
    const { file, name } = pilot({ canarySuccessRate: 50 });
    const run = await cli('drill', 'run', '--config', file, '--json');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.out);
    expect(result).toMatchObject({ passed: true, releaseOutcome: 'rolledBack', drillVersion: '9.9.9-drill' });
    expect(result.detectionMs).toBeGreaterThanOrEqual(0);
    expect(result.restoreMs).toBeGreaterThanOrEqual(0);
    expect(result.primaryChecks.every((check: { passed: boolean }) => check.passed)).toBe(true);
    // The faulty version really ran on the canary with the drill's fault injection.
    const upgrade = harness.helmCalls('shop', [`${name}-canary`]).find((call) => call.action === 'upgrade');
    expect(upgrade?.values).toMatchObject({ faultInjection: { errorRate: '50' }, image: { tag: '9.9.9-drill' } });
    expect(harness.slack.delivered().some((text) => text.includes(`Rollback drill of shop/${name} passed`) && text.includes('restore'))).toBe(true);
  });

  test('a drill whose fault is not detected fails loudly with exit code 4', async () => {
    const { file, name } = pilot({ canarySuccessRate: 99.9 });
    const run = await cli('drill', 'run', '--config', file);
    expect(run.code).toBe(4);
    expect(run.out).toContain('FAILED: the faulty version was PROMOTED');
    expect(harness.slack.delivered().some((text) => text.includes(`ROLLBACK DRILL FAILED for shop/${name}`))).toBe(true);
  });

  test('a drill whose rollback takes longer than drill.maxRestore fails with exit code 4', async () => {
    const { file } = pilot({ canarySuccessRate: 50, maxRestore: '200ms' });
    harness.kube.writeDelayMs = 400; // every weight change, the restore included, takes 400ms at the API server
    try {
      const run = await cli('drill', 'run', '--config', file, '--json');
      const result = JSON.parse(run.out);
      expect(run.code).toBe(4);
      expect(result.releaseOutcome).toBe('rolledBack');
      expect(result.restoreMs).toBeGreaterThan(200);
      expect(result.reason).toContain('over drill.maxRestore 200ms');
    } finally {
      harness.kube.writeDelayMs = 0;
    }
  });

  test('schedule, list with next run, trigger, pause, resume and delete through the CLI', async () => {
    const { file, service } = pilot({ canarySuccessRate: 40 });
    const scheduleId = `drill-${service.replace('/', '-')}`;
    expect((await cli('drill', 'schedule', '--config', file, '--cron', '0 10 * * 1')).code).toBe(0);

    const listed = JSON.parse((await cli('drill', 'list', '--json')).out) as Array<{ scheduleId: string; nextRun: string; paused: boolean; spec: string; results: unknown[] }>;
    const mine = listed.find((row) => row.scheduleId === scheduleId)!;
    expect(mine.spec).toBe('cron "0 10 * * 1"');
    expect(new Date(mine.nextRun).getUTCDay()).toBe(1);
    expect(new Date(mine.nextRun).getUTCHours()).toBe(10);

    await harness.client.schedule.getHandle(scheduleId).trigger();
    const withResult = await eventually(
      'the triggered drill result in drill list',
      async () => (JSON.parse((await cli('drill', 'list', '--json')).out) as typeof listed).find((row) => row.scheduleId === scheduleId)!,
      (row) => row.results.length >= 1,
      60_000,
    );
    expect(withResult.results[0]).toMatchObject({ passed: true, releaseOutcome: 'rolledBack' });

    expect((await cli('drill', 'pause', service)).code).toBe(0);
    expect((JSON.parse((await cli('drill', 'list', '--json')).out) as typeof listed).find((row) => row.scheduleId === scheduleId)!.paused).toBe(true);
    expect((await cli('drill', 'resume', service)).code).toBe(0);
    expect((JSON.parse((await cli('drill', 'list', '--json')).out) as typeof listed).find((row) => row.scheduleId === scheduleId)!.paused).toBe(false);

    expect((await cli('drill', 'schedule', '--config', file, '--every', '1w')).out).toContain(`updated schedule ${scheduleId}`);
    expect((await cli('drill', 'delete', service)).code).toBe(0);
    expect((JSON.parse((await cli('drill', 'list', '--json')).out) as typeof listed).some((row) => row.scheduleId === scheduleId)).toBe(false);
    expect((await cli('drill', 'delete', service)).code).toBe(2);
  });

  test('bad schedule input is refused with exit 2', async () => {
    const { file } = pilot({ canarySuccessRate: 40 });
    expect((await cli('drill', 'schedule', '--config', file, '--cron', 'every monday')).code).toBe(2);
    expect((await cli('drill', 'schedule', '--config', file, '--every', '1s')).code).toBe(2);
    expect((await cli('drill', 'schedule', '--config', file)).code).toBe(2);
  });
});
