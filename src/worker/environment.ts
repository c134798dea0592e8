import { z } from 'zod';

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
  /** Port of the worker's own /metrics (0 = off). */
  DOCUTAG_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(0),
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

/** Replaces every secret value of the environment in a text (logs, error messages). */
export function redactSecrets(text: string, env: WorkerEnv): string {
  const secrets = [env.SLACK_WEBHOOK_URL, env.PROMETHEUS_BEARER_TOKEN].filter((value): value is string => !!value && value.length > 4);
  return secrets.reduce((redacted, secret) => redacted.split(secret).join('[redacted]'), text);
}
