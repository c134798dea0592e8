import type { Notifier, NotifyRequest, Severity } from '../ports';
import { deliverJson, type WebhookDeliveryOptions } from './webhook-delivery';

/** Adaptive Card text colours: what a Teams reader takes in before the words. */
const COLOURS: Record<Severity, string> = { info: 'Default', success: 'Good', warning: 'Warning', error: 'Attention' };

/**
 * Notifier over a Microsoft Teams Workflows webhook ("Post to a channel when a webhook request is
 * received"): one Adaptive Card per message, its first line as the title, the rest below it.
 */
export class TeamsNotifier implements Notifier {
  constructor(private readonly options: WebhookDeliveryOptions) {}

  async post({ text, severity, subject }: NotifyRequest): Promise<void> {
    await deliverJson('Teams', this.options, teamsCard(text, severity, subject?.service));
  }
}

export function teamsCard(text: string, severity: Severity, service?: string) {
  const [title = '', ...rest] = text.split('\n');
  const body: object[] = [{ type: 'TextBlock', text: title, weight: 'Bolder', wrap: true, color: COLOURS[severity] }];
  if (rest.length) body.push({ type: 'TextBlock', text: rest.join('\n\n'), wrap: true });
  if (service) body.push({ type: 'TextBlock', text: `docutag-release · ${service}`, isSubtle: true, size: 'Small', wrap: true });
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: { $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', type: 'AdaptiveCard', version: '1.4', body },
      },
    ],
  };
}
