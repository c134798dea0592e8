import type { Notifier, NotifyRequest, Severity } from '../ports';
import { deliverJson, type WebhookDeliveryOptions } from './webhook-delivery';

const ICONS: Record<Severity, string> = { info: '🔄', success: '✅', warning: '⚠️', error: '🚨' };

/** Discord refuses a message longer than this. */
export const DISCORD_MAX_CONTENT = 2000;

/**
 * Notifier over a Discord channel webhook. Mentions are off: a version or a reason quoting `@everyone`
 * must not page a server.
 */
export class DiscordNotifier implements Notifier {
  constructor(private readonly options: WebhookDeliveryOptions) {}

  async post({ text, severity }: NotifyRequest): Promise<void> {
    await deliverJson('Discord', this.options, discordMessage(text, severity));
  }
}

export function discordMessage(text: string, severity: Severity) {
  const content = `${ICONS[severity]} ${text}`;
  return {
    username: 'docutag-release',
    content: content.length > DISCORD_MAX_CONTENT ? `${content.slice(0, DISCORD_MAX_CONTENT - 1)}…` : content,
    allowed_mentions: { parse: [] },
  };
}
