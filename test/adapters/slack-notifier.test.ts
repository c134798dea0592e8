/*
 * SlackNotifier against local incoming-webhook servers: delivery, retries of 429 and 5xx, no retry
 * of a refused payload, and the webhook URL (a secret) never appearing in an error.
 */
import { createServer } from 'node:http';
import axios from 'axios';
import { SlackDeliveryError, SlackNotifier } from '../../src/activities/adapters/slack-notifier';
import { FakeSlack } from '../support/stand-ins';

let slack: FakeSlack;
beforeAll(async () => {
  slack = await new FakeSlack().start();
});
afterAll(async () => {
  await slack?.stop();
});
beforeEach(() => {
  slack.messages.length = 0;
  slack.statuses = [];
  slack.alwaysStatus = undefined;
});

const SECRET_PATH = '/services/T000/B000/XXXXsecretXXXX';

function notifierFor(webhookUrl: string, options: { maxAttempts?: number } = {}) {
  const sleeps: number[] = [];
  const notifier = new SlackNotifier({
    http: axios.create({ timeout: 2_000 }),
    webhookUrl,
    maxAttempts: options.maxAttempts ?? 3,
    backoffMs: (attempt) => 100 * attempt,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
  return { notifier, sleeps };
}

/** A webhook that answers from a script of [status, headers, body], then 200 "ok". */
async function scriptedWebhook(script: Array<[number, Record<string, string>, string]>) {
  const requests: Array<{ path: string; body: unknown }> = [];
  const server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk) => (text += chunk));
    request.on('end', () => {
      requests.push({ path: request.url ?? '', body: JSON.parse(text || '{}') });
      const [status, headers, body] = script.shift() ?? [200, {}, 'ok'];
      response.writeHead(status, headers);
      response.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}${SECRET_PATH}`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function deliveryError(promise: Promise<unknown>): Promise<SlackDeliveryError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SlackDeliveryError);
    return error as SlackDeliveryError;
  }
  throw new Error('expected the post to fail');
}

describe('SlackNotifier', () => {
  test('delivers a message exactly once when Slack answers 200, prefixed with the severity icon', async () => {
    const { notifier, sleeps } = notifierFor(slack.url);

    await notifier.post({ text: 'Promoted shop/web 1.1.0', severity: 'success' });

    expect(slack.messages).toEqual([{ text: ':white_check_mark: Promoted shop/web 1.1.0', status: 200 }]);
    expect(sleeps).toEqual([]);
  });

  test('sends the configured channel with the message', async () => {
    const { notifier } = notifierFor(slack.url);

    await notifier.post({ text: 'Rolled back shop/web', severity: 'error', channel: '#production-deploys' });

    expect(slack.messages).toEqual([{ text: ':rotating_light: Rolled back shop/web', channel: '#production-deploys', status: 200 }]);
  });

  test('sends no channel field when none is configured (the webhook default channel is used)', async () => {
    const { notifier } = notifierFor(slack.url);

    await notifier.post({ text: 'hello', severity: 'info' });

    expect(slack.messages[0]).not.toHaveProperty('channel');
  });

  test('retries after a 429 and delivers, waiting the Retry-After seconds Slack asked for', async () => {
    const webhook = await scriptedWebhook([[429, { 'retry-after': '3' }, 'rate_limited']]);
    try {
      const { notifier, sleeps } = notifierFor(webhook.url);

      await notifier.post({ text: 'Canary at 25%', severity: 'info' });

      expect(webhook.requests).toHaveLength(2);
      expect(sleeps).toEqual([3_000]);
    } finally {
      await webhook.close();
    }
  });

  test('retries after a 429 without a usable Retry-After using its own backoff, and delivers once', async () => {
    slack.statuses = [429];
    const { notifier, sleeps } = notifierFor(slack.url);

    await notifier.post({ text: 'Canary at 50%', severity: 'info' });

    expect(slack.messages.map((message) => message.status)).toEqual([429, 200]);
    expect(slack.delivered()).toEqual([':arrows_counterclockwise: Canary at 50%']);
    expect(sleeps).toEqual([100]);
  });

  test('throws SlackDeliveryError after maxAttempts when Slack answers 500 every time, backing off between attempts', async () => {
    slack.alwaysStatus = 500;
    const { notifier, sleeps } = notifierFor(slack.url, { maxAttempts: 3 });

    const error = await deliveryError(notifier.post({ text: 'Rolled back', severity: 'error' }));

    expect(slack.messages).toHaveLength(3);
    expect(sleeps).toEqual([100, 200]);
    expect(error.message).toContain('3 attempts');
    expect(error.message).toContain('HTTP 500');
  });

  test('never puts the webhook URL (a secret) in the delivery error', async () => {
    slack.alwaysStatus = 500;
    const { notifier } = notifierFor(slack.url);

    const error = await deliveryError(notifier.post({ text: 'Rolled back', severity: 'error' }));

    expect(error.message).not.toContain(slack.url);
    expect(error.message).not.toContain('XXXXsecretXXXX');
    expect(JSON.stringify({ ...error, stack: error.stack })).not.toContain('XXXXsecretXXXX');
  });

  test('does not retry a 400 (the payload is refused) and says it made one attempt, quoting Slack', async () => {
    const webhook = await scriptedWebhook([[400, { 'content-type': 'text/plain' }, 'invalid_payload']]);
    try {
      const { notifier, sleeps } = notifierFor(webhook.url, { maxAttempts: 3 });

      const error = await deliveryError(notifier.post({ text: 'x', severity: 'info' }));

      expect(webhook.requests).toHaveLength(1);
      expect(sleeps).toEqual([]);
      expect(error.message).toContain('HTTP 400: invalid_payload');
      expect(error.message).toMatch(/after 1 attempt\b/);
    } finally {
      await webhook.close();
    }
  });

  test('retries an unreachable webhook and fails without naming its URL', async () => {
    const webhook = await scriptedWebhook([]);
    const url = webhook.url;
    await webhook.close(); // nothing listens there any more
    const { notifier, sleeps } = notifierFor(url, { maxAttempts: 2 });

    const error = await deliveryError(notifier.post({ text: 'x', severity: 'warning' }));

    expect(sleeps).toEqual([100]);
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).not.toContain(SECRET_PATH);
  });
});
