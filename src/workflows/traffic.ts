/*
 * Moving traffic between the two tracks: a step's weight change, the canary track cleared before an
 * install, and a rollback's 100/0 that retries until it lands.
 */
import { condition, upsertSearchAttributes } from '@temporalio/workflow';
import type { ReleaseActivities } from '../activities';
import type { Severity, TrafficSplit } from '../activities/ports';
import { describeRoute, splitWeights, type TrafficRoute } from './domain';
import { SEARCH_ATTRIBUTES } from './messages';
import { failureMessage } from './steered';
import type { ReleaseStatus } from './types';

/** A rollback's traffic change that keeps failing: people hear of it after 5 minutes, then every 30. */
const STUCK_ROLLBACK_FIRST_ALERT_MS = 5 * 60_000;
const STUCK_ROLLBACK_ALERT_EVERY_MS = 30 * 60_000;

/** What traffic changes need of the release they belong to (run.ts's ReleaseRun). */
export interface TrafficHost {
  readonly status: ReleaseStatus;
  readonly split: TrafficSplit;
  readonly primary: string;
  readonly canary: string;
  readonly label: string;
  /** Whether this run has the certain rollback and the cleared canary track (CHECKPOINTS_PATCH). */
  readonly checkpoints: boolean;
  record(message: string): void;
  notify(text: string, severity: Severity): Promise<void>;
}

export interface TrafficActivities {
  /** Where weight changes run: a local activity, or (for releases started before that) an activity. */
  weightChanges: Pick<ReleaseActivities, 'setWeights'>;
  /** A rollback's 100/0 once its usual attempts are spent: retried without limit. */
  untilLanded: Pick<ReleaseActivities, 'setWeights'>;
}

export class Traffic {
  constructor(
    private readonly run: TrafficHost,
    private readonly acts: TrafficActivities,
  ) {}

  /**
   * Moves traffic. Meanwhile `status.waitingFor` names the change, so a router that keeps failing
   * (an API server down while the change retries) shows in `status` and `watch` instead of the last step.
   */
  async apply(weights: TrafficRoute, via: Pick<ReleaseActivities, 'setWeights'> = this.acts.weightChanges): Promise<boolean> {
    const { status, split, primary, canary } = this.run;
    const before = status.waitingFor;
    status.waitingFor = `weight change to ${describeRoute(weights, { primary, canary })} (TraefikService ${split.namespace}/${split.router})`;
    try {
      return (await via.setWeights({ split, weights })).changed;
    } finally {
      status.waitingFor = before;
    }
  }

  /** A step of the canary (or blue-green's switch): the weights, the status and the search attribute. */
  async setCanaryWeight(canaryWeight: number): Promise<void> {
    const weights = splitWeights(canaryWeight);
    await this.apply(weights);
    this.run.status.canaryWeight = weights.canaryWeight;
    upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.weight, value: weights.canaryWeight }]);
    this.run.record(`Weights: ${this.run.primary} ${weights.primaryWeight}%, ${this.run.canary} ${weights.canaryWeight}%`);
  }

  /**
   * A mirrored blue-green's analysis: the canary (green) keeps 0% while `percent` of the primary's
   * requests are copied to it, their answers discarded. The next weight change ends the mirror.
   */
  async mirrorToCanary(percent: number): Promise<void> {
    await this.apply({ primaryWeight: 100, canaryWeight: 0, mirrorPercent: percent });
    this.run.status.canaryWeight = 0;
    this.run.record(`Mirroring ${percent}% of ${this.run.primary}'s requests to ${this.run.canary} (its answers are discarded; ${this.run.primary} keeps serving 100%)`);
  }

  /**
   * A rollback's 100/0, which must land: the usual attempts first, then an activity retried without
   * limit (capped backoff) while Slack hears of it after 5 minutes and every 30 after that.
   */
  async restorePrimary(reason: string): Promise<void> {
    const weights = { primaryWeight: 100, canaryWeight: 0 };
    const { primary, split, label } = this.run;
    try {
      await this.apply(weights);
      return;
    } catch (error) {
      if (!this.run.checkpoints) throw error;
      this.run.record(`The weight change to ${primary} 100% failed (${failureMessage(error)}); it retries until it lands`);
    }
    let landed = false;
    const alerts = (async () => {
      let waitMs = STUCK_ROLLBACK_FIRST_ALERT_MS;
      for (let waitedMs = waitMs; !(await condition(() => landed, waitMs)); waitedMs += waitMs) {
        await this.run.notify(
          `Rollback of ${label} is stuck: traffic is not back on ${primary} after ${Math.round(waitedMs / 60_000)} min (TraefikService ${split.namespace}/${split.router}: the weight change keeps retrying). Rolling back because: ${reason}`,
          'error',
        );
        waitMs = STUCK_ROLLBACK_ALERT_EVERY_MS;
      }
    })();
    try {
      await this.apply(weights, this.acts.untilLanded);
    } finally {
      landed = true;
    }
    await alerts;
  }

  /**
   * Before a canary (green) is installed, the canary track must carry no traffic: a release that
   * ended failed with traffic split would otherwise send users to the untested install.
   */
  async clearCanaryTrack(): Promise<void> {
    if (!this.run.checkpoints) return;
    if (await this.apply({ primaryWeight: 100, canaryWeight: 0 })) {
      this.run.record(`The canary track still carried traffic from an earlier release: ${this.run.primary} 100%, ${this.run.canary} 0% before the install`);
    }
    this.run.status.canaryWeight = 0;
  }
}
