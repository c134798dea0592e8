import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { createMigrationActivities, type TrafficInspector } from '../activities/migration';
import { TASK_QUEUE } from '../workflows/messages';
import { durationMs } from '../workflows/domain/duration';
import { temporalSettings } from '../temporal/connection';
import { ensureSearchAttributes } from '../temporal/search-attributes';
import { readWorkerEnv } from './environment';
import { TolerantPayloadCodec } from './payload-codec';
import { createRedactor, redactActivities } from './redaction';

export interface CreateReleaseWorkerOptions {
  deps: ActivityDeps;
  env?: NodeJS.ProcessEnv;
  /** Overrides for tests: a prebuilt workflow bundle, cache size, sticky timeouts. */
  workerOptions?: Partial<WorkerOptions>;
}

/** The router's service listing when its backend has one (TraefikService), for the migration checklist. */
function trafficInspector(deps: ActivityDeps): TrafficInspector {
  const router = deps.router as Partial<TrafficInspector>;
  if (typeof router.listServices === 'function') return { listServices: (args) => router.listServices!(args) };
  return { listServices: async () => { throw new Error('this target\'s traffic router cannot list its services'); } };
}

/**
 * Connects to Temporal, registers missing search attributes and creates the worker (not yet running).
 * `close()` after the worker stopped closes its connections.
 */
export async function createReleaseWorker({ deps, env = process.env, workerOptions = {} }: CreateReleaseWorkerOptions) {
  const settings = temporalSettings(env);
  const workerEnv = readWorkerEnv(env);
  const stickyTimeout = workerEnv.DOCUTAG_STICKY_QUEUE_TIMEOUT;
  const clientConnection = await Connection.connect(settings.connectionOptions as never);
  await ensureSearchAttributes(clientConnection, settings.namespace);
  // The migration checklist reads visibility (releases and drills of a service) through this client.
  const temporal = new Client({ connection: clientConnection, namespace: settings.namespace });
  const connection = await NativeConnection.connect(settings.connectionOptions as never);
  const worker = await Worker.create({
    connection,
    namespace: settings.namespace,
    taskQueue: TASK_QUEUE,
    ...(workerOptions.workflowBundle
      ? {}
      : workerEnv.DOCUTAG_WORKFLOW_BUNDLE
        ? { workflowBundle: { codePath: workerEnv.DOCUTAG_WORKFLOW_BUNDLE } }
        : { workflowsPath: require.resolve('../workflows') }),
    // Results and failures go into the history: none may carry a secret a dependency quoted back.
    activities: redactActivities(
      { ...createActivities(deps, { freezes: workerEnv.freezes }), ...createMigrationActivities({ temporal, inspector: trafficInspector(deps), notifier: deps.notifier }) },
      createRedactor(workerEnv),
    ),
    ...(stickyTimeout ? { stickyQueueScheduleToStartTimeout: durationMs(stickyTimeout) } : {}),
    // A signal payload nobody can decode would fail every workflow task of the release: it arrives as a malformed value instead.
    dataConverter: { payloadCodecs: [new TolerantPayloadCodec()] },
    ...workerOptions,
  });
  const close = async () => {
    await connection.close();
    await clientConnection.close();
  };
  return { worker, connection, settings, close };
}
