import { existsSync, readFileSync } from 'node:fs';
import axios from 'axios';
import { LocalProcessDeployer } from '../../src/targets/local/process-deployer';
import { TraefikFileRouter, weightedServiceName } from '../../src/targets/local/traefik-file-router';
import { LoadGenerator, type LoadResponse } from '../../src/load/load-generator';
import { collect, DEMO_APP, provideTools, ROOT, startStack, target, TOOLS_TIMEOUT_MS, uniqueSplit, waitUntil } from './support';

/*
 * TraefikFileRouter against a real Traefik v3: weights are read back from Traefik's API, and the
 * traffic through Traefik's entrypoint, counted by the load generator, follows them.
 */
describe('TraefikFileRouter on a real Traefik', () => {
  let stack: Awaited<ReturnType<typeof startStack>>;
  let deployer: LocalProcessDeployer;
  let router: TraefikFileRouter;
  const split = uniqueSplit('shop');

  beforeAll(() => {
    provideTools();
  }, TOOLS_TIMEOUT_MS);

  beforeAll(async () => {
    stack = await startStack(provideTools());
    deployer = stack.createDeployer({ local: DEMO_APP, cwd: ROOT, drainMs: 200 });
    router = stack.createRouter();
    await deployer.install({ target: target('shop'), release: split.primaryService, version: '1.0.0' });
    await deployer.install({ target: target('shop'), release: split.canaryService, version: '2.0.0' });
    await router.ensureSplit({ split });
  });

  afterAll(async () => {
    await stack?.cleanup();
  });

  it('creates the split at 100/0 and Traefik reports those weights through its API', async () => {
    expect(await router.getWeights({ split })).toEqual({ primaryWeight: 100, canaryWeight: 0 });
    const { data } = await axios.get(`${stack.apiUrl}/api/http/services/${weightedServiceName(split)}@file`);
    expect(data.status).toBe('enabled');
    expect(data.weighted.services).toEqual([
      { name: `shop-${split.primaryService}`, weight: 100 },
      { name: `shop-${split.canaryService}`, weight: 0 },
    ]);
  });

  it('writes the weights to the watched file and returns once Traefik reads them back', async () => {
    expect(await router.setWeights({ split, weights: { primaryWeight: 70, canaryWeight: 30 } })).toEqual({ changed: true });
    const file = router.fileOf(split);
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file, 'utf8')).toContain('weight: 30');
    expect(await router.getWeights({ split })).toEqual({ primaryWeight: 70, canaryWeight: 30 });
  });

  it('is a no-op when Traefik already serves the weights', async () => {
    await router.setWeights({ split, weights: { primaryWeight: 60, canaryWeight: 40 } });
    expect(await router.setWeights({ split, weights: { primaryWeight: 60, canaryWeight: 40 } })).toEqual({ changed: false });
  });

  it('splits real traffic through the entrypoint by weight (75/25 within 2 points over 800 requests)', async () => {
    await router.setWeights({ split, weights: { primaryWeight: 75, canaryWeight: 25 } });
    const load = new LoadGenerator({ url: stack.entryUrl(split), rps: 200 }).start();
    try {
      const counts = await collect(load, 800);
      expect(counts.byStatus['200']).toBe(counts.completed);
      const canaryShare = (100 * (counts.byVersion['2.0.0']?.total ?? 0)) / counts.completed;
      expect(canaryShare).toBeGreaterThan(23);
      expect(canaryShare).toBeLessThan(27);
    } finally {
      await load.stop();
    }
  });

  it('sends no request sent after setWeights(100/0) returned to the canary', async () => {
    await router.setWeights({ split, weights: { primaryWeight: 50, canaryWeight: 50 } });
    const responses: LoadResponse[] = [];
    const load = new LoadGenerator({ url: stack.entryUrl(split), rps: 200, onResponse: (response) => responses.push(response) }).start();
    try {
      await waitUntil(() => responses.some((response) => response.version === '2.0.0'), () => `${responses.length} responses, none from the canary`);
      await router.setWeights({ split, weights: { primaryWeight: 100, canaryWeight: 0 } });
      const appliedAt = Date.now();
      await waitUntil(() => responses.filter((response) => response.sentAt > appliedAt).length >= 400, () => `${responses.length} responses`);
      const after = responses.filter((response) => response.sentAt > appliedAt);
      expect(after.filter((response) => response.version !== '1.0.0' || response.status !== 200)).toEqual([]);
    } finally {
      await load.stop();
    }
  });

  it('refuses weights that are not integers 0-100 summing to 100', async () => {
    await expect(router.setWeights({ split, weights: { primaryWeight: 90, canaryWeight: 20 } })).rejects.toThrow(/summing to 100/);
    await expect(router.setWeights({ split, weights: { primaryWeight: 99.5, canaryWeight: 0.5 } })).rejects.toThrow(/integers/);
  });

  it('reports a split Traefik does not serve as an error naming it', async () => {
    const unknown = uniqueSplit('shop');
    await expect(router.getWeights({ split: unknown })).rejects.toThrow(`${weightedServiceName(unknown)}@file get error`);
  });

  it('routes a track that has no process to a load balancer without servers (503), leaving the other track serving', async () => {
    const lonely = uniqueSplit('shop');
    await deployer.install({ target: target('shop'), release: lonely.primaryService, version: '3.0.0' });
    await router.setWeights({ split: lonely, weights: { primaryWeight: 50, canaryWeight: 50 } });
    const load = new LoadGenerator({ url: stack.entryUrl(lonely), rps: 200 }).start();
    try {
      const counts = await collect(load, 200);
      expect(counts.byVersion['3.0.0']?.byStatus['200']).toBeGreaterThan(0);
      expect(counts.byStatus['503']).toBeGreaterThan(0);
      expect((counts.byStatus['200'] ?? 0) + (counts.byStatus['503'] ?? 0)).toBe(counts.completed);
    } finally {
      await load.stop();
    }
  });
});
