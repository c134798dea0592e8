/*
 * Flagger's `event` webhooks: every event a release records is POSTed to each hook of type `event`,
 * in order, from one background activity at a time. Nothing waits for them but the release's end
 * (a bounded wait), and no answer changes the release: a failed delivery is noted, never retried.
 */
import { condition, log, proxyActivities } from '@temporalio/workflow';
import type { ReleaseActivities } from '../activities';
import type { WebhookPayload, WebhookTarget } from '../activities/ports';
import { eventType, type HookSpec } from './domain';
import type { ReleaseEvent } from './types';

/** Calls per activity: a long backlog (a gate polling for hours) goes out in pieces. */
const MAX_BATCH = 50;
/** How long the release's end waits for the last events to go out. */
const DRAIN_MAX_MS = 30_000;

export interface EventContext {
  name: string;
  namespace: string;
  checksum: string;
  hookTimeoutMs(hook: HookSpec): number;
}

export class EventHooks {
  private readonly pending: Array<{ hook: WebhookTarget; payload: WebhookPayload }> = [];
  private sending = false;
  private readonly acts: ReturnType<typeof proxyActivities<ReleaseActivities>>;

  constructor(
    private readonly hooks: HookSpec[],
    private readonly context: EventContext,
    /** Notes a failed delivery in status without forwarding it (that would loop). */
    private readonly note: (message: string) => void,
  ) {
    const longestMs = Math.max(0, ...hooks.map((hook) => context.hookTimeoutMs(hook)));
    // One attempt: a retry would POST the events that did arrive a second time.
    this.acts = proxyActivities<ReleaseActivities>({ startToCloseTimeout: MAX_BATCH * longestMs + 30_000, retry: { maximumAttempts: 1 } });
  }

  forward(event: ReleaseEvent, phase: string): void {
    if (!this.hooks.length) return;
    for (const hook of this.hooks) {
      this.pending.push({
        hook: { name: hook.name, type: hook.type, url: hook.url, timeoutMs: this.context.hookTimeoutMs(hook) },
        payload: {
          name: this.context.name,
          namespace: this.context.namespace,
          phase,
          checksum: this.context.checksum,
          metadata: { ...hook.metadata, eventMessage: event.message, eventType: eventType(event.message), timestamp: String(Date.parse(event.at)) },
        },
      });
    }
    if (!this.sending) void this.send();
  }

  /** Waits (at most DRAIN_MAX_MS) until the events recorded so far went out. */
  async drain(): Promise<void> {
    if (!this.sending && !this.pending.length) return;
    if (!(await condition(() => !this.sending && !this.pending.length, DRAIN_MAX_MS))) {
      this.note(`event webhooks: ${this.pending.length} event(s) not sent within ${DRAIN_MAX_MS / 1000}s of the end`);
    }
  }

  private async send(): Promise<void> {
    this.sending = true;
    try {
      while (this.pending.length) {
        const batch = this.pending.splice(0, MAX_BATCH);
        try {
          const { failed } = await this.acts.deliverEvents({ calls: batch });
          if (failed.length) this.note(`event webhooks: ${failed.length} of ${batch.length} event(s) not delivered: ${failed.slice(0, 3).join('; ')}`);
        } catch (error) {
          log.warn('event webhooks: delivery activity failed', { error: String(error) });
          this.note(`event webhooks: ${batch.length} event(s) not delivered: ${(error as Error).message}`);
        }
      }
    } finally {
      this.sending = false;
    }
  }
}
