import type { Notifier, NotifyRequest, Severity } from '../ports';
import { deliverJson, NotificationDeliveryError, type WebhookDeliveryOptions } from './webhook-delivery';

const ICONS: Record<Severity, string> = { info: ':arrows_counterclockwise:', success: ':white_check_mark:', warning: ':warning:', error: ':rotating_light:' };

export type SlackNotifierOptions = WebhookDeliveryOptions;

/** Kept for callers that match on the name; every notifier throws a NotificationDeliveryError. */
export { NotificationDeliveryError as SlackDeliveryError };

/** Notifier over a Slack incoming webhook (the config's channel overrides the webhook's own). */
export class SlackNotifier implements Notifier {
  constructor(private readonly options: SlackNotifierOptions) {}

  async post({ text, severity, channel }: NotifyRequest): Promise<void> {
    await deliverJson('Slack', this.options, { text: `${ICONS[severity]} ${text}`, ...(channel ? { channel } : {}) });
  }
}
