import type { MetricOutcome } from '../../workflows/domain/analysis';
import type { MetricsProvider, Notifier, ReadinessChecker, Severity, TrafficRouter, TrafficSplit, TrafficWeights } from '../ports';

/** Notifier for dry runs and for workers with no SLACK_WEBHOOK_URL: writes to the log. */
export class LogNotifier implements Notifier {
  constructor(private readonly log: (line: string) => void = (line) => console.log(line)) {}
  async post({ text, severity, channel }: { text: string; severity: Severity; channel?: string }): Promise<void> {
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
    const current = await this.getWeights({ split });
    if (current.primaryWeight === weights.primaryWeight && current.canaryWeight === weights.canaryWeight) return { changed: false };
    this.weights.set(key, { ...weights });
    this.applied.push({ router: key, weights: { ...weights }, at: Date.now() });
    return { changed: true };
  }
}

/** MetricsProvider answering from a function of the query (tests, benchmarks). */
export class StaticMetricsProvider implements MetricsProvider {
  constructor(private readonly answer: (query: string) => MetricOutcome) {}
  async query({ query }: { query: string }): Promise<MetricOutcome> {
    return this.answer(query);
  }
}
