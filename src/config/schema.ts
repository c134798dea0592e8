import { z } from 'zod';
import { DURATION_PATTERN, durationMs } from '../workflows/domain/duration';
import { MANN_WHITNEY_DEFAULTS } from '../workflows/domain/mann-whitney';
import { headerMatchProblem } from '../workflows/domain/match';
import { knownTimeZone, parseDays, parseTimeOfDay } from '../workflows/domain/windows';
import { valuePathProblem } from './value-paths';

/**
 * The release configuration (YAML). Unknown keys are errors so that a typo never silently falls back
 * to a default. Types come from `z.infer`; the resolved form (defaults and derived names filled in)
 * is what the workflow receives.
 */

/** Longest duration accepted: no interval or timeout of a release is longer than a day. */
const MAX_DURATION_MS = 24 * 3_600_000;

const duration = z.string().superRefine((text, ctx) => {
  if (!DURATION_PATTERN.test(text)) return ctx.addIssue({ code: 'custom', message: 'expected a duration like 500ms, 10s, 1m or 1h' });
  const ms = durationMs(text);
  // A zero interval or timeout would spin or give up at once; Prometheus refuses a zero range.
  if (ms <= 0) ctx.addIssue({ code: 'custom', message: 'expected a duration above zero, e.g. 500ms, 10s, 1m or 1h' });
  // 99999999999999999999h passes the pattern and becomes a timer Temporal cannot schedule (and a helm --timeout helm refuses).
  else if (ms > MAX_DURATION_MS) ctx.addIssue({ code: 'custom', message: 'expected a duration of at most 24h' });
});
/** Only http(s): the worker calls these URLs, and `file:` or `javascript:` would never work. */
const httpUrl = (message: string) => z.url({ protocol: /^https?$/, message });
/** `scheme://user:pass@host`: the config is the workflow input, so credentials would be readable in the Web UI. */
const HAS_CREDENTIALS = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i;
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

export { STRATEGIES, type Strategy } from '../workflows/domain/strategy';

/** Accepts `blue-green` as written on the CLI and in Flagger-style values. */
export const strategySchema = z.preprocess(
  (value) => (value === 'blue-green' ? 'blueGreen' : value === 'ab-testing' ? 'abTesting' : value),
  z.enum(['canary', 'blueGreen', 'abTesting', 'direct'], { message: 'expected canary, blueGreen (or blue-green), abTesting (or ab-testing) or direct' }),
);

export const WEBHOOK_TYPES = [
  'confirm-rollout',
  'pre-rollout',
  'rollout',
  'confirm-traffic-increase',
  'confirm-promotion',
  'post-rollout',
  'rollback',
  'event',
] as const;

const timeOfDay = z.string().refine((text) => parseTimeOfDay(text) !== null, { message: 'expected a wall-clock time HH:MM (or HH:MM:SS), e.g. "09:00"' });

export const deploymentWindowSchema = z
  .strictObject({
    days: z.string().superRefine((text, ctx) => {
      const days = parseDays(text);
      if ('problem' in days) ctx.addIssue({ code: 'custom', message: days.problem });
    }),
    from: timeOfDay,
    to: timeOfDay,
    timezone: z
      .string()
      .refine(knownTimeZone, { message: 'expected an IANA time zone, e.g. Europe/Berlin or UTC' })
      .optional(),
  })
  .refine((window) => parseTimeOfDay(window.from) !== parseTimeOfDay(window.to), { message: 'from and to are the same time: the window would be empty', path: ['to'] });

const instant = z.string().refine((text) => /^\d{4}-\d{2}-\d{2}T/.test(text) && Number.isFinite(Date.parse(text)), { message: 'expected an ISO date and time with its offset, e.g. 2026-12-24T00:00:00+01:00' });

export const freezeSchema = z
  .strictObject({ from: instant, to: instant, reason: z.string().min(1, { message: 'say why, e.g. "year-end change freeze"' }) })
  .refine((freeze) => !(Date.parse(freeze.to) > 0) || Date.parse(freeze.to) > Date.parse(freeze.from), { message: 'to must be after from', path: ['to'] });

