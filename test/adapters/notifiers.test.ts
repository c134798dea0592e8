/*
 * The notifiers beside Slack against local receivers: what Teams, Discord and a JSON receiver get,
 * how they retry, and NotifierSet's fan-out (the config's choice, one failure not stopping the others,
 * no retry once someone has the message). The URLs are secrets: never in an error.
 */
import { ApplicationFailure } from '@temporalio/common';
import axios from 'axios';
import { DiscordNotifier, DISCORD_MAX_CONTENT } from '../../src/activities/adapters/discord-notifier';
import { JsonWebhookNotifier } from '../../src/activities/adapters/json-webhook-notifier';
import { createNotifiers, NotifierSet } from '../../src/activities/adapters/notifier-set';
import { LogNotifier } from '../../src/activities/adapters/in-memory';
import { TeamsNotifier } from '../../src/activities/adapters/teams-notifier';
import { NotificationDeliveryError } from '../../src/activities/adapters/webhook-delivery';
import type { Notifier, NotifyRequest } from '../../src/activities/ports';
import { readWorkerEnv, redactSecrets } from '../../src/worker/environment';
import { FakeWebhooks } from '../support/stand-ins';

let receivers: FakeWebhooks;
beforeAll(async () => {
  receivers = await new FakeWebhooks().start();
});
afterAll(async () => {
  await receivers?.stop();
});

let counter = 0;
/** A receiver at a fresh secret-looking path, answering `answer` (a status per call). */
function receiver(answer: number | ((nth: number) => number) = 200) {
  counter += 1;
  const path = `/hooks/${counter}/tok-${counter}-secretvalue`;
  receivers.answer(path, typeof answer === 'number' ? answer : (nth) => answer(nth));
  const sleeps: number[] = [];
  return {
    url: receivers.url(path),
    options: { http: axios.create({ timeout: 2_000 }), webhookUrl: receivers.url(path), backoffMs: (attempt: number) => 100 * attempt, sleep: async (ms: number) => void sleeps.push(ms) },
    bodies: () => receivers.callsTo(path).map((call) => call.payload as unknown),
    statuses: () => receivers.callsTo(path).map((call) => call.status),
    sleeps,
  };
}

const subject = { workflowId: 'release-shop-web', namespace: 'shop', service: 'web', version: '1.1.0', phase: 'Succeeded' };

describe('TeamsNotifier', () => {
  test('posts one Adaptive Card: the first line as a coloured title, the rest below, the service underneath', async () => {
    const teams = receiver();
    await new TeamsNotifier(teams.options).post({ text: 'Rolled back shop/web 1.1.0: failed checks reached the threshold\nsuccess rate 80 < 99\n1.0.0 keeps serving.', severity: 'warning', subject });
    expect(teams.bodies()).toEqual([
      {
        type: 'message',
        attachments: [
          {
            contentType: 'application/vnd.microsoft.card.adaptive',
            contentUrl: null,
            content: {
              $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
              type: 'AdaptiveCard',
              version: '1.4',
              body: [
                { type: 'TextBlock', text: 'Rolled back shop/web 1.1.0: failed checks reached the threshold', weight: 'Bolder', wrap: true, color: 'Warning' },
                { type: 'TextBlock', text: 'success rate 80 < 99\n\n1.0.0 keeps serving.', wrap: true },
                { type: 'TextBlock', text: 'docutag-release · web', isSubtle: true, size: 'Small', wrap: true },
              ],
            },
          },
        ],
      },
    ]);
  });

  test('accepts Teams\' 202 Accepted; retries a 503 and delivers on the second attempt', async () => {
    const teams = receiver((nth) => (nth === 1 ? 503 : 202));
    await new TeamsNotifier(teams.options).post({ text: 'Promoted', severity: 'success' });
    expect(teams.statuses()).toEqual([503, 202]);
    expect(teams.sleeps).toEqual([100]);
  });
});

describe('DiscordNotifier', () => {
  test('posts the text with its icon, as docutag-release, with every mention off (a reason quoting @everyone pages nobody)', async () => {
    const discord = receiver(204);
    await new DiscordNotifier(discord.options).post({ text: 'Rolled back shop/web: @everyone the canary failed', severity: 'error' });
    expect(discord.bodies()).toEqual([{ username: 'docutag-release', content: '🚨 Rolled back shop/web: @everyone the canary failed', allowed_mentions: { parse: [] } }]);
  });

  test('cuts a message longer than Discord accepts, ending it with an ellipsis', async () => {
    const discord = receiver(204);
    await new DiscordNotifier(discord.options).post({ text: 'x'.repeat(5_000), severity: 'info' });
    const { content } = discord.bodies()[0] as { content: string };
    expect(content).toHaveLength(DISCORD_MAX_CONTENT);
    expect(content.endsWith('…')).toBe(true);
  });

  test('a 400 (a refused message) is not retried: the error names Discord and the answer, never the URL', async () => {
    const discord = receiver(400);
    const error = await new DiscordNotifier(discord.options).post({ text: 'hello', severity: 'info' }).catch((caught: Error) => caught);
    expect(error).toBeInstanceOf(NotificationDeliveryError);
    expect((error as Error).message).toBe('Discord webhook delivery failed after 1 attempt: HTTP 400: not yet');
    expect((error as Error).message).not.toContain('secretvalue');
    expect(discord.statuses()).toEqual([400]);
  });
});

describe('JsonWebhookNotifier', () => {
  test('posts { source, severity, text, release } for a receiver to route on', async () => {
    const json = receiver();
    await new JsonWebhookNotifier(json.options).post({ text: 'Promoted shop/web 1.1.0', severity: 'success', subject });
    expect(json.bodies()).toEqual([{ source: 'docutag-release', severity: 'success', text: 'Promoted shop/web 1.1.0', release: subject }]);
  });
});

