import { Context } from '@temporalio/activity';
import type { CheckQuery } from '../workflows/domain/queries';
import { lostRollback } from '../workflows/domain/revert';
import { compareSampled, withComparisons, type ComparedQuery, type ComparisonSettings, type SampledAnswer, type SamplesOutcome } from '../workflows/domain/mann-whitney';
import { judgeGuardPoll, type GuardCheck, type GuardStreaks } from '../workflows/domain/guard';
import { analysisErrorCheck, judgeRound, normaliseOutcome, type CheckResult, type MetricOutcome, type MetricReading, type RoundVerdict } from '../workflows/domain/analysis';
import axios from 'axios';
import type { ConfigIssue } from '../config/errors';
import type { Freeze } from '../workflows/domain/windows';
import { checkConfigInput, checkReleaseInput, type ReleaseInputCheck, type WorkerRefusals } from '../config/release-input';
import { gateActivityPollMs, gateVerdict, rollbackHookVerdict, webhookCheck, type GateType, type WebhookOutcome, type WebhookPayload } from '../workflows/domain/webhooks';
import { HttpWebhookCaller } from './adapters/http-webhook-caller';
import { asApplicationFailure, asFailure, FAILURE_TYPES, failureTypeOf } from './failures';
import { heartbeat } from './heartbeat';
import type {
  Deployer,
  HelmTarget,
  MetricsProvider,
  Notifier,
  NotifyRequest,
  ReadinessChecker,
  ReleaseHistoryEntry,
  ReleaseRevision,
  TestRun,
  TrafficRouter,
  TrafficSplit,
  TrafficWeights,
  WebhookCaller,
  WebhookTarget,
} from './ports';

/** The adapters an activity set runs on; the worker builds them from its environment. */
export interface ActivityDeps {
  deployer: Deployer;
  readiness: ReadinessChecker;
  router: TrafficRouter;
  /**
   * The metrics provider for a Prometheus URL (the config's metricsServer), or the worker's
   * PROMETHEUS_URL when absent. Throws (before any request) for a URL the worker does not list:
   * its tokens go only to its own servers.
   */
  metricsFor(serverUrl?: string): MetricsProvider;
  notifier: Notifier;
  /** Calls the config's webhooks; an HTTP caller with default settings when absent. */
  webhooks?: WebhookCaller;
  /** Why the worker cannot act in a kube context a config names (null: it can); absent on targets without one. */
  kubeContextRefusal?(context: string): string | null;
}

/** What the worker's environment adds to the activities (the deps are read live: tests swap an adapter in place). */
export interface WorkerFacts {
  /** Worker-wide freezes (DOCUTAG_FREEZES): every release this worker runs waits them out. */
  freezes?: Freeze[];
}

/** What the guard saw in one analysis interval: the breach that ends the release (its reason), or none. */
export interface GuardWatchResult {
  breach: string | null;
  polls: number;
  /** When the run of breached polls began (epoch ms): the detection time starts there. */
  firstBreachMs?: number;
}

/** The rollback's heartbeat: the newest revision before its first attempt, so a retry can tell whether that attempt landed. */
interface RollbackProgress {
  release: string;
  newestBefore: number;
  /** What a retry waits for, for the Web UI's pending-activity view. */
  waiting?: string;
}

/** How often a retry looks at a lost attempt's pending rollback. */
const ROLLBACK_POLL_MS = 2_000;

/** The install's heartbeat: whether this attempt was refused by another operation's lock (the next one must not unlock it). */
interface InstallProgress {
  release: string;
  locked: boolean;
}

/** The guard's heartbeat: what a retry resumes from. */
interface GuardProgress {
  elapsedMs: number;
  streaks: GuardStreaks;
  polls: number;
  /** The times of the latest polls, newest last (as many as `consecutive`). */
  pollTimes?: number[];
}

