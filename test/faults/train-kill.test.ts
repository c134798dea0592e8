/*
 * A release train of three services whose third fails, with `compensate: true`, and the worker
 * SIGKILLed during the compensation: at a seeded moment while the second or the first service is
 * being rolled back (helm's rollback is slowed down so the kill finds it mid-call). A replacement
 * `docutag-release worker` carries on. Each earlier service's helm history must end with
 * "Rollback to <recorded revision>", once, newest promotion first. Seeded: FAULT_SEED replays it.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import type { ReleaseConfig } from '../../src/config';
import type { TrainResult } from '../../src/workflows/types';
import { runCliCaptured } from '../support/cli';
import { ReleaseHarness, workflowBundle, type HelmCall } from '../support/harness';
import { readableHistory, secretsIn } from '../support/secrets';
import { faultSeed, Random } from './seed';

const ROLLBACK_MS = 2_500;
const ROUNDS = 3;

let harness: ReleaseHarness;
let bundleFile: string;
beforeAll(async () => {
  harness = await ReleaseHarness.start({ inProcessWorker: false });
  bundleFile = path.join(harness.helmDir, 'workflow-bundle.js');
  writeFileSync(bundleFile, (await workflowBundle()).code);
});
afterAll(async () => harness?.stop());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function helmCalls(): HelmCall[] {
  try {
    return readFileSync(path.join(harness.helmDir, 'calls.jsonl'), 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as HelmCall);
  } catch {
    return [];
  }
}

test(`the worker SIGKILLed during a train's compensation (${ROUNDS} seeded trains): each promoted service rolled back to its recorded revision once, newest first`, async () => {
  const random = new Random(faultSeed('train kill'));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'train-kill-'));
  const spawnWorker = () => harness.spawnWatchedWorker({ DOCUTAG_STICKY_QUEUE_TIMEOUT: '1s', DOCUTAG_WORKFLOW_BUNDLE: bundleFile });
  let worker = spawnWorker();
  while (!worker.ready()) await sleep(50);

  for (let round = 0; round < ROUNDS; round++) {
    const services = [0, 1, 2].map(() => harness.config({ analysis: { interval: '1s', threshold: 1, stepWeight: 50 } }));
    // Revision 2 serves before the train (1.0.0 over an older install): the compensation must go back to 2, not 1.
    for (const config of services) harness.seedPrimary(config, '1.0.0', 2);
    const failing = services[2]!;
    harness.prometheus.answer = (query) => {
      if (query.includes('histogram_quantile')) return { value: 120 };
      const weight = harness.kube.currentWeights(failing.service.namespace, failing.traffic.traefikService)[failing.traffic.canaryService] ?? 0;
      return { value: query.includes(`-${failing.traffic.canaryService}-[0-9]`) && weight >= 50 ? 80 : 99.9 };
    };
    writeFileSync(path.join(harness.helmDir, 'delays.json'), JSON.stringify(Object.fromEntries(services.map((config) => [`rollback ${config.helm.releases.primary}`, ROLLBACK_MS]))));
    const refs = services.map((config) => {
      writeFileSync(path.join(dir, `${config.service.name}.yaml`), stringify(config));
      return { config: `${config.service.name}.yaml`, version: '1.1.0' };
    });
    const name = `kill${round}-${Date.now().toString(36)}`;
    writeFileSync(path.join(dir, `${name}.yaml`), stringify({ name, compensate: true, services: refs }));

    // Which rollback the kill lands in (the second service's, which goes first, or the first's), and how far into it.
    const victim = services[random.int(0, 1)]!;
    const killDelayMs = random.int(0, ROLLBACK_MS + 500);
    const started = await runCliCaptured(harness.address, ['train', 'start', '--config', path.join(dir, `${name}.yaml`)], harness.workerEnv());
    expect(started.code).toBe(0);
    const handle = harness.client.workflow.getHandle(`train-${name}`);
    const rollbackSeen = () => helmCalls().some((call) => call.action === 'rollback' && call.release === victim.helm.releases.primary && call.namespace === victim.service.namespace);
    const deadline = Date.now() + 90_000;
    while (!rollbackSeen() && Date.now() < deadline) await sleep(50);
    expect(rollbackSeen()).toBe(true);
    await sleep(killDelayMs);
    const { child } = worker;
    child.kill('SIGKILL');
    await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once('exit', resolve)));
    worker = spawnWorker();
    process.stdout.write(`round ${round}: killed ${killDelayMs}ms into the rollback of service ${services.indexOf(victim) + 1}\n`);

    const result = (await handle.result()) as TrainResult;
    expect(result.outcome).toBe('rolledBack');
    expect(result.status.services.map((entry) => entry.compensation?.state ?? entry.state)).toEqual(['compensated', 'compensated', 'rolledBack']);
    for (const config of services.slice(0, 2)) {
      const history = harness.helmRelease(config.service.namespace, config.helm.releases.primary)!.history;
      expect({ service: config.service.name, descriptions: history.map((entry) => entry.description) }).toEqual({ service: config.service.name, descriptions: ['Install complete', 'Upgrade complete', 'Upgrade complete', 'Rollback to 2'] });
      expect(harness.helmRelease(config.service.namespace, config.helm.releases.primary)!.values.image?.tag).toBe('1.0.0');
    }
    const rollbacks = helmCalls().filter((call) => call.action === 'rollback' && services.some((config) => config.helm.releases.primary === call.release));
    // Newest promotion first: the second service's first rollback call came before the first's.
    const firstCall = (config: ReleaseConfig) => rollbacks.find((call) => call.release === config.helm.releases.primary)!.at;
    expect(firstCall(services[1]!)).toBeLessThan(firstCall(services[0]!));
    expect(secretsIn(readableHistory(await handle.fetchHistory()))).toEqual([]);
  }
  worker.child.kill('SIGTERM');
}, 420_000);
