import { z } from 'zod';
import { DURATION_PATTERN, durationMs } from '../workflows/domain/duration';

/**
 * The release configuration (YAML). Unknown keys are errors so that a typo never silently falls back
 * to a default. Types come from `z.infer`; the resolved form (defaults and derived names filled in)
 * is what the workflow receives.
 */

/** Longest duration accepted: no interval or timeout of a release is longer than a day. */
const MAX_DURATION_MS = 24 * 3_600_000;

const duration = z
  .string()
  .regex(DURATION_PATTERN, { message: 'expected a duration like 500ms, 10s, 1m or 1h' })
  // A zero interval or timeout would spin or give up at once; Prometheus refuses a zero range.
  .refine((text) => !DURATION_PATTERN.test(text) || durationMs(text) > 0, { message: 'expected a duration above zero, e.g. 500ms, 10s, 1m or 1h' })
  // 99999999999999999999h passes the pattern and becomes a timer Temporal cannot schedule (and a helm --timeout helm refuses).
  .refine((text) => !DURATION_PATTERN.test(text) || durationMs(text) <= MAX_DURATION_MS, { message: 'expected a duration of at most 24h' });
/** Only http(s): the worker calls these URLs, and `file:` or `javascript:` would never work. */
const httpUrl = (message: string) => z.url({ protocol: /^https?$/, message });
const percent = z.number().min(0).max(100);
const weight = z.number().int().min(1).max(100);
/** Helm release names are limited to 53 characters; the canary release is `<name>-canary` unless set. */
const MAX_RELEASE_NAME = 53;
const CANARY_SUFFIX = '-canary';
const kubernetesName = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { message: 'expected a Kubernetes name: lower-case letters, digits and "-"' })
  .max(53, { message: 'expected at most 53 characters (Helm release names are limited to 53)' });

/** A release version (`--version`, `drill.version`): it becomes a Helm value and a search attribute. */
export const RELEASE_VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/;
export const RELEASE_VERSION_HINT = 'use letters, digits, ".", "-", "_" or "+", starting with a letter or digit (e.g. 1.1.0)';

export const STRATEGIES = { canary: 'canary', blueGreen: 'blueGreen', direct: 'direct' } as const;
export type Strategy = (typeof STRATEGIES)[keyof typeof STRATEGIES];

/** Accepts `blue-green` as written on the CLI and in Flagger-style values. */
export const strategySchema = z.preprocess(
  (value) => (value === 'blue-green' ? 'blueGreen' : value),
  z.enum(['canary', 'blueGreen', 'direct'], { message: 'expected canary, blueGreen (or blue-green) or direct' }),
);

export const WEBHOOK_TYPES = [
  'confirm-rollout',
  'pre-rollout',
  'rollout',
  'confirm-traffic-increase',
  'confirm-promotion',
  'post-rollout',
  'rollback',
] as const;

const webhookSchema = z.strictObject({
  name: z.string().min(1),
  type: z.enum(WEBHOOK_TYPES, { message: `expected one of ${WEBHOOK_TYPES.join(', ')}` }),
  url: httpUrl('expected an http(s) URL').refine((url) => !/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(url), {
    // The config is the workflow input: a user:password in the URL would be readable in the Web UI.
    message: 'credentials in a webhook URL would be written into the Temporal history, which every Web UI user can read; use a URL without user:password (e.g. a cluster-internal service)',
  }),
  timeout: duration.default('10s'),
  metadata: z.record(z.string(), z.string()).default({}),
});

const customMetricSchema = z
  .strictObject({
    name: z.string().regex(/^[a-zA-Z][\w-]*$/, { message: 'expected a name of letters, digits, "-" and "_"' }),
    query: z.string().min(1, { message: 'expected a PromQL query' }),
    min: z.number().optional(),
    max: z.number().optional(),
  })
  .refine((metric) => metric.min !== undefined || metric.max !== undefined, {
    message: 'expected a threshold: set min (the value must stay at or above it) or max (at or below it)',
  });

const setValues = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));

