import os from 'node:os';
import { WorkflowExecutionAlreadyStartedError, type Client, type Connection, type WorkflowStartOptions } from '@temporalio/client';
import { loadConfigFile, RELEASE_VERSION_HINT, RELEASE_VERSION_PATTERN, strategySchema } from '../../config';
import { initialSearchAttributes, statusQuery, TASK_QUEUE } from '../../workflows/messages';
import { startMetadata } from '../../workflows/story';
import { EXIT_CODES, releaseWorkflowId, type ReleaseInput } from '../../workflows/types';
import type { release } from '../../workflows/release';
import { ensureSearchAttributes } from '../../temporal/search-attributes';
import { CliError } from '../errors';
import { strategyFromMigration } from './migrate';
import { checkMetricsServer } from './validate';
import { defaultSteerer } from './steer';
import { followRelease } from '../follow';
import type { CliIO } from '../output';
import { connectClient } from '../temporal';

export interface StartOptions {
  config: string;
  version: string;
  values?: string;
  strategy?: string;
  wait?: boolean;
  json?: boolean;
  /** Go now, outside the deployment windows and through freezes; needs `reason`. */
  overrideWindow?: boolean;
  reason?: string;
  by?: string;
}

/** Validates first: a bad config or flag never starts a workflow. */
export function buildReleaseInput(options: StartOptions, env: NodeJS.ProcessEnv = {}): ReleaseInput {
  const config = loadConfigFile(options.config, options.values ? { valuesFile: options.values } : {});
  checkMetricsServer(config, options.config, env);
  if (!RELEASE_VERSION_PATTERN.test(options.version)) {
    throw new CliError(`--version "${options.version}" is not a version: ${RELEASE_VERSION_HINT}`, EXIT_CODES.badInput);
  }
  if (options.strategy !== undefined) {
    const strategy = strategySchema.safeParse(options.strategy);
    if (!strategy.success) throw new CliError(`--strategy "${options.strategy}": expected canary, blue-green, abTesting or direct`, EXIT_CODES.badInput);
    if (strategy.data === 'abTesting' && !config.analysis.match) {
      throw new CliError(`--strategy abTesting: ${options.config} has no analysis.match, so no request would reach the canary; add the rules, e.g. match: [{ headers: { x-canary: { exact: insider } } }]`, EXIT_CODES.badInput);
    }
    config.strategy = strategy.data;
  }
  if (options.overrideWindow && !options.reason?.trim()) {
    throw new CliError('--override-window needs --reason "why": who overrode a deployment window, and why, goes into the release\'s record', EXIT_CODES.badInput);
  }
  const requestedBy = os.userInfo().username;
  return {
    config,
    version: options.version,
    requestedBy,
    ...(options.overrideWindow ? { windowOverride: { by: options.by?.trim() || defaultSteerer(), reason: options.reason!.trim() } } : {}),
  };
}

/** Starts the release workflow under its service's id; a second start for the same service is refused by Temporal. */
export async function startReleaseWorkflow(client: Client, input: ReleaseInput, options: Omit<Partial<WorkflowStartOptions>, 'args' | 'taskQueue' | 'workflowId'> = {}) {
  const { service } = input.config;
  const start = () =>
    client.workflow.start<typeof release>('release', {
      taskQueue: TASK_QUEUE,
      workflowId: releaseWorkflowId(service.namespace, service.name),
      args: [input] as [ReleaseInput],
      workflowIdConflictPolicy: 'FAIL',
      typedSearchAttributes: [...initialSearchAttributes(input.config, input.version)],
      ...startMetadata(input.config, input.version),
      ...options,
    });
  try {
    return await start();
  } catch (error) {
    // A fresh namespace where no worker has run yet: register the attributes, as the worker would.
    const detail = `${(error as Error).message} ${(error as { cause?: Error }).cause?.message ?? ''}`;
    if (!/no mapping defined for search attribute/i.test(detail)) throw error;
    await ensureSearchAttributes(client.connection as Connection, client.options.namespace);
    return start();
  }
}

export async function startCommand(options: StartOptions, io: CliIO, env: NodeJS.ProcessEnv): Promise<number> {
  const input = buildReleaseInput(options, env);
  const { service } = input.config;
  const workflowId = releaseWorkflowId(service.namespace, service.name);
  const { client, close } = await connectClient(env);
  try {
    if (options.strategy === undefined) {
      // Without --strategy, the service's migration phase decides (direct until progressive delivery is proven).
      const migration = await strategyFromMigration(client, input.config);
      if (migration && migration.strategy !== input.config.strategy) {
        if (!options.json) io.out(`${migration.workflowId} is in phase ${migration.phase} (${migration.phaseName}): releasing with strategy ${migration.strategy}`);
        input.config.strategy = migration.strategy;
      }
    }
    let handle;
    try {
      handle = await startReleaseWorkflow(client, input);
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      const running = client.workflow.getHandle(workflowId);
      const detail = await running
        .query(statusQuery)
        .then((status) => ` (version ${status.version}, phase ${status.phase}, canary ${status.canaryWeight}%)`)
        .catch(() => '');
      throw new CliError(`a release of ${service.namespace}/${service.name} is already running: ${workflowId}${detail}. Watch it with \`docutag-release watch ${workflowId}\` or stop it with \`docutag-release abort ${workflowId}\`.`);
    }
    if (!options.wait) {
      io.out(options.json ? JSON.stringify({ workflowId, runId: handle.firstExecutionRunId }) : `Started ${workflowId} (${input.config.strategy}, version ${input.version}). Follow it with: docutag-release watch ${workflowId}`);
      return EXIT_CODES.succeeded;
    }
    if (!options.json) io.out(`Started ${workflowId} (${input.config.strategy}, version ${input.version})`);
    return await followRelease(handle, io, { json: options.json ?? false });
  } finally {
    await close();
  }
}
