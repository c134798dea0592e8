import type { LocalProcessDeployer } from '../../src/targets/local/process-deployer';
import type { PrometheusMetricsProvider } from '../../src/activities/adapters/prometheus-metrics';
import { fileProviderServicePattern, type TraefikFileRouter } from '../../src/targets/local/traefik-file-router';
import type { TrafficSplit } from '../../src/activities/ports';
import type { MetricOutcome } from '../../src/workflows/domain/analysis';
import { metricChecks, type MetricChecksInput } from '../../src/workflows/domain/queries';
import { LoadGenerator } from '../../src/load/load-generator';
import { DEMO_APP, provideTools, ROOT, startStack, target, TOOLS_TIMEOUT_MS, uniqueSplit, waitUntil } from './support';

/*
 * A real Prometheus scrapes a real Traefik every second; the success-rate and p99 queries of
 * metricChecks (Flagger's Traefik templates, with the file provider's service names) return real
 * numbers for real traffic through Traefik.
 */
const ANALYSIS: MetricChecksInput = {
  namespace: 'shop',
  intervalMs: 10_000,
  requestSuccessRate: { enabled: true, threshold: 99 },
  requestDuration: { enabled: true, threshold: 500 },
  custom: [],
};

function checksFor(split: TrafficSplit, track: 'primary' | 'canary'): { successRate: string; p99: string } {
  const service = track === 'primary' ? split.primaryService : split.canaryService;
  const checks = metricChecks(ANALYSIS, service, fileProviderServicePattern(split.namespace, service));
  return { successRate: checks.find((check) => check.name === 'request-success-rate')!.query, p99: checks.find((check) => check.name === 'request-duration')!.query };
}

function valueOf(outcome: MetricOutcome): number {
  if (outcome.kind !== 'value') throw new Error(`expected a value, got ${JSON.stringify(outcome)}`);
  return outcome.value;
}

describe('Prometheus on Traefik metrics', () => {
  let stack: Awaited<ReturnType<typeof startStack>>;
  let deployer: LocalProcessDeployer;
  let router: TraefikFileRouter;
  let metrics: PrometheusMetricsProvider;
  const faulty = uniqueSplit('shop');
  const slow = uniqueSplit('shop');
  const loads: LoadGenerator[] = [];

  beforeAll(() => {
    provideTools();
  }, TOOLS_TIMEOUT_MS);

  beforeAll(async () => {
    stack = await startStack(provideTools());
    deployer = stack.createDeployer({ local: DEMO_APP, cwd: ROOT, drainMs: 200 });
    router = stack.createRouter();
    metrics = stack.createMetricsProvider();
    await deployer.install({ target: target('shop'), release: faulty.primaryService, version: '1.0.0' });
    await deployer.install({ target: target('shop', { FAULT_ERROR_RATE: '0.2' }), release: faulty.canaryService, version: '1.1.0' });
    await deployer.install({ target: target('shop'), release: slow.primaryService, version: '1.0.0' });
    await deployer.install({ target: target('shop', { FAULT_LATENCY_MS: '300' }), release: slow.canaryService, version: '1.2.0' });
    await router.setWeights({ split: faulty, weights: { primaryWeight: 50, canaryWeight: 50 } });
    await router.setWeights({ split: slow, weights: { primaryWeight: 50, canaryWeight: 50 } });
    loads.push(new LoadGenerator({ url: stack.entryUrl(faulty), rps: 100 }).start(), new LoadGenerator({ url: stack.entryUrl(slow), rps: 100 }).start());
    // A full analysis window (10s) of canary traffic on both splits: at 50 canary requests a second, 600 of them.
    await waitUntil(
      () => (loads[0]!.snapshot().byVersion['1.1.0']?.total ?? 0) >= 600 && (loads[1]!.snapshot().byVersion['1.2.0']?.total ?? 0) >= 600,
      () => JSON.stringify(loads.map((load) => load.snapshot().byVersion)),
    );
  });

  afterAll(async () => {
    await Promise.all(loads.map((load) => load.stop()));
    await stack?.cleanup();
  });

  it('scrapes Traefik: up{job="traefik"} is 1', async () => {
    expect(valueOf(await metrics.query({ query: 'up{job="traefik"}' }))).toBe(1);
  });

  it('the success rate of the version with 20% errors is about 80%, and 100% for the good primary', async () => {
    const canary = valueOf(await metrics.query({ query: checksFor(faulty, 'canary').successRate }));
    expect(canary).toBeGreaterThan(70);
    expect(canary).toBeLessThan(90);
    expect(valueOf(await metrics.query({ query: checksFor(faulty, 'primary').successRate }))).toBe(100);
  });

  it('the p99 of the version with 300 ms latency is at least 300 ms; that of the good primary passes the 500 ms check and is lower', async () => {
    const canary = valueOf(await metrics.query({ query: checksFor(slow, 'canary').p99 }));
    expect(canary).toBeGreaterThanOrEqual(300);
    expect(canary).toBeLessThan(1000);
    // The good version's tail depends on how busy the machine is (tens of ms on 2 busy cores): only its verdict is asserted.
    const primary = valueOf(await metrics.query({ query: checksFor(slow, 'primary').p99 }));
    expect(primary).toBeGreaterThan(0);
    expect(primary).toBeLessThan(ANALYSIS.requestDuration.threshold);
    expect(primary).toBeLessThan(canary);
  });

  it("the primary's pattern does not count the canary's requests (shop-webN@file vs shop-webN-canary@file)", async () => {
    const count = (service: string) => `sum(increase(traefik_service_requests_total{service=~"${fileProviderServicePattern('shop', service)}"}[1m]))`;
    const primary = valueOf(await metrics.query({ query: count(faulty.primaryService) }));
    const both = valueOf(await metrics.query({ query: `sum(increase(traefik_service_requests_total{service=~"shop-${faulty.primaryService}(-canary)?@file"}[1m]))` }));
    expect(primary).toBeGreaterThan(0);
    expect(both).toBeGreaterThan(primary * 1.5);
  });

  it('a service without traffic is "no data", not a number', async () => {
    const idle = uniqueSplit('shop');
    expect(await metrics.query({ query: checksFor(idle, 'canary').successRate })).toMatchObject({ kind: 'noData' });
  });
});
