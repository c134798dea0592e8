/*
 * Records the histories the replay test replays. Run when the workflow's command sequence changes
 * on purpose (behind patched()): `npm run record-histories`. Not part of `npm test`.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { abortUpdate, statusQuery, TASK_QUEUE } from '../../src/workflows/messages';
import { approveUpdate, migrationStatusQuery } from '../../src/workflows/migration';
import { releaseWorkflowId } from '../../src/workflows/types';
import { eventually, ReleaseHarness, useReleaseHarness } from '../support/harness';
import { FakeWebhooks } from '../support/stand-ins';

const FIXTURES = path.join(__dirname, '../fixtures/histories');

let harness: ReleaseHarness;
let hooks: FakeWebhooks;
useReleaseHarness((started, webhooks) => ([harness, hooks] = [started, webhooks]), { webhooks: true });

async function record(name: string, run: () => Promise<{ workflowId: string }>): Promise<void> {
  const { workflowId } = await run();
  const history = await harness.client.workflow.getHandle(workflowId).fetchHistory();
  writeFileSync(path.join(FIXTURES, `${name}.json`), historyToJSON(history));
}

test('records a promoted canary', async () => {
  await record('canary-promoted', async () => {
    const config = harness.config();
    harness.seedPrimary(config, '1.0.0');
    const handle = await harness.start(config, '1.1.0');
    await handle.result();
    return handle;
  });
});

test('records a rolled-back canary', async () => {
  await record('canary-rolled-back', async () => {
    const config = harness.config();
    harness.seedPrimary(config, '1.0.0');
    harness.prometheus.answer = (query) => (query.includes('histogram_quantile') ? { value: 900 } : { value: 99.9 });
    const handle = await harness.start(config, '1.1.0');
    await handle.result();
    return handle;
  });
});

test('records a canary with every webhook type (gates waiting a round, then opening; confirm-promotion after analysis rounds)', async () => {
  await record('canary-webhooks-promoted', async () => {
    const gate = (nth: number) => (nth === 1 ? 403 : 200);
    hooks.answer('/confirm-rollout', gate);
    hooks.answer('/confirm-traffic-increase', gate);
    hooks.answer('/confirm-promotion', (nth) => (nth <= 3 ? 403 : 200));
    hooks.answer('/rollback', 404);
    const hook = (type: string) => ({ name: type, type, url: hooks.url(`/${type}`), timeout: '2s', metadata: { recorded: 'yes' } });
    const types = ['confirm-rollout', 'pre-rollout', 'rollout', 'confirm-traffic-increase', 'confirm-promotion', 'post-rollout', 'rollback'];
    const config = harness.config({ analysis: { stepWeight: 50 }, webhooks: { helmTests: { enabled: true, timeout: '10s' }, hooks: types.map(hook) } });
    harness.seedPrimary(config, '1.0.0');
    const handle = await harness.start(config, '1.1.0');
    await handle.result();
    return handle;
  });
});

test('records a promoted blue-green release', async () => {
  await record('blue-green-promoted', async () => {
    const config = harness.config({ strategy: 'blueGreen', analysis: { iterations: 2, postSwitchIterations: 2 } });
    harness.seedPrimary(config, '1.0.0');
    const handle = await harness.start(config, '1.1.0');
    await handle.result();
    return handle;
  });
});

test('records a blue-green release rolled back by the watch after the switch', async () => {
  await record('blue-green-rolled-back-after-switch', async () => {
    const config = harness.config({ strategy: 'blueGreen', analysis: { iterations: 2, postSwitchIterations: 2 } });
    harness.seedPrimary(config, '1.0.0');
    const green = config.traffic.canaryService;
    harness.prometheus.answer = (query) => {
      const switched = harness.kube.currentWeights('shop', config.traffic.traefikService)[green] === 100;
      return query.includes('histogram_quantile') ? { value: 120 } : { value: switched ? 70 : 99.9 };
    };
    const handle = await harness.start(config, '1.1.0');
    await handle.result();
    return handle;
  });
});

test('records a promoted direct release', async () => {
  await record('direct-promoted', async () => {
    const config = harness.config({ strategy: 'direct' });
    harness.seedPrimary(config, '1.0.0', 5);
    const handle = await harness.start(config, '1.1.0');
    await handle.result();
    return handle;
  });
});

test('records a direct release rolled back after a failed helm test', async () => {
  await record('direct-rolled-back', async () => {
    const config = harness.config({ strategy: 'direct' });
    harness.seedPrimary(config, '1.0.0', 5);
    harness.failHelm('test', config.helm.releases.primary, 'pod smoke failed');
    const handle = await harness.start(config, '1.1.0');
    await handle.result();
    return handle;
  });
});

test('records a canary aborted by an acknowledged Update at 50%', async () => {
  await record('canary-aborted-by-update', async () => {
    const config = harness.config();
    harness.seedPrimary(config, '1.0.0');
    const handle = await harness.start(config, '1.1.0');
    await eventually('canary at 50%', () => handle.query(statusQuery), (status) => status.canaryWeight >= 50, 60_000);
    await handle.executeUpdate(abortUpdate, { args: [{ by: 'recorder@fixtures', reason: 'recorded abort' }] });
    await handle.result();
    return handle;
  });
});

test('records a rollback drill and the release it ran', async () => {
  const config = harness.config({ drill: { version: '9.9.9-drill', set: { 'faultInjection.errorRate': '50' }, maxRestore: '5s' } });
  harness.seedPrimary(config, '1.0.0');
  harness.prometheus.answer = (query) => (query.includes('histogram_quantile') ? { value: 120 } : { value: query.includes(`${config.traffic.canaryService}-`) ? 50 : 99.9 });
  await record('drill-passed', async () => {
    const handle = await harness.client.workflow.start('rollbackDrill', { taskQueue: TASK_QUEUE, workflowId: `drill-shop-${config.service.name}`, args: [{ config, trigger: 'manual' }] });
    await handle.result();
    return handle;
  });
  await record('drill-release-rolled-back', async () => ({ workflowId: releaseWorkflowId('shop', config.service.name) }));
});

test('records a migration in phase 1: a reported direct release and a forced approval (then terminated)', async () => {
  const config = harness.config({ strategy: 'direct', migration: { directReleasesToPass: 2 } });
  harness.seedPrimary(config, '1.0.0', 2);
  const id = `migration-shop-${config.service.name}`;
  const migration = await harness.client.workflow.start('migration', { taskQueue: TASK_QUEUE, workflowId: id, args: [{ config, checkInterval: '1m' }] });
  await eventually('the first verification', () => migration.query(migrationStatusQuery), (status) => status.lastCheckedAt !== null);
  await (await harness.start(config, '1.1.0')).result();
  await migration.executeUpdate(approveUpdate, { args: [{ by: 'recorder', force: true, reason: 'recorded for the replay test' }] });
  await eventually('phase 2', () => migration.query(migrationStatusQuery), (status) => status.phase === 2);
  await record('migration-phase-1-forced', async () => migration);
  await migration.terminate('recorded');
});

test('records a train stopped by its second service, the first compensated, and the revert that put it back', async () => {
  const [first, second] = [harness.config({ analysis: { stepWeight: 50 } }), harness.config({ analysis: { stepWeight: 50 } })];
  for (const config of [first, second]) harness.seedPrimary(config, '1.0.0', 2);
  harness.prometheus.answer = (query) => (query.includes('histogram_quantile') ? { value: 120 } : { value: query.includes(`${second.traffic.canaryService}-`) ? 50 : 99.9 });
  await record('train-compensated', async () => {
    const handle = await harness.client.workflow.start('train', {
      taskQueue: TASK_QUEUE,
      workflowId: `train-recorded-${first.service.name}`,
      args: [{ name: 'recorded', compensate: true, stages: [{ services: [{ config: first, version: '1.1.0' }] }, { services: [{ config: second, version: '1.1.0' }] }] }],
    });
    await handle.result();
    return handle;
  });
  await record('revert-reverted', async () => ({ workflowId: releaseWorkflowId('shop', first.service.name) }));
});

test('records a rolled-back canary that sets ReleaseOutcome (after the outcome-search-attribute patch)', async () => {
  await record('canary-rolled-back-outcome', async () => {
    const config = harness.config({ analysis: { stepWeight: 50, threshold: 1 } });
    harness.seedPrimary(config, '1.0.0');
    harness.prometheus.answer = (query) => (query.includes('histogram_quantile') ? { value: 900 } : { value: 99.9 });
    const handle = await harness.start(config, '1.1.0');
    await handle.result();
    return handle;
  });
});
