import {
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineUpdate,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { ReleaseActivities } from '../activities';
import type { MigrationActivities } from '../activities/migration';
import type { Strategy } from '../config/schema';
import { durationMs, metricChecks, normaliseOutcome, trafficSplitOf } from './domain';
import {
  decideApproval,
  directReleasesItem,
  MIGRATION_PHASES,
  PHASE_CHECKLISTS,
  PHASE_NAMES,
  strategyForPhase,
  type ApprovalRequest,
  type ChecklistItem,
  type MigrationPhase,
} from './domain/migration';
import { recheckSignal } from './messages';
import type { ReleaseInput, ReleaseReport } from './types';
import { admittedConfig, CHECK_CONFIG_PATCH } from './admission';

/** One phase change, with who approved it and why (forced approvals say what was not passed). */
export interface ApprovalRecord {
  at: string;
  by: string;
  from: MigrationPhase;
  to: MigrationPhase;
  forced: boolean;
  reason: string | null;
  note: string;
}

/** State carried across continue-as-new. */
export interface MigrationState {
  phase: MigrationPhase;
  phaseStartedAt: string;
  checklist: ChecklistItem[];
  approvals: ApprovalRecord[];
  lastCheckedAt: string | null;
  /** Runs of this workflow so far (continue-as-new count + 1). */
  run: number;
  /** Releases that reported their end (newest last, bounded), counted with what visibility shows. */
  reported: ReleaseReport[];
}

/** Reports kept in the state: enough for any `directReleasesToPass`, small across continue-as-new. */
const MAX_REPORTS = 50;

export interface MigrationInput {
  config: ReleaseInput['config'];
  /** The pilot (non-critical) service of phase 2, from `migration.pilot`. */
  pilot?: { namespace: string; name: string };
  /** How often the checklist is verified again (default 10m); a release ending or `recheck` verifies at once. */
  checkInterval?: string;
  /** Continue-as-new beyond this many history events (default: when Temporal suggests it). */
  historyLimit?: number;
  state?: MigrationState;
}

export interface MigrationStatus extends MigrationState {
  workflowId: string;
  service: string;
  phaseName: string;
  /** The strategy a release of this service uses now. */
  strategy: Strategy;
}

export interface ApprovalResult {
  moved: boolean;
  phase: MigrationPhase;
  note: string;
  failing: ChecklistItem[];
}

export const migrationStatusQuery = defineQuery<MigrationStatus>('migrationStatus');
export const approveUpdate = defineUpdate<ApprovalResult, [ApprovalRequest]>('approve');

const checks = proxyActivities<MigrationActivities & Pick<ReleaseActivities, 'queryChecks'>>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '2s', maximumAttempts: 3 },
});

const pending = (phase: MigrationPhase): ChecklistItem[] => PHASE_CHECKLISTS[phase].map((item) => ({ ...item, state: 'pending', reason: 'not verified yet' }));

/**
 * A long-lived workflow per service that walks DocuTag's migration phases. Each phase's checklist is
 * verified by activities; `approve` moves on when every item passed (or forced, with a reason).
 * History stays bounded: it continues as new, carrying its state.
 */
