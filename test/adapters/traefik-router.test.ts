/*
 * TraefikTrafficRouter through the real @kubernetes/client-node CustomObjectsApi against a local
 * Kubernetes API server stand-in: reads and writes the weights of a weighted TraefikService.
 */
import { createServer } from 'node:http';
import * as k8s from '@kubernetes/client-node';
import type { TrafficSplit } from '../../src/activities/ports';
import { TraefikTrafficRouter } from '../../src/targets/kubernetes/traefik-router';
import { FakeKubernetesApi } from '../support/stand-ins';
import { failure } from '../support/failure';

const TOKEN = 'kube-test-token-7f3a';

let kube: FakeKubernetesApi;
beforeAll(async () => {
  kube = await new FakeKubernetesApi().start();
});
afterAll(async () => {
  await kube?.stop();
});

let serviceCounter = 0;
/** A fresh TraefikService per test (primary 100, canary 0), so tests do not see each other's writes. */
function freshSplit(): TrafficSplit {
  serviceCounter += 1;
  const name = `web-${serviceCounter}`;
  kube.addService('shop', name);
  kube.conflictsToInject = 0;
  kube.unavailable = false;
  return { namespace: 'shop', router: name, primaryService: name, canaryService: `${name}-canary` };
}

/** A KubeConfig built the way an operator writes one: http server, skip TLS verify, a token user. */
function kubeConfigFor(server: string): k8s.KubeConfig {
  const config = new k8s.KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'test', server, skipTLSVerify: true }],
    users: [{ name: 'release-bot', token: TOKEN }],
    contexts: [{ name: 'test', cluster: 'test', user: 'release-bot' }],
    currentContext: 'test',
  });
  return config;
}

const routerFor = (server: string) => new TraefikTrafficRouter(kubeConfigFor(server).makeApiClient(k8s.CustomObjectsApi));


const writesTo = (split: TrafficSplit) => kube.requests.filter((request) => request.method !== 'GET' && request.path.includes(`/traefikservices/${split.router}`));

