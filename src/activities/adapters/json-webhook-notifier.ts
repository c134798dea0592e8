import type { Notifier, NotifyRequest } from '../ports';
import { deliverJson, type WebhookDeliveryOptions } from './webhook-delivery';

/**
 * Notifier over any HTTP receiver (an incident tool, a chat bridge, a pipeline): one JSON document per
 * message with the text, its severity and the release it is about, for a receiver to route on.
 */
export class JsonWebhookNotifier implements Notifier {
  constructor(private readonly options: WebhookDeliveryOptions) {}

  async post({ text, severity, subject }: NotifyRequest): Promise<void> {
    await deliverJson('Notification', this.options, { source: 'docutag-release', severity, text, ...(subject ? { release: subject } : {}) });
  }
}
