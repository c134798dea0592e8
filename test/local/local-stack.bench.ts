/*
 * Measurements of the local stack (not a test: it asserts nothing, it prints numbers).
 *
 *   npx jest --testMatch '**' test/local/local-stack.bench.ts
 *
 * Prints one JSON object: start-up times, how long Traefik takes to serve new weights, how exactly
 * the traffic follows them, how long after the first request Prometheus answers the analysis
 * queries, an upgrade under load, and how soon a canary stops receiving traffic after 100/0.
 */
import { DEMO_APP, provideTools, ROOT, startStack, target, TOOLS_TIMEOUT_MS, uniqueSplit, waitUntil, collect } from './support';
import { fileProviderServicePattern } from '../../src/targets/local/traefik-file-router';
import { metricChecks } from '../../src/workflows/domain/queries';
import { LoadGenerator, type LoadResponse } from '../../src/load/load-generator';

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

it('measures the local stack', async () => {
  const tools = provideTools();
  const report: Record<string, unknown> = {};
  let started = Date.now();
  const stack = await startStack(tools);
  report.stackStartMs = Date.now() - started;
  try {
    const deployer = stack.createDeployer({ local: DEMO_APP, cwd: ROOT, drainMs: 500 });
    const router = stack.createRouter();
    const metrics = stack.createMetricsProvider();
    const split = uniqueSplit('shop');

    started = Date.now();
    await deployer.install({ target: target('shop'), release: split.primaryService, version: '1.0.0' });
    report.firstInstallMs = Date.now() - started;
    await deployer.install({ target: target('shop', { FAULT_ERROR_RATE: '0.2' }), release: split.canaryService, version: '1.1.0' });

    const applyMs: number[] = [];
    for (let weight = 5; weight <= 100; weight += 5) {
      started = Date.now();
      await router.setWeights({ split, weights: { primaryWeight: 100 - weight, canaryWeight: weight } });
      applyMs.push(Date.now() - started);
    }
    report.setWeightsApplyMs = { median: median(applyMs), max: Math.max(...applyMs), changes: applyMs.length };

    const responses: LoadResponse[] = [];
    const load = new LoadGenerator({ url: stack.entryUrl(split), rps: 200, onResponse: (response) => responses.push(response) }).start();
    const accuracy: Record<string, number> = {};
    for (const weight of [10, 25, 50]) {
      await router.setWeights({ split, weights: { primaryWeight: 100 - weight, canaryWeight: weight } });
      const counts = await collect(load, 1000);
      accuracy[`${100 - weight}/${weight}`] = Math.round((1000 * (counts.byVersion['1.1.0']?.total ?? 0)) / counts.completed) / 10;
    }
    report.canarySharePercentOver1000Requests = accuracy;

    // Scrape-to-query: on a split that never had traffic, how long after its canary's first answer the analysis query has a value.
    const fresh = uniqueSplit('shop');
    await deployer.install({ target: target('shop'), release: fresh.primaryService, version: '1.0.0' });
    await deployer.install({ target: target('shop', { FAULT_ERROR_RATE: '0.2' }), release: fresh.canaryService, version: '1.1.0' });
    await router.setWeights({ split: fresh, weights: { primaryWeight: 50, canaryWeight: 50 } });
    const query = metricChecks(
      { namespace: 'shop', intervalMs: 10_000, requestSuccessRate: { enabled: true, threshold: 99 }, requestDuration: { enabled: false, threshold: 500 }, custom: [] },
      fresh.canaryService,
      fileProviderServicePattern('shop', fresh.canaryService),
    )[0]!.query;
    let firstCanary = 0;
    const freshLoad = new LoadGenerator({ url: stack.entryUrl(fresh), rps: 100, onResponse: (response) => (firstCanary ||= response.version === '1.1.0' ? response.at : 0) }).start();
    await waitUntil(() => firstCanary > 0, () => 'no canary answer');
    await waitUntil(async () => (await metrics.query({ query })).kind === 'value', () => 'no value', 120_000);
    report.firstRequestToQueryValueMs = Date.now() - firstCanary;
    // A full 10s window of traffic, then the success rate of the version with 20% errors.
    await waitUntil(() => Date.now() - firstCanary > 11_000, () => 'window');
    const rate = await metrics.query({ query });
    report.canarySuccessRateOver10s = rate.kind === 'value' ? Math.round(rate.value * 10) / 10 : rate;
    await freshLoad.stop();

    // Restore: 100/0 while the bad canary takes half the traffic.
    started = Date.now();
    await router.setWeights({ split, weights: { primaryWeight: 100, canaryWeight: 0 } });
    const returned = Date.now();
    await collect(load, 400);
    const canaryAfter = responses.filter((response) => response.version === '1.1.0' && response.at >= started);
    report.restore = {
      setWeightsMs: returned - started,
      lastCanaryResponseAfterCallStartMs: canaryAfter.length ? Math.max(...canaryAfter.map((response) => response.at)) - started : null,
      canaryRequestsSentAfterReturn: canaryAfter.filter((response) => response.sentAt > returned).length,
    };

    // Upgrade of the primary under 200 rps.
    const before = responses.length;
    started = Date.now();
    await deployer.install({ target: target('shop'), release: split.primaryService, version: '1.0.1' });
    report.upgradeUnderLoad = { installMs: Date.now() - started, drainMs: 500 };
    await collect(load, 400);
    await load.stop();
    const during = responses.slice(before);
    (report.upgradeUnderLoad as Record<string, unknown>).requests = during.length;
    (report.upgradeUnderLoad as Record<string, unknown>).failed = during.filter((response) => response.status !== 200).length;
  } finally {
    await stack.cleanup();
  }
  process.stdout.write(`local stack measurements: ${JSON.stringify(report, null, 2)}\n`);
}, TOOLS_TIMEOUT_MS);