export const configSchema = z
  .strictObject({
    service: z.strictObject({ name: kubernetesName, namespace: kubernetesName }),
    target: z.enum(['kubernetes', 'local'], { message: 'expected kubernetes or local' }).default('kubernetes'),
    local: z
      .strictObject({
        command: z.string().min(1),
        healthPath: z.string().startsWith('/').default('/healthz'),
        testCommand: z.string().optional(),
      })
      .optional(),
    helm: z
      .strictObject({
        chart: z.string().min(1).optional(),
        valuesFiles: z.array(z.string()).default([]),
        versionValue: z.string().min(1).default('image.tag'),
        set: setValues.default({}),
        releases: z.strictObject({ primary: kubernetesName.optional(), canary: kubernetesName.optional() }).prefault({}),
        timeout: duration.default('5m'),
        kubeContext: z.string().optional(),
      })
      .prefault({}),
    traffic: z
      .strictObject({
        provider: z.literal('traefik', { message: 'expected traefik' }).default('traefik'),
        traefikService: kubernetesName.optional(),
        primaryService: kubernetesName.optional(),
        canaryService: kubernetesName.optional(),
      })
      .prefault({}),
    metricsServer: httpUrl('expected the Prometheus URL, e.g. http://prometheus.monitoring:9090').optional(),
    strategy: strategySchema.default('canary'),
    analysis: z
      .strictObject({
        interval: duration.default('1m'),
        threshold: z.number().int().min(1).max(1000).default(5),
        stepWeight: weight.default(10),
        stepWeights: z
          .array(weight)
          .min(1)
          .refine((list) => list.every((value, i) => i === 0 || value > list[i - 1]!), {
            message: 'expected strictly increasing weights, e.g. [5, 10, 25, 50]',
          })
          .optional(),
        maxWeight: weight.default(100),
        iterations: z.number().int().min(1).max(1000).default(10),
        postSwitchIterations: z.number().int().min(0).max(1000).default(2),
      })
      .prefault({}),
    metrics: z
      .strictObject({
        requestSuccessRate: z.strictObject({ enabled: z.boolean().default(true), threshold: percent.default(99) }).prefault({}),
        requestDuration: z
          .strictObject({ enabled: z.boolean().default(true), threshold: z.number().positive().default(500) })
          .prefault({}),
        custom: z.array(customMetricSchema).default([]),
      })
      .prefault({}),
    webhooks: z
      .strictObject({
        helmTests: z.strictObject({ enabled: z.boolean().default(true), timeout: duration.default('3m') }).prefault({}),
        hooks: z.array(webhookSchema).default([]),
      })
      .prefault({}),
    drill: z
      .strictObject({
        version: z.string().min(1),
        set: setValues.default({}),
        maxRestore: duration.default('5s'),
      })
      .optional(),
    migration: z
      .strictObject({ pilot: z.string().optional(), directReleasesToPass: z.number().int().min(1).default(3) })
      .optional(),
    alerts: z
      .strictObject({
        slack: z.strictObject({ enabled: z.boolean().default(true), channel: z.string().optional() }).prefault({}),
      })
      .prefault({}),
  })
  .superRefine(
    (config, ctx) => {
      // Also runs when other fields are bad (see `when`), so the value may be partly invalid: guard each read.
      const helm: { chart?: unknown; releases?: { primary?: unknown; canary?: unknown } } | undefined = isRecord(config.helm) ? config.helm : undefined;
      if (config.target === 'kubernetes' && helm && !helm.chart) {
        ctx.addIssue({ code: 'custom', path: ['helm', 'chart'], message: 'required for target kubernetes: the chart path or repo/chart' });
      }
      if (config.target === 'local' && !config.local) {
        ctx.addIssue({ code: 'custom', path: ['local'], message: 'required for target local: { command, healthPath }' });
      }
      const name: unknown = isRecord(config.service) ? config.service.name : undefined;
      if (config.target === 'local' && typeof name === 'string') {
        // The local stack routes to each release's process by the release's name: there is no separate Service object.
        const releases: { primary?: unknown; canary?: unknown } = isRecord(helm?.releases) ? helm.releases : {};
        const traffic: Record<string, unknown> = isRecord(config.traffic) ? config.traffic : {};
        const tracks = [
          { field: 'primaryService', release: typeof releases.primary === 'string' ? releases.primary : name, releasePath: 'helm.releases.primary' },
          { field: 'canaryService', release: typeof releases.canary === 'string' ? releases.canary : `${name}${CANARY_SUFFIX}`, releasePath: 'helm.releases.canary' },
        ];
        for (const { field, release, releasePath } of tracks) {
          const service = traffic[field];
          if (service !== undefined && service !== release) {
            ctx.addIssue({
              code: 'custom',
              path: ['traffic', field],
              message: `on target local a track's service is its release: expected "${release}" (${releasePath}), got "${String(service)}"; leave traffic.${field} unset or set it to the release name`,
            });
          }
        }
      }
      const explicitCanary = isRecord(helm?.releases) && helm.releases.canary !== undefined;
      if (typeof name === 'string' && !explicitCanary && name.length + CANARY_SUFFIX.length > MAX_RELEASE_NAME) {
        ctx.addIssue({
          code: 'custom',
          path: ['service', 'name'],
          message: `expected at most ${MAX_RELEASE_NAME - CANARY_SUFFIX.length} characters: the canary release "${name}${CANARY_SUFFIX}" would exceed Helm's ${MAX_RELEASE_NAME}; or set helm.releases.canary`,
        });
      }
    },
    // By default zod skips refinements once a field is bad; users want every bad field in one go.
    { when: (payload) => isRecord(payload.value) },
  );

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export type ConfigInput = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;

/** The config as the workflow receives it: every default and derived name filled in. */
export type ReleaseConfig = ParsedConfig & {
  helm: ParsedConfig['helm'] & { releases: { primary: string; canary: string } };
  traffic: ParsedConfig['traffic'] & { traefikService: string; primaryService: string; canaryService: string };
};

/** Fills the names DESIGN.md derives from `service.name`. */
export function resolveNames(config: ParsedConfig): ReleaseConfig {
  const name = config.service.name;
  const primary = config.helm.releases.primary ?? name;
  const canary = config.helm.releases.canary ?? `${name}${CANARY_SUFFIX}`;
  return {
    ...config,
    helm: { ...config.helm, releases: { primary, canary } },
    traffic: {
      ...config.traffic,
      traefikService: config.traffic.traefikService ?? name,
      primaryService: config.traffic.primaryService ?? primary,
      canaryService: config.traffic.canaryService ?? canary,
    },
  };
}
