import { defaultPayloadConverter, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { loadConfigFile, parseConfig, type ReleaseConfig } from '../../config';
import { ConfigError } from '../../config/errors';
import { SEARCH_ATTRIBUTES, statusQuery, TASK_QUEUE } from '../../workflows/messages';
import type { revert } from '../../workflows/revert';
import { EXIT_CODES, releaseWorkflowId, type RevertInput } from '../../workflows/types';
import { CliError } from '../errors';
import { followRelease } from '../follow';
import type { CliIO } from '../output';
import { connectClient } from '../temporal';
import { defaultSteerer } from './steer';
import { checkMetricsServer } from './validate';

export interface RollbackOptions {
  config?: string;
  values?: string;
  toRevision?: string;
  reason?: string;
  by?: string;
  /** commander's --no-wait: false. */
  wait?: boolean;
  json?: boolean;
}

const SERVICE = /^([a-z0-9-]+)\/([a-z0-9-]+)$/;

/**
 * `docutag-release rollback <namespace/service> [--to-revision N]`: the primary back to the previous
 * revision that served (or revision N), as a workflow under the service's release id. The config is
 * `--config`, else the one the service's last release ran with (read from its Temporal history).
 */
export async function rollbackCommand(serviceArg: string, options: RollbackOptions, io: CliIO, env: NodeJS.ProcessEnv): Promise<number> {
  const service = SERVICE.exec(serviceArg);
  if (!service) throw new CliError(`"${serviceArg}" is not a service: expected <namespace>/<service>, e.g. docutag/docutag-controller`, EXIT_CODES.badInput);
  const [, namespace, name] = service as unknown as [string, string, string];
  const toRevision = parseRevision(options.toRevision);
  const workflowId = releaseWorkflowId(namespace, name);
  let config: ReleaseConfig | undefined;
  if (options.config) {
    config = loadConfigFile(options.config, options.values ? { valuesFile: options.values } : {});
    checkMetricsServer(config, options.config, env);
    if (config.service.namespace !== namespace || config.service.name !== name) {
      throw new CliError(`${options.config} is the config of ${config.service.namespace}/${config.service.name}, not ${namespace}/${name}; give that service's config, or leave --config out to use its last release's`, EXIT_CODES.badInput);
    }
  }
  const { client, close } = await connectClient(env);
  try {
    config ??= await lastReleaseConfig(client, workflowId, `${namespace}/${name}`);
    const input: RevertInput = { config, requestedBy: options.by?.trim() || defaultSteerer(), ...(toRevision !== undefined ? { toRevision } : {}), ...(options.reason?.trim() ? { reason: options.reason.trim() } : {}) };
    let handle;
    try {
      handle = await client.workflow.start<typeof revert>('revert', {
        taskQueue: TASK_QUEUE,
        workflowId,
        args: [input],
        workflowIdConflictPolicy: 'FAIL',
        typedSearchAttributes: [
          { key: SEARCH_ATTRIBUTES.service, value: `${namespace}/${name}` },
          { key: SEARCH_ATTRIBUTES.version, value: 'rollback' },
          { key: SEARCH_ATTRIBUTES.strategy, value: config.strategy },
          { key: SEARCH_ATTRIBUTES.phase, value: 'Initializing' },
          { key: SEARCH_ATTRIBUTES.weight, value: 0 },
        ],
      });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      const detail = await client.workflow
        .getHandle(workflowId)
        .query(statusQuery)
        .then((status) => ` (version ${status.version}, phase ${status.phase})`)
        .catch(() => '');
      throw new CliError(`a release of ${namespace}/${name} is running: ${workflowId}${detail}. A rollback never runs beside it: \`docutag-release abort ${workflowId}\` rolls that release back instead.`);
    }
    const target = toRevision !== undefined ? `revision ${toRevision}` : 'the previous revision that served';
    if (options.wait === false) {
      io.out(options.json ? JSON.stringify({ workflowId, runId: handle.firstExecutionRunId }) : `Started the rollback of ${namespace}/${name} to ${target}: ${workflowId}. Follow it with: docutag-release watch ${workflowId}`);
      return EXIT_CODES.succeeded;
    }
    if (!options.json) io.out(`Rolling back ${namespace}/${name} to ${target} (${workflowId})`);
    return await followRelease(handle, io, { json: options.json ?? false });
  } finally {
    await close();
  }
}

function parseRevision(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[1-9]\d*$/.test(text.trim())) throw new CliError(`--to-revision "${text}": expected a revision number as \`helm history\` lists it (1, 2, …)`, EXIT_CODES.badInput);
  return Number(text.trim());
}

/** The config the service's last release (or rollback) ran with: the first event of its latest run holds the input. */
async function lastReleaseConfig(client: Client, workflowId: string, service: string): Promise<ReleaseConfig> {
  let raw: unknown;
  try {
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    raw = payload ? (defaultPayloadConverter.fromPayload(payload) as { config?: unknown })?.config : undefined;
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError) && !/not found/i.test((error as Error)?.message ?? '')) throw error;
  }
  if (raw === undefined) throw new CliError(`no release of ${service} on record (${workflowId}), so its config is unknown; give it with --config release.yaml`, EXIT_CODES.badInput);
  try {
    return parseConfig(raw, 'config');
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new CliError(`the config of ${service}'s last release no longer validates (${error.issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}); give a current one with --config release.yaml`, EXIT_CODES.badInput);
  }
}
