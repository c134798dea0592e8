import { z } from 'zod';
import { freezeSchema } from '../config/schema';
import type { Freeze } from '../workflows/domain/windows';
import { DURATION_PATTERN, durationMs } from '../workflows/domain/duration';
import { allowedPrometheusServers, parsePrometheusServers, PROMETHEUS_SERVERS_ENV, type PrometheusServer } from '../config/metrics-servers';

const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'] as const;

/**
 * The worker's environment: where its secrets live (never in workflow data). Validated once at start.
 */
export const workerEnvSchema = z.object({
  /** Where the worker's releases run. */
  DOCUTAG_TARGET: z.enum(['kubernetes', 'local'], { message: 'expected kubernetes (helm, TraefikService) or local (the local stack: Traefik, Prometheus and local processes)' }).default('kubernetes'),
  /** Target local: configs, logs and Prometheus' data; emptied when the worker starts. */
  DOCUTAG_LOCAL_DATA_DIR: z.string().min(1).default('.data/local-stack'),
  PROMETHEUS_URL: z.url({ protocol: /^https?$/, message: 'expected the Prometheus base URL, e.g. http://prometheus.monitoring:9090' }).optional(),
  PROMETHEUS_BEARER_TOKEN: z.string().min(1).optional(),
  /**
   * More Prometheus servers a config's metricsServer may name, each with the env var of its token:
   * `https://prom-eu:9090=PROM_EU_TOKEN https://prom-us:9090` (comma or space separated). Any other
   * metricsServer is refused: the worker's tokens never go to a URL taken from a config.
   */
  DOCUTAG_PROMETHEUS_SERVERS: z
    .string()
    .superRefine((text, ctx) => {
      for (const issue of parsePrometheusServers(text).issues) ctx.addIssue({ code: 'custom', message: issue });
    })
    .optional(),
  PROMETHEUS_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  SLACK_WEBHOOK_URL: z.url({ protocol: /^https?$/, message: 'expected the Slack incoming-webhook URL' }).optional(),
  /** A Microsoft Teams Workflows webhook ("Post to a channel when a webhook request is received"). */
  TEAMS_WEBHOOK_URL: z.url({ protocol: /^https?$/, message: 'expected the Teams Workflows webhook URL (https://…logic.azure.com/… or …powerplatform.com/…)' }).optional(),
  DISCORD_WEBHOOK_URL: z.url({ protocol: /^https?$/, message: 'expected the Discord channel webhook URL (https://discord.com/api/webhooks/<id>/<token>)' }).optional(),
  /** Any HTTP receiver: each message POSTed as JSON { source, severity, text, release }. */
  NOTIFY_WEBHOOK_URL: z.url({ protocol: /^https?$/, message: 'expected an http(s) URL that accepts a JSON POST' }).optional(),
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
  /**
   * Worker-wide freezes, as JSON: `[{"from":"2026-12-24T00:00:00+01:00","to":"2026-12-27T00:00:00+01:00","reason":"holidays"}]`.
   * Every release on this worker waits them out, whatever its config says.
   */
  DOCUTAG_FREEZES: z
    .string()
    .superRefine((text, ctx) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return ctx.addIssue({ code: 'custom', message: 'expected JSON: [{"from":"2026-12-24T00:00:00+01:00","to":"2026-12-27T00:00:00+01:00","reason":"holidays"}]' });
      }
      const result = z.array(freezeSchema).safeParse(parsed);
      if (!result.success) for (const issue of result.error.issues) ctx.addIssue({ code: 'custom', message: `[${issue.path.join('.')}]: ${issue.message}` });
    })
    .optional(),
  /** Lowest level the worker logs (its own lines, workflow and activity logs, Temporal's core). */
  DOCUTAG_LOG_LEVEL: z.preprocess((value) => (typeof value === 'string' ? value.toUpperCase() : value), z.enum(LOG_LEVELS, { message: `expected one of ${LOG_LEVELS.join(', ')}` })).default('INFO'),
});

