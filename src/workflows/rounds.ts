/*
 * The analysis rounds of a release: the interval between them (steered, and watched by the guard),
 * one round's measurement (rollout webhooks, then the metric checks), and the canary's decision.
 */
import { condition, isCancellation, proxyActivities } from '@temporalio/workflow';
import type { ReleaseActivities } from '../activities';
import { analysisErrorCheck, compareSampled, decideRound, withComparisons, guardChecks, guardRuns, judgeRound, webhookCheck, type CheckQuery, type CheckResult, type ComparedQuery, type ComparisonSettings, type GuardCheck, type HookSpec, type HookType, type RoundDecision, type RoundVerdict } from './domain';
import type { Steering } from './steering';
import type { ReleaseTimings } from './timings';
import { failureMessage, unlessSteered, type HookAnswer } from './steered';
import type { ReleaseInput, ReleaseStatus } from './types';

/** How an interval's wait ended: a person steered, it elapsed, or the guard saw a breach. */
export type IntervalEnd = 'abort' | 'promote' | 'elapsed' | { guard: string };

/** What the rounds need of the release they belong to (run.ts's ReleaseRun). */
/** The statistical judge of a release's rounds: what it compares, and how it scores. */
export interface RoundComparison {
  checks: ComparedQuery[];
  settings: ComparisonSettings;
}

export interface RoundsHost {
  readonly config: ReleaseInput['config'];
  readonly status: ReleaseStatus;
  readonly steering: Steering;
  readonly timings: Pick<ReleaseTimings, 'intervalMs' | 'guardIntervalMs'>;
  readonly comparison: RoundComparison | null;
  /** Whether a round's unexpected error is a failed check (CHECKPOINTS_PATCH). */
  readonly checkpoints: boolean;
  readonly hooks: { hooksOf(type: HookType): HookSpec[]; callHooks(hooks: HookSpec[]): Promise<HookAnswer[]> };
  firstFailedCheckMs: number | null;
  record(message: string): void;
  showChecks(checks: RoundVerdict['checks']): void;
  holdWhilePaused(): Promise<void>;
}

export class Rounds {
  /** The guard's activity: one per analysis interval, heartbeating every poll. */
  private readonly guardActs: Pick<ReleaseActivities, 'guardTrack'>;

  /** `guarded`: whether this run's intervals may be guarded (releases recorded before GUARD_PATCH wait on a timer). */
  constructor(
    private readonly run: RoundsHost,
    private readonly analysis: Pick<ReleaseActivities, 'queryChecks' | 'sampleChecks'>,
    private readonly guarded: boolean,
  ) {
    const { intervalMs, guardIntervalMs } = run.timings;
    this.guardActs = proxyActivities<ReleaseActivities>({
      startToCloseTimeout: intervalMs + 120_000,
      // Three polls without a heartbeat mean a lost worker: the retry resumes from the last poll.
      heartbeatTimeout: Math.max(30_000, 3 * guardIntervalMs),
      retry: { initialInterval: '1s', maximumAttempts: 3 },
    });
  }

  /** The guard's checks over a round's checks (none when the guard is off or this run predates it). */
  guardOn(checks: readonly CheckQuery[]): GuardCheck[] {
    if (!this.guarded) return [];
    const guarded = guardChecks(this.run.config.analysis.guard, checks);
    return guardRuns(this.run.config.analysis.guard, this.run.timings.intervalMs, this.run.timings.guardIntervalMs, guarded) ? guarded : [];
  }

  /**
   * Waits one analysis interval; a pause restarts it after resume so every round sees a full window.
   * With `guarded` checks, the guard polls them meanwhile and a breach ends the wait at once.
   */
  async waitInterval(guarded: readonly GuardCheck[] = []): Promise<IntervalEnd> {
    const { steering } = this.run;
    for (;;) {
      const watched = guarded.length ? await this.guardedWait(guarded) : await this.steeredWithin(this.run.timings.intervalMs);
      if (steering.abortRequested) return 'abort';
      if (steering.promoteRequested) return 'promote';
      if (typeof watched === 'object') return watched;
      if (watched === 'elapsed') return 'elapsed';
      await this.run.holdWhilePaused();
    }
  }

  /**
   * One analysis interval watched by the guard activity. Steering cancels it (the wait ends at
   * once, the activity hears of it at its next heartbeat); a guard that fails for good leaves the
   * rest of the interval to a timer and the round goes on as without it.
   */
  private async guardedWait(guarded: readonly GuardCheck[]): Promise<'steered' | 'elapsed' | { guard: string }> {
    const { config } = this.run;
    const { intervalMs, guardIntervalMs } = this.run.timings;
    const startedMs = Date.now();
    const first = await unlessSteered(
      () =>
        this.guardActs.guardTrack({
          checks: [...guarded],
          pollMs: guardIntervalMs,
          consecutive: config.analysis.guard!.consecutive,
          durationMs: intervalMs,
          ...(config.metricsServer ? { metricsServer: config.metricsServer } : {}),
        }),
      () => this.run.steering.steered,
    );
    if (first === 'steered') return 'steered';
    if ('result' in first) {
      if (!first.result.breach) return 'elapsed';
      this.run.record(`The guard saw the canary plainly broken between rounds: ${first.result.breach}`);
      const since = first.result.firstBreachMs;
      if (since !== undefined && (this.run.firstFailedCheckMs === null || since < this.run.firstFailedCheckMs)) this.run.firstFailedCheckMs = since;
      return { guard: first.result.breach };
    }
    if (isCancellation(first.error)) throw first.error;
    this.run.record(`The guard stopped (${failureMessage(first.error)}); this interval goes on without it`);
    return this.steeredWithin(Math.max(0, intervalMs - (Date.now() - startedMs)));
  }