export async function migration(input: MigrationInput): Promise<void> {
  // Scheduled at once (handlers are registered below before anything awaits); every activity waits for it.
  const admission = patched(CHECK_CONFIG_PATCH) ? admittedConfig(input.config, 'migration') : Promise.resolve();
  // A refused config fails the workflow below; a handler waiting on it must not also leave an unhandled rejection.
  admission.catch(() => undefined);
  const { config } = input;
  const intervalMs = durationMs(config.analysis.interval);
  const service = `${config.service.namespace}/${config.service.name}`;
  const needed = config.migration?.directReleasesToPass ?? 3;
  const state: MigrationState = input.state
    ? { ...input.state, reported: input.state.reported ?? [], run: input.state.run + 1 }
    : { phase: MIGRATION_PHASES.deployScript, phaseStartedAt: new Date().toISOString(), checklist: pending(1), approvals: [], lastCheckedAt: null, run: 1, reported: [] };
  let recheckRequested = true;

  const item = (phase: MigrationPhase, id: string, stateOf: ChecklistItem['state'], reason: string): ChecklistItem => ({
    id,
    title: PHASE_CHECKLISTS[phase].find((entry) => entry.id === id)?.title ?? id,
    state: stateOf,
    reason,
  });

  const drillItem = async (phase: MigrationPhase, id: string, drilled: { namespace: string; name: string } | undefined, strategy: 'direct' | 'canary') => {
    if (!drilled) return item(phase, id, 'failed', 'no pilot service: set migration.pilot to the pilot service config');
    const drills = (await checks.recentDrills({ service: `${drilled.namespace}/${drilled.name}`, since: state.phaseStartedAt, limit: 20 })).filter((drill) =>
      strategy === 'direct' ? drill.strategy === 'direct' : drill.strategy !== 'direct',
    );
    const passed = drills.find((drill) => drill.passed);
    if (passed) return item(phase, id, 'passed', `drill passed at ${passed.finishedAt}: ${passed.reason}`);
    if (drills.length) return item(phase, id, 'failed', `last drill ${drills[0]!.skipped ? 'skipped' : 'failed'}: ${drills[0]!.reason}`);
    return item(phase, id, 'pending', `no ${strategy} drill of ${drilled.namespace}/${drilled.name} since the phase began: docutag-release drill run`);
  };

  const previous = (id: string) => state.checklist.find((entry) => entry.id === id);

  const verify = async () => {
    await admission;
    const phase = state.phase;
    let checklist: ChecklistItem[] = [];
    if (phase === MIGRATION_PHASES.deployScript) {
      // Visibility can lag a release that just ended; its own report cannot. Count the union.
      const seen = new Set(await checks.successfulReleaseRuns({ service, strategy: 'direct', since: state.phaseStartedAt, limit: needed + MAX_REPORTS }));
      for (const report of state.reported) {
        if (report.strategy === 'direct' && report.outcome === 'promoted' && report.startedAt > state.phaseStartedAt) seen.add(report.runId);
      }
      checklist = [directReleasesItem(seen.size, needed), await drillItem(phase, 'direct-drill', config.service, 'direct')];
    } else if (phase === MIGRATION_PHASES.infrastructure) {
      const split = trafficSplitOf(config);
      const traffic = await checks.inspectTraffic({ split });
      const missing = [split.primaryService, split.canaryService].filter((name) => !traffic.services.includes(name));
      const trafficItem = traffic.error
        ? item(phase, 'traefik', 'failed', traffic.error)
        : missing.length
          ? item(phase, 'traefik', 'failed', `TraefikService ${split.namespace}/${split.router} lacks ${missing.join(' and ')}`)
          : item(phase, 'traefik', 'passed', `TraefikService ${split.namespace}/${split.router} lists ${traffic.services.join(', ')}`);
      const readings = await checks.queryChecks({
        checks: metricChecks({ namespace: config.service.namespace, intervalMs, ...config.metrics, requestSuccessRate: { ...config.metrics.requestSuccessRate, enabled: true }, requestDuration: { ...config.metrics.requestDuration, enabled: true }, custom: [] }, config.traffic.primaryService),
        ...(config.metricsServer ? { metricsServer: config.metricsServer } : {}),
      });
      const outcomes = readings.map((reading) => ({ name: reading.name, outcome: normaliseOutcome(reading.outcome) }));
      const withoutData = outcomes.filter(({ outcome }) => outcome.kind !== 'value');
      const prometheusItem = withoutData.length
        ? item(phase, 'prometheus', 'failed', withoutData.map(({ name, outcome }) => `${name}: ${outcome.kind === 'noData' ? 'no data for the primary' : (outcome as { message: string }).message}`).join('; '))
        : item(phase, 'prometheus', 'passed', outcomes.map(({ name, outcome }) => `${name} = ${(outcome as { value: number }).value}`).join(', '));
      // The test message is sent until it was delivered once in this phase, not at every check.
      let slackItem = previous('slack');
      if (slackItem?.state !== 'passed') {
        const sent = await checks.sendTestNotification({ text: `docutag-release migration of ${service}: Slack test message (phase 2 checklist)`, ...(config.alerts.slack.channel ? { channel: config.alerts.slack.channel } : {}) });
        slackItem = item(phase, 'slack', sent.delivered ? 'passed' : 'failed', sent.delivered ? 'test message delivered' : `not delivered: ${sent.error}`);
      }
      let pilotCanary: ChecklistItem;
      if (!input.pilot) pilotCanary = item(phase, 'pilot-canary', 'failed', 'no pilot service: set migration.pilot to the pilot service config');
      else {
        const promoted = await checks.countSuccessfulReleases({ service: `${input.pilot.namespace}/${input.pilot.name}`, strategy: 'canary', since: state.phaseStartedAt });
        pilotCanary = item(phase, 'pilot-canary', promoted > 0 ? 'passed' : 'pending', `${promoted} promoted canary release(s) of ${input.pilot.namespace}/${input.pilot.name} since the phase began`);
      }
      checklist = [trafficItem, prometheusItem, slackItem, pilotCanary, await drillItem(phase, 'pilot-drill', input.pilot, 'canary')];
    }
    // A phase change while verifying (approve) makes this result stale: keep the new phase's list.
    if (phase === state.phase) {
      state.checklist = checklist;
      state.lastCheckedAt = new Date().toISOString();
    }
  };

  setHandler(migrationStatusQuery, () => ({
    ...state,
    workflowId: workflowInfo().workflowId,
    service,
    phaseName: PHASE_NAMES[state.phase],
    strategy: strategyForPhase(state.phase, config.strategy),
  }));
  setHandler(recheckSignal, (payload) => {
    const report = payload?.release;
    // A malformed report is ignored; the visibility count still finds the release.
    if (report && typeof report.runId === 'string' && typeof report.startedAt === 'string' && !state.reported.some((known) => known.runId === report.runId)) {
      state.reported = [...state.reported, report].slice(-MAX_REPORTS);
    }
    recheckRequested = true;
  });
  setHandler(
    approveUpdate,
    async (request) => {
      await verify();
      const decision = decideApproval(state.phase, state.checklist, request);
      if (!decision.moved) return { moved: false, phase: state.phase, note: decision.note, failing: decision.failing };
      const forced = state.checklist.some((entry) => entry.state !== 'passed');
      state.approvals = [
        ...state.approvals,
        { at: new Date().toISOString(), by: request.by, from: state.phase, to: decision.to, forced, reason: request.reason?.trim() || null, note: decision.note },
      ];
      state.phase = decision.to;
      state.phaseStartedAt = new Date().toISOString();
      state.checklist = pending(decision.to);
      recheckRequested = true;
      return { moved: true, phase: state.phase, note: decision.note, failing: [] };
    },
    {
      // A malformed approval is refused before it reaches the history; the migration goes on.
      validator: (request) => {
        if (typeof request !== 'object' || request === null || typeof request.by !== 'string' || !request.by.trim()) throw new Error('approve needs { by: string, force: boolean, reason?: string }');
        if (request.reason !== undefined && typeof request.reason !== 'string') throw new Error('approve: reason must be a string');
      },
    },
  );

  const checkEveryMs = durationMs(input.checkInterval ?? '10m');
  for (;;) {
    await condition(() => recheckRequested, checkEveryMs);
    recheckRequested = false;
    await verify();
    const info = workflowInfo();
    if (info.continueAsNewSuggested || (input.historyLimit !== undefined && info.historyLength > input.historyLimit)) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof migration>({ ...input, state });
    }
  }
}
