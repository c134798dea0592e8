import axios from 'axios';
import type { TrafficSplit } from '../../src/activities/ports';
import type { MatchRule } from '../../src/workflows/domain/match';
import { LoadGenerator, type LoadResponse } from '../../src/load/load-generator';
import { target, uniqueSplit, useDemoStack, waitUntil } from './support';

/*
 * Issue 14 on a real Traefik (file provider): the sticky cookie of sessionAffinity and the mirror
 * of a mirrored blue-green, as clients see them through the entrypoint. The demo app counts the
 * requests it answered (`GET /served`), mirrored copies included.
 */
describe('sticky sessions and mirroring on a real Traefik', () => {
  const demo = useDemoStack();

  /** Installs both tracks of a fresh split (primary 1.0.0, canary 2.0.0) and creates its route at 100/0. */
  async function freshSplit(extra: Partial<TrafficSplit> = {}): Promise<TrafficSplit> {
    const split = { ...uniqueSplit('shop'), ...extra };
    await demo.deployer.install({ target: target('shop'), release: split.primaryService, version: '1.0.0' });
    await demo.deployer.install({ target: target('shop'), release: split.canaryService, version: '2.0.0' });
    await demo.router.ensureSplit({ split });
    return split;
  }

  /** How many `GET /` a track's process answered, mirrored copies included. */
  async function served(split: TrafficSplit, release: string): Promise<number> {
    const url = demo.stack.endpoints.get(split.namespace, release);
    if (!url) throw new Error(`${release} has no process`);
    return (await axios.get<{ served: number }>(`${url}/served`)).data.served;
  }

  /** Runs `count` requests from `clients` users with cookie jars and returns every response. */
  async function requests(split: TrafficSplit, count: number, clients: number): Promise<LoadResponse[]> {
    const responses: LoadResponse[] = [];
    const load = new LoadGenerator({ url: demo.stack.entryUrl(split), rps: 200, clients, onResponse: (response) => responses.push(response) }).start();
    try {
      await waitUntil(() => responses.length >= count, () => `${responses.length}/${count} responses`);
    } finally {
      await load.stop();
    }
    return responses;
  }

  /** The versions that answered each client. */
  function versionsByClient(responses: LoadResponse[]): Map<number, Set<string>> {
    const versionsOf = new Map<number, Set<string>>();
    for (const response of responses) versionsOf.set(response.client, (versionsOf.get(response.client) ?? new Set()).add(response.version));
    return versionsOf;
  }

  describe('sessionAffinity', () => {
    const affinity = { cookieName: 'docutag-track', maxAgeSeconds: 600 };

    test('Traefik serves the sticky cookie the split asks for (read back through its API)', async () => {
      const split = await freshSplit({ sessionAffinity: affinity });
      const { data } = await axios.get(`${demo.stack.apiUrl}/api/http/services/shop-${split.router}_weighted@file`);
      expect(data.weighted.sticky).toEqual({ cookie: { name: 'docutag-track', maxAge: 600, httpOnly: true, path: '/' } });
    });

    test('at 50/50 no client with the cookie flips versions, and both versions have clients', async () => {
      const split = await freshSplit({ sessionAffinity: affinity });
      await demo.router.setWeights({ split, weights: { primaryWeight: 50, canaryWeight: 50 } });

      const responses = await requests(split, 600, 30);

      expect(responses.every((response) => response.status === 200)).toBe(true);
      const versionsOf = versionsByClient(responses);
      const flipped = [...versionsOf].filter(([, versions]) => versions.size > 1);
      expect(flipped).toEqual([]);
      const pinned = [...versionsOf.values()].map((versions) => [...versions][0]);
      expect(pinned.filter((version) => version === '2.0.0').length).toBeGreaterThan(3);
      expect(pinned.filter((version) => version === '1.0.0').length).toBeGreaterThan(3);
    });

    test('without sessionAffinity the same clients do flip (the control: the cookie is what pins them)', async () => {
      const split = await freshSplit();
      await demo.router.setWeights({ split, weights: { primaryWeight: 50, canaryWeight: 50 } });

      const responses = await requests(split, 600, 30);

      const versionsOf = versionsByClient(responses);
      expect([...versionsOf.values()].filter((versions) => versions.size > 1).length).toBeGreaterThan(20);
    });

    test('after 100/0 (promotion or rollback) the canary\'s cookie pins nobody: every client reaches the primary', async () => {
      const split = await freshSplit({ sessionAffinity: affinity });
      await demo.router.setWeights({ split, weights: { primaryWeight: 50, canaryWeight: 50 } });
      const responses: LoadResponse[] = [];
      const load = new LoadGenerator({ url: demo.stack.entryUrl(split), rps: 200, clients: 30, onResponse: (response) => responses.push(response) }).start();
      try {
        await waitUntil(() => new Set(responses.filter((response) => response.version === '2.0.0').map((response) => response.client)).size >= 5, () => `${responses.length} responses`);
        const onCanary = new Set(responses.filter((response) => response.version === '2.0.0').map((response) => response.client));

        await demo.router.setWeights({ split, weights: { primaryWeight: 100, canaryWeight: 0 } });
        const appliedAt = Date.now();
        await waitUntil(() => responses.filter((response) => response.sentAt > appliedAt).length >= 300, () => `${responses.length} responses`);

        const after = responses.filter((response) => response.sentAt > appliedAt);
        expect(after.filter((response) => response.version !== '1.0.0')).toEqual([]);
        // the clients once pinned to the canary are among those answered by the primary
        expect([...onCanary].every((client) => after.some((response) => response.client === client))).toBe(true);
      } finally {
        await load.stop();
      }
    });
  });

  describe('mirror', () => {
    test.each([100, 50])('at %i%% the canary answers that share of copies, and no client ever gets a canary answer', async (percent) => {
      const split = await freshSplit();
      expect(await demo.router.setWeights({ split, weights: { primaryWeight: 100, canaryWeight: 0, mirrorPercent: percent } })).toEqual({ changed: true });
      expect(await demo.router.getWeights({ split })).toEqual({ primaryWeight: 100, canaryWeight: 0, mirrorPercent: percent });
      const before = await served(split, split.canaryService);

      const responses = await requests(split, 1000, 10);
      // Traefik sends the copy beside the request; wait until the copies of the last requests arrived.
      let mirrored = 0;
      await waitUntil(async () => {
        const now = (await served(split, split.canaryService)) - before;
        const settled = now === mirrored && now > 0;
        mirrored = now;
        return settled;
      }, () => `canary served ${mirrored}`);

      expect(responses.filter((response) => response.version !== '1.0.0' || response.status !== 200)).toEqual([]);
      const share = (100 * mirrored) / responses.length;
      expect(share).toBeGreaterThan(percent - 5);
      expect(share).toBeLessThanOrEqual(100);
    });

    test('the next route without a mirror ends it: the canary gets no copy of a request sent after it returned', async () => {
      const split = await freshSplit();
      await demo.router.setWeights({ split, weights: { primaryWeight: 100, canaryWeight: 0, mirrorPercent: 100 } });
      await requests(split, 50, 1);

      expect(await demo.router.setWeights({ split, weights: { primaryWeight: 100, canaryWeight: 0 } })).toEqual({ changed: true });
      await new Promise((resolve) => setTimeout(resolve, 200)); // copies of requests sent before the change may still be on their way
      const before = await served(split, split.canaryService);
      const responses = await requests(split, 400, 10);

      expect(responses.every((response) => response.version === '1.0.0')).toBe(true);
      expect(await served(split, split.canaryService)).toBe(before);
      expect(await demo.router.getWeights({ split })).toEqual({ primaryWeight: 100, canaryWeight: 0 });
    });

    test('the switch after a mirror sends every request to the canary, as a blue-green switch does', async () => {
      const split = await freshSplit();
      await demo.router.setWeights({ split, weights: { primaryWeight: 100, canaryWeight: 0, mirrorPercent: 100 } });
      await demo.router.setWeights({ split, weights: { primaryWeight: 0, canaryWeight: 100 } });

      const responses = await requests(split, 200, 5);

      expect(responses.every((response) => response.version === '2.0.0' && response.status === 200)).toBe(true);
    });

    test('a mirror while the canary serves users is refused and nothing is written', async () => {
      const split = await freshSplit();
      await expect(demo.router.setWeights({ split, weights: { primaryWeight: 90, canaryWeight: 10, mirrorPercent: 50 } })).rejects.toThrow(/weights must be 100\/0 while mirroring, got 90\/10/);
      expect(await demo.router.getWeights({ split })).toEqual({ primaryWeight: 100, canaryWeight: 0 });
    });
  });

  describe('A/B testing', () => {
    // The cookie regex allows the `; ` browsers put between cookies (Flagger's docs' `^(.*?;)?(canary=always)(;.*)?$` matches it only first).
    const match: MatchRule[] = [{ headers: { 'x-canary': { exact: 'insider' } } }, { headers: { cookie: { regex: '(^|;\\s*)canary=always(;|$)' } } }];

    /** `count` requests with these headers or cookies, from 10 clients. */
    async function abRequests(split: TrafficSplit, count: number, options: { headers?: Record<string, string>; cookies?: Record<string, string> }): Promise<LoadResponse[]> {
      const responses: LoadResponse[] = [];
      const load = new LoadGenerator({ url: demo.stack.entryUrl(split), rps: 200, clients: 10, ...options, onResponse: (response) => responses.push(response) }).start();
      try {
        await waitUntil(() => responses.length >= count, () => `${responses.length}/${count} responses`);
      } finally {
        await load.stop();
      }
      return responses;
    }

    test('only matching requests reach the canary: the header, the cookie (among others), and nothing without them', async () => {
      const split = await freshSplit({ abTest: { match, ingressRoute: 'unused-on-local' } });
      expect(await demo.router.setWeights({ split, weights: { primaryWeight: 100, canaryWeight: 0, matchedToCanary: true } })).toEqual({ changed: true });
      expect(await demo.router.getWeights({ split })).toEqual({ primaryWeight: 100, canaryWeight: 0, matchedToCanary: true });

      const versions = (responses: LoadResponse[]) => [...new Set(responses.map((response) => `${response.status} ${response.version}`))];
      expect(versions(await abRequests(split, 300, {}))).toEqual(['200 1.0.0']);
      expect(versions(await abRequests(split, 300, { headers: { 'x-canary': 'other' }, cookies: { canary: 'never' } }))).toEqual(['200 1.0.0']);
      expect(versions(await abRequests(split, 300, { headers: { 'x-canary': 'insider' } }))).toEqual(['200 2.0.0']);
      expect(versions(await abRequests(split, 300, { cookies: { session: 'abc', canary: 'always', theme: 'dark' } }))).toEqual(['200 2.0.0']);
    });

    test('100/0 without the flag (promotion\'s end, or a rollback) removes the A/B router: matching requests reach the primary again', async () => {
      const split = await freshSplit({ abTest: { match, ingressRoute: 'unused-on-local' } });
      await demo.router.setWeights({ split, weights: { primaryWeight: 100, canaryWeight: 0, matchedToCanary: true } });

      expect(await demo.router.setWeights({ split, weights: { primaryWeight: 100, canaryWeight: 0 } })).toEqual({ changed: true });

      const responses = await abRequests(split, 300, { headers: { 'x-canary': 'insider' } });
      expect(responses.every((response) => response.version === '1.0.0' && response.status === 200)).toBe(true);
      const { status } = await axios.get(`${demo.stack.apiUrl}/api/http/routers/shop-${split.router}_ab@file`, { validateStatus: () => true });
      expect(status).toBe(404);
    });

    test('a split without A/B rules refuses matched routing, writing nothing', async () => {
      const split = await freshSplit();
      await expect(demo.router.setWeights({ split, weights: { primaryWeight: 100, canaryWeight: 0, matchedToCanary: true } })).rejects.toThrow(/only on a split with A\/B rules/);
      expect(await demo.router.getWeights({ split })).toEqual({ primaryWeight: 100, canaryWeight: 0 });
    });
  });
});
