import { statusQuery } from '../../workflows/messages';
import type { ReleaseResult, ReleaseStatus } from '../../workflows/types';
import { followRelease, renderResult } from '../follow';
import { printable, renderStatus, type CliIO } from '../output';
import { connectClient, notFound, resolveReleaseId } from '../temporal';

/** `status <id>`: the live status of a running release, or the final one of a finished release. */
export async function statusCommand(idOrService: string, options: { json?: boolean }, io: CliIO, env: NodeJS.ProcessEnv): Promise<number> {
  const id = resolveReleaseId(idOrService);
  const { client, close } = await connectClient(env);
  try {
    const handle = client.workflow.getHandle(id);
    const description = await handle.describe().catch((error) => notFound(id, error));
    let status: ReleaseStatus;
    let result: ReleaseResult | undefined;
    if (description.status.name === 'COMPLETED') {
      result = (await handle.result()) as ReleaseResult;
      status = result.status;
    } else {
      status = await handle.query(statusQuery);
    }
    if (options.json) io.out(JSON.stringify(result ? { ...status, outcome: result.outcome, reason: result.reason, totalMs: result.totalMs, detectionMs: result.detectionMs, rollbackMs: result.rollbackMs } : status, null, 2));
    else io.out(`${renderStatus(status, { events: 15 })}${result ? `\n${renderResult(result)}` : ''}`);
    return 0;
  } finally {
    await close();
  }
}

/** `watch <id>`: follows the release to its end; exits with its outcome's code. */
export async function watchCommand(idOrService: string, options: { json?: boolean }, io: CliIO, env: NodeJS.ProcessEnv): Promise<number> {
  const id = resolveReleaseId(idOrService);
  const { client, close } = await connectClient(env);
  try {
    const handle = client.workflow.getHandle(id);
    await handle.describe().catch((error) => notFound(id, error));
    return await followRelease(handle, io, { json: options.json ?? false });
  } finally {
    await close();
  }
}

export interface ListOptions {
  service?: string;
  running?: boolean;
  json?: boolean;
  limit?: number;
}

/** Builds the visibility query of `list`. Service names are validated, so quoting is safe. */
export function listQuery(options: ListOptions): string {
  const clauses = [`WorkflowType = 'release'`];
  if (options.service) clauses.push(`ReleaseService = '${options.service.replace(/'/g, '')}'`);
  if (options.running) clauses.push(`ExecutionStatus = 'Running'`);
  return clauses.join(' AND ');
}

export async function listCommand(options: ListOptions, io: CliIO, env: NodeJS.ProcessEnv): Promise<number> {
  const { client, close } = await connectClient(env);
  try {
    const rows: Array<Record<string, unknown>> = [];
    for await (const execution of client.workflow.list({ query: listQuery(options) })) {
      const attributes = execution.searchAttributes as Record<string, unknown[] | undefined>;
      rows.push({
        workflowId: execution.workflowId,
        status: execution.status.name,
        service: attributes.ReleaseService?.[0] ?? '',
        version: attributes.ReleaseVersion?.[0] ?? '',
        strategy: attributes.ReleaseStrategy?.[0] ?? '',
        phase: attributes.ReleasePhase?.[0] ?? '',
        weight: attributes.ReleaseWeight?.[0] ?? 0,
        startedAt: execution.startTime.toISOString(),
      });
      if (rows.length >= (options.limit ?? 50)) break;
    }
    if (options.json) io.out(JSON.stringify(rows, null, 2));
    else if (!rows.length) io.out('no releases match');
    else {
      const columns = ['workflowId', 'status', 'version', 'strategy', 'phase', 'weight', 'startedAt'];
      const widths = columns.map((column) => Math.max(column.length, ...rows.map((row) => String(row[column]).length)));
      const line = (values: string[]) => values.map((value, i) => value.padEnd(widths[i]!)).join('  ');
      io.out([line(columns), ...rows.map((row) => line(columns.map((column) => printable(String(row[column]), { singleLine: true }))))].join('\n'));
    }
    return 0;
  } finally {
    await close();
  }
}