const webhookSchema = z.strictObject({
  name: z.string().min(1),
  type: z.enum(WEBHOOK_TYPES, { message: `expected one of ${WEBHOOK_TYPES.join(', ')}` }),
  url: httpUrl('expected an http(s) URL').refine((url) => !HAS_CREDENTIALS.test(url), {
    // The config is the workflow input: a user:password in the URL would be readable in the Web UI.
    message: 'credentials in a webhook URL would be written into the Temporal history, which every Web UI user can read; use a URL without user:password (e.g. a cluster-internal service)',
  }),
  timeout: duration.default('10s'),
  metadata: z.record(z.string(), z.string()).default({}),
});

/** How far from the primary's value, measured in the same round with the same query, the canary may be. */
const changeBound = z.number().min(0, { message: 'expected how far from the primary the canary may be, at least 0' }).optional();
const relativeBounds = {
  /** At most this much below the primary (in the check's unit: percentage points for the success rate). */
  maxDecrease: changeBound,
  /** At most this many percent below the primary's value. */
  maxDecreasePercent: changeBound,
  /** At most this much above the primary (ms for the p99). */
  maxIncrease: changeBound,
  /** At most this many percent above the primary's value. */
  maxIncreasePercent: changeBound,
  /** Measured, recorded and shown, never counted toward a decision (Argo Rollouts' dryRun). */
  dryRun: z.boolean().optional(),
};
const RELATIVE_KEYS = ['maxDecrease', 'maxDecreasePercent', 'maxIncrease', 'maxIncreasePercent'] as const;
const hasRelativeBound = (metric: Partial<Record<(typeof RELATIVE_KEYS)[number], number>>) => RELATIVE_KEYS.some((key) => metric[key] !== undefined);

const customMetricSchema = z
  .strictObject({
    name: z.string().regex(/^[a-zA-Z][\w-]*$/, { message: 'expected a name of letters, digits, "-" and "_"' }),
    query: z.string().min(1, { message: 'expected a PromQL query' }),
    min: z.number().optional(),
    max: z.number().optional(),
    ...relativeBounds,
    /**
     * The primary's query for a relative bound, when `query` names its track itself (a Flagger
     * template's `{{ namespace }}-{{ target }}-canary-.*`); default: `query` with `{{ target }}` the primary.
     */
    primaryQuery: z.string().min(1, { message: 'expected a PromQL query' }).optional(),
    /**
     * A Flagger MetricTemplate the query came from (read when the config file was loaded: the query
     * above is the template's); kept for the record. Its `{{ target }}` is the workload (service.name).
     */
    templateRef: z.strictObject({ name: z.string().min(1), namespace: z.string().optional(), file: z.string().min(1) }).optional(),
    templateVariables: z.record(z.string(), z.string()).optional(),
  })
  .refine((metric) => metric.min !== undefined || metric.max !== undefined || hasRelativeBound(metric), {
    message: 'expected a threshold: set min (the value must stay at or above it), max (at or below it), or a bound against the primary (maxIncrease, maxIncreasePercent, maxDecrease, maxDecreasePercent)',
  })
  .refine((metric) => metric.templateRef === undefined || !hasRelativeBound(metric) || metric.primaryQuery !== undefined, {
    message:
      "a Flagger template names its track itself ({{ target }} is the workload, as in {{ namespace }}-{{ target }}-canary-.*): a bound against the primary needs primaryQuery, the same query for the primary's pods (e.g. -primary-.* for -canary-.*)",
    path: ['primaryQuery'],
  })
  .refine((metric) => metric.primaryQuery === undefined || hasRelativeBound(metric), {
    message: 'primaryQuery is only read by a bound against the primary: add maxIncrease, maxIncreasePercent, maxDecrease or maxDecreasePercent, or remove it',
    path: ['primaryQuery'],
  })
  .refine((metric) => metric.min === undefined || metric.max === undefined || metric.min <= metric.max, {
    message: 'min is above max: no value can pass the check; swap them (min is the lowest value allowed, max the highest)',
  });

/**
 * The guard between rounds (src/workflows/domain/guard.ts): severe bounds polled every `interval`,
 * breached `consecutive` polls in a row rolls back at once. Defaults: success rate below 90%, p99
 * above 5x its threshold.
 */
const guardSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    interval: duration.default('10s'),
    consecutive: z.number().int().min(1).max(100).default(2),
    checks: z
      .array(
        z
          .strictObject({
            name: z.string().min(1, { message: 'expected the name of a check: request-success-rate, request-duration or a metrics.custom name' }),
            min: z.number().optional(),
            max: z.number().optional(),
          })
          .refine((check) => check.min !== undefined || check.max !== undefined, { message: 'expected min or max: the severe bound the guard rolls back on' }),
      )
      .min(1, { message: 'expected at least one check (or guard: { enabled: false } to turn the guard off)' })
      .optional(),
  })
  .prefault({});

/** A dotted helm value path (`image.tag`); see value-paths.ts. */
const valuePath = z.string().superRefine((key, ctx) => {
  const problem = valuePathProblem(key);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});
/** Values for helm by dotted path, passed to helm whole and typed. */
const setValues = z.record(
  valuePath,
  z.union([z.string(), z.number().refine(Number.isFinite, { message: 'expected a finite number' }), z.boolean()]),
);

const headerMatchSchema = z
  .strictObject({ exact: z.string().optional(), regex: z.string().optional(), prefix: z.string().optional(), suffix: z.string().optional() })
  .superRefine((match, ctx) => {
    const problem = headerMatchProblem(match);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
/** One alternative of analysis.match: the headers that must all match (HTTP header names, any case). */
const matchRuleSchema = z.strictObject({
  headers: z
    .record(z.string().regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, { message: 'expected an HTTP header name, e.g. x-canary or cookie' }), headerMatchSchema)
    .refine((headers) => Object.keys(headers).length > 0, { message: 'expected at least one header, e.g. { x-canary: { exact: insider } }' }),
});

/** RFC 6265 cookie names are HTTP tokens. */
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

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
        versionValue: valuePath.default('image.tag'),
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
        /** Strategy abTesting on Kubernetes: the IngressRoute whose route sends to traefikService (default: traefikService's name); the A/B route `<ingressRoute>-ab` is created beside it. */
        ingressRoute: kubernetesName.optional(),
        /** Flagger's sessionAffinity: a sticky cookie on the weighted service, so a client keeps one version during the rollout. */
        sessionAffinity: z
          .strictObject({
            cookieName: z.string().regex(COOKIE_NAME, { message: 'expected a cookie name (letters, digits and !#$%&\'*+-.^_`|~), e.g. docutag-track' }),
            /** The cookie's Max-Age in seconds (Flagger's default: 86400, one day). */
            maxAge: z.number().int().min(1, { message: 'expected a Max-Age of at least 1 second, e.g. 86400' }).default(86400),
          })
          .optional(),
        /**
         * Blue-green only: during the analysis at 0% this share of the primary's requests is copied to
         * green (answers discarded), so green is judged on real traffic. Mirroring repeats every
         * request, writes included: only for services whose requests are safe to repeat.
         */
        mirror: z.strictObject({ percent: z.number().int().min(1, { message: 'expected 1-100 (percent of the primary\'s requests copied to green)' }).max(100, { message: 'expected 1-100 (percent of the primary\'s requests copied to green)' }).default(100) }).optional(),
      })
      .prefault({}),
    metricsServer: httpUrl('expected the Prometheus URL, e.g. http://prometheus.monitoring:9090')
      .refine((url) => !HAS_CREDENTIALS.test(url), {
        message: 'credentials in metricsServer would be written into the Temporal history, which every Web UI user can read; use the URL without user:password and give the worker its token (PROMETHEUS_BEARER_TOKEN, or DOCUTAG_PROMETHEUS_SERVERS)',
      })
      .optional(),
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
        /**
         * A/B testing (strategy abTesting): the requests that reach the canary, Flagger's vocabulary.
         * Alternatives; every header of one must match; a cookie is a regex on the `cookie` header.
         */
        match: z.array(matchRuleSchema).min(1, { message: 'expected at least one rule, e.g. [{ headers: { x-canary: { exact: insider } } }]' }).optional(),
        guard: guardSchema,
        /** `mannWhitney`: each round also compares canary and primary samples, Kayenta's way (absent: thresholds only). */
        judge: z.enum(['threshold', 'mannWhitney'], { message: 'expected threshold (the checks\' bounds only) or mannWhitney (also a statistical comparison with the primary)' }).optional(),
        mannWhitney: z
          .strictObject({
            /** One-sided: a check fails when the canary is worse with p below 1 − confidence. */
            confidence: z.number().gt(0.5, { message: 'expected a confidence between 0.5 and 1, e.g. 0.98' }).lt(1, { message: 'expected a confidence below 1, e.g. 0.98' }).default(0.98),
            /** The window of each sample (the queries' {{ interval }}); a round's samples span analysis.interval. */
            sampleInterval: duration.default('10s'),
            pass: percent.default(75),
            marginal: percent.default(50),
          })
          .refine((settings) => settings.marginal <= settings.pass, { message: 'marginal is above pass: a round would be marginal above the pass score; set marginal ≤ pass (Kayenta: pass 75, marginal 50)', path: ['marginal'] })
          .optional(),
      })
      .prefault({}),
    metrics: z
      .strictObject({
        requestSuccessRate: z
          .strictObject({
            enabled: z.boolean().default(true),
            // 0% passes every round: the check would never fail (turn it off with enabled: false instead).
            threshold: percent.refine((value) => value > 0, { message: 'expected a minimum success rate above 0% (0 passes every round; use enabled: false to turn the check off), e.g. 99' }).default(99),
            ...relativeBounds,
          })
          .prefault({}),
        requestDuration: z
          .strictObject({ enabled: z.boolean().default(true), threshold: z.number().positive().default(500), ...relativeBounds })
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
    /**
     * Values for the canary release only, over helm.set: e.g. `replicaCount: 1`, `autoscaling.enabled:
     * false`, so a canary at 10% does not cost a full copy. The primary's values never change by it:
     * promotion upgrades the primary with helm.set alone. Read by strategy canary only (a blue-green's
     * green takes all traffic at the switch, so it runs at full size; a direct release has no canary;
     * `start --strategy` and a migration may pick either, so it is not refused there).
     */
    canary: z.strictObject({ set: setValues.default({}) }).optional(),
    /** When releases may move forward: outside every window (or inside a freeze) a release waits, a canary holds its weight. */
    windows: z.array(deploymentWindowSchema).optional(),
    freezes: z.array(freezeSchema).optional(),
    /**
     * After promotion, the primary is analysed for `duration` more (its own success rate and latency):
     * `threshold` failed rounds revert it to the revision recorded before the release.
     */
    bake: z
      .strictObject({
        duration,
        /** Default: analysis.interval. */
        interval: duration.optional(),
        /** Failed rounds that revert; default: analysis.threshold. */
        threshold: z.number().int().min(1, { message: 'expected how many failed bake rounds revert, at least 1' }).optional(),
      })
      .optional(),
    drill: z
      .strictObject({
        version: z.string().regex(RELEASE_VERSION_PATTERN, { message: `expected a version: ${RELEASE_VERSION_HINT}` }),
        set: setValues.default({}),
        maxRestore: duration.default('5s'),
      })
      .optional(),
    migration: z
      .strictObject({ pilot: z.string().optional(), directReleasesToPass: z.number().int().min(1).default(3) })
      .optional(),
    /** Who is told. Each notifier delivers only where the worker's environment has its URL (a secret). */
    alerts: z
      .strictObject({
        slack: z.strictObject({ enabled: z.boolean().default(true), channel: z.string().optional() }).prefault({}),
        teams: z.strictObject({ enabled: z.boolean().default(true) }).prefault({}),
        discord: z.strictObject({ enabled: z.boolean().default(true) }).prefault({}),
        webhook: z.strictObject({ enabled: z.boolean().default(true) }).prefault({}),
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
      refuseUnsafeCombinations(config, ctx);
    },
    // By default zod skips refinements once a field is bad; users want every bad field in one go.
    { when: (payload) => isRecord(payload.value) },
  );

/** Kubernetes Service names are DNS-1035 labels: a letter first (a Helm release name may start with a digit). */
const DNS_1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
/** Path segments of helm.set / drill.set whose value is a credential (`db.password`, `auth.apiKey`); not `existingSecret`, `tokenSecretName`. */
const SECRET_SEGMENT = /(password|passwd|secret|token|api[-_]?key|private[-_]?key|access[-_]?key|credential)/i;
const SECRET_REFERENCE = /(^existing|name$|ref$|file$|path$|enabled$)/i;

type Issue = { path: PropertyKey[]; message: string };

/**
 * Combinations each field's own check cannot see, and that would hurt production or never work:
 * the canary release or Service being the primary's (the canary install upgrades production in
 * place; a failed check uninstalls it), weights above maxWeight, Service names Kubernetes refuses,
 * secrets in helm values. The value may be partly invalid here: every read is guarded.
 */
function refuseUnsafeCombinations(config: Record<string, unknown>, ctx: { addIssue(issue: Issue & { code: 'custom' }): void }): void {
  const add = (path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const service = isRecord(config.service) ? config.service : {};
  const name = typeof service.name === 'string' ? service.name : undefined;
  const helm = isRecord(config.helm) ? config.helm : {};
  const releases = isRecord(helm.releases) ? helm.releases : {};
  const traffic = isRecord(config.traffic) ? config.traffic : {};
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  if (name !== undefined) {
    const primary = text(releases.primary) ?? name;
    const canary = text(releases.canary) ?? `${name}${CANARY_SUFFIX}`;
    if (primary === canary) {
      add(['helm', 'releases', releases.canary !== undefined ? 'canary' : 'primary'], `the canary release is the primary release "${primary}": installing the canary would upgrade production in place, and a rollback would uninstall it; give helm.releases.canary another name (default "${name}${CANARY_SUFFIX}")`);
    }
    const primaryService = text(traffic.primaryService) ?? primary;
    const canaryService = text(traffic.canaryService) ?? canary;
    if (primaryService === canaryService && primary !== canary) {
      add(['traffic', traffic.canaryService !== undefined ? 'canaryService' : 'primaryService'], `traffic.canaryService is the primary's Service "${primaryService}": every weight would go to production and the canary would never be measured; set traffic.canaryService to the canary release's Service (default "${canary}")`);
    }
    if (config.target !== 'local') {
      for (const [field, resolved, source] of [
        ['primaryService', primaryService, traffic.primaryService !== undefined ? 'traffic.primaryService' : releases.primary !== undefined ? 'helm.releases.primary' : 'service.name'],
        ['canaryService', canaryService, traffic.canaryService !== undefined ? 'traffic.canaryService' : releases.canary !== undefined ? 'helm.releases.canary' : 'service.name'],
      ] as const) {
        if (DNS_1035.test(resolved) || !/^[a-z0-9]/.test(resolved)) continue;
        add(source.split('.'), `the ${field === 'primaryService' ? 'primary' : 'canary'} Service would be named "${resolved}", but Kubernetes Service names start with a letter (DNS-1035); set traffic.${field} to the Service's real name`);
      }
    }
  }
  const abTesting = config.strategy === 'abTesting' || config.strategy === 'ab-testing';
  const analysisBlock = isRecord(config.analysis) ? config.analysis : {};
  if (abTesting && analysisBlock.match === undefined) {
    add(['analysis', 'match'], 'required for strategy abTesting: the requests that reach the canary, e.g. [{ headers: { x-canary: { exact: insider } } }] or [{ headers: { cookie: { regex: "^(.*?;)?(canary=always)(;.*)?$" } } }]');
  }
  if (!abTesting && analysisBlock.match !== undefined) {
    add(['analysis', 'match'], 'only read with strategy abTesting (A/B testing routes the matching requests to the canary); set strategy: abTesting, or remove analysis.match');
  }
  if (traffic.mirror !== undefined && config.strategy !== 'blueGreen' && config.strategy !== 'blue-green') {
    add(['traffic', 'mirror'], `mirroring copies the primary's requests to green during a blue-green's analysis at 0%; strategy ${typeof config.strategy === 'string' ? config.strategy : 'canary (default)'} sends real traffic to the canary instead: set strategy: blueGreen, or remove traffic.mirror`);
  }
  const analysis = isRecord(config.analysis) ? config.analysis : {};
  const judge = isRecord(analysis.mannWhitney) ? analysis.mannWhitney : {};
  const durationOf = (value: unknown, fallback: string) => (typeof value === 'string' && DURATION_PATTERN.test(value) ? durationMs(value) : value === undefined ? durationMs(fallback) : null);
  const sampleMs = durationOf(judge.sampleInterval, '10s');
  const intervalMs = durationOf(analysis.interval, '1m');
  if (analysis.judge === 'mannWhitney' && sampleMs !== null && intervalMs !== null && intervalMs < MANN_WHITNEY_DEFAULTS.minSamples * sampleMs) {
    add(['analysis', 'mannWhitney', 'sampleInterval'], `${typeof judge.sampleInterval === 'string' ? judge.sampleInterval : '10s (default)'} gives ${Math.floor(intervalMs / sampleMs)} sample(s) per analysis.interval; the comparison needs at least ${MANN_WHITNEY_DEFAULTS.minSamples} per track (with fewer it can hardly ever find a difference): shorten sampleInterval or lengthen analysis.interval`);
  }
  if (analysis.mannWhitney !== undefined && analysis.judge !== 'mannWhitney') {
    add(['analysis', 'mannWhitney'], 'only read with analysis.judge: mannWhitney; set the judge, or remove this block');
  }
  const isWeight = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 100;
  // A bad maxWeight is reported by its own check; comparing with it would blame the steps too.
  const maxWeight = analysis.maxWeight === undefined ? 100 : isWeight(analysis.maxWeight) ? analysis.maxWeight : undefined;
  if (maxWeight === undefined) {
    // nothing to compare with
  } else if (Array.isArray(analysis.stepWeights)) {
    analysis.stepWeights.forEach((weight, index) => {
      if (isWeight(weight) && weight > maxWeight) add(['analysis', 'stepWeights', index], `${weight} is above analysis.maxWeight (${maxWeight}): the step would be skipped; remove it or raise maxWeight`);
    });
  } else if (isWeight(analysis.stepWeight) && analysis.stepWeight > maxWeight) {
    add(['analysis', 'stepWeight'], `${analysis.stepWeight} (default 10) is above analysis.maxWeight (${maxWeight}): the canary would jump to ${maxWeight}% in one step; set stepWeight to at most ${maxWeight}`);
  }
  const guard = isRecord(analysis.guard) ? analysis.guard : {};
  if (Array.isArray(guard.checks)) {
    const metrics = isRecord(config.metrics) ? config.metrics : {};
    const enabled = (check: unknown) => !isRecord(check) || check.enabled !== false;
    const known = [
      ...(enabled(metrics.requestSuccessRate) ? ['request-success-rate'] : []),
      ...(enabled(metrics.requestDuration) ? ['request-duration'] : []),
      ...(Array.isArray(metrics.custom) ? metrics.custom.flatMap((custom) => (isRecord(custom) && typeof custom.name === 'string' ? [custom.name] : [])) : []),
    ];
    const dryRun = [
      ...(isRecord(metrics.requestSuccessRate) && metrics.requestSuccessRate.dryRun === true ? ['request-success-rate'] : []),
      ...(isRecord(metrics.requestDuration) && metrics.requestDuration.dryRun === true ? ['request-duration'] : []),
      ...(Array.isArray(metrics.custom) ? metrics.custom.flatMap((custom) => (isRecord(custom) && custom.dryRun === true && typeof custom.name === 'string' ? [custom.name] : [])) : []),
    ];
    guard.checks.forEach((check, index) => {
      if (isRecord(check) && typeof check.name === 'string' && dryRun.includes(check.name)) {
        add(['analysis', 'guard', 'checks', index, 'name'], `"${check.name}" is a dry-run check: it never decides, so the guard does not poll it; remove dryRun from the check or this guard entry`);
      } else if (isRecord(check) && typeof check.name === 'string' && check.name && !known.includes(check.name)) {
        add(['analysis', 'guard', 'checks', index, 'name'], `"${check.name}" is not one of this config's checks (${known.join(', ') || 'none'}): the guard polls a check's own query; name one of those`);
      }
    });
  }
  const setBlocks: Array<[PropertyKey[], unknown]> = [
    [['helm', 'set'], helm.set],
    [['drill', 'set'], isRecord(config.drill) ? config.drill.set : undefined],
    [['canary', 'set'], isRecord(config.canary) ? config.canary.set : undefined],
  ];

  for (const [path, set] of setBlocks) {
    if (!isRecord(set)) continue;
    for (const [key, value] of Object.entries(set)) {
      const secretSegment = key.split('.').find((segment) => SECRET_SEGMENT.test(segment) && !SECRET_REFERENCE.test(segment));
      if (secretSegment && typeof value !== 'boolean') {
        add([...path, key], `"${secretSegment}" looks like a secret, and helm values in the config are written into the Temporal history, which every Web UI user can read; keep it in a Kubernetes Secret the chart references (e.g. existingSecret), or in a values file on the worker (helm.valuesFiles)`);
      }
    }
  }
}

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
