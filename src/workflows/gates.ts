/*
 * Flagger's webhooks as durable steps of a release: the confirm gates (waiting in one heartbeating
 * activity, cut short by abort and promote), pre-rollout, confirm-promotion with analysis going on,
 * and the rollback hooks. They act through the run's state and steps (run.ts).
 */
import { condition, proxyActivities } from '@temporalio/workflow';
import type { ReleaseActivities } from '../activities';
import { decideRound, gatePollMs, gateVerdict, hooksOfType, rollbackHookVerdict, webhookCheck, type CheckQuery, type CheckResult, type GateType, type HookSpec, type HookType, type RoundDecision, type RoundVerdict } from './domain';
import type { ReleaseInput, ReleaseStatus } from './types';
import type { Steering } from './steering';
import type { ReleaseTimings } from './timings';
import { failureMessage, unlessSteered, type HookAnswer, type StepResult } from './steered';
import type { RoundComparison } from './rounds';

/** What the webhooks need of the release they belong to (run.ts's ReleaseRun). */
export interface WebhookHost {
  readonly config: ReleaseInput['config'];
  readonly status: ReleaseStatus;
  readonly steering: Steering;
  readonly checksum: string;
  readonly timings: Pick<ReleaseTimings, 'intervalMs' | 'longestHookMs' | 'hookTimeoutMs'>;
  readonly comparison: RoundComparison | null;
  readonly acts: { hooks: Pick<ReleaseActivities, 'callWebhook'> };
  firstFailedCheckMs: number | null;
  record(message: string): void;
  setPhase(phase: ReleaseStatus['phase']): void;
  showChecks(checks: RoundVerdict['checks']): void;
  holdWhilePaused(): Promise<void>;
  readonly rounds: {
    waitInterval(): Promise<'abort' | 'promote' | 'elapsed' | { guard: string }>;
    analyse(checks: CheckQuery[]): Promise<RoundDecision>;
    passedElsewhere(rounds: number, checks: CheckResult[] | null): void;
    decideMeasured(verdict: RoundVerdict): RoundDecision;
  };
  promoteWinsOverRound(): boolean;
}

/** Releases started before gates waited in one heartbeating activity poll them one activity and timer per poll. */
export const GATE_ACTIVITY_PATCH = 'gate-wait-activity';

/** Releases started before confirm-promotion waited in one activity run one hook call, timer and analysis round per interval. */
export const PROMOTION_ACTIVITY_PATCH = 'promotion-wait-activity';

/** The confirm-promotion wait's activity returns after this many passed rounds (or PROMOTION_WAIT_MAX_MS), so the status stays fresh. */
const PROMOTION_ROUNDS_PER_WAIT = 10;
/** ... and at least this often: a wait of days at a 1m interval is ~150 activities a day. */
const PROMOTION_WAIT_MAX_MS = 10 * 60_000;

/** A gate's activity returns at least this often, so its note and status stay fresh and a retry is cheap. */
const GATE_WAIT_MAX_MS = 60 * 60_000;

export class Webhooks {
  /** Whether gates wait in one heartbeating activity (see GATE_ACTIVITY_PATCH). */
  private readonly gateActivity: boolean;
  /** Whether confirm-promotion waits in one activity too (see PROMOTION_ACTIVITY_PATCH). */
  private readonly promotionActivity: boolean;
  private readonly gateActs: Pick<ReleaseActivities, 'waitForGate'>;
  private readonly promotionActs: Pick<ReleaseActivities, 'waitForPromotion'>;

