import { InMemoryDeployer, InMemoryTrafficRouter, LogNotifier, ImmediateReadiness } from '../activities/adapters/in-memory';
import type { ActivityDeps } from '../activities';
import type { MetricOutcome } from '../workflows/domain/analysis';
import type { HelmTarget, ReleaseRevision } from '../activities/ports';

/**
 * A simulated cluster for the demo: releases kept in memory, a traffic split in memory, and metrics
 * derived from each track's fault-injection values (FAULT_ERROR_RATE, FAULT_LATENCY_MS), with a
 * little noise. The workflows, the Temporal server and the activity layer are the real ones.
 */
export class SimulatedCluster {
  readonly values = new Map<string, Record<string, string | number | boolean>>();
  readonly router = new InMemoryTrafficRouter();
  readonly deployer: InMemoryDeployer;
  private tick = 0;

  constructor(private readonly log: (line: string) => void) {
    const values = this.values;
    this.deployer = new (class extends InMemoryDeployer {
      override async install(args: { target: HelmTarget; release: string; version: string; extraSet?: Record<string, string | number | boolean> }): Promise<ReleaseRevision> {
        values.set(`${args.target.namespace}/${args.release}`, { ...args.target.set, ...(args.extraSet ?? {}) });
        return super.install(args);
      }
    })();
  }

  /** Success rate (%) or p99 (ms) of the track whose Traefik service the query selects. */
  private answer(query: string): MetricOutcome {
    const match = /service=~"([a-z0-9-]+?)-([a-z0-9-]+)-\[0-9\]\+@kubernetescrd"/.exec(query);
    if (!match) return { kind: 'noData' };
    const values = this.values.get(`${match[1]}/${match[2]}`);
    if (!values) return { kind: 'noData' };
    this.tick += 1;
    const noise = Math.sin(this.tick * 12.9898) * 0.5 + 0.5; // deterministic jitter, 0..1
    const errorRate = Number(values.FAULT_ERROR_RATE ?? 0);
    const latencyMs = Number(values.FAULT_LATENCY_MS ?? 0);
    if (query.includes('histogram_quantile')) return { kind: 'value', value: Math.round(95 + latencyMs + noise * 40) };
    return { kind: 'value', value: Math.min(100, (1 - errorRate) * 100 + (errorRate ? noise * 2 - 1 : 0) - noise * 0.4) };
  }

  deps(): ActivityDeps {
    return {
      deployer: this.deployer,
      readiness: new ImmediateReadiness(),
      router: this.router,
      metricsFor: () => ({ query: async ({ query }) => this.answer(query) }),
      notifier: new LogNotifier((line) => this.log(line.replace(/^\[notify (\w+)( [^\]]+)?\] /, 'slack$2: '))),
    };
  }
}
