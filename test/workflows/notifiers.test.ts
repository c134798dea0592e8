/*
 * Notifiers beyond Slack and Flagger's `event` webhooks, on the real Temporal dev server: a worker
 * with Slack, Teams, Discord and JSON-webhook URLs (local receivers) tells each one the config
 * enabled; a receiver that is down never changes the outcome and never makes the others hear twice;
 * every recorded event reaches the event hooks in order, and a failing event hook is only noted.
 */
import type { ReleaseConfig } from '../../src/config';
import type { ReleaseResult } from '../../src/workflows/types';
import { ReleaseHarness } from '../support/harness';
import { FakeWebhooks, healthyMetrics } from '../support/stand-ins';

let harness: ReleaseHarness;
let receivers: FakeWebhooks;

beforeAll(async () => {
  receivers = await new FakeWebhooks().start();
  harness = await ReleaseHarness.start({
    env: { TEAMS_WEBHOOK_URL: receivers.url('/teams/secret-sig'), DISCORD_WEBHOOK_URL: receivers.url('/discord/123/secret-token'), NOTIFY_WEBHOOK_URL: receivers.url('/json/secret-path') },
  });
});
afterAll(async () => {
  await harness?.stop();
  await receivers?.stop();
});
beforeEach(() => {
  harness.prometheus.answer = healthyMetrics;
  harness.slack.alwaysStatus = undefined;
  for (const path of ['/teams/secret-sig', '/discord/123/secret-token', '/json/secret-path']) receivers.answer(path, 200);
});

type Card = { attachments: Array<{ content: { body: Array<{ text: string }> } }> };
const teamsTitles = (since: number) => receivers.callsTo('/teams/secret-sig').filter((call) => call.at >= since).map((call) => (call.payload as unknown as Card).attachments[0]!.content.body[0]!.text);
const discordTexts = (since: number) => receivers.callsTo('/discord/123/secret-token').filter((call) => call.at >= since).map((call) => (call.payload as unknown as { content: string }).content);
const jsonBodies = (since: number) => receivers.callsTo('/json/secret-path').filter((call) => call.at >= since).map((call) => call.payload as unknown as { source: string; severity: string; text: string; release: Record<string, string> });
const slackTexts = (config: ReleaseConfig) => harness.slack.delivered().filter((text) => text.includes(config.service.name));
const canary = (overrides: Record<string, unknown> = {}) => harness.config({ analysis: { stepWeight: 50 }, ...overrides });

describe('notifiers', () => {
  test('a promoted canary is told to Slack, Teams, Discord and the JSON webhook, each in its own format', async () => {
    const since = Date.now();
    const config = canary();
    const outcome = await harness.run(config, '1.1.0');
    expect(outcome.outcome).toBe('promoted');
    expect(outcome.status.notificationFailures).toBe(0);

    const promoted = `Promoted shop/${config.service.name} 1.1.0`;
    expect(slackTexts(config).some((text) => text.startsWith(`:white_check_mark: ${promoted}`))).toBe(true);
    expect(teamsTitles(since).filter((title) => title.includes(config.service.name)).some((title) => title.startsWith(promoted))).toBe(true);
    expect(discordTexts(since).filter((text) => text.includes(config.service.name)).some((text) => text.startsWith(`✅ ${promoted}`))).toBe(true);
    const json = jsonBodies(since).filter((body) => body.release?.service === config.service.name);
    expect(json.map((body) => body.severity)).toEqual(['info', 'success']);
    expect(json.at(-1)).toEqual({
      source: 'docutag-release',
      severity: 'success',
      text: expect.stringContaining(promoted),
      release: { workflowId: `release-shop-${config.service.name}`, namespace: 'shop', service: config.service.name, version: '1.1.0', phase: expect.any(String) },
    });
  });

  test('a notifier the config turns off hears nothing; Slack off still lets Teams speak', async () => {
    const since = Date.now();
    const config = canary({ alerts: { slack: { enabled: false }, discord: { enabled: false }, webhook: { enabled: false } } });
    const outcome = await harness.run(config, '1.1.0');
    expect(outcome.outcome).toBe('promoted');
    expect(slackTexts(config)).toEqual([]);
    expect(discordTexts(since).filter((text) => text.includes(config.service.name))).toEqual([]);
    expect(jsonBodies(since).filter((body) => body.release?.service === config.service.name)).toEqual([]);
    expect(teamsTitles(since).filter((title) => title.includes(config.service.name))).toHaveLength(2);
  });

  test('with Teams down, the release promotes, the others hear each message once, and status names Teams', async () => {
    receivers.answer('/teams/secret-sig', 500);
    const since = Date.now();
    const config = canary();
    const outcome = await harness.run(config, '1.1.0');
    expect(outcome.outcome).toBe('promoted');
    // Opening and promotion: two messages, each failed at Teams after its three attempts, and not retried (Slack would hear it twice).
    expect(outcome.status.notificationFailures).toBe(2);
    const failures = outcome.status.events.map((event) => event.message).filter((message) => message.startsWith('Notification failed'));
    expect(failures).toHaveLength(2);
    expect(failures[0]).toBe('Notification failed (the release goes on): Teams webhook delivery failed after 3 attempts: HTTP 500: not yet (delivered to Slack, Discord, the JSON webhook)');
    expect(slackTexts(config)).toHaveLength(2);
    expect(discordTexts(since).filter((text) => text.includes(config.service.name))).toHaveLength(2);
    expect(JSON.stringify(outcome)).not.toContain('secret-sig');
  });
});

