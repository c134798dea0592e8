/**
 * Who hears about a release: the notifiers its config enabled, and how Flagger's `event` webhook
 * classifies each event. Pure: the workflow asks, the activity delivers.
 */

/** Where the worker can tell people: each has its webhook URL in the worker's environment only. */
export const NOTIFIER_NAMES = ['slack', 'teams', 'discord', 'webhook'] as const;
export type NotifierName = (typeof NOTIFIER_NAMES)[number];

/** The config's `alerts` block, as far as choosing notifiers goes. */
export interface AlertsConfig {
  slack: { enabled: boolean; channel?: string | undefined };
  teams?: { enabled: boolean } | undefined;
  discord?: { enabled: boolean } | undefined;
  webhook?: { enabled: boolean } | undefined;
}

/** The notifiers a release may use, in a fixed order; the worker delivers to those it has a URL for. */
export function enabledNotifiers(alerts: AlertsConfig): NotifierName[] {
  const enabled: NotifierName[] = [];
  if (alerts.slack.enabled) enabled.push('slack');
  // Configs recorded before these notifiers existed carry no block: on, as the defaults are.
  if (alerts.teams?.enabled ?? true) enabled.push('teams');
  if (alerts.discord?.enabled ?? true) enabled.push('discord');
  if (alerts.webhook?.enabled ?? true) enabled.push('webhook');
  return enabled;
}

/** Flagger's event types: a Warning is an event a person may need to act on. */
export type EventType = 'Normal' | 'Warning';

const WARNING = /\broll(ing|ed)? ?back\b|\bfail(ed|s|ure)?\b|\babort(ed)?\b|\brefused\b|\bignored\b|\bno data\b|\bunreachable\b|\btimed out\b|\bFAILED\b/i;

export function eventType(message: string): EventType {
  return WARNING.test(message) ? 'Warning' : 'Normal';
}
