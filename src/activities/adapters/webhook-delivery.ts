import type { AxiosInstance } from 'axios';

export interface WebhookDeliveryOptions {
  http: AxiosInstance;
  /** The webhook URL: a worker secret, never in workflow data and never in an error. */
  webhookUrl: string;
  maxAttempts?: number;
  /** Backoff before retry n (1-based), in ms. */
  backoffMs?: (attempt: number) => number;
  sleep?: (ms: number) => Promise<void>;
}

export class NotificationDeliveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotificationDeliveryError';
  }
}

/** Longest Retry-After honoured: a chat service asking for more would hold the release's notify activity too long. */
const MAX_RETRY_AFTER_MS = 30_000;

/**
 * POSTs one JSON body to a chat webhook (Slack, Teams, Discord, a generic receiver): retries a lost
 * connection, 429 (honouring Retry-After) and 5xx with backoff; a 4xx other than 429 is final.
 * Throws `NotificationDeliveryError` naming `label` and the last answer, never the URL.
 */
export async function deliverJson(label: string, options: WebhookDeliveryOptions, body: unknown): Promise<void> {
  const maxAttempts = options.maxAttempts ?? 3;
  const backoffMs = options.backoffMs ?? ((attempt: number) => 500 * 2 ** (attempt - 1));
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let last = '';
  let attempts = 0;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    let status: number;
    let retryAfterMs: number | undefined;
    attempts = attempt;
    try {
      const response = await options.http.post(options.webhookUrl, body, { validateStatus: () => true });
      status = response.status;
      const retryAfter = Number(response.headers?.['retry-after']);
      retryAfterMs = Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter * 1000, MAX_RETRY_AFTER_MS) : undefined;
      last = `HTTP ${status}${answerText(response.data)}`;
    } catch (error) {
      status = 0;
      last = (error as Error).message; // never the URL: it is a secret
    }
    if (status >= 200 && status < 300) return;
    const retryable = status === 0 || status === 429 || status >= 500;
    if (!retryable || attempt === maxAttempts) break;
    await sleep(retryAfterMs ?? backoffMs(attempt));
  }
  throw new NotificationDeliveryError(`${label} webhook delivery failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${last}`);
}

function answerText(data: unknown): string {
  if (typeof data === 'string') return data ? `: ${data.slice(0, 200)}` : '';
  if (data && typeof data === 'object') return `: ${JSON.stringify(data).slice(0, 200)}`;
  return '';
}