describe('TraefikTrafficRouter with the real CustomObjectsApi', () => {
  test('reads the primary and canary weights of the TraefikService', async () => {
    const split = freshSplit();
    kube.traefikServices.get(`shop/${split.router}`).spec.weighted.services = [
      { name: split.primaryService, port: 80, weight: 75 },
      { name: split.canaryService, port: 80, weight: 25 },
    ];

    await expect(routerFor(kube.url).getWeights({ split })).resolves.toEqual({ primaryWeight: 75, canaryWeight: 25 });
  });

  test('also reads a kubeconfig file (KUBECONFIG) with insecure-skip-tls-verify and a token user', async () => {
    const split = freshSplit();
    const config = new k8s.KubeConfig();
    config.loadFromFile(kube.kubeconfigPath);

    await expect(new TraefikTrafficRouter(config.makeApiClient(k8s.CustomObjectsApi)).getWeights({ split })).resolves.toEqual({ primaryWeight: 100, canaryWeight: 0 });
  });

  test('writes new weights to the TraefikService, authenticated with the bearer token', async () => {
    const split = freshSplit();
    const requestsBefore = kube.requests.length;

    const result = await routerFor(kube.url).setWeights({ split, weights: { primaryWeight: 90, canaryWeight: 10 } });

    expect(result).toEqual({ changed: true });
    expect(kube.weightChanges.filter((change) => change.name === split.router).map((change) => change.weights)).toEqual([{ [split.primaryService]: 90, [split.canaryService]: 10 }]);
    expect(kube.currentWeights('shop', split.router)).toEqual({ [split.primaryService]: 90, [split.canaryService]: 10 });
    const sent = kube.requests.slice(requestsBefore);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.every((request) => request.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  test('keeps the ports and the other fields of the weighted services when it changes the weights', async () => {
    const split = freshSplit();
    const object = kube.traefikServices.get(`shop/${split.router}`);
    object.spec.weighted.services = [
      { name: split.primaryService, port: 8080, weight: 100, passHostHeader: true },
      { name: split.canaryService, port: 8080, weight: 0, passHostHeader: true },
    ];
    object.spec.weighted.sticky = { cookie: { name: 'track' } };

    await routerFor(kube.url).setWeights({ split, weights: { primaryWeight: 50, canaryWeight: 50 } });

    const stored = kube.traefikServices.get(`shop/${split.router}`);
    expect(stored.spec.weighted.services).toEqual([
      { name: split.primaryService, port: 8080, weight: 50, passHostHeader: true },
      { name: split.canaryService, port: 8080, weight: 50, passHostHeader: true },
    ]);
    expect(stored.spec.weighted.sticky).toEqual({ cookie: { name: 'track' } });
  });

  test('adds the canary service, on the primary port, when the TraefikService lists only the primary', async () => {
    const split = freshSplit();
    kube.traefikServices.get(`shop/${split.router}`).spec.weighted.services = [{ name: split.primaryService, port: 8080, weight: 100 }];

    await routerFor(kube.url).setWeights({ split, weights: { primaryWeight: 80, canaryWeight: 20 } });

    expect(kube.traefikServices.get(`shop/${split.router}`).spec.weighted.services).toEqual([
      { name: split.primaryService, port: 8080, weight: 80 },
      { name: split.canaryService, port: 8080, weight: 20 },
    ]);
  });

  test('setting the weights the TraefikService already has is a no-op: nothing is written', async () => {
    const split = freshSplit();

    const result = await routerFor(kube.url).setWeights({ split, weights: { primaryWeight: 100, canaryWeight: 0 } });

    expect(result).toEqual({ changed: false });
    expect(writesTo(split)).toEqual([]);
    expect(kube.weightChanges.filter((change) => change.name === split.router)).toEqual([]);
  });

  test('retries a 409 conflict on the freshly read object and then succeeds', async () => {
    const split = freshSplit();
    kube.conflictsToInject = 1;

    const result = await routerFor(kube.url).setWeights({ split, weights: { primaryWeight: 75, canaryWeight: 25 } });

    expect(result).toEqual({ changed: true });
    expect(kube.conflictsToInject).toBe(0);
    expect(writesTo(split)).toHaveLength(2);
    expect(kube.currentWeights('shop', split.router)).toEqual({ [split.primaryService]: 75, [split.canaryService]: 25 });
    // the write that succeeded carried the resourceVersion the conflict bumped to (read again, not reused)
    expect(kube.traefikServices.get(`shop/${split.router}`).metadata.resourceVersion).toBe('3');
  });

  test('gives up after repeated conflicts with an update error naming the TraefikService and HTTP 409', async () => {
    const split = freshSplit();
    kube.conflictsToInject = 100;

    const error = await failure(routerFor(kube.url).setWeights({ split, weights: { primaryWeight: 50, canaryWeight: 50 } }));
    kube.conflictsToInject = 0;

    expect(error.message).toContain(`TraefikService shop/${split.router} update error`);
    expect(error.message).toContain('HTTP 409');
    expect(writesTo(split).length).toBeLessThan(10);
  });

  test('a missing TraefikService fails with a message naming namespace/name, the HTTP status and the API message', async () => {
    const split: TrafficSplit = { namespace: 'shop', router: 'no-such-router', primaryService: 'a', canaryService: 'b' };

    const readError = await failure(routerFor(kube.url).getWeights({ split }));
    const writeError = await failure(routerFor(kube.url).setWeights({ split, weights: { primaryWeight: 0, canaryWeight: 100 } }));

    for (const error of [readError, writeError]) {
      expect(error.message).toContain('shop/no-such-router');
      expect(error.message).toContain('HTTP 404');
      expect(error.message).toContain('traefikservices.traefik.io "no-such-router" not found');
    }
  });

  test('an unavailable API server (503) fails clearly instead of reporting weights', async () => {
    const split = freshSplit();
    kube.unavailable = true;
    try {
      const error = await failure(routerFor(kube.url).getWeights({ split }));

      expect(error.message).toBe(`TraefikService shop/${split.router} get error: HTTP 503: the server is currently unable to handle the request`);
    } finally {
      kube.unavailable = false;
    }
  });

  test('an API server nobody listens on fails with the connection error, naming the TraefikService', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    const split: TrafficSplit = { namespace: 'shop', router: 'web', primaryService: 'web', canaryService: 'web-canary' };

    const error = await failure(routerFor(`http://127.0.0.1:${port}`).getWeights({ split }));

    expect(error.message).toContain('TraefikService shop/web get error');
    expect(error.message).toContain('ECONNREFUSED');
  });

  test('a rejected token (401) is reported as HTTP 401 Unauthorized, not as an empty message', async () => {
    const server = createServer((_request, response) => {
      response.writeHead(401, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const split: TrafficSplit = { namespace: 'shop', router: 'web', primaryService: 'web', canaryService: 'web-canary' };

      const error = await failure(routerFor(`http://127.0.0.1:${(server.address() as { port: number }).port}`).getWeights({ split }));

      expect(error.message).toContain('TraefikService shop/web get error: HTTP 401');
      expect(error.message).toContain('Unauthorized');
      expect(error.message).not.toContain('undefined');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('TraefikTrafficRouter: mirroring and sticky sessions (issue 14)', () => {
  const stored = (split: TrafficSplit) => kube.traefikServices.get(`shop/${split.router}`);

  test('a mirror turns the TraefikService into kind mirroring (main: primary, mirror: canary at the percent), keeping the weighted spec aside', async () => {
    const split = freshSplit();
    stored(split).spec.weighted.services = [
      { name: split.primaryService, port: 8080, weight: 100, passHostHeader: true },
      { name: split.canaryService, port: 8081, weight: 0 },
    ];
    const router = routerFor(kube.url);

    expect(await router.setWeights({ split, weights: { primaryWeight: 100, canaryWeight: 0, mirrorPercent: 40 } })).toEqual({ changed: true });

    expect(stored(split).spec).toEqual({ mirroring: { name: split.primaryService, port: 8080, mirrors: [{ name: split.canaryService, port: 8081, percent: 40 }] } });
    expect(await router.getWeights({ split })).toEqual({ primaryWeight: 100, canaryWeight: 0, mirrorPercent: 40 });
    expect(await router.listServices({ split })).toEqual([split.primaryService, split.canaryService]);
    // the same route again writes nothing
    const writes = writesTo(split).length;
    expect(await router.setWeights({ split, weights: { primaryWeight: 100, canaryWeight: 0, mirrorPercent: 40 } })).toEqual({ changed: false });
    expect(writesTo(split)).toHaveLength(writes);
  });

  test('the switch after a mirror brings the weighted spec back whole (ports, fields, other services) and drops the annotation', async () => {
    const split = freshSplit();
    stored(split).spec.weighted.services = [
      { name: split.primaryService, port: 8080, weight: 100, passHostHeader: true },
      { name: split.canaryService, port: 8080, weight: 0, passHostHeader: true },
      { name: 'maintenance-page', port: 80, weight: 0 },
    ];
    const router = routerFor(kube.url);
    await router.setWeights({ split, weights: { primaryWeight: 100, canaryWeight: 0, mirrorPercent: 100 } });

    await router.setWeights({ split, weights: { primaryWeight: 0, canaryWeight: 100 } });

    expect(stored(split).spec).toEqual({
      weighted: {
        services: [
          { name: split.primaryService, port: 8080, weight: 0, passHostHeader: true },
          { name: split.canaryService, port: 8080, weight: 100, passHostHeader: true },
          { name: 'maintenance-page', port: 80, weight: 0 },
        ],
      },
    });
    expect(stored(split).metadata.annotations ?? {}).toEqual({});
    expect(kube.weightChanges.filter((change) => change.name === split.router).map(({ weights, mirrors }) => ({ weights, mirrors }))).toEqual([
      { weights: { [split.primaryService]: 100 }, mirrors: { [split.canaryService]: 100 } },
      { weights: { [split.primaryService]: 0, [split.canaryService]: 100, 'maintenance-page': 0 }, mirrors: undefined },
    ]);
  });

  test('a rollback (100/0 without a mirror) ends the mirror', async () => {
    const split = freshSplit();
    const router = routerFor(kube.url);
    await router.setWeights({ split, weights: { primaryWeight: 100, canaryWeight: 0, mirrorPercent: 100 } });

    expect(await router.setWeights({ split, weights: { primaryWeight: 100, canaryWeight: 0 } })).toEqual({ changed: true });

    expect(stored(split).spec.mirroring).toBeUndefined();
    expect(await router.getWeights({ split })).toEqual({ primaryWeight: 100, canaryWeight: 0 });
  });

  test('a mirror while the canary serves users is refused before anything is written', async () => {
    const split = freshSplit();
    const error = await failure(routerFor(kube.url).setWeights({ split, weights: { primaryWeight: 90, canaryWeight: 10, mirrorPercent: 50 } }));
    expect(error.message).toMatch(/TraefikService shop\/web-\d+ update error: a mirror copies the primary's requests to a canary that serves nobody/);
    expect(writesTo(split)).toEqual([]);
  });

  test('sessionAffinity writes a sticky HttpOnly cookie with its Max-Age, and is written even when the weights already match', async () => {
    const split: TrafficSplit = { ...freshSplit(), sessionAffinity: { cookieName: 'docutag-track', maxAgeSeconds: 600 } };
    const router = routerFor(kube.url);

    expect(await router.setWeights({ split, weights: { primaryWeight: 100, canaryWeight: 0 } })).toEqual({ changed: true });
    expect(stored(split).spec.weighted.sticky).toEqual({ cookie: { name: 'docutag-track', maxAge: 600, httpOnly: true } });
    expect(await router.setWeights({ split, weights: { primaryWeight: 100, canaryWeight: 0 } })).toEqual({ changed: false });

    await router.setWeights({ split, weights: { primaryWeight: 80, canaryWeight: 20 } });
    expect(stored(split).spec.weighted.sticky).toEqual({ cookie: { name: 'docutag-track', maxAge: 600, httpOnly: true } });
  });

  test('the sticky cookie survives a mirror and the switch after it', async () => {
    const split: TrafficSplit = { ...freshSplit(), sessionAffinity: { cookieName: 'track', maxAgeSeconds: 86400 } };
    const router = routerFor(kube.url);
    await router.setWeights({ split, weights: { primaryWeight: 100, canaryWeight: 0, mirrorPercent: 100 } });
    await router.setWeights({ split, weights: { primaryWeight: 0, canaryWeight: 100 } });
    expect(stored(split).spec.weighted.sticky).toEqual({ cookie: { name: 'track', maxAge: 86400, httpOnly: true } });
  });
});

describe('TraefikTrafficRouter: A/B testing through an IngressRoute beside the service\'s own (issue 14)', () => {
  const match = [{ headers: { 'x-canary': { exact: 'insider' } } }];
  const abSplit = (): TrafficSplit => {
    const split = freshSplit();
    return { ...split, abTest: { match, ingressRoute: split.router } };
  };

  test('matched routing creates <ingressRoute>-ab: the main match AND the rule, to the canary Service on its port, entrypoints kept', async () => {
    const split = abSplit();
    const router = routerFor(kube.url);

    expect(await router.setWeights({ split, weights: { primaryWeight: 100, canaryWeight: 0, matchedToCanary: true } })).toEqual({ changed: true });

    const created = kube.ingressRoutes.get(`shop/${split.router}-ab`);
    expect(created.spec).toEqual({
      entryPoints: ['websecure'],
      routes: [{ kind: 'Rule', match: `(Host(\`${split.router}.docutag.test\`)) && (Header(\`x-canary\`, \`insider\`))`, services: [{ name: split.canaryService, port: 80 }] }],
    });
    expect(created.metadata.labels).toEqual({ 'app.kubernetes.io/managed-by': 'docutag-release' });
    expect(await router.getWeights({ split })).toEqual({ primaryWeight: 100, canaryWeight: 0, matchedToCanary: true });
    // again: nothing written
    const changes = kube.ingressRouteChanges.length;
    expect(await router.setWeights({ split, weights: { primaryWeight: 100, canaryWeight: 0, matchedToCanary: true } })).toEqual({ changed: false });
    expect(kube.ingressRouteChanges).toHaveLength(changes);
  });

  test('an A/B route the API server hands back with its keys in another order is the same route: nothing rewritten', async () => {
    const split = abSplit();
    const main = kube.ingressRoutes.get(`shop/${split.router}`);
    main.spec.routes[0] = { ...main.spec.routes[0], priority: 10, middlewares: [{ name: 'rate-limit' }] };
    const router = routerFor(kube.url);
    await router.setWeights({ split, weights: { primaryWeight: 100, canaryWeight: 0, matchedToCanary: true } });
    // The real kube-apiserver returns custom objects with their keys sorted.
    const sortKeys = (value: unknown): unknown =>
      Array.isArray(value) ? value.map(sortKeys) : value && typeof value === 'object' ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => b.localeCompare(a)).map(([key, item]) => [key, sortKeys(item)])) : value;
    const key = `shop/${split.router}-ab`;
    kube.ingressRoutes.set(key, sortKeys(kube.ingressRoutes.get(key)));
    const changes = kube.ingressRouteChanges.length;

    expect(await router.setWeights({ split, weights: { primaryWeight: 100, canaryWeight: 0, matchedToCanary: true } })).toEqual({ changed: false });
    expect(kube.ingressRouteChanges).toHaveLength(changes);
  });

  test('a main route with a priority gets one above it, and its middlewares are kept', async () => {
    const split = abSplit();
    const main = kube.ingressRoutes.get(`shop/${split.router}`);
    main.spec.routes[0] = { ...main.spec.routes[0], priority: 10, middlewares: [{ name: 'rate-limit' }] };

    await routerFor(kube.url).setWeights({ split, weights: { primaryWeight: 100, canaryWeight: 0, matchedToCanary: true } });

    expect(kube.ingressRoutes.get(`shop/${split.router}-ab`).spec.routes[0]).toMatchObject({ priority: 11, middlewares: [{ name: 'rate-limit' }] });
  });

  test('a rollback (100/0 without the flag) deletes the A/B route before it touches the TraefikService', async () => {
    const split = abSplit();
    const router = routerFor(kube.url);
    await router.setWeights({ split, weights: { primaryWeight: 100, canaryWeight: 0, matchedToCanary: true } });
    kube.traefikServices.get(`shop/${split.router}`).spec.weighted.services[1].weight = 5; // someone left weight on the canary

    expect(await router.setWeights({ split, weights: { primaryWeight: 100, canaryWeight: 0 } })).toEqual({ changed: true });

    expect(kube.ingressRoutes.has(`shop/${split.router}-ab`)).toBe(false);
    const deletedAt = kube.ingressRouteChanges.find((change) => change.name === `${split.router}-ab` && change.action === 'delete')!.at;
    const weightAt = kube.weightChanges.filter((change) => change.name === split.router).at(-1)!.at;
    expect(weightAt).toBeGreaterThanOrEqual(deletedAt);
    // and once more: nothing to delete, nothing changed
    expect(await router.setWeights({ split, weights: { primaryWeight: 100, canaryWeight: 0 } })).toEqual({ changed: false });
  });

  test('an IngressRoute without a route to the TraefikService is an error naming traffic.ingressRoute, and nothing is created', async () => {
    const split = { ...abSplit(), abTest: { match, ingressRoute: 'missing-route' } };
    const error = await failure(routerFor(kube.url).setWeights({ split, weights: { primaryWeight: 100, canaryWeight: 0, matchedToCanary: true } }));
    expect(error.message).toContain('IngressRoute missing-route get (set traffic.ingressRoute to the IngressRoute that sends to TraefikService');
    expect(error.message).toContain('HTTP 404');
    expect(kube.ingressRoutes.has('shop/missing-route-ab')).toBe(false);
  });

  test('matched routing on a split without A/B rules is refused', async () => {
    const split = freshSplit();
    const error = await failure(routerFor(kube.url).setWeights({ split, weights: { primaryWeight: 100, canaryWeight: 0, matchedToCanary: true } }));
    expect(error.message).toContain('only on a split with A/B rules');
    expect(writesTo(split)).toEqual([]);
  });

  test('a canary or blue-green split never reads or writes IngressRoutes', async () => {
    const split = freshSplit();
    const before = kube.requests.length;
    await routerFor(kube.url).setWeights({ split, weights: { primaryWeight: 90, canaryWeight: 10 } });
    await routerFor(kube.url).setWeights({ split, weights: { primaryWeight: 100, canaryWeight: 0 } });
    expect(kube.requests.slice(before).filter((request) => request.path.includes('/ingressroutes'))).toEqual([]);
  });
});