  /** Waits up to `ms` on a timer that steering cuts short. */
  private async steeredWithin(ms: number): Promise<'steered' | 'elapsed'> {
    return (await condition(() => this.run.steering.steered, ms)) ? 'steered' : 'elapsed';
  }

  /**
   * One measurement of the track under analysis: the rollout webhooks first (Flagger: a failing one
   * is a failed check and the metrics are not queried that round), then the metric checks.
   */
  async measure(checks: CheckQuery[]): Promise<RoundVerdict> {
    this.run.status.iteration += 1;
    const rolloutHooks = this.run.hooks.hooksOf('rollout');
    let verdict: RoundVerdict;
    if (!rolloutHooks.length) {
      verdict = await this.metricRound(checks);
    } else {
      const hookChecks = (await this.run.hooks.callHooks(rolloutHooks)).map(({ hook, outcome }) => webhookCheck(hook, outcome));
      if (hookChecks.every((check) => check.passed)) {
        const metrics = await this.metricRound(checks);
        verdict = { passed: metrics.passed, checks: [...hookChecks, ...metrics.checks] };
      } else {
        verdict = { passed: false, checks: hookChecks };
      }
    }
    this.show(verdict);
    return verdict;
  }

  /** A measured round as status and the metrics show it; its first failure starts the detection time. */
  private show(verdict: RoundVerdict): void {
    this.run.showChecks(verdict.checks);
    if (!verdict.passed && !verdict.marginal && this.run.firstFailedCheckMs === null) this.run.firstFailedCheckMs = Date.now();
  }

  /**
   * The metric checks of one round. Whatever goes wrong inside it (an activity that failed for good,
   * an answer the judge cannot read) is a failed check named `analysis error` that counts toward the
   * threshold, never the release's reason.
   */
  private async metricRound(checks: CheckQuery[]): Promise<RoundVerdict> {
    if (!this.run.checkpoints) return judgeRound(await this.queryChecks(checks));
    try {
      const { comparison } = this.run;
      if (!comparison) return judgeRound(await this.queryChecks(checks));
      // The statistical judge: the round's readings and each compared check's samples on both tracks, side by side.
      const { metricsServer } = this.run.config;
      const [readings, sampled] = await Promise.all([
        this.queryChecks(checks),
        this.analysis.sampleChecks({ checks: comparison.checks, windowMs: comparison.settings.windowMs, stepMs: comparison.settings.stepMs, ...(metricsServer ? { metricsServer } : {}) }),
      ]);
      return withComparisons(judgeRound(readings), compareSampled(sampled, comparison.settings.confidence), comparison.settings);
    } catch (error) {
      if (isCancellation(error)) throw error;
      return { passed: false, checks: [analysisErrorCheck(failureMessage(error))] };
    }
  }

  private queryChecks(checks: CheckQuery[]) {
    const { metricsServer } = this.run.config;
    return this.analysis.queryChecks({ checks, ...(metricsServer ? { metricsServer } : {}) });
  }

  /** A canary analysis round: Flagger's failed-check threshold decides. */
  async analyse(checks: CheckQuery[]): Promise<RoundDecision> {
    return this.decide(await this.measure(checks));
  }

  /** Rounds that passed in the confirm-promotion wait's activity: counted, shown, told in one event. */
  passedElsewhere(rounds: number, checks: CheckResult[] | null): void {
    if (!rounds) return;
    const { status } = this.run;
    const first = status.iteration + 1;
    status.iteration += rounds;
    if (checks) this.run.showChecks(checks);
    this.run.record(`Analysis ${rounds === 1 ? first : `${first}-${status.iteration}`} at ${status.canaryWeight}%: all checks passed`);
  }

  /** A round measured in the confirm-promotion wait's activity that did not pass: decided as `analyse` decides. */
  decideMeasured(verdict: RoundVerdict): RoundDecision {
    this.run.status.iteration += 1;
    this.show(verdict);
    return this.decide(verdict);
  }

  private decide(verdict: RoundVerdict): RoundDecision {
    const { status, config } = this.run;
    const decision = decideRound(verdict, status.failedChecks, config.analysis.threshold);
    status.failedChecks = decision.failedChecks;
    this.run.record(`Analysis ${status.iteration} at ${status.canaryWeight}%: ${decision.reason}`);
    return decision;
  }
}
