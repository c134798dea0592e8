import { findLiteralSecrets, loadConfigFile, parseConfig } from '../../src/config';
import { configError, fixture, validConfig as valid } from './helpers';

const SLACK_URL = 'https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX';

describe('a literal Slack webhook URL is refused wherever it appears', () => {
  const cases: Array<[string, (config: Record<string, any>) => void]> = [
    ['webhooks.hooks[0].url', (c) => (c.webhooks = { hooks: [{ name: 'notify', type: 'post-rollout', url: SLACK_URL }] })],
    ['helm.set.slackUrl', (c) => (c.helm.set = { slackUrl: SLACK_URL })],
    ['drill.set.alerting\\.url', (c) => (c.drill = { version: '1.0.0-drill', set: { 'alerting\\.url': SLACK_URL } })],
    ['webhooks.hooks[0].metadata.target', (c) => (c.webhooks = { hooks: [{ name: 'n', type: 'rollout', url: 'http://n/', metadata: { target: SLACK_URL } }] })],
    ['alerts.slack.url', (c) => (c.alerts = { slack: { url: SLACK_URL } })],
    ['alerts.slack.channel', (c) => (c.alerts = { slack: { channel: SLACK_URL } })],
    ['slack', (c) => (c.slack = SLACK_URL)],
    ['metrics.custom[0].query', (c) => (c.metrics = { custom: [{ name: 'x', query: `up{url="${SLACK_URL}"}`, max: 1 }] })],
  ];
  test.each(cases)('at %s, with a message that says to use SLACK_WEBHOOK_URL', (at, mutate) => {
    const config = valid();
    mutate(config);
    const error = configError(() => parseConfig(config));
    const issues = error.issues.filter((issue) => issue.path === at);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.message).toContain('SLACK_WEBHOOK_URL');
    expect(issues[0]!.message).toMatch(/Temporal history/);
  });

  test('does not repeat the secret in the error text', () => {
    const config = valid();
    config.alerts = { slack: { url: SLACK_URL } };
    expect(configError(() => parseConfig(config)).message).not.toContain('XXXXXXXX');
  });

  test.each([
    ['a Discord webhook', 'https://discord.com/api/webhooks/123/abc', 'DISCORD_WEBHOOK_URL'],
    ['an Outlook (Teams connector) webhook', 'https://outlook.office.com/webhook/abc', 'TEAMS_WEBHOOK_URL'],
    ['a Teams Workflows webhook', 'https://prod-12.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=s3cr3t', 'TEAMS_WEBHOOK_URL'],
    ['a Slack webhook in upper case', SLACK_URL.toUpperCase(), 'SLACK_WEBHOOK_URL'],
  ])('also refuses %s, naming the worker variable it belongs in', (_name, url, variable) => {
    expect(findLiteralSecrets({ hooks: [url] })).toEqual([{ path: 'hooks[0]', message: expect.stringContaining(`set ${variable} in the worker environment`) }]);
  });

  test('a Logic Apps URL without a signature is no secret (an internal trigger behind its own auth)', () => {
    expect(findLiteralSecrets({ hooks: ['https://prod-12.westeurope.logic.azure.com/workflows/abc/triggers/manual'] })).toEqual([]);
  });
});

describe('a secret-looking key is refused', () => {
  test.each(['webhookUrl', 'webhook_url', 'webhookURL'])('alerts.slack.%s, with a message that mentions SLACK_WEBHOOK_URL', (key) => {
    const config = valid();
    config.alerts = { slack: { enabled: true, [key]: '${SLACK_WEBHOOK_URL}' } };
    const error = configError(() => parseConfig(config));
    // Reported once, with the secrets message rather than as an unknown key.
    expect(error.issues).toEqual([{ path: `alerts.slack.${key}`, message: expect.stringContaining('SLACK_WEBHOOK_URL') }]);
  });

  test.each(['token', 'bearerToken', 'password', 'apiKey'])('%s in hook metadata', (key) => {
    const config = valid();
    config.webhooks = { hooks: [{ name: 'gate', type: 'rollout', url: 'http://gate/', metadata: { [key]: 'abc' } }] };
    const error = configError(() => parseConfig(config));
    expect(error.issues).toEqual([{ path: `webhooks.hooks[0].metadata.${key}`, message: expect.stringMatching(/worker environment/) }]);
  });

  test('lists secrets together with other bad fields', () => {
    const config = valid();
    config.alerts = { slack: { webhookUrl: SLACK_URL } };
    config.analysis = { interval: 'x' };
    const paths = configError(() => parseConfig(config)).issues.map((issue) => issue.path);
    expect(paths.sort()).toEqual(['alerts.slack.webhookUrl', 'analysis.interval']);
  });

  test('refuses the Slack webhook fixture file', () => {
    const error = configError(() => loadConfigFile(fixture('slack-webhook.yaml')));
    expect(error.issues).toEqual([{ path: 'alerts.slack.webhookUrl', message: expect.stringMatching(/worker environment.*SLACK_WEBHOOK_URL/) }]);
  });
});

describe('findLiteralSecrets', () => {
  test('finds nothing in a clean config', () => {
    expect(findLiteralSecrets({ alerts: { slack: { channel: '#production-deploys' } }, webhooks: { hooks: [{ url: 'http://loadtester/' }] } })).toEqual([]);
  });

  test('names the dotted path of every secret, lists included', () => {
    const found = findLiteralSecrets({ a: [{ b: SLACK_URL }, { token: 'x' }], c: { d: SLACK_URL } });
    expect(found.map((issue) => issue.path)).toEqual(['a[0].b', 'a[1].token', 'c.d']);
  });

  test('accepts a plain Slack channel and a non-webhook Slack link', () => {
    expect(findLiteralSecrets({ channel: '#deploys', docs: 'https://api.slack.com/messaging/webhooks' })).toEqual([]);
  });

  test.each([null, 5, true, 'text'])('finds nothing in the scalar %j', (raw) => {
    expect(findLiteralSecrets(raw)).toEqual([]);
  });
});