  constructor(
    private readonly run: WebhookHost,
    gateActivity: boolean,
    promotionActivity: boolean,
  ) {
    this.gateActivity = gateActivity;
    this.promotionActivity = gateActivity && promotionActivity;
    const { intervalMs, longestHookMs: hookTimeoutsMs } = run.timings;
    this.gateActs = proxyActivities<ReleaseActivities>({
      startToCloseTimeout: GATE_WAIT_MAX_MS + 2 * 60_000 + 2 * hookTimeoutsMs,
      // Every poll (10 s apart at most, plus the hooks' own timeouts) heartbeats; a lost worker is noticed after that.
      heartbeatTimeout: 10_000 + 2 * hookTimeoutsMs + 30_000,
      retry: { initialInterval: '1s', maximumInterval: '30s' },
    });
    // A wait returns after its last round ends, at most one interval past its time.
    this.promotionActs = proxyActivities<ReleaseActivities>({
      startToCloseTimeout: PROMOTION_WAIT_MAX_MS + intervalMs + 2 * 60_000 + 4 * hookTimeoutsMs,
      heartbeatTimeout: 10_000 + 2 * hookTimeoutsMs + 30_000,
      retry: { initialInterval: '1s', maximumInterval: '30s' },
    });
  }

  /** The configured hooks of one type that this strategy runs. */
  hooksOf(type: HookType): HookSpec[] {
    return hooksOfType(this.run.config.webhooks.hooks, type, this.run.config.strategy);
  }

  /** A hook as the activities call it, with what it is sent (Flagger's payload: the service, the phase, this run's checksum, the hook's metadata). */
  private webhookCall(hook: HookSpec) {
    return {
      hook: { name: hook.name, type: hook.type, url: hook.url, timeoutMs: this.run.timings.hookTimeoutMs(hook) },
      payload: { name: this.run.config.service.name, namespace: this.run.config.service.namespace, phase: this.run.status.phase, checksum: this.run.checksum, metadata: hook.metadata },
    };
  }

  private webhookCalls(hooks: HookSpec[]) {
    return hooks.map((hook) => this.webhookCall(hook));
  }

  /** Calls hooks side by side; a call that fails outright is an answer too (no status). */
  async callHooks(hooks: HookSpec[]): Promise<HookAnswer[]> {
    return Promise.all(
      hooks.map(async (hook) => {
        try {
          const outcome = await this.run.acts.hooks.callWebhook(this.webhookCall(hook));
          return { hook, outcome };
        } catch (error) {
          return { hook, outcome: { passed: false, status: null, message: failureMessage(error) } };
        }
      }),
    );
  }

  /** Flagger's rollback hooks: polled once per round; a 2xx answer asks for a rollback. */
  async rollbackRequestedByHook(): Promise<string | null> {
    const hooks = this.hooksOf('rollback');
    if (!hooks.length) return null;
    const verdict = rollbackHookVerdict(await this.callHooks(hooks));
    return verdict.rollback ? verdict.reason : null;
  }

  /**
   * A confirm gate (confirm-rollout, confirm-traffic-increase) as a durable wait that abort and
   * promote cut short: one heartbeating activity polls the hooks (releases recorded before it poll
   * one activity and one workflow timer at a time). Rollback hooks are polled meanwhile once a track
   * is deployed. Returns at once when no hook of the type is configured.
   */
  async gate(type: Exclude<GateType, 'confirm-promotion'>): Promise<StepResult> {
    const hooks = this.hooksOf(type);
    if (!hooks.length) return { kind: 'open' };
    let lastNote = '';
    const leave = (result: StepResult): StepResult => {
      this.run.status.waitingFor = null;
      return result;
    };
    if (this.gateActivity) return this.gateByActivity(type, hooks, leave);
    for (let attempt = 0; ; attempt++) {
      if (this.run.steering.abortRequested) return leave({ kind: 'abort' });
      if (this.run.steering.promoteRequested) return leave({ kind: 'promote' });
      if (type !== 'confirm-rollout') {
        const rollback = await this.rollbackRequestedByHook();
        if (rollback) return leave({ kind: 'rollback', reason: rollback, fromAnalysis: false });
      }
      const verdict = gateVerdict(type, await this.callHooks(hooks));
      if (verdict.open) return this.gateOpened(verdict.note);
      this.run.status.waitingFor = verdict.waitingFor;
      if (verdict.note !== lastNote) this.run.record(verdict.note);
      lastNote = verdict.note;
      await condition(() => this.run.steering.abortRequested || this.run.steering.promoteRequested, gatePollMs(this.run.timings.intervalMs, attempt));
    }
  }