export type WorkerEnv = z.infer<typeof workerEnvSchema> & {
  /** DOCUTAG_FREEZES, parsed. */
  freezes: Freeze[];
  /** PROMETHEUS_URL (with PROMETHEUS_BEARER_TOKEN) first, then DOCUTAG_PROMETHEUS_SERVERS: the only servers that get a token. */
  prometheusServers: PrometheusServer[];
};

export function readWorkerEnv(rawEnv: NodeJS.ProcessEnv = process.env): WorkerEnv {
  // `VAR=` (docker compose's `${VAR:-}`, an env file line left blank) means unset, not an empty value to refuse.
  const env = Object.fromEntries(Object.entries(rawEnv).filter(([, value]) => value !== '')) as NodeJS.ProcessEnv;
  const result = workerEnvSchema.safeParse(env);
  const lines = result.success ? [] : result.error.issues.map((issue) => `  - ${issue.path.join('.')}: ${issue.message}`);
  const prometheusServers: PrometheusServer[] = [];
  if (result.success) {
    for (const { url, tokenEnv } of allowedPrometheusServers(result.data)) {
      const token = tokenEnv ? env[tokenEnv] : undefined;
      // PROMETHEUS_BEARER_TOKEN is optional; a token variable the list names must be there.
      if (tokenEnv && tokenEnv !== 'PROMETHEUS_BEARER_TOKEN' && !token) {
        lines.push(`  - ${PROMETHEUS_SERVERS_ENV}: ${url} names ${tokenEnv} for its token, but ${tokenEnv} is unset or empty; set it, or list the URL without =${tokenEnv} to query it without a token`);
      }
      prometheusServers.push(token ? { url, token } : { url });
    }
  }
  if (!result.success || lines.length) throw new Error(`the worker environment is not valid:\n${lines.join('\n')}`);
  const freezes: Freeze[] = result.data.DOCUTAG_FREEZES ? z.array(freezeSchema).parse(JSON.parse(result.data.DOCUTAG_FREEZES)) : [];
  return { ...result.data, prometheusServers, freezes };
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

type SecretEnv = Pick<WorkerEnv, 'SLACK_WEBHOOK_URL' | 'PROMETHEUS_BEARER_TOKEN' | 'TEMPORAL_API_KEY'> &
  Partial<Pick<WorkerEnv, 'prometheusServers' | 'TEAMS_WEBHOOK_URL' | 'DISCORD_WEBHOOK_URL' | 'NOTIFY_WEBHOOK_URL'>>;

/** The secret values of the environment: the notifiers' webhook URLs (and their paths), the Prometheus tokens, the Temporal API key. */
export function envSecrets(env: SecretEnv): string[] {
  const prometheusTokens = (env.prometheusServers ?? []).map((server) => server.token);
  const webhookUrls = [env.SLACK_WEBHOOK_URL, env.TEAMS_WEBHOOK_URL, env.DISCORD_WEBHOOK_URL, env.NOTIFY_WEBHOOK_URL].flatMap((url) => (url ? webhookUrlSecrets(url) : []));
  return [...webhookUrls, env.PROMETHEUS_BEARER_TOKEN, ...prometheusTokens, env.TEMPORAL_API_KEY].filter((value): value is string => !!value);
}

/**
 * Replaces every secret in a text (logs, error messages) with `[redacted]`: the environment's secrets
 * plus `extraSecrets` (e.g. the kubeconfig's token). Longest first, so a secret that contains another
 * is replaced whole.
 */
export function redactSecrets(text: string, env: SecretEnv, extraSecrets: readonly string[] = []): string {
  const secrets = [...new Set([...envSecrets(env), ...extraSecrets])].filter((value) => value.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
  return secrets.reduce((redacted, secret) => redacted.split(secret).join('[redacted]'), text);
}
