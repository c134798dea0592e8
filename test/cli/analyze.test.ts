/*
 * `analyze`: another analysis config judged on a past release's recorded readings, from the
 * dev server's history of a release run here, and from a recorded history file.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { runCliCaptured } from '../support/cli';
import { ReleaseHarness, useReleaseHarness } from '../support/harness';

let harness: ReleaseHarness;
useReleaseHarness((started) => (harness = started));
const dir = mkdtempSync(path.join(os.tmpdir(), 'analyze-test-'));
const cli = (...argv: string[]) => runCliCaptured(harness.address, argv);
const FIXTURES = path.join(__dirname, '../fixtures/histories');

/** A config file for `service` (namespace shop) with these analysis and metrics blocks. */
function configFor(service: string, extra: Record<string, unknown>): string {
  const file = path.join(dir, `${service}-${Object.keys(extra).join('-')}-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, stringify({ service: { name: service, namespace: 'shop' }, helm: { chart: './chart' }, ...extra }));
  return file;
}

describe('analyze', () => {
  test('on a release run on the dev server: a stricter p99 would have rolled back at its first round, which passed; nothing is queried', async () => {
    const config = harness.config({ analysis: { threshold: 2, stepWeight: 50 } });
    harness.seedPrimary(config, '1.0.0');
    harness.prometheus.answer = (query) => (query.includes('histogram_quantile') ? { value: 320 } : { value: 99.9 });
    const outcome = await harness.run(config, '1.1.0');
    expect(outcome.outcome).toBe('promoted');
    const queriesBefore = harness.prometheus.queries.length;

    const strict = configFor(config.service.name, { analysis: { interval: '1s', threshold: 1 }, metrics: { requestDuration: { threshold: 300 } } });
    const result = await cli('analyze', `shop/${config.service.name}`, '--config', strict);

    expect(result.code).toBe(0);
    expect(result.out).toContain(`shop/${config.service.name} 1.1.0 (canary): 2 recorded round(s)`);
    expect(result.out).toContain('round 1 at 50%\n  recorded: passed\n  new:      failed: request-duration 320ms above maximum 300ms  → rollback (failed checks 1/1)');
    expect(result.out).toContain('round 2 at 100%\n  recorded: passed\n  new:      not run (rolled back at round 1)');
    expect(result.out).toContain('recorded: no rollback in the recorded rounds (threshold 2)\nnew:      rolled back at round 1 (50%) (threshold 1)');
    expect(harness.prometheus.queries.length).toBe(queriesBefore);

    const json = JSON.parse((await cli('analyze', `shop/${config.service.name}`, '--config', strict, '--json')).out) as { replayedRollbackAt: number; rounds: Array<{ weight: number; replayed: { passed: boolean } }> };
    expect(json.replayedRollbackAt).toBe(1);
    expect(json.rounds.map((round) => [round.weight, round.replayed.passed])).toEqual([[50, false], [100, false]]);
  });

  test('on a recorded history file (test/fixtures/histories): a p99 limit of 1000 ms would not have rolled back the release a 500 ms limit did', async () => {
    const history = path.join(FIXTURES, 'canary-rolled-back.json');
    const lenient = configFor('svc-eid-mxc9g6tp-2', { analysis: { interval: '1m', threshold: 2 }, metrics: { requestDuration: { threshold: 1000 }, custom: [{ name: 'errors', query: 'sum(errors)', max: 1 }] } });
    const result = await cli('analyze', '--history', history, '--config', lenient);

    expect(result.code).toBe(0);
    expect(result.out).toContain('  recorded: failed: request-duration 900ms above maximum 500ms\n  new:      passed  → advance (failed checks 0/2)');
    expect(result.out).toContain('recorded: rolled back at round 2 (25%) (threshold 2)\nnew:      no rollback in the recorded rounds (threshold 2)');
    expect(result.out).toContain('not replayed: errors (not measured in this release)');
    expect(result.out).toContain("the readings are over the release's interval (1s)");
  });

  test("a config of another service is refused (exit 2): a release is judged with its own service's config", async () => {
    const other = configFor('another-service', { analysis: { interval: '1s' } });
    const result = await cli('analyze', '--history', path.join(FIXTURES, 'canary-rolled-back.json'), '--config', other);
    expect(result.code).toBe(2);
    expect(result.err).toContain('is the config of shop/another-service, but the release is of shop/svc-eid-mxc9g6tp-2');
  });
});
