/*
 * Runs after every other test file (test/support/sequencer.js): every workflow history the suite
 * recorded on the dev server, releases, drills, migrations, scheduled runs, is read with its payloads
 * decoded and searched for the worker's secrets. A secret that reached an activity argument, a signal
 * or a result in any test, not only in the secrets tests, fails here.
 */
import { ReleaseHarness, useReleaseHarness } from '../support/harness';
import { readableHistory, secretsIn, TEST_SECRETS } from '../support/secrets';

let harness: ReleaseHarness;
useReleaseHarness((started) => (harness = started));

test('no history recorded by the test suite carries the Slack webhook, the Prometheus token or the kube token', async () => {
  // One release of its own, so the scan has a known history even when this file runs alone.
  harness.prometheus.answer = (query) => (query.includes('histogram_quantile') ? { value: 100 } : { value: 99.9 });
  const config = harness.config();
  harness.seedPrimary(config, '1.0.0');
  const own = await harness.start(config, '1.1.0');
  await own.result();

  const scanned: string[] = [];
  const leaks: Array<{ workflowId: string; runId: string; secrets: string[] }> = [];
  for await (const execution of harness.client.workflow.list()) {
    const history = readableHistory(await harness.client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory());
    scanned.push(execution.workflowId);
    const secrets = secretsIn(history, { ...TEST_SECRETS, slackWebhookUrl: harness.slack.url });
    if (secrets.length) leaks.push({ workflowId: execution.workflowId, runId: execution.runId, secrets });
  }

  process.stdout.write(`history scan: ${scanned.length} workflow histories read, ${leaks.length} with a secret\n`);
  expect(scanned).toContain(own.workflowId);
  expect(leaks).toEqual([]);
  // The secrets were in use in this run: the stand-ins saw the tokens, Slack got the messages.
  expect(harness.prometheus.queries.some((query) => query.authorization === `Bearer ${TEST_SECRETS.prometheusToken}`)).toBe(true);
  expect(harness.slack.delivered().length).toBeGreaterThan(0);
});
