import type { ReleaseInput } from '../config/release-input';
import type { ReleaseConfig, Strategy } from '../config/schema';
import type { CheckResult, CompensationState, Phase, TrainOutcome, TrainPhase, TrainServiceState } from './domain';

/** Input of the `release` workflow (config/release-input.ts, which checks it). */
export type { ReleaseInput };

export interface ReleaseEvent {
  /** ISO time. */
  at: string;
  message: string;
}

/** What `status` returns (DESIGN.md, "The status a release reports"). */
export interface ReleaseStatus {
  workflowId: string;
  service: string;
  namespace: string;
  version: string;
  previousVersion: string | null;
  strategy: Strategy;
  phase: Phase;
  /** Canary (or green) weight, 0-100. */
  canaryWeight: number;
  /** Strategy abTesting, once its router is in place: the requests that reach the canary, in words (`x-canary = insider`). */
  match?: string;
  /** Analysis rounds run so far. */
  iteration: number;
  failedChecks: number;
  threshold: number;
  lastChecks: CheckResult[];
  /** The most recent events, oldest first; bounded. */
  events: ReleaseEvent[];
  /** Gate or wait the release is blocked on, if any (e.g. `resume (paused by a person)`, `confirm-promotion webhook approve (HTTP 403)`). */
  waitingFor: string | null;
  /** Notifications that failed; they never change the outcome. */
  notificationFailures: number;
  /** `revert`: a one-command rollback of the primary (`docutag-release rollback`), not a release. */
  operation?: 'revert';
  startedAt: string;
  finishedAt: string | null;
}

/** `reverted`: a one-command rollback (`docutag-release rollback`) put the requested revision back. */
/** `revertedAfterPromotion`: promoted, then the bake saw the primary regress (or a person aborted it) and put the revision before the release back. */
export const OUTCOMES = { promoted: 'promoted', rolledBack: 'rolledBack', failed: 'failed', reverted: 'reverted', revertedAfterPromotion: 'revertedAfterPromotion' } as const;
export type Outcome = (typeof OUTCOMES)[keyof typeof OUTCOMES];

/** Helm revisions of a direct release's primary: the one recorded before the upgrade, the new one, and the one rolled back to. */
export interface ReleaseRevisions {
  /** The revision serving before the upgrade; null on a first install. */
  from: number | null;
  /** The revision the upgrade created; null when the upgrade failed before creating one. */
  to: number | null;
  /** The revision `helm rollback` restored; null when there was no rollback (or it failed). */
  rolledBackTo: number | null;
}

/**
 * The workflow result. Times in ms; `detectionMs` runs from the first failed check to the rollback
 * decision, `rollbackMs` from the decision to 100% on the primary (canary, blue-green) or to the end
 * of `helm rollback --wait` / `helm uninstall` (direct).
 */
export interface ReleaseResult {
  outcome: Outcome;
  reason: string;
  totalMs: number;
  detectionMs: number | null;
  rollbackMs: number | null;
  /** Direct releases only. */
  revisions?: ReleaseRevisions;
  status: ReleaseStatus;
}

/** `failure.type` of a release whose input the worker refused (src/workflows/admission.ts): nothing was deployed; the CLI exits 2. */
export const INVALID_INPUT_FAILURE = 'InvalidReleaseInput';

/** Exit codes of `start --wait`, `watch` and `drill run`. */
export const EXIT_CODES = { succeeded: 0, other: 1, badInput: 2, rolledBack: 3, failed: 4, revertedAfterPromotion: 5 } as const;

export function exitCodeFor(outcome: Outcome): number {
  switch (outcome) {
    case 'promoted':
    case 'reverted':
      return EXIT_CODES.succeeded;
    case 'rolledBack':
      return EXIT_CODES.rolledBack;
    case 'revertedAfterPromotion':
      return EXIT_CODES.revertedAfterPromotion;
    case 'failed':
      return EXIT_CODES.failed;
  }
}

export function releaseWorkflowId(namespace: string, service: string): string {
  return `release-${namespace}-${service}`;
}

/** Input of `revert` (`docutag-release rollback`): the service's config, and the revision to go back to (default: the previous one that served). */
export interface RevertInput {
  config: ReleaseConfig;
  toRevision?: number;
  requestedBy?: string;
  reason?: string;
}

/** Input of `rollbackDrill`: the pilot service's config (with its `drill` block). No secrets. */
export interface DrillInput {
  config: ReleaseConfig;
  /** `schedule` when started by the Temporal Schedule, `manual` for `drill run`. */
  trigger?: 'schedule' | 'manual';
}

/** The drill's result, kept by Temporal and listed by `drill list`. Times in ms. */
export interface DrillResult {
  passed: boolean;
  skipped: boolean;
  reason: string;
  service: string;
  strategy: string;
  drillVersion: string;
  releaseWorkflowId: string;
  releaseOutcome: ReleaseResult['outcome'] | null;
  detectionMs: number | null;
  restoreMs: number | null;
  maxRestoreMs: number;
  primaryChecks: CheckResult[];
  startedAt: string;
  finishedAt: string;
}

/** What a release tells the migration workflow of its service when it ends. */
export interface ReleaseReport {
  runId: string;
  strategy: Strategy;
  outcome: Outcome;
  startedAt: string;
}

/** Input of `train` (`docutag-release train start`): src/config/train.ts reads and checks it. */
export type { TrainInput } from '../config/train-input';

export const trainWorkflowId = (name: string) => `train-${name}`;

/** One service of a train as `train status` shows it; its release's own phase and weight come from its workflow. */
export interface TrainServiceStatus {
  /** `<namespace>/<service>`. */
  service: string;
  version: string;
  /** 1-based; services of a `parallel:` group share it. */
  stage: number;
  /** The service's release (and, later, its compensation) workflow: release-<namespace>-<service>. */
  workflowId: string;
  state: TrainServiceState;
  /** The release's outcome and reason once it ended. */
  outcome: Outcome | null;
  reason: string | null;
  /** The primary's revision (and version) serving before the train released it: what compensation goes back to. */
  recorded: { revision: number; version: string | null } | null;
  compensation: { state: CompensationState; toRevision: number | null; reason: string | null } | null;
}

export interface TrainStatus {
  workflowId: string;
  name: string;
  phase: TrainPhase;
  compensate: boolean;
  /** The stage running now (1-based), 0 before the first. */
  stage: number;
  stages: number;
  services: TrainServiceStatus[];
  /** The most recent events, oldest first; bounded. */
  events: ReleaseEvent[];
  /** Why the train stopped, once it has. */
  stoppedBy: string | null;
  startedAt: string;
  finishedAt: string | null;
}

export interface TrainResult {
  outcome: TrainOutcome;
  reason: string;
  status: TrainStatus;
}

export function trainExitCode(outcome: TrainOutcome): number {
  return outcome === 'promoted' ? EXIT_CODES.succeeded : outcome === 'failed' ? EXIT_CODES.failed : EXIT_CODES.rolledBack;
}
