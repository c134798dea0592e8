/*
 * `docutag-release train start | status | watch | promote | abort`: a release train (src/workflows/
 * train.ts). The table shows each service's state in the train and, while its release runs, that
 * release's own phase and weight, queried from its workflow.
 */
import os from 'node:os';
import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { loadTrainFile } from '../../config/train';
import { statusQuery, TASK_QUEUE, trainStatusQuery } from '../../workflows/messages';
import { EXIT_CODES, trainExitCode, trainWorkflowId, type ReleaseStatus, type TrainResult, type TrainServiceStatus, type TrainStatus } from '../../workflows/types';
import type { train } from '../../workflows/train';
import { releaseSummary } from '../../workflows/story';
import { CliError } from '../errors';
import { endedWithoutResult, unseen } from '../follow';
import { printable, weightBar, type CliIO } from '../output';
import { connectClient, notFound } from '../temporal';
import { checkMetricsServer } from './validate';
import { steerCommand, type SteerOptions, type SteeringSignal } from './steer';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `storefront` or `train-storefront`. */
export function resolveTrainId(nameOrId: string): string {
  if (/^train-[a-z0-9-]+$/.test(nameOrId)) return nameOrId;
  if (/^[a-z0-9-]+$/.test(nameOrId)) return trainWorkflowId(nameOrId);
  throw new CliError(`"${nameOrId}" is neither a train id (train-<name>) nor a train name`, EXIT_CODES.badInput);
}

export async function trainStartCommand(options: { config: string; wait?: boolean; json?: boolean }, io: CliIO, env: NodeJS.ProcessEnv): Promise<number> {
  // Every config of the train is checked before anything starts.
  const input = loadTrainFile(options.config, (config, source) => void checkMetricsServer(config, source, env));
  input.requestedBy = os.userInfo().username;
  const workflowId = trainWorkflowId(input.name);
  const services = input.stages.flatMap((stage) => stage.services);
  const { client, close } = await connectClient(env);
  try {
    let handle: WorkflowHandleWithFirstExecutionRunId<typeof train>;
    try {
      handle = await client.workflow.start<typeof train>('train', {
        taskQueue: TASK_QUEUE,
        workflowId,
        args: [input],
        workflowIdConflictPolicy: 'FAIL',
        staticSummary: `train ${input.name}: ${services.map((service) => `${service.config.service.namespace}/${service.config.service.name} → ${service.version}`).join(', ')}`.slice(0, 400),
        staticDetails: input.stages.map((stage, index) => `${index + 1}. ${stage.services.map((service) => releaseSummary(service.config, service.version)).join(' ∥ ')}`).join('\n') + (input.compensate ? '\n\ncompensate: a failure rolls the promoted services back, newest first' : ''),
      });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      throw new CliError(`train ${input.name} is already running: ${workflowId}. Watch it with \`docutag-release train watch ${workflowId}\` or stop it with \`docutag-release train abort ${workflowId}\`.`);
    }
    const summary = `${services.length} service${services.length === 1 ? '' : 's'} in ${input.stages.length} stage${input.stages.length === 1 ? '' : 's'}${input.compensate ? ', compensating' : ''}`;
    if (!options.wait) {
      io.out(options.json ? JSON.stringify({ workflowId, runId: handle.firstExecutionRunId }) : `Started ${workflowId} (${summary}). Follow it with: docutag-release train watch ${workflowId}`);
      return EXIT_CODES.succeeded;
    }
    if (!options.json) io.out(`Started ${workflowId} (${summary})`);
    return await followTrain(client, handle, io, { json: options.json ?? false });
  } finally {
    await close();
  }
}

export async function trainStatusCommand(nameOrId: string, options: { json?: boolean }, io: CliIO, env: NodeJS.ProcessEnv): Promise<number> {
  const id = resolveTrainId(nameOrId);
  const { client, close } = await connectClient(env);
  try {
    const handle = client.workflow.getHandle(id);
    const description = await handle.describe().catch((error) => notFound(id, error));
    if (description.status.name !== 'RUNNING') {
      const result = (await handle.result().catch(() => null)) as TrainResult | null;
      if (!result) throw new CliError(`${id} ended ${description.status.name} without a result; \`temporal workflow show -w ${id}\` shows why`);
      io.out(options.json ? JSON.stringify(result, null, 2) : `${renderTrain(result.status, {})}\n${renderTrainResult(result)}`);
      return trainExitCode(result.outcome);
    }
    const status = await handle.query(trainStatusQuery);
    const releases = await runningReleases(client, status);
    io.out(options.json ? JSON.stringify({ ...status, releases }, null, 2) : renderTrain(status, releases));
    return EXIT_CODES.succeeded;
  } finally {
    await close();
  }
}

