import { ReleaseHarness } from '../support/harness';

let harness: ReleaseHarness;
beforeAll(async () => {
  harness = await ReleaseHarness.start();
});
afterAll(async () => harness?.stop());

describe('secrets stay on the worker', () => {
  test('no Slack webhook URL, Prometheus token or kube token appears in a release history, promoted or rolled back', async () => {
    const secrets = [harness.slack.url, 'XXXXsecretXXXX', 'prom-test-token-91c2', 'kube-test-token-7f3a'];
    for (const healthy of [true, false]) {
      harness.prometheus.answer = (query) => (query.includes('histogram_quantile') ? { value: 100 } : { value: healthy ? 99.9 : 10 });
      const config = harness.config();
      const handle = await harness.start(config, '1.1.0');
      await handle.result();
      const history = JSON.stringify(await handle.fetchHistory());
      expect(history.length).toBeGreaterThan(1000);
      for (const secret of secrets) expect(history).not.toContain(secret);
    }
    // The secrets were really in use: Slack got messages, Prometheus and the API server saw the tokens.
    expect(harness.slack.delivered().length).toBeGreaterThan(0);
    expect(harness.prometheus.queries.some((query) => query.authorization === 'Bearer prom-test-token-91c2')).toBe(true);
    expect(harness.kube.requests.some((request) => request.authorization === 'Bearer kube-test-token-7f3a')).toBe(true);
  });
});
