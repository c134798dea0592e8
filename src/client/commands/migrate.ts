import os from 'node:os';
import path from 'node:path';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { loadConfigFile, type ReleaseConfig } from '../../config';
import { PHASE_NAMES } from '../../workflows/domain/migration';
import { migrationWorkflowId, SEARCH_ATTRIBUTES, TASK_QUEUE } from '../../workflows/messages';
import { approveUpdate, migrationStatusQuery, type MigrationInput, type MigrationStatus } from '../../workflows/migration';
import { EXIT_CODES } from '../../workflows/types';
import { CliError } from '../errors';
import type { CliIO } from '../output';
import { connectClient, notFound } from '../temporal';

const MARK = { passed: '✓', failed: '✗', pending: '…' } as const;

/** `ns/name`, `migration-ns-name`, or --config → the migration workflow id. */
function migrationIdOf(idOrService: string | undefined, configFile: string | undefined): string {
  if (configFile) {
    const config = loadConfigFile(configFile);
    return migrationWorkflowId(config.service.namespace, config.service.name);
  }
  if (idOrService?.startsWith('migration-')) return idOrService;
  const match = idOrService ? /^([a-z0-9-]+)\/([a-z0-9-]+)$/.exec(idOrService) : null;
  if (!match) throw new CliError('name the service as namespace/name, the migration id, or pass --config release.yaml', EXIT_CODES.badInput);
  return migrationWorkflowId(match[1]!, match[2]!);
}

export function renderMigration(status: MigrationStatus): string {
  const lines = [
    `${status.workflowId}  ${status.service}`,
    `phase ${status.phase}/3: ${status.phaseName} (since ${status.phaseStartedAt}); releases use ${status.strategy}`,
    ...status.checklist.map((item) => `  ${MARK[item.state]} ${item.state.padEnd(7)} ${item.title}: ${item.reason}`),
  ];
  if (!status.checklist.length) lines.push('  (last phase: nothing left to check)');
  if (status.lastCheckedAt) lines.push(`last verified ${status.lastCheckedAt}`);
  for (const approval of status.approvals) lines.push(`  ${approval.at}  phase ${approval.from} → ${approval.to}: ${approval.note}`);
  return lines.join('\n');
}

/** `migrate start --config release.yaml`: the long-lived migration workflow of the service. */
export async function migrateStartCommand(options: { config: string; checkInterval?: string; json?: boolean }, io: CliIO, env: NodeJS.ProcessEnv): Promise<number> {
  const config = loadConfigFile(options.config);
  let pilot: MigrationInput['pilot'];
  if (config.migration?.pilot) {
    const pilotConfig = loadConfigFile(path.resolve(path.dirname(options.config), config.migration.pilot));
    pilot = { namespace: pilotConfig.service.namespace, name: pilotConfig.service.name };
  }
  const workflowId = migrationWorkflowId(config.service.namespace, config.service.name);
  const input: MigrationInput = { config, ...(pilot ? { pilot } : {}), ...(options.checkInterval ? { checkInterval: options.checkInterval } : {}) };
  const { client, close } = await connectClient(env);
  try {
    await client.workflow.start('migration', {
      taskQueue: TASK_QUEUE,
      workflowId,
      args: [input],
      workflowIdConflictPolicy: 'FAIL',
      typedSearchAttributes: [{ key: SEARCH_ATTRIBUTES.service, value: `${config.service.namespace}/${config.service.name}` }],
    }).catch((error) => {
      if (error instanceof WorkflowExecutionAlreadyStartedError) throw new CliError(`the migration of ${config.service.namespace}/${config.service.name} is already running: ${workflowId}; see \`docutag-release migrate status ${workflowId}\``);
      throw error;
    });
    io.out(options.json ? JSON.stringify({ workflowId }) : `started ${workflowId}: phase 1, ${PHASE_NAMES[1]}${pilot ? `; pilot ${pilot.namespace}/${pilot.name}` : '; no pilot (set migration.pilot for phase 2)'}`);
    return 0;
  } finally {
    await close();
  }
}

export async function migrateStatusCommand(idOrService: string | undefined, options: { config?: string; json?: boolean }, io: CliIO, env: NodeJS.ProcessEnv): Promise<number> {
  const id = migrationIdOf(idOrService, options.config);
  const { client, close } = await connectClient(env);
  try {
    const status = await client.workflow.getHandle(id).query(migrationStatusQuery).catch((error) => notFound(id, error));
    io.out(options.json ? JSON.stringify(status, null, 2) : renderMigration(status));
    return 0;
  } finally {
    await close();
  }
}

/** `migrate approve`: exit 0 when the phase moved on, 1 when refused (the failing items are printed). */
export async function migrateApproveCommand(idOrService: string | undefined, options: { config?: string; force?: boolean; reason?: string; json?: boolean }, io: CliIO, env: NodeJS.ProcessEnv): Promise<number> {
  const id = migrationIdOf(idOrService, options.config);
  if (options.force && !options.reason?.trim()) throw new CliError('--force needs --reason "why": it is recorded with your name', EXIT_CODES.badInput);
  const { client, close } = await connectClient(env);
  try {
    const by = env.DOCUTAG_USER ?? os.userInfo().username;
    const result = await client.workflow
      .getHandle(id)
      .executeUpdate(approveUpdate, { args: [{ by, force: !!options.force, ...(options.reason ? { reason: options.reason } : {}) }] })
      .catch((error) => notFound(id, error));
    if (options.json) io.out(JSON.stringify(result, null, 2));
    else {
      io.out(`${result.moved ? `moved to phase ${result.phase}: ${PHASE_NAMES[result.phase]}` : 'not moved'} (${result.note})`);
      for (const item of result.failing) io.out(`  ${MARK[item.state]} ${item.title}: ${item.reason}`);
    }
    return result.moved ? 0 : EXIT_CODES.other;
  } finally {
    await close();
  }
}

/** The strategy the service's migration phase prescribes, or null when it has no running migration. */
export async function strategyFromMigration(client: Client, config: ReleaseConfig): Promise<MigrationStatus | null> {
  try {
    return await client.workflow.getHandle(migrationWorkflowId(config.service.namespace, config.service.name)).query(migrationStatusQuery);
  } catch {
    return null;
  }
}