  /** A gate that opened: recorded; a pause holds the weight, so an opened traffic gate waits for resume before it moves. */
  private async gateOpened(note: string): Promise<StepResult> {
    this.run.status.waitingFor = null;
    this.run.record(note);
    if (this.run.steering.paused && (this.run.status.phase === 'Progressing' || this.run.status.phase === 'WaitingPromotion')) {
      await this.run.holdWhilePaused();
      if (this.run.steering.abortRequested) return { kind: 'abort' };
      if (this.run.steering.promoteRequested) return { kind: 'promote' };
    }
    return { kind: 'open' };
  }

  /**
   * The gate's wait as one heartbeating activity per answer change (or per hour): a wait of days
   * stays a few events long. Abort and promote cancel it and act at once.
   */
  private async gateByActivity(type: Exclude<GateType, 'confirm-promotion'>, hooks: HookSpec[], leave: (result: StepResult) => StepResult): Promise<StepResult> {
    let lastNote = '';
    for (;;) {
      if (this.run.steering.abortRequested) return leave({ kind: 'abort' });
      if (this.run.steering.promoteRequested) return leave({ kind: 'promote' });
      const waited = await unlessSteered(
        () =>
          this.gateActs.waitForGate({
            type,
            hooks: this.webhookCalls(hooks),
            rollbackHooks: type === 'confirm-rollout' ? [] : this.webhookCalls(this.hooksOf('rollback')),
            intervalMs: this.run.timings.intervalMs,
            lastNote,
            maxMs: GATE_WAIT_MAX_MS,
          }),
        () => this.run.steering.abortRequested || this.run.steering.promoteRequested,
      );
      if (waited === 'steered') continue;
      if ('error' in waited) throw waited.error;
      const answer = waited.result;
      if (answer.kind === 'rollback') return leave({ kind: 'rollback', reason: answer.reason, fromAnalysis: false });
      if (answer.kind === 'open') return this.gateOpened(answer.note);
      this.run.status.waitingFor = answer.waitingFor;
      if (answer.note !== lastNote) this.run.record(answer.note);
      lastNote = answer.note;
    }
  }

  /**
   * Flagger's confirm-promotion: before promotion, wait until the hooks answer 2xx. Meanwhile the
   * phase is WaitingPromotion and analysis goes on every interval, so a regression still rolls back.
   */
  async confirmPromotion(checks: CheckQuery[]): Promise<StepResult> {
    const hooks = this.hooksOf('confirm-promotion');
    if (!hooks.length) return { kind: 'open' };
    if (this.promotionActivity) return this.promotionByActivity(hooks, checks);
    let lastNote = '';
    for (;;) {
      const verdict = gateVerdict('confirm-promotion', await this.callHooks(hooks));
      if (verdict.open) {
        this.run.status.waitingFor = null;
        this.run.record(verdict.note);
        return { kind: 'open' };
      }
      this.run.setPhase('WaitingPromotion');
      this.run.status.waitingFor = verdict.waitingFor;
      if (verdict.note !== lastNote) this.run.record(verdict.note);
      lastNote = verdict.note;
      const waited = await this.run.rounds.waitInterval();
      this.run.status.waitingFor = null;
      if (waited === 'abort') return { kind: 'abort' };
      if (waited === 'promote') return { kind: 'promote' };
      const rollback = await this.rollbackRequestedByHook();
      if (rollback) return { kind: 'rollback', reason: rollback, fromAnalysis: false };
      const decision = await this.run.rounds.analyse(checks);
      if (this.run.promoteWinsOverRound()) return { kind: 'promote' };
      if (decision.action === 'rollback') return { kind: 'rollback', reason: decision.reason, fromAnalysis: true };
    }
  }

