/*
 * What "no secret in the history" means in the tests: the worker's secrets as the stand-ins hand
 * them out, searched in a history whose payloads (workflow input, activity arguments and results,
 * signals, the result) are decoded to text, not left as bytes a plain JSON dump would hide them in.
 */
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import type { temporal } from '@temporalio/proto';

/** The secrets of ReleaseHarness.workerEnv() and the kubeconfig of FakeKubernetesApi. */
export const TEST_SECRETS = {
  /** The secret part of FakeSlack's webhook URL (its host and port change per run). */
  slackWebhookPath: '/services/T000/B000/XXXXsecretXXXX',
  slackWebhookToken: 'XXXXsecretXXXX',
  prometheusToken: 'prom-test-token-91c2',
  kubeToken: 'kube-test-token-7f3a',
} as const;

/** Plain data of a proto message, bytes decoded as UTF-8 (a message's own toJSON would write them as base64). */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    if (typeof (value as { toNumber?: unknown }).toNumber === 'function') return String(value); // Long
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, plain(item)]));
  }
  return value;
}

/** The history as text, every bytes field (payload data) decoded as UTF-8. */
export function readableHistory(history: temporal.api.history.v1.IHistory | object): string {
  return JSON.stringify(plain(history));
}

/** A history file as `historyToJSON` writes it (test/fixtures/histories), as text with decoded payloads. */
export function readableHistoryFile(json: string): string {
  return readableHistory(historyFromJSON(JSON.parse(json)));
}

/** The secrets (by name) that occur in `text`. */
export function secretsIn(text: string, secrets: Record<string, string> = TEST_SECRETS): string[] {
  return Object.entries(secrets)
    .filter(([, secret]) => text.includes(secret))
    .map(([name]) => name);
}
