/*
 * The worker validates every release input with the CLI's schema before any activity acts on it:
 * an input the CLI would have refused (started by any Temporal client) ends the release at once,
 * failure type InvalidReleaseInput naming each field, with nothing deployed and no traffic moved.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { followRelease } from '../../src/client/follow';
import type { CliIO } from '../../src/client/output';
import type { ReleaseConfig } from '../../src/config';
import { TASK_QUEUE } from '../../src/workflows/messages';
import type { ReleaseResult } from '../../src/workflows/types';
import { ReleaseHarness, useReleaseHarness } from '../support/harness';

let harness: ReleaseHarness;
useReleaseHarness((started) => (harness = started));

/** Starts a release with an input no CLI validated, and returns how it ended. */
async function refusal(config: ReleaseConfig, version = '1.1.0') {
  const handle = await harness.start(config, version);
  const failure = await handle.result().then(
    () => null,
    (error: unknown) => error,
  );
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  const cause = (failure as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  const history = await handle.fetchHistory();
  const scheduled = (history.events ?? []).filter((event) => event.activityTaskScheduledEventAttributes);
  return { handle, cause: cause as ApplicationFailure, scheduledActivities: scheduled.length };
}

describe('the worker refuses a bad release input before acting on it', () => {
  test('a config the schema refuses ends the release at once, naming every bad field; nothing is deployed', async () => {
    const config = harness.config();
    const bad = { ...config, analysis: { ...config.analysis, interval: 'soon' }, helm: { ...config.helm, timeout: '0s' } } as ReleaseConfig;
    const { cause, scheduledActivities } = await refusal(bad);
    expect(cause.type).toBe('InvalidReleaseInput');
    expect(cause.nonRetryable).toBe(true);
    expect(cause.message).toContain('nothing was deployed');
    expect(cause.message).toMatch(/- config\.analysis\.interval: expected a duration/);
    expect(cause.message).toMatch(/- config\.helm\.timeout: expected a duration above zero/);
    expect(scheduledActivities).toBe(0);
    expect(harness.helmStory(config)).toEqual([]);
    expect(harness.helmCalls(config.service.namespace, [config.helm.releases.primary, config.helm.releases.canary])).toEqual([]);
    expect(harness.canaryWeights(config)).toEqual([]);
  });

  test('a literal secret, an unknown key and a bad version are refused like `validate` refuses them', async () => {
    const config = harness.config();
    const bad = { ...config, alerts: { slack: { enabled: true, webhookUrl: 'https://hooks.slack.com/services/T0/B0/x' } }, surprise: 1 } as unknown as ReleaseConfig;
    const { cause } = await refusal(bad, '1.1.0; rm -rf /');
    expect(cause.message).toMatch(/- version: "1\.1\.0; rm -rf \/" is not a version/);
    expect(cause.message).toMatch(/- config\.alerts\.slack\.webhookUrl: secrets do not belong in the config/);
    expect(cause.message).toMatch(/- config\.surprise: unknown key/);
    expect(harness.helmStory(config)).toEqual([]);
  });

  test('a metricsServer the worker does not list is refused before the canary is installed (no token leaves)', async () => {
    const config = { ...harness.config(), metricsServer: 'http://elsewhere.example:9090' };
    const { cause, scheduledActivities } = await refusal(config);
    expect(cause.message).toMatch(/- config\.metricsServer: metricsServer http:\/\/elsewhere\.example:9090 is not one of the worker's Prometheus servers/);
    expect(scheduledActivities).toBe(0);
    expect(harness.helmStory(config)).toEqual([]);
  });

  test('a helm.kubeContext missing from the worker\'s kubeconfig is refused before anything is deployed, naming the contexts it has', async () => {
    const config = harness.config();
    const { cause, scheduledActivities } = await refusal({ ...config, helm: { ...config.helm, kubeContext: 'prod-eu' } });
    expect(cause.message).toMatch(/- config\.helm\.kubeContext: kube context "prod-eu" is not in the worker's kubeconfig \(it has: test\); name one of those, or add the context/);
    expect(scheduledActivities).toBe(0);
    expect(harness.helmStory(config)).toEqual([]);
    expect(harness.canaryWeights(config)).toEqual([]);
  });

  test.each(['rollbackDrill', 'migration'] as const)('a %s whose config the worker refuses ends at once, before any activity reads the cluster, Prometheus or Slack', async (workflowType) => {
    const config = { ...harness.config(), metricsServer: 'http://elsewhere.example:9090', drill: { version: '9.9.9-drill', set: {}, maxRestore: '5s' } } as ReleaseConfig;
    const handle = await harness.client.workflow.start(workflowType, { taskQueue: TASK_QUEUE, workflowId: `${workflowType}-refused-${config.service.name}`, args: [{ config }] });
    const failure = await handle.result().then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const cause = (failure as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe('InvalidReleaseInput');
    expect(cause.message).toContain(`the worker refused this ${workflowType === 'rollbackDrill' ? 'drill' : 'migration'}'s config; nothing was done`);
    expect(cause.message).toMatch(/- config\.metricsServer: metricsServer http:\/\/elsewhere\.example:9090 is not one of the worker's Prometheus servers/);
    const history = await handle.fetchHistory();
    expect((history.events ?? []).filter((event) => event.activityTaskScheduledEventAttributes)).toEqual([]);
    expect(harness.prometheus.queries.filter((query) => query.query.includes(config.traffic.primaryService))).toEqual([]);
  });

  test('watch exits 2 (bad input) with the worker\'s reasons', async () => {
    const config = harness.config();
    const { handle } = await refusal({ ...config, strategy: 'rolling' } as unknown as ReleaseConfig);
    let err = '';
    const io: CliIO = { out: () => {}, err: (text) => (err += text), isTTY: false };
    expect(await followRelease(handle, io)).toBe(2);
    expect(err).toMatch(/REFUSED: the worker refused this release input.*\n.*- config\.strategy: expected canary, blueGreen/);
  });

  test('an input with defaults missing is resolved by the worker\'s schema, then released as the CLI would', async () => {
    const config = harness.config();
    // What a hand-written `temporal workflow start --input` might send: the names and defaults left out.
    const sparse = { service: config.service, strategy: 'canary', helm: { chart: './chart', timeout: '30s' }, analysis: { interval: '1s', threshold: 2, stepWeight: 50 }, webhooks: { helmTests: { enabled: false } } } as unknown as ReleaseConfig;
    const result = (await (await harness.start(sparse, '1.1.0')).result()) as ReleaseResult;
    expect(result.outcome).toBe('promoted');
    expect(harness.helmStory(config)).toEqual([`upgrade ${config.helm.releases.canary}`, `upgrade ${config.helm.releases.primary}`, `uninstall ${config.helm.releases.canary}`]);
  });
});
