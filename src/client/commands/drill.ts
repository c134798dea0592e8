import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { loadConfigFile, strategySchema, type ReleaseConfig } from '../../config';
import type { DrillInput, DrillResult } from '../../workflows/types';
import { formatMs } from '../../workflows/domain/duration';
import { SEARCH_ATTRIBUTES, TASK_QUEUE } from '../../workflows/messages';
import { EXIT_CODES } from '../../workflows/types';
import { CliError } from '../errors';
import type { CliIO } from '../output';
import { connectClient } from '../temporal';
import { strategyFromMigration } from './migrate';

export const drillScheduleId = (namespace: string, service: string) => `drill-${namespace}-${service}`;

const EVERY_PATTERN = /^(\d+)(m|h|d|w)$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** `--every 1w` → ms; refuses anything shorter than 10 minutes (a drill releases a faulty version). */
export function parseEvery(every: string): number {
  const match = EVERY_PATTERN.exec(every);
  if (!match) throw new CliError(`--every "${every}": expected a period like 30m, 12h, 1d or 1w`, EXIT_CODES.badInput);
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  if (ms < 600_000) throw new CliError(`--every "${every}" is shorter than 10m; a drill releases a faulty version, run it at most every 10 minutes`, EXIT_CODES.badInput);
  return ms;
}

/** A cron expression of 5 fields (minute hour day-of-month month day-of-week). */
export function checkCron(cron: string): string {
  if (cron.trim().split(/\s+/).length !== 5) throw new CliError(`--cron "${cron}": expected 5 fields, e.g. "0 10 * * 1" (Mondays at 10:00 UTC)`, EXIT_CODES.badInput);
  return cron.trim();
}

function drillConfig(file: string): ReleaseConfig {
  const config = loadConfigFile(file);
  if (!config.drill) throw new CliError(`${file} has no drill block: add drill: { version, set, maxRestore } (the deliberately faulty release)`, EXIT_CODES.badInput);
  return config;
}

/** `ns/name`, `drill-ns-name` → the schedule id. */
function scheduleIdOf(idOrService: string): string {
  if (idOrService.startsWith('drill-')) return idOrService;
  const match = /^([a-z0-9-]+)\/([a-z0-9-]+)$/.exec(idOrService);
  if (!match) throw new CliError(`"${idOrService}" is neither a drill schedule id (drill-<namespace>-<service>) nor a service (<namespace>/<service>)`, EXIT_CODES.badInput);
  return drillScheduleId(match[1]!, match[2]!);
}

const drillAttributes = (config: ReleaseConfig) => [{ key: SEARCH_ATTRIBUTES.service, value: `${config.service.namespace}/${config.service.name}` }];

export interface DrillScheduleOptions {
  config: string;
  cron?: string;
  every?: string;
  json?: boolean;
}

