import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { temporalSettings } from '../temporal/connection';
import { CliError } from './errors';
import { EXIT_CODES } from '../workflows/types';

/** A Temporal client from the environment, in Temporal's conventions (TEMPORAL_ADDRESS, ...). */
export async function connectClient(env: NodeJS.ProcessEnv): Promise<{ client: Client; close: () => Promise<void> }> {
  const settings = temporalSettings(env);
  const connection = await Connection.connect({ ...(settings.connectionOptions as object), address: settings.address, connectTimeout: '5s' } as never);
  return { client: new Client({ connection, namespace: settings.namespace }), close: () => connection.close() };
}

/**
 * `<id>` is a workflow id, or a service as `namespace/name`, resolved to `release-<namespace>-<name>`.
 */
export function resolveReleaseId(idOrService: string): string {
  // A train (train-<name>) takes the same steering messages, for its running releases.
  if (idOrService.startsWith('release-') || idOrService.startsWith('train-')) return idOrService;
  const service = /^([a-z0-9-]+)\/([a-z0-9-]+)$/.exec(idOrService);
  if (service) return `release-${service[1]}-${service[2]}`;
  throw new CliError(`"${idOrService}" is neither a release id (release-<namespace>-<service>) nor a service (<namespace>/<service>)`, EXIT_CODES.badInput);
}

/** Rethrows "workflow not found" as an error that says what to do. */
export function notFound(id: string, error: unknown): never {
  if (error instanceof WorkflowNotFoundError || /not found/i.test((error as Error)?.message ?? '')) {
    throw new CliError(`no release ${id}; \`docutag-release list\` shows the releases there are`, EXIT_CODES.badInput);
  }
  throw error;
}