/** A notifier that records what it got, or fails as told. */
class ScriptedNotifier implements Notifier {
  readonly got: NotifyRequest[] = [];
  constructor(private readonly failWith?: string) {}
  async post(request: NotifyRequest): Promise<void> {
    this.got.push(request);
    if (this.failWith) throw new NotificationDeliveryError(this.failWith);
  }
}

describe('NotifierSet', () => {
  const request: NotifyRequest = { text: 'Promoted', severity: 'success' };

  test.each([
    ['every notifier when the release names none (recorded before the choice)', undefined, ['slack', 'teams', 'discord']],
    ['only those the config enabled', ['teams'] as const, ['teams']],
    ['none when the config enabled only notifiers the worker has no URL for', ['webhook'] as const, []],
  ])('delivers to %s', async (_, to, expected) => {
    const notifiers = { slack: new ScriptedNotifier(), teams: new ScriptedNotifier(), discord: new ScriptedNotifier() };
    const set = new NotifierSet(Object.entries(notifiers).map(([name, notifier]) => ({ name: name as 'slack', notifier })));
    await set.post({ ...request, ...(to ? { to: [...to] } : {}) });
    expect(Object.entries(notifiers).filter(([, notifier]) => notifier.got.length === 1).map(([name]) => name)).toEqual(expected);
  });

  test('one failing notifier does not stop the others; the failure names it and what got through, and is not retryable', async () => {
    const slack = new ScriptedNotifier();
    const teams = new ScriptedNotifier('Teams webhook delivery failed after 3 attempts: HTTP 500');
    const set = new NotifierSet([
      { name: 'slack', notifier: slack },
      { name: 'teams', notifier: teams },
    ]);
    const error = await set.post(request).catch((caught: unknown) => caught);
    expect(slack.got).toHaveLength(1);
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect((error as ApplicationFailure).nonRetryable).toBe(true);
    expect((error as ApplicationFailure).message).toBe('Teams webhook delivery failed after 3 attempts: HTTP 500 (delivered to Slack)');
  });

  test('when every notifier fails, the error stays retryable (nobody has the message yet)', async () => {
    const only = new NotifierSet([{ name: 'slack', notifier: new ScriptedNotifier('Slack webhook delivery failed after 3 attempts: HTTP 500') }]);
    const error = await only.post(request).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NotificationDeliveryError);
    const both = new NotifierSet([
      { name: 'slack', notifier: new ScriptedNotifier('Slack down') },
      { name: 'discord', notifier: new ScriptedNotifier('Discord down') },
    ]);
    const bothError = await both.post(request).catch((caught: unknown) => caught);
    expect(bothError).not.toBeInstanceOf(ApplicationFailure);
    expect((bothError as Error).message).toBe('Slack down; Discord down');
  });

  test('createNotifiers builds one notifier per URL the environment sets, and the log notifier without any', () => {
    const set = createNotifiers({ SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/x', DISCORD_WEBHOOK_URL: 'https://discord.com/api/webhooks/1/tok' }, () => {});
    expect(set).toBeInstanceOf(NotifierSet);
    expect((set as NotifierSet).names).toEqual(['slack', 'discord']);
    expect(createNotifiers({}, () => {})).toBeInstanceOf(LogNotifier);
  });
});

describe('the worker environment', () => {
  test('refuses a notifier URL that is not http(s), naming the variable', () => {
    expect(() => readWorkerEnv({ TEAMS_WEBHOOK_URL: 'teams.example/hook' })).toThrow(/TEAMS_WEBHOOK_URL: expected the Teams Workflows webhook URL/);
    expect(() => readWorkerEnv({ DISCORD_WEBHOOK_URL: 'ftp://discord.com/x' })).toThrow(/DISCORD_WEBHOOK_URL: expected the Discord channel webhook URL/);
  });

  test('DOCUTAG_FREEZES: read as a list of freezes, or refused naming the freeze and the field', () => {
    const freeze = { from: '2026-12-23T00:00:00+01:00', to: '2026-12-28T00:00:00+01:00', reason: 'year-end freeze' };
    expect(readWorkerEnv({ DOCUTAG_FREEZES: JSON.stringify([freeze]) }).freezes).toEqual([freeze]);
    expect(readWorkerEnv({}).freezes).toEqual([]);
    expect(() => readWorkerEnv({ DOCUTAG_FREEZES: '[{from: 2026}]' })).toThrow(/DOCUTAG_FREEZES: expected JSON/);
    expect(() => readWorkerEnv({ DOCUTAG_FREEZES: JSON.stringify([{ ...freeze, reason: '' }]) })).toThrow(/DOCUTAG_FREEZES: \[0\.reason\]: say why/);
  });

  test('redacts every notifier URL, its path and its token in logs', () => {
    const env = readWorkerEnv({
      TEAMS_WEBHOOK_URL: 'https://prod-12.westeurope.logic.azure.com/workflows/abc123/triggers/manual/paths/invoke?sig=teamsSigSecret99',
      DISCORD_WEBHOOK_URL: 'https://discord.com/api/webhooks/1234/discordTokenSecret77',
      NOTIFY_WEBHOOK_URL: 'https://incidents.example/hooks/jsonHookSecret55',
    });
    const line = redactSecrets('Teams answered for /workflows/abc123/triggers/manual/paths/invoke?sig=teamsSigSecret99; Discord token discordTokenSecret77; posted to https://incidents.example/hooks/jsonHookSecret55', env);
    expect(line).not.toMatch(/teamsSigSecret99|discordTokenSecret77|jsonHookSecret55/);
  });
});