  /**
   * confirm-promotion in one heartbeating activity that also runs the analysis rounds, returning on
   * what the workflow must decide or record. Abort, promote and pause cancel it and act at once.
   */
  private async promotionByActivity(hooks: HookSpec[], checks: CheckQuery[]): Promise<StepResult> {
    const { steering, status, rounds } = this.run;
    let lastNote = '';
    for (;;) {
      if (steering.abortRequested) return { kind: 'abort' };
      if (steering.promoteRequested) return { kind: 'promote' };
      if (steering.paused) {
        await this.run.holdWhilePaused();
        continue;
      }
      const answer = await unlessSteered(
        () =>
          this.promotionActs.waitForPromotion({
            hooks: this.webhookCalls(hooks),
            rollbackHooks: this.webhookCalls(this.hooksOf('rollback')),
            rolloutHooks: this.webhookCalls(this.hooksOf('rollout')),
            checks,
            ...(this.run.comparison ? { comparison: this.run.comparison } : {}),
            ...(this.run.config.metricsServer ? { metricsServer: this.run.config.metricsServer } : {}),
            intervalMs: this.run.timings.intervalMs,
            lastNote,
            maxRounds: PROMOTION_ROUNDS_PER_WAIT,
            maxMs: PROMOTION_WAIT_MAX_MS,
          }),
        () => steering.steered,
      );
      if (answer === 'steered') continue;
      // Retried without limit, so only a cancellation of the release itself ends it with an error.
      if ('error' in answer) throw answer.error;
      const result = answer.result;
      rounds.passedElsewhere(result.passedRounds, result.checks);
      switch (result.kind) {
        case 'open':
          status.waitingFor = null;
          this.run.record(result.note);
          return { kind: 'open' };
        case 'rollback':
          return { kind: 'rollback', reason: result.reason, fromAnalysis: false };
        case 'waiting':
          this.run.setPhase('WaitingPromotion');
          status.waitingFor = result.waitingFor;
          if (result.note !== lastNote) this.run.record(result.note);
          lastNote = result.note;
          break;
        case 'failedRound': {
          const decision = rounds.decideMeasured(result.verdict);
          if (this.run.promoteWinsOverRound()) return { kind: 'promote' };
          if (decision.action === 'rollback') return { kind: 'rollback', reason: decision.reason, fromAnalysis: true };
        }
      }
    }
  }

  /**
   * Flagger's pre-rollout: once before any traffic reaches the new version. A failing hook is a failed
   * check; it is retried every interval until it passes or the failed checks reach the threshold.
   */
  async preRollout(): Promise<StepResult> {
    const hooks = this.hooksOf('pre-rollout');
    if (!hooks.length) return { kind: 'open' };
    for (;;) {
      const checks = (await this.callHooks(hooks)).map(({ hook, outcome }) => webhookCheck(hook, outcome));
      const verdict: RoundVerdict = { passed: checks.every((check) => check.passed), checks };
      this.run.showChecks(checks);
      if (verdict.passed) {
        this.run.record(`pre-rollout webhooks passed: ${checks.map((check) => check.reason).join('; ')}`);
        return { kind: 'open' };
      }
      if (this.run.firstFailedCheckMs === null) this.run.firstFailedCheckMs = Date.now();
      const decision = decideRound(verdict, this.run.status.failedChecks, this.run.config.analysis.threshold);
      this.run.status.failedChecks = decision.failedChecks;
      this.run.record(`pre-rollout: ${decision.reason}`);
      if (decision.action === 'rollback') return { kind: 'rollback', reason: decision.reason, fromAnalysis: true };
      const waited = await this.run.rounds.waitInterval();
      if (waited === 'abort') return { kind: 'abort' };
      if (waited === 'promote') return { kind: 'promote' };
    }
  }
}
