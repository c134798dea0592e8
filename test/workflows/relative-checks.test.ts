/*
 * Checks against the primary and dry-run checks in real releases: the real Temporal dev server,
 * the worker's real activities (both tracks queried in one round), the Prometheus stand-in answering
 * per track. That the queries mean what they say on real Traefik series is test/stack's part.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { runCli } from '../../src/client/cli';
import { loadConfigFile } from '../../src/config';
import type { CliIO } from '../../src/client/output';
import type { ReleaseConfig } from '../../src/config';
import type { ReleaseResult } from '../../src/workflows/types';
import type { PromAnswer } from '../support/stand-ins';
import { ReleaseHarness, useReleaseHarness } from '../support/harness';

let harness: ReleaseHarness;
useReleaseHarness((started) => (harness = started));

/** Prometheus answering a success rate per track (the canary's queries name `<service>-canary-`), a healthy p99 for both. */
const successRates = (canary: number, primary: number) => (query: string): PromAnswer =>
  query.includes('histogram_quantile') ? { value: 120 } : { value: query.includes('-canary-[0-9]+@kubernetescrd') ? canary : primary };

const relativeConfig = (maxDecrease: number, extra: Record<string, unknown> = {}): ReleaseConfig =>
  harness.config({ analysis: { threshold: 2, stepWeights: [50] }, metrics: { requestSuccessRate: { threshold: 97, maxDecrease }, ...extra } });

describe('checks against the primary, on the dev server', () => {
  test('a service that always runs at 98.5% is promoted by a bound against the primary where a 99% threshold would fail it', async () => {
    const config = relativeConfig(0.5);
    harness.seedPrimary(config, '1.0.0');
    harness.prometheus.answer = successRates(98.5, 98.5);

    const outcome = await harness.run(config, '1.1.0');

    expect(outcome.outcome).toBe('promoted');
    const relative = outcome.status.lastChecks.find((check) => check.name === 'request-success-rate-vs-primary');
    expect(relative).toMatchObject({ passed: true, value: 98.5, reference: 98.5, threshold: 98 });
    // Both tracks were asked, each with its own service pattern.
    const asked = harness.prometheus.queries.map((entry) => entry.query).filter((query) => query.includes(config.service.name) && !query.includes('histogram_quantile'));
    expect(asked.some((query) => query.includes(`${config.service.name}-canary-[0-9]+@kubernetescrd`))).toBe(true);
    expect(asked.some((query) => query.includes(`shop-${config.service.name}-[0-9]+@kubernetescrd`))).toBe(true);
  });

  test('"canary 98.1%, primary 98.6%, allowed −0.3": rolled back at the threshold though 98.1% passes the absolute 97%; watch and Slack show both values', async () => {
    const config = relativeConfig(0.3);
    harness.seedPrimary(config, '1.0.0');
    harness.prometheus.answer = successRates(98.1, 98.6);

    const handle = await harness.start(config, '1.1.0');
    let out = '';
    const io: CliIO = { out: (text) => (out += `${text}\n`), err: (text) => (out += `${text}\n`), isTTY: false };
    await runCli(['watch', handle.workflowId], io, { ...process.env, TEMPORAL_ADDRESS: harness.address, TEMPORAL_NAMESPACE: 'default' });
    const outcome = (await handle.result()) as ReleaseResult;

    const shown = 'request-success-rate-vs-primary: canary 98.10%, primary 98.60%, allowed −0.3 (minimum 98.30%): below it';
    expect(outcome.outcome).toBe('rolledBack');
    expect(outcome.reason).toContain(`failed checks reached the threshold (2/2): ${shown}`);
    expect(outcome.status.lastChecks).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'request-success-rate', passed: true, value: 98.1 }),
        expect.objectContaining({ name: 'request-success-rate-vs-primary', passed: false, value: 98.1, reference: 98.6 }),
      ]),
    );
    expect(out).toContain(`Analysis 1 at 50%: failed check 1/2: ${shown}`);
    let status = '';
    await runCli(['status', handle.workflowId], { ...io, out: (text) => (status += `${text}\n`) }, { ...process.env, TEMPORAL_ADDRESS: harness.address, TEMPORAL_NAMESPACE: 'default' });
    expect(status).toContain(`  ✗ ${shown}`);
    expect(status).toContain('  ✓ request-success-rate 98.10% within minimum 97%');
    const alert = harness.slack.delivered().find((text) => text.includes(`Rolled back shop/${config.service.name} 1.1.0`));
    expect(alert).toContain(`• ${shown}`);
    expect(harness.canaryWeights(config)).toEqual([50, 0]);
  });

  test('a dry-run check that fails every round is shown, marked, and never holds or rolls back the release', async () => {
    const config = harness.config({
      analysis: { threshold: 1, stepWeights: [50] },
      metrics: { custom: [{ name: 'queue-depth', query: 'sum(queue_depth{service="{{ target }}"})', max: 10, dryRun: true }] },
    });
    harness.seedPrimary(config, '1.0.0');
    harness.prometheus.answer = (query) => (query.includes('queue_depth') ? { value: 250 } : successRates(99.9, 99.9)(query));

    const outcome = await harness.run(config, '1.1.0');

    expect(outcome.outcome).toBe('promoted');
    expect(outcome.status.failedChecks).toBe(0);
    expect(outcome.status.lastChecks).toContainEqual({ name: 'queue-depth', value: 250, threshold: 10, passed: false, dryRun: true, reason: 'dry-run: queue-depth 250 above maximum 10' });
  });
});

describe("Flagger's MetricTemplates in a release", () => {
  test("a templateRef check runs the template's query with {{ target }} as the workload, and its thresholdRange decides", async () => {
    const base = harness.config({ analysis: { threshold: 1, stepWeights: [50] } });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'release-templates-'));
    const file = path.join(dir, 'release.yaml');
    const templates = path.join(__dirname, '../fixtures/config/flagger-templates/templates.yaml');
    writeFileSync(file, YAML.stringify({ ...base, metrics: { ...base.metrics, custom: [{ name: 'queue-depth', templateRef: { name: 'queue-depth', namespace: 'docutag', file: path.relative(dir, templates) }, thresholdRange: { max: 100 } }] } }));
    const config = loadConfigFile(file);
    harness.seedPrimary(config, '1.0.0');
    harness.prometheus.answer = (query) => (query.includes('queue_depth') ? { value: 250 } : successRates(99.9, 99.9)(query));

    const outcome = await harness.run(config, '1.1.0');

    expect(outcome.outcome).toBe('rolledBack');
    expect(outcome.reason).toContain('queue-depth 250 above maximum 100');
    expect(harness.prometheus.queries.map((entry) => entry.query)).toContain(`sum(queue_depth{namespace="shop", app="${config.service.name}"})`);
  });
});
