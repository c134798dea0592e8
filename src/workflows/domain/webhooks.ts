/**
 * Flagger's webhook types, as durable gates and checks: which hooks run where, and what their answers
 * mean. The activity only reports what a hook answered; every decision about it is made here.
 */
import type { CheckResult } from './analysis';
import type { Strategy } from './strategy';

/** Flagger's webhook types (the config schema accepts exactly these). */
export const HOOK_TYPES = {
  confirmRollout: 'confirm-rollout',
  preRollout: 'pre-rollout',
  rollout: 'rollout',
  confirmTrafficIncrease: 'confirm-traffic-increase',
  confirmPromotion: 'confirm-promotion',
  postRollout: 'post-rollout',
  rollback: 'rollback',
  /** Every event of the release, POSTed as it happens; answers and failures never change the release. */
  event: 'event',
} as const;
export type HookType = (typeof HOOK_TYPES)[keyof typeof HOOK_TYPES];

/** Gates wait until every hook of their type answers 2xx. */
export type GateType = 'confirm-rollout' | 'confirm-traffic-increase' | 'confirm-promotion';

/** A configured hook, as the workflow sees it (config `webhooks.hooks[]`). */
export interface HookSpec {
  name: string;
  type: HookType;
  url: string;
  /** Config duration, e.g. `10s`. */
  timeout: string;
  metadata: Record<string, string>;
}

/**
 * What calling a hook produced: a fact, never an exception. `status` is null when no HTTP answer came.
 * `passed` is the caller's reading of the status; the workflow decides with `hookPassed(status)`.
 */
export interface WebhookOutcome {
  passed: boolean;
  status: number | null;
  /** The answer's body (trimmed) or why there was none (timeout, refused connection). */
  message: string;
}

/** The JSON body POSTed to every hook (Flagger's CanaryWebhookPayload). */
export interface WebhookPayload {
  name: string;
  namespace: string;
  phase: string;
  checksum: string;
  metadata: Record<string, string>;
}

/** Flagger: a hook passes when it answers 2xx up to 202; anything else, or no answer, fails. */
export function hookPassed(status: number | null): boolean {
  return status !== null && status >= 200 && status <= 202;
}

/** `HTTP 503: not yet` or `no answer: timeout of 2000ms exceeded`. */
export function describeAnswer(outcome: WebhookOutcome): string {
  const message = outcome.message.trim().replace(/\s+/g, ' ').slice(0, 200);
  if (outcome.status === null) return `no answer: ${message || 'unknown error'}`;
  return message ? `HTTP ${outcome.status}: ${message}` : `HTTP ${outcome.status}`;
}

/** Which hook types a strategy runs. Flagger has no weight steps in blue-green, and direct has neither steps nor analysis rounds. */
const APPLICABLE: Record<Strategy, ReadonlySet<HookType>> = {
  canary: new Set<HookType>(Object.values(HOOK_TYPES)),
  blueGreen: new Set<HookType>(['confirm-rollout', 'pre-rollout', 'rollout', 'confirm-promotion', 'post-rollout', 'rollback', 'event']),
  // An A/B test has rounds but no weight steps, like a blue-green (Flagger alike).
  abTesting: new Set<HookType>(['confirm-rollout', 'pre-rollout', 'rollout', 'confirm-promotion', 'post-rollout', 'rollback', 'event']),
  direct: new Set<HookType>(['confirm-rollout', 'pre-rollout', 'rollout', 'post-rollout', 'event']),
};

/** The hooks of one type that a strategy runs, in config order. */
export function hooksOfType<T extends { type: string }>(hooks: readonly T[], type: HookType, strategy: Strategy): T[] {
  if (!APPLICABLE[strategy].has(type)) return [];
  return hooks.filter((hook) => hook.type === type);
}

/** A note for hooks the strategy does not run (recorded once at the start), or null when all apply. */
export function inapplicableHooksNote(hooks: readonly { name: string; type: string }[], strategy: Strategy): string | null {
  const skipped = hooks.filter((hook) => !APPLICABLE[strategy].has(hook.type as HookType));
  if (!skipped.length) return null;
  const label = strategy === 'blueGreen' ? 'a blue-green release' : strategy === 'abTesting' ? 'an A/B test' : `a ${strategy} release`;
  return `Webhooks not run by ${label}: ${skipped.map((hook) => `${hook.name} (${hook.type})`).join(', ')}`;
}

/** A rollout or pre-rollout hook's answer as a check in `status.lastChecks`. */
export function webhookCheck(hook: { name: string; type: string }, outcome: WebhookOutcome): CheckResult {
  const passed = hookPassed(outcome.status);
  return {
    name: `webhook ${hook.name}`,
    value: outcome.status,
    threshold: 202,
    passed,
    reason: passed ? `${hook.type} webhook ${hook.name} passed (${describeAnswer(outcome)})` : `${hook.type} webhook ${hook.name} failed (${describeAnswer(outcome)}); counted as a failed check`,
  };
}

export type GateVerdict = { open: true; note: string } | { open: false; waitingFor: string; note: string };

/** A gate opens when every one of its hooks passes; `waitingFor` names the hooks still answering no. */
export function gateVerdict(type: GateType, answers: ReadonlyArray<{ hook: { name: string }; outcome: WebhookOutcome }>): GateVerdict {
  const closed = answers.filter(({ outcome }) => !hookPassed(outcome.status));
  if (!closed.length) return { open: true, note: `${type} gate open: ${answers.map(({ hook }) => hook.name).join(', ')} approved` };
  const waitingFor = `${type} webhook ${closed.map(({ hook, outcome }) => `${hook.name} (${describeAnswer(outcome)})`).join(', ')}`;
  return { open: false, waitingFor, note: `Waiting for ${waitingFor}; polling until it answers 2xx (promote or abort act meanwhile)` };
}

export type RollbackHookVerdict = { rollback: false } | { rollback: true; reason: string };

/** Flagger: a rollback hook answering 2xx asks for a rollback; any other answer means "carry on". */
export function rollbackHookVerdict(answers: ReadonlyArray<{ hook: { name: string }; outcome: WebhookOutcome }>): RollbackHookVerdict {
  const fired = answers.find(({ outcome }) => hookPassed(outcome.status));
  if (!fired) return { rollback: false };
  return { rollback: true, reason: `rollback webhook ${fired.hook.name} asked for a rollback (${describeAnswer(fired.outcome)})` };
}

/** A post-rollout hook's answer, for the record only: it never changes the outcome. */
export function postRolloutNote(hook: { name: string }, outcome: WebhookOutcome): string {
  return hookPassed(outcome.status)
    ? `post-rollout webhook ${hook.name} answered ${describeAnswer(outcome)}`
    : `post-rollout webhook ${hook.name} failed (${describeAnswer(outcome)}); logged only, the outcome stands`;
}

/** Gates poll after this many ms: the analysis interval, within 1 s - 10 s; after 30 polls every minute, to bound the history of a long wait. */
export function gatePollMs(intervalMs: number, attempt: number): number {
  if (attempt >= 30) return 60_000;
  return Math.min(10_000, Math.max(1_000, intervalMs));
}

/**
 * Gates waiting in one activity poll every analysis interval, within 100 ms - 10 s, for as long as
 * they wait: the polls no longer reach the history, so there is nothing to back off for.
 */
export function gateActivityPollMs(intervalMs: number): number {
  return Math.min(10_000, Math.max(100, intervalMs));
}

/**
 * Identifies one release run for the hooks (Flagger sends the canary's spec checksum): FNV-1a over
 * the text, 8 hex digits. Pure, so the workflow computes it without crypto.
 */
export function releaseChecksum(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}
