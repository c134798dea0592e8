import { z } from 'zod';
import { DURATION_PATTERN, durationMs } from '../workflows/domain/duration';

const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'] as const;

/**
 * The worker's environment: where its secrets live (never in workflow data). Validated once at start.
 */
export const workerEnvSchema = z.object({
  PROMETHEUS_URL: z.url({ protocol: /^https?$/, message: 'expected the Prometheus base URL, e.g. http://prometheus.monitoring:9090' }).optional(),
  PROMETHEUS_BEARER_TOKEN: z.string().min(1).optional(),
  PROMETHEUS_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  SLACK_WEBHOOK_URL: z.url({ protocol: /^https?$/, message: 'expected the Slack incoming-webhook URL' }).optional(),
  HELM_BIN: z.string().min(1).default('helm'),
  KUBECONFIG: z.string().optional(),
  /** Temporal Cloud / API-key auth (read by @temporalio/envconfig); listed here so logs redact it. */
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  /** Port of the worker's own /metrics (0 = off). */
  DOCUTAG_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  /**
   * How long the server keeps a workflow's tasks on this worker's sticky queue before handing them to
   * any worker (Temporal's default is 10s). Lower means a crashed worker's releases move on sooner.
   */
  DOCUTAG_STICKY_QUEUE_TIMEOUT: z
    .string()
    .regex(DURATION_PATTERN, { message: 'expected a duration like 500ms, 1s or 10s' })
    .refine((text) => !DURATION_PATTERN.test(text) || durationMs(text) > 0, { message: 'expected a duration above zero, e.g. 1s' })
    .optional(),
  /**
   * A workflow bundle built ahead (`bundleWorkflowCode` from @temporalio/worker, its `code` written to a
   * file): the worker starts in about a second instead of bundling the workflow code at every start.
   */
  DOCUTAG_WORKFLOW_BUNDLE: z.string().min(1).optional(),
  /** Lowest level the worker logs (its own lines, workflow and activity logs, Temporal's core). */
  DOCUTAG_LOG_LEVEL: z.preprocess((value) => (typeof value === 'string' ? value.toUpperCase() : value), z.enum(LOG_LEVELS, { message: `expected one of ${LOG_LEVELS.join(', ')}` })).default('INFO'),
});

export type WorkerEnv = z.infer<typeof workerEnvSchema>;

export function readWorkerEnv(env: NodeJS.ProcessEnv = process.env): WorkerEnv {
  const result = workerEnvSchema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  - ${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`the worker environment is not valid:\n${lines.join('\n')}`);
  }
  return result.data;
}

/** Shortest value treated as a secret: shorter ones would blank out ordinary words. */
const MIN_SECRET_LENGTH = 5;

/**
 * A webhook URL's secret is its path (Slack: `/services/T…/B…/<token>`): a proxy or an error page may
 * quote the path or the token alone, without the host. So the URL, its path and its last segment count.
 */
function webhookUrlSecrets(url: string): string[] {
  try {
    const { pathname, search } = new URL(url);
    const lastSegment = pathname.split('/').filter(Boolean).at(-1) ?? '';
    return [url, `${pathname}${search}`, lastSegment].filter((part) => part.length >= 8);
  } catch {
    return [url];
  }
}

/** The secret values of the environment: the Slack webhook URL (and its path), the Prometheus token, the Temporal API key. */
export function envSecrets(env: Pick<WorkerEnv, 'SLACK_WEBHOOK_URL' | 'PROMETHEUS_BEARER_TOKEN' | 'TEMPORAL_API_KEY'>): string[] {
  return [...(env.SLACK_WEBHOOK_URL ? webhookUrlSecrets(env.SLACK_WEBHOOK_URL) : []), env.PROMETHEUS_BEARER_TOKEN, env.TEMPORAL_API_KEY].filter((value): value is string => !!value);
}

/**
 * Replaces every secret in a text (logs, error messages) with `[redacted]`: the environment's secrets
 * plus `extraSecrets` (e.g. the kubeconfig's token). Longest first, so a secret that contains another
 * is replaced whole.
 */
export function redactSecrets(text: string, env: Pick<WorkerEnv, 'SLACK_WEBHOOK_URL' | 'PROMETHEUS_BEARER_TOKEN' | 'TEMPORAL_API_KEY'>, extraSecrets: readonly string[] = []): string {
  const secrets = [...new Set([...envSecrets(env), ...extraSecrets])].filter((value) => value.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
  return secrets.reduce((redacted, secret) => redacted.split(secret).join('[redacted]'), text);
}
