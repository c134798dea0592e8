/*
 * Shared set-up of the local-stack tests: a real Traefik and Prometheus (binaries from
 * scripts/traefik.sh and scripts/prometheus.sh, built or installed on first use), the demo app
 * as the release command, and helpers that wait for conditions (never for a fixed time).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { toolPath } from '../../src/support/tools';
import { LocalStack } from '../../src/targets/local/stack';
import { liveGroupMembers, type LocalProcessDeployer, type LocalTrackConfig } from '../../src/targets/local/process-deployer';
import type { TraefikFileRouter } from '../../src/targets/local/traefik-file-router';
import type { HelmTarget, TrafficSplit } from '../../src/activities/ports';
import type { LoadGenerator, LoadSnapshot } from '../../src/load/load-generator';

export const ROOT = path.resolve(__dirname, '../..');

/** The demo app as target local runs it: `local: { command, healthPath, testCommand }`. */
export const DEMO_APP: LocalTrackConfig = {
  command: `"${process.execPath}" examples/demo-app/server.js`,
  healthPath: '/healthz',
  testCommand: `"${process.execPath}" examples/demo-app/smoke-test.js`,
};

/**
 * Building Traefik the first time takes about 30 minutes on 2 cores (.ci/run should do it before
 * the tests); the binaries are looked up once per test file, in a hook of their own, before the stack starts.
 */
export const TOOLS_TIMEOUT_MS = 60 * 60_000;

export function provideTools(): { traefikBin: string; prometheusBin: string } {
  return { traefikBin: toolPath('traefik', ROOT), prometheusBin: toolPath('prometheus', ROOT) };
}

/** Starts a stack in a fresh temporary directory; `stop()` also removes that directory. */
export async function startStack(tools: { traefikBin: string; prometheusBin: string }): Promise<LocalStack & { cleanup(): Promise<void> }> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'local-stack-'));
  const stack = await LocalStack.start({ dataDir, ...tools });
  return Object.assign(stack, {
    async cleanup() {
      await stack.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
}

export function target(namespace: string, set: HelmTarget['set'] = {}, timeoutMs = 20_000): HelmTarget {
  return { namespace, chart: 'local', valuesFiles: [], versionValue: 'image.tag', set, timeoutMs };
}

let counter = 0;
/** A split with names unique to this test run: router and primary `web<N>`, canary `web<N>-canary`. */
export function uniqueSplit(namespace = 'shop'): TrafficSplit {
  counter += 1;
  const name = `web${counter}`;
  return { namespace, router: name, primaryService: name, canaryService: `${name}-canary` };
}

/** Polls `condition` every 50 ms until it holds; fails with `describe()` after `limitMs` (a safety net, not a measurement). */
export async function waitUntil(condition: () => boolean | Promise<boolean>, describe: () => string, limitMs = 60_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not reached within ${limitMs}ms: ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Waits until the generator has `count` more finished requests than now; returns the counts of exactly that period. */
export async function collect(load: LoadGenerator, count: number): Promise<LoadSnapshot> {
  load.reset();
  await waitUntil(() => load.snapshot().completed >= count, () => JSON.stringify(load.snapshot()));
  return load.snapshot();
}

/** True while any process of the group `pgid` runs (zombies do not count). */
export function groupAlive(pgid: number): boolean {
  return liveGroupMembers(pgid).length > 0;
}

/** A stack with the demo app for one test file: started after the tools, stopped after the file's tests; read its fields inside tests. */
export interface DemoStack {
  stack: Awaited<ReturnType<typeof startStack>>;
  deployer: LocalProcessDeployer;
  router: TraefikFileRouter;
}

export function useDemoStack({ drainMs = 200 }: { drainMs?: number } = {}): DemoStack {
  const demo = {} as DemoStack;
  beforeAll(() => {
    provideTools();
  }, TOOLS_TIMEOUT_MS);
  beforeAll(async () => {
    demo.stack = await startStack(provideTools());
    demo.deployer = demo.stack.createDeployer({ local: DEMO_APP, cwd: ROOT, drainMs });
    demo.router = demo.stack.createRouter();
  });
  afterAll(async () => {
    await demo.stack?.cleanup();
  });
  return demo;
}