/** How a gate's wait ended: open, a rollback asked by a hook, or still closed (a new answer, or the wait's time is up). */
export type GateWaitResult = { kind: 'open'; note: string } | { kind: 'rollback'; reason: string } | { kind: 'waiting'; note: string; waitingFor: string };

/**
 * How a confirm-promotion wait ended, with the analysis rounds that passed meanwhile (`passedRounds`,
 * the latest one's `checks`): the gate opened, a rollback hook fired, the gate's answer changed or
 * the wait's share of rounds or time is up (`waiting`), or a round did not pass (the workflow judges it).
 */
export type PromotionWaitResult = { passedRounds: number; checks: CheckResult[] | null } & (
  | { kind: 'open'; note: string }
  | { kind: 'rollback'; reason: string }
  | { kind: 'waiting'; note: string; waitingFor: string }
  | { kind: 'failedRound'; verdict: RoundVerdict }
);

type HookCall = { hook: WebhookTarget; payload: WebhookPayload };

/**
 * Thin activities over the ports: they return facts (a revision, weights, readings) and leave every
 * decision to the workflow, so each verdict and its reason lands in the history.
 */
export function createActivities(deps: ActivityDeps, facts: WorkerFacts = {}) {
  const webhooks = deps.webhooks ?? new HttpWebhookCaller(axios.create());
  /** One webhook call; a refused connection or a timeout is an answer too (no status), never a throw. */
  /** The lost attempt's rollback once it landed (waiting while it is pending, up to helm's timeout), or null when it never happened or failed. */
  const lostRollbackLanded = async (args: { target: HelmTarget; release: string; revision: number }, newestBefore: number): Promise<ReleaseRevision | null> => {
    const deadline = Date.now() + args.target.timeoutMs + 30_000;
    for (;;) {
      const found = lostRollback(await deps.deployer.history({ ...args, max: 10 }), newestBefore, args.revision);
      if (found.kind === 'landed') return deps.deployer.describe({ target: args.target, release: args.release });
      if (found.kind === 'none' || Date.now() > deadline) return null;
      // The progress goes again with every beat: a string here would erase newestBefore, and a third attempt would roll back twice.
      heartbeat({ release: args.release, newestBefore, waiting: `the lost attempt's helm rollback ${args.release} ${args.revision}` } satisfies RollbackProgress);
      // Context.sleep ends at a cancellation (a heartbeat timeout): a lost attempt stops polling.
      await Context.current().sleep(ROLLBACK_POLL_MS);
    }
  };
  const callHook = async (args: HookCall): Promise<WebhookOutcome> => {
    try {
      return await webhooks.call(args);
    } catch (error) {
      return { passed: false, status: null, message: `webhook ${args.hook.name} could not be called: ${(error as Error).message}` };
    }
  };
  /** Hooks called side by side, each answer with its hook. */
  const call = (hooks: HookCall[]) => Promise.all(hooks.map(async (each) => ({ hook: each.hook, outcome: await callHook(each) })));
  /** One query's answer as an outcome: a provider that throws or breaks its contract is a reading too. */
  const outcomeOf = async (metrics: MetricsProvider, query: string): Promise<MetricOutcome> => {
    try {
      return normaliseOutcome(await metrics.query({ query }));
    } catch (error) {
      return { kind: 'error', message: `the metrics provider failed: ${error instanceof Error ? error.message : String(error)}` };
    }
  };
  /** One check's reading: its query's answer, and for a bound against the primary the primary's answer too (the two run side by side). */
  const readingOf = async (metrics: MetricsProvider, { query, reference, ...check }: CheckQuery): Promise<MetricReading> => {
    if (!reference) return { ...check, outcome: await outcomeOf(metrics, query) };
    const [outcome, referenceOutcome] = await Promise.all([outcomeOf(metrics, query), outcomeOf(metrics, reference.query)]);
    return { ...check, reference: { change: reference.change }, outcome, referenceOutcome };
  };
  /** Each compared check's samples on both tracks over the last `windowMs`, one every `stepMs` (range queries side by side). */
  const samplesOf = async (metrics: MetricsProvider, checks: ComparedQuery[], settings: Pick<ComparisonSettings, 'windowMs' | 'stepMs'>): Promise<SampledAnswer[]> => {
    const endMs = Date.now();
    const range = async (query: string): Promise<SamplesOutcome> => {
      if (!metrics.queryRange) return { kind: 'error', message: 'this metrics provider answers no range queries; the mannWhitney judge needs Prometheus' };
      try {
        return await metrics.queryRange({ query, startMs: endMs - settings.windowMs + settings.stepMs, endMs, stepMs: settings.stepMs });
      } catch (error) {
        return { kind: 'error', message: `the metrics provider failed: ${error instanceof Error ? error.message : String(error)}` };
      }
    };
    return Promise.all(
      checks.map(async ({ query, primaryQuery, ...check }) => {
        const [canary, primary] = await Promise.all([range(query), range(primaryQuery)]);
        return { ...check, canary, primary };
      }),
    );
  };
  const refusals: WorkerRefusals = {
    metricsServer: (metricsServer) => {
      if (metricsServer === undefined) return null;
      try {
        deps.metricsFor(metricsServer);
        return null;
      } catch (error) {
        return (error as Error).message;
      }
    },
    kubeContext: (context) => deps.kubeContextRefusal?.(context) ?? null,
  };
  return {
    /**
     * The worker's check of a release input before anything acts on it (schema, version, and a
     * metricsServer it would send a token to). Returns every issue, or the input as resolved; a
     * local activity: it reads nothing outside the worker.
     */
    async checkReleaseInput(args: { input: unknown }): Promise<ReleaseInputCheck> {
      return checkReleaseInput(args.input, refusals);
    },

    /** The same check of the config in a drill's or a migration's input (issues only: the workflow keeps its input). */
    async checkConfigInput(args: { config: unknown }): Promise<{ issues: ConfigIssue[] }> {
      return { issues: checkConfigInput(args.config, refusals).issues };
    },

    async describeRelease(args: { target: HelmTarget; release: string; revision?: number }): Promise<ReleaseRevision | null> {
      return deps.deployer.describe(args);
    },

    /** The release's last `max` revisions, oldest first; empty when it is not installed. */
    async releaseHistory(args: { target: HelmTarget; release: string; max: number }): Promise<ReleaseHistoryEntry[]> {
      return deps.deployer.history(args);
    },

    async installRelease(args: { target: HelmTarget; release: string; version: string; extraSet?: Record<string, string | number | boolean> }): Promise<ReleaseRevision> {
      const { attempt, heartbeatDetails } = Context.current().info;
      // A retry after a lost attempt (a worker killed mid-helm) unlocks the pending-* release that attempt left;
      // a retry after a refusal ("another operation is in progress") waits for the lock's holder, who is not us.
      const refusedBefore = (heartbeatDetails as InstallProgress | undefined)?.locked === true;
      heartbeat({ release: args.release, locked: false } satisfies InstallProgress);
      try {
        return await deps.deployer.install({ ...args, recoverPending: attempt > 1 && !refusedBefore });
      } catch (error) {
        if (failureTypeOf(error) === FAILURE_TYPES.releaseLocked) heartbeat({ release: args.release, locked: true } satisfies InstallProgress);
        throw asApplicationFailure(error, FAILURE_TYPES.deploy);
      }
    },

    async waitReady(args: { namespace: string; name: string; timeoutMs: number; kubeContext?: string }): Promise<void> {
      return asFailure(FAILURE_TYPES.notReady, () => deps.readiness.waitReady({ ...args, onProgress: (detail) => heartbeat(detail) }));
    },

    async runTests(args: { target: HelmTarget; release: string; timeoutMs: number }): Promise<TestRun> {
      heartbeat(`testing ${args.release}`);
      return deps.deployer.test(args);
    },

    /**
     * `helm rollback <release> <revision> --wait`, exactly once across attempts: the first records the
     * newest revision before it (heartbeat details); a retry after a lost attempt returns that
     * attempt's rollback if it landed, waits for it if its helm is still finishing, and rolls back
     * only when it never happened.
     */
    async rollbackRelease(args: { target: HelmTarget; release: string; revision: number }): Promise<ReleaseRevision> {
      return asFailure(FAILURE_TYPES.deploy, async () => {
        const { attempt, heartbeatDetails } = Context.current().info;
        const recorded = (heartbeatDetails as RollbackProgress | undefined)?.newestBefore;
        if (attempt > 1 && typeof recorded === 'number') {
          // Recorded for this attempt at once: an adapter's tick (a slow helm history) re-sends the last details, never none.
          heartbeat({ release: args.release, newestBefore: recorded } satisfies RollbackProgress);
          const landed = await lostRollbackLanded(args, recorded);
          if (landed) return landed;
        }
        const newestBefore = recorded ?? (await deps.deployer.history({ ...args, max: 1 })).at(-1)?.revision ?? 0;
        heartbeat({ release: args.release, newestBefore } satisfies RollbackProgress);
        return deps.deployer.rollback(args);
      });
    },

    async uninstallRelease(args: { target: HelmTarget; release: string }): Promise<void> {
      return deps.deployer.uninstall(args);
    },

    /** Retryable on failure: traffic must end in a decided state, so the workflow's retry policy keeps trying. */
    async setWeights(args: { split: TrafficSplit; weights: TrafficWeights }): Promise<{ changed: boolean; weights: TrafficWeights }> {
      const { changed } = await deps.router.setWeights(args);
      return { changed, weights: args.weights };
    },

    async getWeights(args: { split: TrafficSplit }): Promise<TrafficWeights> {
      return deps.router.getWeights(args);
    },

    /**
     * The statistical judge's samples of one round (analysis.judge mannWhitney): each compared check's
     * range query on both tracks over the last interval. Failures are outcomes, never thrown.
     */
    async sampleChecks(args: { checks: ComparedQuery[]; windowMs: number; stepMs: number; metricsServer?: string }): Promise<SampledAnswer[]> {
      const metrics = await asFailure(FAILURE_TYPES.metricsServer, async () => deps.metricsFor(args.metricsServer));
      return samplesOf(metrics, args.checks, args);
    },

    /**
     * Runs every check's query; every answer becomes a reading for the workflow to judge, never a
     * thrown error. A provider that breaks its contract (throws, or returns a non-finite value) is
     * caught here too, so no NaN or ±Inf reaches the history as `null`. A metricsServer the worker
     * does not list fails non-retryably (MetricsServerRefused), unqueried.
     */
    async queryChecks(args: { checks: CheckQuery[]; metricsServer?: string }): Promise<MetricReading[]> {
      const metrics = await asFailure(FAILURE_TYPES.metricsServer, async () => deps.metricsFor(args.metricsServer));
      return Promise.all(args.checks.map((check) => readingOf(metrics, check)));
    },

    /**
     * The guard between two rounds: polls the guarded checks every `pollMs` for `durationMs`
     * (the analysis interval) and returns early on a breach. One activity per round keeps the
     * history small; it heartbeats its progress, so a retry after a lost worker resumes where the
     * last poll left off (elapsed time and streaks), and the workflow cancels it when a person steers.
     * Answers that are no data, NaN or errors are not breaches: they only break a run of breaches.
     */
    async guardTrack(args: { checks: GuardCheck[]; pollMs: number; consecutive: number; durationMs: number; metricsServer?: string }): Promise<GuardWatchResult> {
      const context = Context.current();
      const resumed = context.info.heartbeatDetails as GuardProgress | undefined;
      const metrics = await asFailure(FAILURE_TYPES.metricsServer, async () => deps.metricsFor(args.metricsServer));
      const startedMs = Date.now() - (resumed?.elapsedMs ?? 0);
      let streaks: GuardStreaks = resumed?.streaks ?? {};
      let polls = resumed?.polls ?? 0;
      let pollTimes = resumed?.pollTimes ?? [];
      const progress = (): GuardProgress => ({ elapsedMs: Date.now() - startedMs, streaks, polls, pollTimes });
      context.heartbeat(progress());
      for (;;) {
        // The last poll of an interval would race the round's own query: the round judges that moment.
        const remainingMs = args.durationMs - (Date.now() - startedMs);
        if (remainingMs <= args.pollMs) {
          if (remainingMs > 0) await context.sleep(remainingMs);
          return { breach: null, polls };
        }
        await context.sleep(args.pollMs);
        const outcomes = await Promise.all(args.checks.map(({ query }) => outcomeOf(metrics, query)));
        polls += 1;
        pollTimes = [...pollTimes, Date.now()].slice(-args.consecutive);
        const judged = judgeGuardPoll(args.checks, outcomes, streaks, args.consecutive);
        streaks = judged.streaks;
        context.heartbeat(progress());
        if (judged.breach) return { breach: judged.breach, polls, firstBreachMs: pollTimes[0]! };
      }
    },

    /**
     * A confirm gate's long wait in one activity: calls the gate's hooks every poll (the analysis
     * interval within 100 ms - 10 s) and the rollback hooks beside them, and
     * returns when the gate opens, a rollback hook fires, the gate's answer changes from `lastNote`
     * (so the workflow records it), or after `maxMs`. A wait of days costs a few events per hour, not
     * per poll; a retry after a lost worker starts polling again, and steering cancels it.
     */
    async waitForGate(args: {
      type: Exclude<GateType, 'confirm-promotion'>;
      /** The gate's hooks, each with the payload it gets (Flagger's, with the hook's metadata). */
      hooks: HookCall[];
      rollbackHooks: HookCall[];
      intervalMs: number;
      lastNote: string;
      maxMs: number;
    }): Promise<GateWaitResult> {
      const context = Context.current();
      const startedMs = Date.now();
      for (let poll = 0; ; poll++) {
        if (args.rollbackHooks.length) {
          const rollback = rollbackHookVerdict(await call(args.rollbackHooks));
          if (rollback.rollback) return { kind: 'rollback', reason: rollback.reason };
        }
        const verdict = gateVerdict(args.type, await call(args.hooks));
        context.heartbeat({ poll });
        if (verdict.open) return { kind: 'open', note: verdict.note };
        if (verdict.note !== args.lastNote || Date.now() - startedMs >= args.maxMs) return { kind: 'waiting', note: verdict.note, waitingFor: verdict.waitingFor };
        await context.sleep(gateActivityPollMs(args.intervalMs));
      }
    },

    /**
     * Flagger's confirm-promotion in one activity: the gate's hooks are called, then every analysis
     * interval the rollback hooks and one analysis round (the rollout hooks, then the metric checks),
     * as the workflow would. Returns when the gate opens, a rollback hook fires, a round does not pass,
     * the gate's answer changes from `lastNote`, or after `maxRounds` passed rounds or `maxMs`, so the
     * status stays fresh and a wait of days costs a few events per `maxMs`, not per round.
     */
    async waitForPromotion(args: {
      hooks: HookCall[];
      rollbackHooks: HookCall[];
      rolloutHooks: HookCall[];
      checks: CheckQuery[];
      /** With analysis.judge mannWhitney: the compared checks and the judge's settings. */
      comparison?: { checks: ComparedQuery[]; settings: ComparisonSettings };
      metricsServer?: string;
      intervalMs: number;
      lastNote: string;
      maxRounds: number;
      maxMs: number;
    }): Promise<PromotionWaitResult> {
      const context = Context.current();
      const startedMs = Date.now();
      let passedRounds = 0;
      let checks: CheckResult[] | null = null;
      // A round as the workflow measures it; whatever goes wrong inside it is a failed check named `analysis error`.
      const round = async (): Promise<RoundVerdict> => {
        const hookChecks = (await call(args.rolloutHooks)).map(({ hook, outcome }) => webhookCheck(hook, outcome));
        if (!hookChecks.every((check) => check.passed)) return { passed: false, checks: hookChecks };
        context.heartbeat({ passedRounds });
        try {
          const metrics = deps.metricsFor(args.metricsServer);
          const [readings, sampled] = await Promise.all([Promise.all(args.checks.map((check) => readingOf(metrics, check))), args.comparison ? samplesOf(metrics, args.comparison.checks, args.comparison.settings) : null]);
          const judged = judgeRound(readings);
          const verdict = sampled && args.comparison ? withComparisons(judged, compareSampled(sampled, args.comparison.settings.confidence), args.comparison.settings) : judged;
          return { ...verdict, checks: [...hookChecks, ...verdict.checks] };
        } catch (error) {
          return { passed: false, checks: [...hookChecks, analysisErrorCheck(error instanceof Error ? error.message : String(error))] };
        }
      };
      for (;;) {
        const gate = gateVerdict('confirm-promotion', await call(args.hooks));
        context.heartbeat({ passedRounds });
        if (gate.open) return { kind: 'open', note: gate.note, passedRounds, checks };
        if (gate.note !== args.lastNote || passedRounds >= args.maxRounds || Date.now() - startedMs >= args.maxMs) return { kind: 'waiting', note: gate.note, waitingFor: gate.waitingFor, passedRounds, checks };
        // The analysis interval, heartbeating: a lost worker is noticed within one poll, not one interval.
        for (let leftMs = args.intervalMs; leftMs > 0; leftMs -= gateActivityPollMs(leftMs)) {
          await context.sleep(gateActivityPollMs(leftMs));
          context.heartbeat({ passedRounds });
        }
        const rollback = args.rollbackHooks.length ? rollbackHookVerdict(await call(args.rollbackHooks)) : null;
        context.heartbeat({ passedRounds });
        if (rollback?.rollback) return { kind: 'rollback', reason: rollback.reason, passedRounds, checks };
        const verdict = await round();
        context.heartbeat({ passedRounds });
        if (!verdict.passed) return { kind: 'failedRound', verdict, passedRounds, checks };
        passedRounds += 1;
        checks = verdict.checks;
      }
    },

    /**
     * Calls one webhook and returns what it answered. Never throws for an answer, a timeout or a
     * refused connection: the workflow judges the outcome (gate closed, failed check, rollback asked).
     */
    async callWebhook(args: { hook: WebhookTarget; payload: WebhookPayload }): Promise<WebhookOutcome> {
      return callHook(args);
    },

    /**
     * Flagger's `event` webhooks: POSTs each call in order (one hook's events arrive as they happened)
     * and reports the ones that did not pass (the workflow notes them). Never thrown: an event never changes a release.
     */
    async deliverEvents({ calls }: { calls: HookCall[] }): Promise<{ failed: string[] }> {
      const failed: string[] = [];
      for (const each of calls) {
        const outcome = await callHook(each);
        if (outcome.status === null || outcome.status < 200 || outcome.status >= 300) {
          const note = `${each.hook.name}: ${outcome.status === null ? outcome.message : `HTTP ${outcome.status}`}`;
          failed.push(note);
        }
      }
      return { failed };
    },

    /** The worker's own freezes (DOCUTAG_FREEZES), read by the workflow at its start and before each forward step. */
    async workerFreezes(): Promise<Freeze[]> {
      return facts.freezes ?? [];
    },

    async notify(args: NotifyRequest): Promise<void> {
      await deps.notifier.post(args);
    },
  };
}

export type ReleaseActivities = ReturnType<typeof createActivities>;
