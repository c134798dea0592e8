import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ReleaseResult } from '../../src/workflows/types';
import { ReleaseHarness, useReleaseHarness } from '../support/harness';
import { readableHistory, readableHistoryFile, secretsIn, TEST_SECRETS } from '../support/secrets';

const FIXTURES = path.join(__dirname, '../fixtures/histories');

let harness: ReleaseHarness;
useReleaseHarness((started) => (harness = started));
afterEach(() => {
  harness.slack.alwaysStatus = undefined;
  harness.slack.echoPathInErrors = false;
});

describe('secrets stay on the worker', () => {
  test('no Slack webhook URL, Prometheus token or kube token appears in a release history, promoted or rolled back', async () => {
    const secrets = { ...TEST_SECRETS, slackWebhookUrl: harness.slack.url };
    for (const healthy of [true, false]) {
      harness.prometheus.answer = (query) => (query.includes('histogram_quantile') ? { value: 100 } : { value: healthy ? 99.9 : 10 });
      const config = harness.config();
      const handle = await harness.start(config, '1.1.0');
      await handle.result();
      const history = readableHistory(await handle.fetchHistory());
      // The payloads were decoded: the workflow input and the activities' results are readable.
      expect(history).toContain(config.service.name);
      expect(history).toContain('request-success-rate');
      expect(secretsIn(history, secrets)).toEqual([]);
    }
    // The secrets were really in use: Slack got messages, Prometheus and the API server saw the tokens.
    expect(harness.slack.delivered().length).toBeGreaterThan(0);
    expect(harness.prometheus.queries.some((query) => query.authorization === `Bearer ${TEST_SECRETS.prometheusToken}`)).toBe(true);
    expect(harness.kube.requests.some((request) => request.authorization === `Bearer ${TEST_SECRETS.kubeToken}`)).toBe(true);
  });

  test('no recorded history under test/fixtures/histories carries a secret, payloads included', () => {
    const files = readdirSync(FIXTURES).filter((file) => file.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(7);
    for (const file of files) {
      const history = readableHistoryFile(readFileSync(path.join(FIXTURES, file), 'utf8'));
      // Decoded: the workflow input's chart path only shows once the payloads are text.
      expect(history).toContain('./chart');
      expect({ file, secrets: secretsIn(history) }).toEqual({ file, secrets: [] });
    }
  });

  test('a dependency that quotes a secret back (Slack\'s error page with the webhook path, Prometheus naming the token) does not bring it into the history', async () => {
    harness.slack.alwaysStatus = 500;
    harness.slack.echoPathInErrors = true;
    harness.prometheus.answer = () => ({ error: `bearer token ${TEST_SECRETS.prometheusToken} is not allowed to query`, status: 403 });
    const config = harness.config();
    const handle = await harness.start(config, '1.1.0');
    const outcome = (await handle.result()) as ReleaseResult;

    // The release still decided on what the answers meant; what it quotes is redacted.
    expect(outcome.outcome).toBe('rolledBack');
    expect(outcome.reason).toMatch(/Prometheus answered 403[^;]*bearer token \[redacted\] is not allowed/);
    expect(outcome.status.notificationFailures).toBeGreaterThanOrEqual(1);
    expect(outcome.status.events.some((event) => event.message.includes('internal_error: no service at [redacted]'))).toBe(true);
    expect(secretsIn(readableHistory(await handle.fetchHistory()))).toEqual([]);
    // The stand-ins did quote the secrets: without the redaction they would be in the history.
    expect(harness.slack.messages.some((message) => message.status === 500)).toBe(true);
  });
});
