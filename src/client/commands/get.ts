/*
 * `docutag-release get [namespace] [-w]`: Flagger's canary table (`kubectl get canaries -n docutag -w`)
 * for the latest release of each service: NAME, STATUS, WEIGHT, LASTTRANSITIONTIME. A running
 * release is asked for its status (its weight moves within a phase); a finished one is read from
 * Temporal's visibility (its last phase and weight, its close time).
 */
import type { Client } from '@temporalio/client';
import { statusQuery } from '../../workflows/messages';
import { EXIT_CODES } from '../../workflows/types';
import { CliError } from '../errors';
import { printable, type CliIO } from '../output';
import { connectClient } from '../temporal';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Releases read per refresh (newest first): the latest of each service is among them. */
const LISTED = 500;

export interface CanaryRow {
  namespace: string;
  name: string;
  status: string;
  weight: number;
  /** ISO time of the last phase change (running) or of the end (finished). */
  lastTransitionTime: string;
}

/** One release as listed, with what a running one answered; the newest per service wins. */
export interface ListedRelease {
  service: string;
  startedAt: Date;
  closedAt: Date | null;
  phase: string;
  weight: number;
  /** The workflow id while it runs. */
  runningId?: string;
  /** A running release's own answer: its phase, weight and the time of its last phase change. */
  live?: { phase: string; weight: number; lastTransitionTime: string | null };
}

/** The newest release of each service. */
function newestPerService<T extends ListedRelease>(releases: readonly T[]): T[] {
  const newest = new Map<string, T>();
  for (const release of releases) {
    const known = newest.get(release.service);
    if (!known || release.startedAt > known.startedAt) newest.set(release.service, release);
  }
  return [...newest.values()];
}

/** The newest release of each service (in `namespace`, if given), as Flagger's rows, sorted by namespace and name. */
export function canaryRows(releases: readonly ListedRelease[], namespace?: string): CanaryRow[] {
  return newestPerService(releases)
    .map((release) => {
      const [ns = '', name = release.service] = release.service.split('/');
      return {
        namespace: ns,
        name,
        status: release.live?.phase ?? release.phase,
        weight: release.live?.weight ?? release.weight,
        lastTransitionTime: kubeTime(release.live?.lastTransitionTime ?? (release.closedAt ?? release.startedAt).toISOString()),
      };
    })
    .filter((row) => namespace === undefined || row.namespace === namespace)
    .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
}

/** kubectl's time format: seconds, `Z`. */
const kubeTime = (iso: string) => iso.replace(/\.\d+Z$/, 'Z');

const COLUMNS = ['NAME', 'STATUS', 'WEIGHT', 'LASTTRANSITIONTIME'] as const;
/** The longest phase (WaitingPromotion) and an ISO time to the second: `-w` lines stay under their header. */
const MIN_WIDTHS = { status: 16, time: 20 };

const cellsOf = (row: CanaryRow, allNamespaces: boolean) =>
  [...(allNamespaces ? [row.namespace] : []), row.name, row.status, String(row.weight), row.lastTransitionTime].map((cell) => printable(cell, { singleLine: true }));

/** Column widths for these rows (and the header); `-w` keeps the first ones. */
export function canaryWidths(rows: readonly CanaryRow[], allNamespaces: boolean): number[] {
  const header = [...(allNamespaces ? ['NAMESPACE'] : []), ...COLUMNS];
  const minimum = [...(allNamespaces ? [0] : []), 0, MIN_WIDTHS.status, 0, MIN_WIDTHS.time];
  return header.map((title, column) => Math.max(title.length, minimum[column]!, ...rows.map((row) => cellsOf(row, allNamespaces)[column]!.length)));
}

/** The table, `kubectl get` style; with every namespace, a NAMESPACE column first (as `-A` adds). */
export function renderCanaryLines(rows: readonly CanaryRow[], options: { allNamespaces: boolean; header: boolean; widths?: number[] }): string[] {
  const widths = options.widths ?? canaryWidths(rows, options.allNamespaces);
  const format = (values: string[]) => values.map((value, column) => value.padEnd((widths[column] ?? value.length) + 3)).join('').trimEnd();
  const header = [...(options.allNamespaces ? ['NAMESPACE'] : []), ...COLUMNS];
  return [...(options.header ? [format(header)] : []), ...rows.map((row) => format(cellsOf(row, options.allNamespaces)))];
}

async function listReleases(client: Client, namespace?: string): Promise<ListedRelease[]> {
  const releases: ListedRelease[] = [];
  for await (const execution of client.workflow.list({ query: `WorkflowType = 'release'` })) {
    const attributes = execution.searchAttributes as Record<string, unknown[] | undefined>;
    const service = String(attributes.ReleaseService?.[0] ?? '');
    if (service && (namespace === undefined || service.startsWith(`${namespace}/`))) {
      releases.push({
        service,
        startedAt: execution.startTime,
        closedAt: execution.closeTime ?? null,
        phase: String(attributes.ReleasePhase?.[0] ?? execution.status.name),
        weight: Number(attributes.ReleaseWeight?.[0] ?? 0),
        ...(execution.status.name === 'RUNNING' ? { runningId: execution.workflowId } : {}),
      });
    }
    if (releases.length >= LISTED) break;
  }
  // The newest release of a service that still runs is asked: its weight moves within a phase.
  await Promise.all(
    newestPerService(releases)
      .filter((release) => release.runningId)
      .map(async (release) => {
        const status = await client.workflow.getHandle(release.runningId!).query(statusQuery).catch(() => null);
        if (!status) return;
        const transition = [...status.events].reverse().find((event) => event.message.startsWith('Phase '));
        release.live = { phase: status.phase, weight: status.canaryWeight, lastTransitionTime: transition?.at ?? status.startedAt };
      }),
  );
  return releases;
}

export async function getCommand(namespace: string | undefined, options: { watch?: boolean; json?: boolean; pollMs?: number }, io: CliIO, env: NodeJS.ProcessEnv): Promise<number> {
  if (namespace !== undefined && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace)) {
    throw new CliError(`"${namespace}" is not a namespace name (lower-case letters, digits and dashes)`, EXIT_CODES.badInput);
  }
  const allNamespaces = namespace === undefined;
  const { client, close } = await connectClient(env);
  try {
    let rows = canaryRows(await listReleases(client, namespace), namespace);
    if (options.json) {
      io.out(JSON.stringify(rows, null, 2));
      return EXIT_CODES.succeeded;
    }
    if (!rows.length && !options.watch) {
      io.out(`No releases found${namespace ? ` in ${namespace} namespace` : ''}.`);
      return EXIT_CODES.succeeded;
    }
    const widths = canaryWidths(rows, allNamespaces);
    renderCanaryLines(rows, { allNamespaces, header: true, widths }).forEach((line) => io.out(line));
    if (!options.watch) return EXIT_CODES.succeeded;
    // -w: a new line for each service whose status or weight changed, as `kubectl get -w` prints.
    const seen = new Map(rows.map((row) => [`${row.namespace}/${row.name}`, `${row.status}|${row.weight}`]));
    for (;;) {
      await sleep(options.pollMs ?? 1000);
      rows = canaryRows(await listReleases(client, namespace), namespace);
      const changed = rows.filter((row) => seen.get(`${row.namespace}/${row.name}`) !== `${row.status}|${row.weight}`);
      for (const row of changed) seen.set(`${row.namespace}/${row.name}`, `${row.status}|${row.weight}`);
      if (changed.length) renderCanaryLines(changed, { allNamespaces, header: false, widths }).forEach((line) => io.out(line));
    }
  } finally {
    await close();
  }
}
