import type { AxiosInstance } from 'axios';
import type { Notifier, Severity } from '../ports';

const ICONS: Record<Severity, string> = { info: ':arrows_counterclockwise:', success: ':white_check_mark:', warning: ':warning:', error: ':rotating_light:' };

export interface SlackNotifierOptions {
  http: AxiosInstance;
  /** The incoming-webhook URL; a worker secret (SLACK_WEBHOOK_URL), never in workflow data. */
  webhookUrl: string;
  maxAttempts?: number;
  /** Backoff before retry n (1-based), in ms. */
  backoffMs?: (attempt: number) => number;
  sleep?: (ms: number) => Promise<void>;
}

export class SlackDeliveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SlackDeliveryError';
  }
}

/** Notifier over a Slack incoming webhook: retries 429 (honouring Retry-After) and 5xx with backoff. */
export class SlackNotifier implements Notifier {
  private readonly maxAttempts: number;
  private readonly backoffMs: (attempt: number) => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: SlackNotifierOptions) {
    this.maxAttempts = options.maxAttempts ?? 3;
    this.backoffMs = options.backoffMs ?? ((attempt) => 500 * 2 ** (attempt - 1));
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async post({ text, severity, channel }: { text: string; severity: Severity; channel?: string }): Promise<void> {
    const body = { text: `${ICONS[severity]} ${text}`, ...(channel ? { channel } : {}) };
    let last = '';
    let attempts = 0;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      let status: number;
      let retryAfterMs: number | undefined;
      attempts = attempt;
      try {
        const response = await this.options.http.post(this.options.webhookUrl, body, { validateStatus: () => true });
        status = response.status;
        const retryAfter = Number(response.headers?.['retry-after']);
        retryAfterMs = Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter * 1000, 30_000) : undefined;
        last = `HTTP ${status}${typeof response.data === 'string' && response.data ? `: ${response.data.slice(0, 200)}` : ''}`;
      } catch (error) {
        status = 0;
        last = (error as Error).message; // never the URL: it is a secret
      }
      if (status >= 200 && status < 300) return;
      const retryable = status === 0 || status === 429 || status >= 500;
      if (!retryable || attempt === this.maxAttempts) break;
      await this.sleep(retryAfterMs ?? this.backoffMs(attempt));
    }
    throw new SlackDeliveryError(`Slack webhook delivery failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${last}`);
  }
}
