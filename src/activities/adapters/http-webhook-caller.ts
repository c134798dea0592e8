import type { AxiosInstance } from 'axios';
import type { WebhookCaller, WebhookOutcome, WebhookPayload, WebhookTarget } from '../ports';

/** Bytes of an answer kept: hooks answer a word or a short JSON; the reason quotes its start. */
const MAX_ANSWER_BYTES = 64 * 1024;
const QUOTED_CHARS = 200;

/** Flagger: a hook passes with 2xx up to 202. */
const passes = (status: number) => status >= 200 && status <= 202;

function quote(data: unknown): string {
  if (data === undefined || data === null || data === '') return '';
  const text = typeof data === 'string' ? data : JSON.stringify(data);
  return text.trim().replace(/\s+/g, ' ').slice(0, QUOTED_CHARS);
}

/**
 * WebhookCaller over HTTP (axios, injected): POSTs `{ name, namespace, phase, checksum, metadata }`
 * as JSON with the hook's own timeout, follows no redirect, and reports the status and the start of
 * the body. Errors are outcomes: the message never quotes the URL, which may carry a token.
 */
export class HttpWebhookCaller implements WebhookCaller {
  constructor(private readonly http: AxiosInstance) {}

  async call({ hook, payload }: { hook: WebhookTarget; payload: WebhookPayload }): Promise<WebhookOutcome> {
    try {
      const response = await this.http.post(hook.url, payload, {
        timeout: hook.timeoutMs,
        headers: { 'content-type': 'application/json' },
        validateStatus: () => true,
        maxRedirects: 0,
        maxContentLength: MAX_ANSWER_BYTES,
        responseType: 'text',
        transformResponse: [(data: unknown) => data],
      });
      return { passed: passes(response.status), status: response.status, message: quote(response.data) };
    } catch (error) {
      const failure = error as { code?: string; message?: string };
      const message =
        failure.code === 'ECONNABORTED' || failure.code === 'ETIMEDOUT'
          ? `no answer within ${hook.timeoutMs}ms (the hook's timeout)`
          : failure.code === 'ECONNREFUSED'
            ? 'connection refused'
            : `request failed: ${failure.code ? `${failure.code} ` : ''}${(failure.message ?? String(error)).split(hook.url).join('<url>')}`;
      return { passed: false, status: null, message };
    }
  }
}