/** Creates (or updates) the Temporal Schedule `drill-<namespace>-<service>`: overlap SKIP, 1h catch-up window. */
export async function drillScheduleCommand(options: DrillScheduleOptions, io: CliIO, env: NodeJS.ProcessEnv): Promise<number> {
  if (!options.cron === !options.every) throw new CliError('give exactly one of --cron "0 10 * * 1" or --every 1w', EXIT_CODES.badInput);
  const config = drillConfig(options.config);
  const spec = options.cron ? { cronExpressions: [checkCron(options.cron)] } : { intervals: [{ every: parseEvery(options.every!) }] };
  const scheduleId = drillScheduleId(config.service.namespace, config.service.name);
  const specText = options.cron ? `cron "${options.cron.trim()}"` : `every ${options.every}`;
  const input: DrillInput = { config, trigger: 'schedule' };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'rollbackDrill',
    args: [input],
    taskQueue: TASK_QUEUE,
    workflowId: `drill-run-${config.service.namespace}-${config.service.name}`,
    typedSearchAttributes: drillAttributes(config),
  };
  const { client, close } = await connectClient(env);
  try {
    const create = () => client.schedule.create({ scheduleId, spec, action, memo: { spec: specText }, policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1h' } });
    let verb = 'created';
    try {
      await create();
    } catch (error) {
      if (!(error instanceof ScheduleAlreadyRunning)) throw error;
      // Replaced rather than updated, so its memo (the spec as written) stays true; results live in visibility.
      await client.schedule.getHandle(scheduleId).delete();
      await create();
      verb = 'updated';
    }
    const description = await client.schedule.getHandle(scheduleId).describe();
    const next = description.info.nextActionTimes[0]?.toISOString() ?? 'none';
    io.out(options.json ? JSON.stringify({ scheduleId, status: verb, nextRun: next }) : `${verb} schedule ${scheduleId}; next run ${next}`);
    return 0;
  } finally {
    await close();
  }
}

/** The last `limit` drill results of a service, newest first, from Temporal visibility. */
export async function recentDrillResults(client: Client, service: string, limit: number): Promise<Array<DrillResult & { workflowId: string; status: string }>> {
  const results: Array<DrillResult & { workflowId: string; status: string }> = [];
  for await (const execution of client.workflow.list({ query: `WorkflowType = 'rollbackDrill' AND ReleaseService = '${service.replace(/'/g, '')}' AND ExecutionStatus != 'Running'` })) {
    const handle = client.workflow.getHandle(execution.workflowId, execution.runId);
    const result = execution.status.name === 'COMPLETED' ? ((await handle.result()) as DrillResult) : undefined;
    if (result) results.push({ ...result, workflowId: execution.workflowId, status: execution.status.name });
    if (results.length >= limit) break;
  }
  return results;
}

/** `drill list`: every drill schedule, its next run, paused or not, and its last results. */
export async function drillListCommand(options: { json?: boolean; last?: string }, io: CliIO, env: NodeJS.ProcessEnv): Promise<number> {
  const limit = Math.max(1, Math.min(50, Number(options.last ?? 5) || 5));
  const { client, close } = await connectClient(env);
  try {
    const rows = [];
    for await (const summary of client.schedule.list()) {
      if (!summary.scheduleId.startsWith('drill-')) continue;
      const description = await client.schedule.getHandle(summary.scheduleId).describe();
      const input = (description.action as { args?: DrillInput[] }).args?.[0];
      const service = input ? `${input.config.service.namespace}/${input.config.service.name}` : '';
      rows.push({
        scheduleId: summary.scheduleId,
        service,
        spec: String(description.memo?.spec ?? ''),
        paused: description.state.paused,
        nextRun: description.info.nextActionTimes[0]?.toISOString() ?? null,
        results: service ? await recentDrillResults(client, service, limit) : [],
      });
    }
    if (options.json) io.out(JSON.stringify(rows, null, 2));
    else if (!rows.length) io.out('no drill schedules; create one with `docutag-release drill schedule --config pilot.yaml --cron "0 10 * * 1"`');
    else {
      for (const row of rows) {
        io.out(`${row.scheduleId}  ${row.service}  ${row.spec}  ${row.paused ? 'PAUSED' : `next ${row.nextRun ?? 'none'}`}`);
        for (const result of row.results) {
          io.out(`  ${result.finishedAt}  ${result.skipped ? 'SKIPPED' : result.passed ? 'PASSED ' : 'FAILED '}  detection ${result.detectionMs === null ? '-' : formatMs(result.detectionMs)}  restore ${result.restoreMs === null ? '-' : formatMs(result.restoreMs)}  ${result.passed ? '' : result.reason}`);
        }
      }
    }
    return 0;
  } finally {
    await close();
  }
}

/** `drill run`: one drill now, from a config or from a schedule's config; waits; exit 0 passed, 4 failed, 1 skipped. */
export async function drillRunCommand(idOrService: string | undefined, options: { config?: string; strategy?: string; json?: boolean }, io: CliIO, env: NodeJS.ProcessEnv): Promise<number> {
  const { client, close } = await connectClient(env);
  try {
    let config: ReleaseConfig;
    if (options.config) config = drillConfig(options.config);
    else if (idOrService) {
      const scheduleId = scheduleIdOf(idOrService);
      const description = await client.schedule.getHandle(scheduleId).describe().catch((error) => {
        if (error instanceof ScheduleNotFoundError) throw new CliError(`no drill schedule ${scheduleId}; pass --config pilot.yaml to run a drill without one`, EXIT_CODES.badInput);
        throw error;
      });
      config = ((description.action as { args: DrillInput[] }).args[0] as DrillInput).config;
    } else throw new CliError('give the service (namespace/name) of a drill schedule, or --config pilot.yaml', EXIT_CODES.badInput);
    if (options.strategy !== undefined) {
      const strategy = strategySchema.safeParse(options.strategy);
      if (!strategy.success) throw new CliError(`--strategy "${options.strategy}": expected canary, blue-green or direct`, EXIT_CODES.badInput);
      config.strategy = strategy.data;
    } else {
      // As with `start`: the service's migration phase decides which path the drill proves.
      const migration = await strategyFromMigration(client, config);
      if (migration) config.strategy = migration.strategy;
    }
    const workflowId = `drill-run-${config.service.namespace}-${config.service.name}-manual-${Date.now()}`;
    if (!options.json) io.out(`running rollback drill ${workflowId}: releasing ${config.drill!.version} (faulty, ${config.strategy}), expecting a rollback...`);
    const result = (await client.workflow.execute('rollbackDrill', {
      taskQueue: TASK_QUEUE,
      workflowId,
      args: [{ config, trigger: 'manual' } satisfies DrillInput],
      typedSearchAttributes: drillAttributes(config),
    })) as DrillResult;
    if (options.json) io.out(JSON.stringify(result, null, 2));
    else {
      io.out(`${result.skipped ? 'SKIPPED' : result.passed ? 'PASSED' : 'FAILED'}: ${result.reason}`);
      io.out(`detection ${result.detectionMs === null ? '-' : formatMs(result.detectionMs)}, restore ${result.restoreMs === null ? '-' : formatMs(result.restoreMs)} (limit ${formatMs(result.maxRestoreMs)})`);
    }
    return result.skipped ? EXIT_CODES.other : result.passed ? EXIT_CODES.succeeded : EXIT_CODES.failed;
  } finally {
    await close();
  }
}

/** `drill pause|resume|delete <service or schedule id>`. */
export async function drillControlCommand(action: 'pause' | 'resume' | 'delete', idOrService: string, io: CliIO, env: NodeJS.ProcessEnv): Promise<number> {
  const scheduleId = scheduleIdOf(idOrService);
  const { client, close } = await connectClient(env);
  try {
    const handle = client.schedule.getHandle(scheduleId);
    try {
      if (action === 'pause') await handle.pause('paused from the CLI');
      else if (action === 'resume') await handle.unpause('resumed from the CLI');
      else await handle.delete();
    } catch (error) {
      if (error instanceof ScheduleNotFoundError) throw new CliError(`no drill schedule ${scheduleId}; \`docutag-release drill list\` shows the schedules`, EXIT_CODES.badInput);
      throw error;
    }
    io.out(`${action === 'delete' ? 'deleted' : action === 'pause' ? 'paused' : 'resumed'} ${scheduleId}`);
    return 0;
  } finally {
    await close();
  }
}