describe('event webhooks (Flagger type event)', () => {
  test('every event of a promoted canary arrives in order, with its phase and Flagger\'s metadata', async () => {
    const path = `/events/${process.pid}-promoted`;
    receivers.answer(path, 200);
    const config = canary({ webhooks: { helmTests: { enabled: true, timeout: '10s' }, hooks: [{ name: 'audit', type: 'event', url: receivers.url(path), timeout: '2s', metadata: { team: 'checkout' } }] } });
    const outcome: ReleaseResult = await harness.run(config, '1.1.0');
    expect(outcome.outcome).toBe('promoted');

    const calls = receivers.callsTo(path);
    const recorded = outcome.status.events.map((event) => event.message);
    // status keeps the last 50; every one of them went out, in the order recorded, the last one included.
    expect(calls.map((call) => call.payload.metadata?.eventMessage).slice(-recorded.length)).toEqual(recorded);
    expect(calls.at(-1)!.payload.metadata).toEqual({ team: 'checkout', eventMessage: expect.stringMatching(/^Release promoted/), eventType: 'Normal', timestamp: expect.stringMatching(/^\d{13}$/) });
    expect(calls.at(-1)!.payload).toMatchObject({ name: config.service.name, namespace: 'shop', phase: 'Succeeded' });
    expect(new Set(calls.map((call) => call.payload.phase))).toEqual(new Set(['Initializing', 'Progressing', 'Promoting', 'Finalising', 'Succeeded']));
    expect(calls.map((call) => Number(call.payload.metadata?.timestamp))).toEqual([...calls.map((call) => Number(call.payload.metadata?.timestamp))].sort((a, b) => a - b));
  });

  test('a rolled-back canary sends its rollback as a Warning', async () => {
    const path = `/events/${process.pid}-rolled-back`;
    receivers.answer(path, 200);
    harness.prometheus.answer = (query) => (query.includes('histogram_quantile') ? { value: 5_000 } : { value: 99.9 });
    const config = canary({ webhooks: { helmTests: { enabled: true, timeout: '10s' }, hooks: [{ name: 'audit', type: 'event', url: receivers.url(path), timeout: '2s' }] } });
    const outcome = await harness.run(config, '1.1.0');
    expect(outcome.outcome).toBe('rolledBack');
    const rollingBack = receivers.callsTo(path).find((call) => call.payload.metadata?.eventMessage?.startsWith('Rolling back'));
    expect(rollingBack?.payload.metadata?.eventType).toBe('Warning');
    expect(receivers.callsTo(path).at(-1)!.payload.metadata?.eventMessage).toMatch(/^Release rolledBack/);
  });

  test('an event hook that answers 500 or hangs changes nothing: the canary promotes at its usual pace and status notes the misses', async () => {
    const down = `/events/${process.pid}-down`;
    const hanging = `/events/${process.pid}-hanging`;
    receivers.answer(down, 500);
    receivers.answer(hanging, { hangMs: 3_000 });
    const config = canary({
      webhooks: {
        helmTests: { enabled: true, timeout: '10s' },
        hooks: [
          { name: 'down', type: 'event', url: receivers.url(down), timeout: '1s' },
          { name: 'slow', type: 'event', url: receivers.url(hanging), timeout: '1s' },
        ],
      },
    });
    const outcome = await harness.run(config, '1.1.0');
    expect(outcome.outcome).toBe('promoted');
    expect(harness.canaryWeights(config)).toEqual([50, 100, 0]);
    expect(outcome.status.events.map((event) => event.message).some((message) => /^event webhooks: \d+ of \d+ event\(s\) not delivered: down: HTTP 500/.test(message))).toBe(true);
    expect(receivers.callsTo(down).length).toBeGreaterThan(5);
  });
});
