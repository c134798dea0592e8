/*
 * Secrets stay on the worker: whatever an activity returns or throws is written into the workflow
 * history, which every Web UI user reads. A dependency may quote a secret back (a proxy's error page
 * with the webhook path, an auth error naming the token), so every activity's result and failure
 * passes through the worker's redactor before it leaves the worker.
 */
import * as k8s from '@kubernetes/client-node';
import { redactSecrets, type WorkerEnv } from './environment';

/**
 * The kubeconfig's credentials (token, password, client key) of the current user, so that they can
 * be redacted. Empty when there is no kubeconfig to read.
 */
export function kubeconfigSecrets(env: Pick<WorkerEnv, 'KUBECONFIG'>): string[] {
  try {
    const kubeConfig = new k8s.KubeConfig();
    if (env.KUBECONFIG) kubeConfig.loadFromFile(env.KUBECONFIG);
    else kubeConfig.loadFromDefault();
    const user = kubeConfig.getCurrentUser();
    return [user?.token, user?.password, user?.keyData].filter((value): value is string => !!value);
  } catch {
    // No readable kubeconfig: the adapters report that when they are used.
    return [];
  }
}

/** Redacts the worker's secrets (environment and kubeconfig) from a text. */
export function createRedactor(env: WorkerEnv): (text: string) => string {
  const extra = kubeconfigSecrets(env);
  return (text) => redactSecrets(text, env, extra);
}

/** A copy of `value` with every string redacted (plain data: what activities return). */
export function redactValue<T>(value: T, redact: (text: string) => string): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, redact)) as T;
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactValue(item, redact)])) as T;
  }
  return value;
}

/** Redacts an error's message and stack, and its causes', in place (the failure keeps its type and retry policy). */
export function redactError(error: unknown, redact: (text: string) => string, depth = 0): unknown {
  if (!(error instanceof Error) || depth > 5) return error;
  error.message = redact(error.message);
  if (error.stack) error.stack = redact(error.stack);
  const details = (error as { details?: unknown }).details;
  if (Array.isArray(details)) (error as { details?: unknown }).details = redactValue(details, redact);
  redactError(error.cause, redact, depth + 1);
  return error;
}

type ActivityFunctions = Record<string, (...args: any[]) => Promise<unknown>>;

/** Wraps every activity so that its result and its failure carry no secret. */
export function redactActivities<T extends ActivityFunctions>(activities: T, redact: (text: string) => string): T {
  const wrapped = Object.entries(activities).map(([name, activity]) => [
    name,
    async (...args: unknown[]) => {
      try {
        return redactValue(await activity(...args), redact);
      } catch (error) {
        throw redactError(error, redact);
      }
    },
  ]);
  return Object.fromEntries(wrapped) as T;
}
