import { ApplicationFailure } from '@temporalio/common';
import axios from 'axios';
import { DiscordNotifier } from './discord-notifier';
import { LogNotifier } from './in-memory';
import { JsonWebhookNotifier } from './json-webhook-notifier';
import { SlackNotifier } from './slack-notifier';
import { TeamsNotifier } from './teams-notifier';
import type { Notifier, NotifierName, NotifyRequest } from '../ports';

const LABELS: Record<NotifierName, string> = { slack: 'Slack', teams: 'Teams', discord: 'Discord', webhook: 'the JSON webhook' };

/**
 * Every notifier the worker has a URL for, behind one Notifier: a message goes to each one the
 * release enabled, side by side, so a slow Teams does not delay Slack. One that fails does not stop
 * the others; the error names it. Once any of them has the message, the failure is not retryable:
 * a retry would tell the others twice.
 */
export class NotifierSet implements Notifier {
  constructor(private readonly notifiers: ReadonlyArray<{ name: NotifierName; notifier: Notifier }>) {}

  get names(): NotifierName[] {
    return this.notifiers.map(({ name }) => name);
  }

  async post(request: NotifyRequest): Promise<void> {
    const chosen = this.notifiers.filter(({ name }) => !request.to || request.to.includes(name));
    const results = await Promise.allSettled(chosen.map(({ notifier }) => notifier.post(request)));
    const failed = results.flatMap((result, index) => (result.status === 'rejected' ? [{ name: chosen[index]!.name, error: result.reason as Error }] : []));
    if (!failed.length) return;
    const delivered = chosen.filter(({ name }) => !failed.some((failure) => failure.name === name)).map(({ name }) => LABELS[name]);
    const message = failed.map(({ error }) => error.message).join('; ');
    if (!delivered.length) {
      if (failed.length === 1) throw failed[0]!.error;
      throw new Error(message);
    }
    throw ApplicationFailure.nonRetryable(`${message} (delivered to ${delivered.join(', ')})`, 'NotificationPartlyDelivered');
  }
}

/** The notifiers' webhook URLs, as the worker's environment holds them. */
export interface NotifierEnv {
  SLACK_WEBHOOK_URL?: string | undefined;
  TEAMS_WEBHOOK_URL?: string | undefined;
  DISCORD_WEBHOOK_URL?: string | undefined;
  NOTIFY_WEBHOOK_URL?: string | undefined;
}

/** One notifier per URL the environment sets; none set means messages go to the worker's log. */
export function createNotifiers(env: NotifierEnv, log: (line: string) => void): Notifier {
  const delivery = (webhookUrl: string) => ({ http: axios.create({ timeout: 10_000 }), webhookUrl });
  const notifiers: Array<{ name: NotifierName; notifier: Notifier }> = [];
  if (env.SLACK_WEBHOOK_URL) notifiers.push({ name: 'slack', notifier: new SlackNotifier(delivery(env.SLACK_WEBHOOK_URL)) });
  if (env.TEAMS_WEBHOOK_URL) notifiers.push({ name: 'teams', notifier: new TeamsNotifier(delivery(env.TEAMS_WEBHOOK_URL)) });
  if (env.DISCORD_WEBHOOK_URL) notifiers.push({ name: 'discord', notifier: new DiscordNotifier(delivery(env.DISCORD_WEBHOOK_URL)) });
  if (env.NOTIFY_WEBHOOK_URL) notifiers.push({ name: 'webhook', notifier: new JsonWebhookNotifier(delivery(env.NOTIFY_WEBHOOK_URL)) });
  return notifiers.length ? new NotifierSet(notifiers) : new LogNotifier(log);
}
