/*
 * What target local adds around its deployer and router: each split's route (and a direct route to
 * each track) created before a release's first call, and a report of every weight change once
 * Traefik serves it.
 */
import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import axios from 'axios';
import YAML from 'yaml';
import type { Deployer, HelmTarget, ReadinessChecker, ReleaseHistoryEntry, ReleaseRevision, TestRun, TrafficRouter, TrafficSplit, TrafficWeights } from '../../activities/ports';
import type { LocalProcessDeployer } from './process-deployer';
import type { LocalStack } from './stack';
import { fileServiceName, type TraefikFileRouter } from './traefik-file-router';

/** One `setWeights` call that returned: the weights Traefik serves from `returnedAt` on (epoch ms). */
export interface AppliedWeights {
  split: TrafficSplit;
  weights: TrafficWeights;
  changed: boolean;
  calledAt: number;
  returnedAt: number;
}

/** Writes the route of `trackUrl` (a file of its own; `_` never occurs in a Kubernetes name) and waits until Traefik serves it. */
export async function exposeTrack(stack: LocalStack, namespace: string, release: string): Promise<string> {
  const service = fileServiceName(namespace, release);
  const prefix = `/_track/${namespace}/${release}`;
  const routerName = `${service}_track`;
  const config = {
    http: {
      routers: { [routerName]: { entryPoints: ['web'], rule: `PathPrefix(\`${prefix}/\`)`, middlewares: [`${routerName}_strip`], service } },
      middlewares: { [`${routerName}_strip`]: { stripPrefix: { prefixes: [prefix] } } },
    },
  };
  const file = path.join(stack.dynamicDir, `_track-${service}.yaml`);
  const temporary = path.join(stack.dynamicDir, `._track-${service}.yaml.${process.pid}.tmp`);
  writeFileSync(temporary, `# Written by docutag-release (local adapters): a direct route to ${namespace}/${release}. Do not edit.\n${YAML.stringify(config)}`);
  renameSync(temporary, file);
  const api = axios.create({ baseURL: stack.apiUrl, timeout: 2_000, validateStatus: () => true });
  const deadline = Date.now() + 15_000;
  let last = '';
  while (Date.now() < deadline) {
    const response = await api.get<{ status?: string; error?: string[] }>(`/api/http/routers/${routerName}@file`).catch((error: Error) => ({ status: 0, data: { status: undefined, error: [error.message] } }));
    if (response.status === 200 && response.data.status === 'enabled') return `${stack.webUrl}${prefix}/`;
    last = response.status === 200 ? `${response.data.status}: ${(response.data.error ?? []).join('; ')}` : `HTTP ${response.status}`;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Traefik did not serve the route ${routerName}@file within 15s (last: ${last}); is ${namespace}/${release} a track of a split Traefik serves?`);
}

/** Creates each split's route, and a direct route to each of its tracks, once (concurrent callers share the creation). */
export class RouteKeeper {
  private readonly ensured = new Map<string, Promise<void>>();

  constructor(
    private readonly router: TraefikFileRouter,
    private readonly stack: LocalStack,
  ) {}

  ensure(split: TrafficSplit): Promise<void> {
    const key = `${split.namespace}/${split.router}`;
    let done = this.ensured.get(key);
    if (!done) {
      done = this.router.ensureSplit({ split }).then(async () => {
        await exposeTrack(this.stack, split.namespace, split.primaryService);
        await exposeTrack(this.stack, split.namespace, split.canaryService);
      });
      this.ensured.set(key, done);
      // A failed creation is tried again by the next release call (the activity's retry).
      void done.catch(() => this.ensured.delete(key));
    }
    return done;
  }

  /** Before any call about a release of the target: its service's route exists. */
  async forTarget(target: HelmTarget): Promise<void> {
    if (target.local?.split) await this.ensure(target.local.split);
  }
}

/** The deployer of target local, with the route of the release's service created before its first call. */
export class RoutedDeployer implements Deployer, ReadinessChecker {
  constructor(
    private readonly deployer: LocalProcessDeployer,
    private readonly routes: RouteKeeper,
  ) {}

  async describe(args: { target: HelmTarget; release: string; revision?: number }): Promise<ReleaseRevision | null> {
    await this.routes.forTarget(args.target);
    return this.deployer.describe(args);
  }

  async history(args: { target: HelmTarget; release: string; max: number }): Promise<ReleaseHistoryEntry[]> {
    await this.routes.forTarget(args.target);
    return this.deployer.history(args);
  }

  async install(args: { target: HelmTarget; release: string; version: string; extraSet?: Record<string, string | number | boolean> }): Promise<ReleaseRevision> {
    await this.routes.forTarget(args.target);
    return this.deployer.install(args);
  }

  test(args: { target: HelmTarget; release: string; timeoutMs: number }): Promise<TestRun> {
    return this.deployer.test(args);
  }

  async rollback(args: { target: HelmTarget; release: string; revision: number }): Promise<ReleaseRevision> {
    await this.routes.forTarget(args.target);
    return this.deployer.rollback(args);
  }

  uninstall(args: { target: HelmTarget; release: string }): Promise<void> {
    return this.deployer.uninstall(args);
  }

  waitReady(args: { namespace: string; name: string; timeoutMs: number; onProgress?: (detail: string) => void }): Promise<void> {
    return this.deployer.waitReady(args);
  }
}

/** Tells `onApplied` when Traefik serves new weights (setWeights returns only then). */
export class ReportingRouter implements TrafficRouter {
  constructor(
    private readonly router: TrafficRouter,
    private readonly onApplied: ((applied: AppliedWeights) => void) | undefined,
  ) {}

  getWeights(args: { split: TrafficSplit }): Promise<TrafficWeights> {
    return this.router.getWeights(args);
  }

  async setWeights(args: { split: TrafficSplit; weights: TrafficWeights }): Promise<{ changed: boolean }> {
    const calledAt = Date.now();
    const result = await this.router.setWeights(args);
    this.onApplied?.({ split: args.split, weights: { ...args.weights }, changed: result.changed, calledAt, returnedAt: Date.now() });
    return result;
  }
}