export async function trainWatchCommand(nameOrId: string, options: { json?: boolean }, io: CliIO, env: NodeJS.ProcessEnv): Promise<number> {
  const id = resolveTrainId(nameOrId);
  const { client, close } = await connectClient(env);
  try {
    const handle = client.workflow.getHandle(id);
    await handle.describe().catch((error) => notFound(id, error));
    return await followTrain(client, handle, io, { json: options.json ?? false });
  } finally {
    await close();
  }
}

/** promote / abort / pause / resume of a train: acknowledged Updates (signals when no worker answers), as for a release. */
export function trainSteerCommand(signal: SteeringSignal, nameOrId: string, options: SteerOptions, io: CliIO, env: NodeJS.ProcessEnv): Promise<number> {
  return steerCommand(signal, resolveTrainId(nameOrId), options, io, env);
}

/** The phase and weight of each release of the train that runs now, by workflow id. */
async function runningReleases(client: Client, status: TrainStatus): Promise<Record<string, ReleaseStatus>> {
  const running = status.services.filter((service) => service.state === 'running' || service.compensation?.state === 'running');
  const answers = await Promise.all(running.map((service) => client.workflow.getHandle(service.workflowId).query(statusQuery).then((release) => [service.workflowId, release] as const, () => null)));
  return Object.fromEntries(answers.filter((answer) => answer !== null));
}

/**
 * Follows a train to its end: a new table whenever a service's state, phase or weight changes, new
 * train events as lines. Exit 0 promoted, 3 rolled back or stopped, 4 failed.
 */
export async function followTrain(client: Client, handle: WorkflowHandle, io: CliIO, options: { json?: boolean; pollMs?: number } = {}): Promise<number> {
  let lastTable = '';
  const printed = new Set<string>();
  const show = (status: TrainStatus, releases: Record<string, ReleaseStatus>) => {
    if (options.json) return;
    for (const event of unseen(printed, status.events)) io.out(`${event.at.slice(11, 19)}  ${printable(event.message, { singleLine: true })}`);
    const table = renderTrain(status, releases);
    if (table !== lastTable) io.out(table);
    lastTable = table;
  };
  for (;;) {
    const description = await handle.describe();
    if (description.status.name !== 'RUNNING') {
      try {
        const result = (await handle.result()) as TrainResult;
        show(result.status, {});
        io.out(options.json ? JSON.stringify(result, null, 2) : renderTrainResult(result));
        return trainExitCode(result.outcome);
      } catch (error) {
        return endedWithoutResult(error, 'train', description.status.name, io);
      }
    }
    try {
      const status = await handle.query(trainStatusQuery);
      show(status, await runningReleases(client, status));
    } catch {
      // No worker has answered yet; the next round asks again.
    }
    await sleep(options.pollMs ?? 1000);
  }
}

const STATE_TEXT: Record<TrainServiceStatus['state'], string> = {
  waiting: 'waiting',
  running: 'running',
  promoted: 'Promoted',
  rolledBack: 'RolledBack',
  failed: 'Failed',
  notStarted: 'not started',
};

/** One line per service: stage, name, version, its state (or its release's phase and weight), its compensation. */
export function renderTrain(status: TrainStatus, releases: Record<string, ReleaseStatus>): string {
  const rows = status.services.map((service) => {
    const release = releases[service.workflowId];
    let state = STATE_TEXT[service.state];
    if (service.state === 'running' && release) state = release.strategy === 'direct' ? release.phase : `${release.phase.padEnd(12)} ${weightBar(release.canaryWeight, 10)}`;
    const compensation = service.compensation
      ? { pending: 'to roll back', running: `rolling back to revision ${service.compensation.toRevision}`, compensated: `rolled back to revision ${service.compensation.toRevision}`, failed: `rollback FAILED: ${service.compensation.reason ?? ''}`, skipped: `not rolled back: ${service.compensation.reason ?? ''}` }[service.compensation.state]
      : '';
    return [String(service.stage), service.service, service.version, state, printable(compensation, { singleLine: true })];
  });
  const header = ['STAGE', 'SERVICE', 'VERSION', 'STATE', 'COMPENSATION'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const format = (row: string[]) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd();
  const title = `${status.workflowId}  ${status.phase}  stage ${status.stage}/${status.stages}${status.stoppedBy ? `  (stopped: ${printable(status.stoppedBy, { singleLine: true })})` : ''}`;
  return [title, format(header), ...rows.map(format)].join('\n');
}

export function renderTrainResult(result: TrainResult): string {
  return `TRAIN ${result.outcome.toUpperCase()}: ${printable(result.reason, { singleLine: true })}`;
}
