import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { DrillResult } from '../workflows/types';
import type { Notifier, TrafficSplit } from './ports';

/** Lists the services a traffic split sends traffic to (TraefikService: its weighted services). */
export interface TrafficInspector {
  listServices(args: { split: TrafficSplit }): Promise<string[]>;
}

export interface MigrationActivityDeps {
  /** Reads Temporal visibility: releases and drills are counted where they are recorded. */
  temporal: Client;
  inspector: TrafficInspector;
  notifier: Notifier;
}

const quote = (value: string) => `'${value.replace(/'/g, '')}'`;

/**
 * Activities that verify the migration checklist. They return facts (counts, service lists,
 * drill results); the migration workflow turns them into passed / failed items.
 */
export function createMigrationActivities(deps: MigrationActivityDeps) {
  return {
    /**
     * Tells a service's migration how one of its releases ended, if a migration is running: most
     * services have none, and a signal from the workflow to a missing one would show as a failed
     * event in every release's history.
     */
    async reportToMigration(args: { workflowId: string; report: unknown }): Promise<{ delivered: boolean }> {
      try {
        await deps.temporal.workflow.getHandle(args.workflowId).signal('recheck', args.report);
        return { delivered: true };
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return { delivered: false };
        throw error;
      }
    },
    /** Successful releases of a service with a strategy, started after `since` (ISO). */
    async countSuccessfulReleases(args: { service: string; strategy: string; since: string }): Promise<number> {
      const query = `WorkflowType = 'release' AND ReleaseService = ${quote(args.service)} AND ReleaseStrategy = ${quote(args.strategy)} AND ReleasePhase = 'Succeeded' AND ExecutionStatus = 'Completed' AND StartTime > ${quote(args.since)}`;
      return (await deps.temporal.workflow.count(query)).count;
    },

    /** Run ids of successful releases of a service with a strategy, started after `since` (ISO); at most `limit`. */
    async successfulReleaseRuns(args: { service: string; strategy: string; since: string; limit: number }): Promise<string[]> {
      const query = `WorkflowType = 'release' AND ReleaseService = ${quote(args.service)} AND ReleaseStrategy = ${quote(args.strategy)} AND ReleasePhase = 'Succeeded' AND StartTime > ${quote(args.since)}`;
      const runIds: string[] = [];
      for await (const execution of deps.temporal.workflow.list({ query })) {
        runIds.push(execution.runId);
        if (runIds.length >= args.limit) break;
      }
      return runIds;
    },

    /** The newest drill results of a service since `since` (ISO), newest first. */
    async recentDrills(args: { service: string; since: string; limit: number }): Promise<Array<Pick<DrillResult, 'passed' | 'skipped' | 'strategy' | 'reason' | 'finishedAt'>>> {
      const query = `WorkflowType = 'rollbackDrill' AND ReleaseService = ${quote(args.service)} AND ExecutionStatus = 'Completed' AND StartTime > ${quote(args.since)}`;
      const results = [];
      for await (const execution of deps.temporal.workflow.list({ query })) {
        const result = (await deps.temporal.workflow.getHandle(execution.workflowId, execution.runId).result()) as DrillResult;
        results.push({ passed: result.passed, skipped: result.skipped, strategy: result.strategy, reason: result.reason, finishedAt: result.finishedAt });
        if (results.length >= args.limit) break;
      }
      return results;
    },

    /** The services in the traffic split, or the error that kept us from reading it. */
    async inspectTraffic(args: { split: TrafficSplit }): Promise<{ services: string[]; error: string | null }> {
      try {
        return { services: await deps.inspector.listServices(args), error: null };
      } catch (error) {
        return { services: [], error: (error as Error).message };
      }
    },

    /** Sends a test message; reports whether Slack took it. */
    async sendTestNotification(args: { text: string; channel?: string }): Promise<{ delivered: boolean; error: string | null }> {
      try {
        await deps.notifier.post({ text: args.text, severity: 'info', ...(args.channel ? { channel: args.channel } : {}) });
        return { delivered: true, error: null };
      } catch (error) {
        return { delivered: false, error: (error as Error).message };
      }
    },
  };
}

export type MigrationActivities = ReturnType<typeof createMigrationActivities>;
