/*
 * A failure's type decides whether the activity tries again (src/activities/failures.ts): a chart
 * that does not render is not retried, a lock held by another helm operation and an unreachable API
 * server are, and a retry after a refusal never unlocks the other operation's release. Real Temporal
 * dev server, the helm stand-in.
 */
import type { ReleaseConfig } from '../../src/config';
import { ReleaseHarness, useReleaseHarness } from '../support/harness';

let harness: ReleaseHarness;
useReleaseHarness((started) => (harness = started));

/** The helm actions on `release`, in order, up to (not including) the first of `until`. */
function actionsOn(config: ReleaseConfig, release: string, until: string[] = ['uninstall', 'rollback']): string[] {
  const actions = harness.helmCalls(config.service.namespace, [release]).map((call) => call.action);
  const end = actions.findIndex((action) => until.includes(action));
  return end < 0 ? actions : actions.slice(0, end);
}

/** A release of 1.1.0 whose helm upgrade of the canary (or, for direct, of the primary) always fails with `stderr`. */
async function releaseWithFailingUpgrade(strategy: 'canary' | 'direct', stderr: string) {
  const config = harness.config({ strategy });
  const release = strategy === 'direct' ? config.helm.releases.primary : config.helm.releases.canary;
  harness.seedPrimary(config, '1.0.0', 4);
  harness.failHelm('upgrade', release, stderr);
  return { config, release, outcome: await harness.run(config, '1.1.0') };
}

describe('failure types decide the retries', () => {
  test('a canary chart that does not render: one helm upgrade, rolled back, and the reason says it was not retried', async () => {
    const { config, release: canary, outcome } = await releaseWithFailingUpgrade(
      'canary',
      'UPGRADE FAILED: template: web/templates/deployment.yaml:20:18: executing "web/templates/deployment.yaml" at <.Values.image.tag>: nil pointer evaluating interface {}.tag',
    );

    expect(outcome.outcome).toBe('rolledBack');
    expect(actionsOn(config, canary).filter((action) => action === 'upgrade')).toHaveLength(1);
    expect(outcome.reason).toContain('nil pointer evaluating');
    expect(outcome.reason).toContain('the chart does not render with these values, so it was not retried');
    expect(harness.kube.currentWeights('shop', config.traffic.traefikService)).toEqual({ [config.traffic.primaryService]: 100, [config.traffic.canaryService]: 0 });
  });

  test("a canary install refused by another operation's lock is tried three times and never unlocks it (no helm status before a retry)", async () => {
    const { config, release: canary, outcome } = await releaseWithFailingUpgrade('canary', 'UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress');

    expect(outcome.outcome).toBe('rolledBack');
    // A retry that unlocked would read the release first (helm status) and roll back or uninstall its pending revision.
    expect(actionsOn(config, canary)).toEqual(['upgrade', 'upgrade', 'upgrade']);
    expect(outcome.reason).toContain('another operation (install/upgrade/rollback) is in progress');
    expect(outcome.reason).toContain('another helm operation held the release through every attempt');
  });

  test('a direct upgrade that cannot reach the API server is tried three times, then rolled back to the recorded revision', async () => {
    const { config, release: primary, outcome } = await releaseWithFailingUpgrade(
      'direct',
      'Kubernetes cluster unreachable: Get "https://10.0.0.1:6443/version": dial tcp 10.0.0.1:6443: connect: connection refused',
    );

    expect(outcome.outcome).toBe('rolledBack');
    expect(harness.helmStory(config)).toEqual([`upgrade ${primary}`, `upgrade ${primary}`, `upgrade ${primary}`, `rollback ${primary}`]);
    expect(outcome.reason).toContain('the API server stayed unreachable through every attempt');
    expect(outcome.revisions).toEqual({ from: 4, to: null, rolledBackTo: 4 });
  });

  test('a readiness timeout of helm --wait is the version\'s verdict: one upgrade, then the rollback', async () => {
    const { config, release: primary, outcome } = await releaseWithFailingUpgrade('direct', 'UPGRADE FAILED: context deadline exceeded');

    expect(outcome.outcome).toBe('rolledBack');
    expect(harness.helmStory(config)).toEqual([`upgrade ${primary}`, `rollback ${primary}`]);
  });
});
