import { normaliseOutcome, type MetricOutcome } from '../../workflows/domain/analysis';
import { routeProblem, sameRoute } from '../../workflows/domain/weights';
import type { Deployer, HelmTarget, MetricsProvider, Notifier, NotifyRequest, ReadinessChecker, ReleaseHistoryEntry, ReleaseRevision, TestRun, TrafficRouter, TrafficSplit, TrafficWeights, WebhookCaller, WebhookOutcome, WebhookPayload, WebhookTarget } from '../ports';

/** Notifier for dry runs and for workers with no notifier URL: writes to the log. */
export class LogNotifier implements Notifier {
  constructor(private readonly log: (line: string) => void = (line) => console.log(line)) {}
  async post({ text, severity, channel }: NotifyRequest): Promise<void> {
    this.log(`[notify ${severity}${channel ? ` ${channel}` : ''}] ${text}`);
  }
}

/** Readiness for targets that wait inside the deploy step already. */
export class ImmediateReadiness implements ReadinessChecker {
  async waitReady(): Promise<void> {}
}

/** TrafficRouter in memory: records every applied change (for tests and benchmarks). */
export class InMemoryTrafficRouter implements TrafficRouter {
  readonly weights = new Map<string, TrafficWeights>();
  readonly applied: Array<{ router: string; weights: TrafficWeights; at: number }> = [];

  async getWeights({ split }: { split: TrafficSplit }): Promise<TrafficWeights> {
    return this.weights.get(`${split.namespace}/${split.router}`) ?? { primaryWeight: 100, canaryWeight: 0 };
  }

  async setWeights({ split, weights }: { split: TrafficSplit; weights: TrafficWeights }): Promise<{ changed: boolean }> {
    const key = `${split.namespace}/${split.router}`;
    const problem = routeProblem(weights);
    if (problem) throw new Error(`TrafficSplit ${key}: ${problem}`);
    if (sameRoute(await this.getWeights({ split }), weights)) return { changed: false };
    this.weights.set(key, { ...weights });
    this.applied.push({ router: key, weights: { ...weights }, at: Date.now() });
    return { changed: true };
  }
}

/**
 * MetricsProvider answering from a function of the query (tests, benchmarks). Like every provider it
 * sends only finite values: `{ kind: 'value', value: NaN }` from the function arrives as the `nan` outcome.
 */
export class StaticMetricsProvider implements MetricsProvider {
  constructor(private readonly answer: (query: string) => MetricOutcome) {}
  async query({ query }: { query: string }): Promise<MetricOutcome> {
    return normaliseOutcome(this.answer(query));
  }
}

/** Deployer in memory: releases with revisions and versions; tests fail for versions in `failingTests`. */
export class InMemoryDeployer implements Deployer {
  readonly releases = new Map<string, ReleaseRevision & { history: Array<{ revision: number; version: string | null }> }>();
  readonly calls: string[] = [];
  constructor(readonly failingTests: ReadonlySet<string> = new Set()) {}

  async describe({ target, release, revision }: { target: HelmTarget; release: string; revision?: number }): Promise<ReleaseRevision | null> {
    const found = this.releases.get(`${target.namespace}/${release}`);
    if (!found) return null;
    if (revision === undefined || revision === found.revision) return { release, revision: found.revision, version: found.version, status: found.status };
    const past = found.history.find((entry) => entry.revision === revision);
    return past ? { release, revision, version: past.version, status: 'superseded' } : null;
  }

  async history({ target, release, max }: { target: HelmTarget; release: string; max: number }): Promise<ReleaseHistoryEntry[]> {
    const found = this.releases.get(`${target.namespace}/${release}`);
    if (!found) return [];
    return found.history.slice(-max).map((entry) => ({
      revision: entry.revision,
      status: entry.revision === found.revision ? found.status : 'superseded',
      description: entry.revision === 1 ? 'Install complete' : 'Upgrade complete',
      appVersion: null,
      updated: null,
    }));
  }

  async install({ target, release, version }: { target: HelmTarget; release: string; version: string }): Promise<ReleaseRevision> {
    this.calls.push(`upgrade ${release} ${version}`);
    const key = `${target.namespace}/${release}`;
    const current = this.releases.get(key);
    const revision = (current?.revision ?? 0) + 1;
    this.releases.set(key, { release, revision, version, status: 'deployed', history: [...(current?.history ?? []), { revision, version }] });
    return { release, revision, version, status: 'deployed' };
  }

  async test({ target, release }: { target: HelmTarget; release: string; timeoutMs: number }): Promise<TestRun> {
    this.calls.push(`test ${release}`);
    const version = this.releases.get(`${target.namespace}/${release}`)?.version ?? '';
    return this.failingTests.has(version) ? { passed: false, output: `smoke test of ${release} failed` } : { passed: true, output: 'Phase: Succeeded' };
  }

  async rollback({ target, release, revision }: { target: HelmTarget; release: string; revision: number }): Promise<ReleaseRevision> {
    this.calls.push(`rollback ${release} ${revision}`);
    const key = `${target.namespace}/${release}`;
    const current = this.releases.get(key);
    const wanted = current?.history.find((entry) => entry.revision === revision);
    if (!current || !wanted) throw new Error(`release ${release} has no revision ${revision}`);
    return this.install({ target, release, version: wanted.version ?? '' });
  }

  async uninstall({ target, release }: { target: HelmTarget; release: string }): Promise<void> {
    this.calls.push(`uninstall ${release}`);
    this.releases.delete(`${target.namespace}/${release}`);
  }
}

/** WebhookCaller answering from a function of the hook and payload (dry runs, benchmarks); records every call. */
export class ScriptedWebhookCaller implements WebhookCaller {
  readonly calls: Array<{ hook: WebhookTarget; payload: WebhookPayload }> = [];
  constructor(private readonly answer: (hook: WebhookTarget, payload: WebhookPayload) => number = () => 200) {}
  async call({ hook, payload }: { hook: WebhookTarget; payload: WebhookPayload }): Promise<WebhookOutcome> {
    this.calls.push({ hook, payload });
    const status = this.answer(hook, payload);
    return { passed: status >= 200 && status <= 202, status, message: '' };
  }
}
