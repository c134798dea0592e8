/*
 * The worker's Kubernetes adapters against a real API server (test/support/kube-cluster.ts: etcd,
 * kube-apiserver, controller-manager, scheduler, kwok; Traefik's CRDs), authenticated as the
 * ServiceAccount of deploy/chart, so its Role is proven to suffice: HelmDeployer with the real helm
 * on examples/chart (install, upgrade, test passing and failing, rollback, uninstall),
 * KubernetesReadiness on the chart's Deployment, and TraefikTrafficRouter on a real TraefikService;
 * then the API server is stopped for 20 s and started again.
 */
import { execFile, spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { createProcessRunner, type CommandRunner } from '../../src/activities/adapters/command-runner';
import { HelmDeployer } from '../../src/targets/kubernetes/helm-deployer';
import { KubernetesReadiness } from '../../src/targets/kubernetes/readiness';
import { TraefikTrafficRouter, type CustomObjectsClient } from '../../src/targets/kubernetes/traefik-router';
import type { HelmTarget, TrafficSplit } from '../../src/activities/ports';
import { LocalKubeCluster, provideClusterTools, ROOT, scratchDir, START_TIMEOUT_MS, TOOLS_TIMEOUT_MS } from '../support/kube-cluster';
import { failure } from '../support/failure';

const run = promisify(execFile);

const SHOP = 'shop';
const WORKER_NAMESPACE = 'docutag-system';
/** deploy/chart's release; its ServiceAccount and Role are named after it. */
const WORKER_RELEASE = 'docutag-release';

let tools: ReturnType<typeof provideClusterTools>;
let cluster: LocalKubeCluster;
/** The worker's ServiceAccount token, bound by deploy/chart's Role in namespace shop only. */
let workerKubeconfig: string;

beforeAll(() => {
  tools = provideClusterTools();
}, TOOLS_TIMEOUT_MS);

beforeAll(async () => {
  cluster = await LocalKubeCluster.start(tools);
  await cluster.createNamespace(SHOP);
  await cluster.createNamespace(WORKER_NAMESPACE);
  workerKubeconfig = await cluster.installWorkerChart({ namespace: WORKER_NAMESPACE, release: WORKER_RELEASE, namespaces: [SHOP] });
}, START_TIMEOUT_MS);

afterAll(async () => {
  await cluster?.stop();
});

/** helm runs with the worker's kubeconfig, the way the worker runs it (KUBECONFIG). */
function workerRunner(): CommandRunner {
  const runner = createProcessRunner();
  return { run: (args) => runner.run({ ...args, env: cluster.helmEnv(workerKubeconfig) }) };
}

function workerKubeConfig(): k8s.KubeConfig {
  const config = new k8s.KubeConfig();
  config.loadFromFile(workerKubeconfig);
  return config;
}

const demoTarget = (set: HelmTarget['set'] = {}): HelmTarget => ({
  namespace: SHOP,
  chart: path.join(ROOT, 'examples/chart'),
  valuesFiles: [],
  versionValue: 'version',
  set,
  timeoutMs: 60_000,
});


describe('the charts', () => {
  test('helm lint passes on examples/chart and deploy/chart', async () => {
    for (const chart of ['examples/chart', 'deploy/chart']) {
      const lint = await cluster.helm(['lint', '--strict', path.join(ROOT, chart)]);
      expect({ chart, exitCode: lint.exitCode, output: lint.stdout + lint.stderr }).toEqual({ chart, exitCode: 0, output: expect.stringContaining('1 chart(s) linted, 0 chart(s) failed') });
    }
  });
});

const deployer = () => new HelmDeployer({ runner: workerRunner(), helmBin: cluster.helmBin });

describe('HelmDeployer with the real helm, as the worker ServiceAccount', () => {
  const release = 'shop-web';

  test('installs examples/chart: revision 1 runs the version, its Deployment is ready, its Service is named after the release', async () => {
    const installed = await deployer().install({ target: demoTarget(), release, version: '1.0.0' });

    expect(installed).toEqual({ release, revision: 1, version: '1.0.0', status: 'deployed' });
    await new KubernetesReadiness(workerKubeConfig().makeApiClient(k8s.AppsV1Api), 200).waitReady({ namespace: SHOP, name: release, timeoutMs: 30_000 });
    const service = JSON.parse(await cluster.kubectl(['get', 'service', release, '--namespace', SHOP, '-o', 'json'])) as { spec: { ports: { port: number }[] } };
    expect(service.spec.ports[0].port).toBe(80);
  });

  test('upgrades to a new version: revision 2 rolls the Deployment to it, helm history lists both', async () => {
    const upgraded = await deployer().install({ target: demoTarget(), release, version: '1.1.0' });

    expect(upgraded).toEqual({ release, revision: 2, version: '1.1.0', status: 'deployed' });
    const env = JSON.parse(await cluster.kubectl(['get', 'deployment', release, '--namespace', SHOP, '-o', 'jsonpath={.spec.template.spec.containers[0].env}'])) as { name: string; value: string }[];
    expect(env).toContainEqual({ name: 'VERSION', value: '1.1.0' });
    const history = await deployer().history({ target: demoTarget(), release, max: 10 });
    expect(history.map(({ revision, status }) => ({ revision, status }))).toEqual([
      { revision: 1, status: 'superseded' },
      { revision: 2, status: 'deployed' },
    ]);
  });

  test('helm test passes (the test pod ends Succeeded)', async () => {
    const run = await deployer().test({ target: demoTarget(), release, timeoutMs: 60_000 });

    expect(run).toEqual({ passed: true, output: expect.stringMatching(/shop-web-smoke-test[\s\S]*Succeeded/) });
  });

  test('helm test fails when the values ask for a failing test (the test pod ends Failed)', async () => {
    const failing = await deployer().install({ target: demoTarget({ 'test.fail': 'true' }), release, version: '1.2.0' });
    expect(failing.revision).toBe(3);

    const run = await deployer().test({ target: demoTarget(), release, timeoutMs: 60_000 });

    expect(run.passed).toBe(false);
    expect(run.output).toMatch(/shop-web-smoke-test.*failed|phase.*Failed/i);
  });

  test('rolls back to the recorded revision: a new revision 4 runs its version, history says so', async () => {
    const rolledBack = await deployer().rollback({ target: demoTarget(), release, revision: 2 });

    expect(rolledBack).toEqual({ release, revision: 4, version: '1.1.0', status: 'deployed' });
    const history = await deployer().history({ target: demoTarget(), release, max: 10 });
    expect(history.at(-1)).toMatchObject({ revision: 4, status: 'deployed', description: 'Rollback to 2' });
    expect(await deployer().test({ target: demoTarget(), release, timeoutMs: 60_000 })).toMatchObject({ passed: true });
  });

  test('uninstalls: the release, its Deployment and its Service are gone; describing it says not installed', async () => {
    await deployer().uninstall({ target: demoTarget(), release });

    await expect(deployer().describe({ target: demoTarget(), release })).resolves.toBeNull();
    await expect(deployer().history({ target: demoTarget(), release, max: 10 })).resolves.toEqual([]);
    expect(await cluster.kubectl(['get', 'deployments,services', '--namespace', SHOP, '-l', `app.kubernetes.io/instance=${release}`, '-o', 'name'])).toBe('');
  });

  test('a release outside the namespaces of deploy/chart Role is refused by the API server', async () => {
    const error = await failure(deployer().install({ target: { ...demoTarget(), namespace: 'default' }, release: 'elsewhere', version: '1.0.0' }));

    expect(error.message).toMatch(/forbidden/i);
  });
});

/**
 * Starts a helm command as the worker runs it and SIGKILLs it once the release reaches `state`, as a
 * worker killed mid-helm does: helm's lock (the pending-* revision) stays behind.
 */
async function helmKilledAt(state: string, release: string, args: string[]): Promise<void> {
  const child = spawn(cluster.helmBin, args, { env: cluster.helmEnv(workerKubeconfig), stdio: 'ignore' });
  const deadline = Date.now() + 60_000;
  try {
    for (;;) {
      const status = await deployer().describe({ target: demoTarget(), release }).catch(() => null);
      if (status?.status === state) break;
      if (Date.now() > deadline) throw new Error(`${release} never reached ${state} (last: ${status?.status ?? 'not installed'})`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    child.kill('SIGKILL');
  }
}

describe('a helm process killed mid-operation with its worker', () => {
  // Pods no node can take: helm --wait waits for them until it is killed.
  const unschedulable = ['--set-string', 'nodeSelector.docutag-release/nowhere=true', '--wait', '--timeout', '120s'];

  test('pending-upgrade: an install is refused ("another operation is in progress"); the retry unlocks it with a rollback and upgrades', async () => {
    const release = 'shop-pending-upgrade';
    await deployer().install({ target: demoTarget(), release, version: '1.0.0' });
    await helmKilledAt('pending-upgrade', release, ['upgrade', release, path.join(ROOT, 'examples/chart'), '--namespace', SHOP, '--set-string', 'version=1.1.0', ...unschedulable]);

    const refused = await failure(deployer().install({ target: demoTarget(), release, version: '1.1.0' }));
    expect(refused.message).toMatch(/another operation \(install\/upgrade\/rollback\) is in progress/);

    const recovered = await deployer().install({ target: demoTarget(), release, version: '1.1.0', recoverPending: true });
    expect(recovered).toEqual({ release, revision: 4, version: '1.1.0', status: 'deployed' });
    const history = await deployer().history({ target: demoTarget(), release, max: 10 });
    expect(history.slice(-2).map(({ revision, status, description }) => ({ revision, status, description }))).toEqual([
      { revision: 3, status: 'superseded', description: 'Rollback to 1' },
      { revision: 4, status: 'deployed', description: 'Upgrade complete' },
    ]);
  });

  test('pending-install: the retry uninstalls the release that never served and installs it again', async () => {
    const release = 'shop-pending-install';
    await helmKilledAt('pending-install', release, ['upgrade', release, path.join(ROOT, 'examples/chart'), '--install', '--namespace', SHOP, '--set-string', 'version=1.0.0', ...unschedulable]);

    const recovered = await deployer().install({ target: demoTarget(), release, version: '1.0.0', recoverPending: true });
    expect(recovered).toEqual({ release, revision: 1, version: '1.0.0', status: 'deployed' });
    await deployer().uninstall({ target: demoTarget(), release });
  });

  test('a deployed release is left alone by the retry: a plain upgrade', async () => {
    const release = 'shop-not-pending';
    await deployer().install({ target: demoTarget(), release, version: '1.0.0' });
    const upgraded = await deployer().install({ target: demoTarget(), release, version: '1.1.0', recoverPending: true });
    expect(upgraded).toEqual({ release, revision: 2, version: '1.1.0', status: 'deployed' });
    await deployer().uninstall({ target: demoTarget(), release });
  });
});

const split: TrafficSplit = { namespace: SHOP, router: 'web', primaryService: 'web', canaryService: 'web-canary' };

const weightsInApi = async () =>
  JSON.parse(await cluster.kubectl(['get', 'traefikservice', 'web', '--namespace', SHOP, '-o', 'jsonpath={.spec.weighted.services}'])) as { name: string; weight: number }[];

describe('TraefikTrafficRouter on a real TraefikService, as the worker ServiceAccount', () => {

  beforeAll(async () => {
    await cluster.apply(
      JSON.stringify({
        apiVersion: 'traefik.io/v1alpha1',
        kind: 'TraefikService',
        metadata: { name: 'web', namespace: SHOP },
        spec: { weighted: { services: [{ name: 'web', port: 80, weight: 100 }, { name: 'web-canary', port: 80, weight: 0 }] } },
      }),
    );
    await cluster.apply(
      JSON.stringify({
        apiVersion: 'traefik.io/v1alpha1',
        kind: 'IngressRoute',
        metadata: { name: 'web', namespace: SHOP },
        spec: { entryPoints: ['web'], routes: [{ match: 'Host(`web.shop.test`)', kind: 'Rule', services: [{ name: 'web', kind: 'TraefikService' }] }] },
      }),
    );
  });

  test('sets each step weight; the weights read back from the API server match', async () => {
    const router = new TraefikTrafficRouter(workerKubeConfig().makeApiClient(k8s.CustomObjectsApi));
    for (const canaryWeight of [10, 25, 50, 100, 0]) {
      await router.setWeights({ split, weights: { primaryWeight: 100 - canaryWeight, canaryWeight } });

      expect(await weightsInApi()).toEqual([
        { name: 'web', port: 80, weight: 100 - canaryWeight },
        { name: 'web-canary', port: 80, weight: canaryWeight },
      ]);
      await expect(router.getWeights({ split })).resolves.toEqual({ primaryWeight: 100 - canaryWeight, canaryWeight });
    }
  });

  test('a 409 conflict (someone else changed the TraefikService) is retried on the fresh object, keeping their change', async () => {
    const api = workerKubeConfig().makeApiClient(k8s.CustomObjectsApi);
    let replaces = 0;
    const statuses: string[] = [];
    const client: CustomObjectsClient = {
      getNamespacedCustomObject: (param) => api.getNamespacedCustomObject(param),
      createNamespacedCustomObject: (param) => api.createNamespacedCustomObject(param),
      deleteNamespacedCustomObject: (param) => api.deleteNamespacedCustomObject(param),
      async replaceNamespacedCustomObject(param) {
        replaces += 1;
        // Between the router's read and its write, an operator adds a label: the write's resourceVersion is stale.
        if (replaces === 1) await cluster.kubectl(['label', 'traefikservice', 'web', '--namespace', SHOP, 'changed-by=operator']);
        try {
          const result = await api.replaceNamespacedCustomObject(param);
          statuses.push('200');
          return result;
        } catch (error) {
          statuses.push(String((error as { code?: number }).code));
          throw error;
        }
      },
    };

    await expect(new TraefikTrafficRouter(client).setWeights({ split, weights: { primaryWeight: 70, canaryWeight: 30 } })).resolves.toEqual({ changed: true });

    expect(statuses).toEqual(['409', '200']);
    expect((await weightsInApi()).map((service) => service.weight)).toEqual([70, 30]);
    expect(await cluster.kubectl(['get', 'traefikservice', 'web', '--namespace', SHOP, '-o', 'jsonpath={.metadata.labels.changed-by}'])).toBe('operator');
  });

  test('the worker ServiceAccount may not delete the TraefikService nor write TraefikServices elsewhere', async () => {
    const api = workerKubeConfig().makeApiClient(k8s.CustomObjectsApi);
    const deleting = await failure(api.deleteNamespacedCustomObject({ group: 'traefik.io', version: 'v1alpha1', plural: 'traefikservices', namespace: SHOP, name: 'web' }));
    expect((deleting as { code?: number }).code).toBe(403);

    const router = new TraefikTrafficRouter(api);
    const elsewhere = await failure(router.getWeights({ split: { ...split, namespace: 'default' } }));
    expect(elsewhere.message).toMatch(/HTTP 403: .*forbidden/);
  });
});

/** A Traefik object as the API server stores it (after its CRD's schema has pruned what it does not know). */
const traefikObject = async (kind: 'traefikservice' | 'ingressroute', name: string) =>
  JSON.parse(await cluster.kubectl(['get', kind, name, '--namespace', SHOP, '-o', 'json'])) as { metadata: { annotations?: Record<string, string> }; spec: Record<string, unknown> };

/** A weighted TraefikService `name` over the Services `name` (port 80, weight 100) and `name-canary` (port 8080, weight 0). */
async function applyWeightedService(name: string): Promise<TrafficSplit> {
  await cluster.apply(
    JSON.stringify({
      apiVersion: 'traefik.io/v1alpha1',
      kind: 'TraefikService',
      metadata: { name, namespace: SHOP },
      spec: { weighted: { services: [{ name, port: 80, weight: 100 }, { name: `${name}-canary`, port: 8080, weight: 0 }] } },
    }),
  );
  return { namespace: SHOP, router: name, primaryService: name, canaryService: `${name}-canary` };
}

describe("TraefikTrafficRouter's mirroring, sticky sessions and A/B testing on Traefik's real CRDs, as the worker ServiceAccount", () => {
  const router = () => new TraefikTrafficRouter(workerKubeConfig().makeApiClient(k8s.CustomObjectsApi));

  test('a mirror at 50% is stored as kind mirroring (primary main, canary mirrored at 50, ports kept); the switch brings the weighted spec back and drops the kept copy', async () => {
    const split = await applyWeightedService('mirror-web');

    await expect(router().setWeights({ split, weights: { primaryWeight: 100, canaryWeight: 0, mirrorPercent: 50 } })).resolves.toEqual({ changed: true });

    const mirroring = await traefikObject('traefikservice', 'mirror-web');
    expect(mirroring.spec).toEqual({ mirroring: { name: 'mirror-web', port: 80, mirrors: [{ name: 'mirror-web-canary', port: 8080, percent: 50 }] } });
    expect(mirroring.metadata.annotations).toHaveProperty(['release.docutag.io/weighted-spec']);
    await expect(router().getWeights({ split })).resolves.toEqual({ primaryWeight: 100, canaryWeight: 0, mirrorPercent: 50 });

    await expect(router().setWeights({ split, weights: { primaryWeight: 0, canaryWeight: 100 } })).resolves.toEqual({ changed: true });

    const switched = await traefikObject('traefikservice', 'mirror-web');
    expect(switched.spec).toEqual({ weighted: { services: [{ name: 'mirror-web', port: 80, weight: 0 }, { name: 'mirror-web-canary', port: 8080, weight: 100 }] } });
    expect(switched.metadata.annotations).not.toHaveProperty(['release.docutag.io/weighted-spec']);
    await expect(router().getWeights({ split })).resolves.toEqual({ primaryWeight: 0, canaryWeight: 100 });
  });

  test('sessionAffinity is stored as the sticky HttpOnly cookie with its Max-Age, and the same split again writes nothing', async () => {
    const split: TrafficSplit = { ...(await applyWeightedService('sticky-web')), sessionAffinity: { cookieName: 'docutag-track', maxAgeSeconds: 600 } };

    await expect(router().setWeights({ split, weights: { primaryWeight: 90, canaryWeight: 10 } })).resolves.toEqual({ changed: true });

    const sticky = await traefikObject('traefikservice', 'sticky-web');
    expect(sticky.spec).toEqual({
      weighted: {
        sticky: { cookie: { name: 'docutag-track', maxAge: 600, httpOnly: true } },
        services: [{ name: 'sticky-web', port: 80, weight: 90 }, { name: 'sticky-web-canary', port: 8080, weight: 10 }],
      },
    });
    // Had the CRD pruned the cookie, every step would rewrite it.
    await expect(router().setWeights({ split, weights: { primaryWeight: 90, canaryWeight: 10 } })).resolves.toEqual({ changed: false });
  });

  test('matched routing creates IngressRoute <name>-ab (main match AND the header rule, to the canary Service, priority above, middlewares and TLS kept); without the flag it is deleted', async () => {
    const split: TrafficSplit = {
      ...(await applyWeightedService('ab-web')),
      abTest: { match: [{ headers: { 'x-canary': { exact: 'insider' } } }], ingressRoute: 'ab-web' },
    };
    await cluster.apply(
      JSON.stringify({
        apiVersion: 'traefik.io/v1alpha1',
        kind: 'IngressRoute',
        metadata: { name: 'ab-web', namespace: SHOP },
        spec: {
          entryPoints: ['websecure'],
          routes: [{ match: 'Host(`ab.shop.test`)', kind: 'Rule', priority: 10, middlewares: [{ name: 'rate-limit' }], services: [{ name: 'ab-web', kind: 'TraefikService' }] }],
          tls: { secretName: 'ab-web-tls' },
        },
      }),
    );

    await expect(router().setWeights({ split, weights: { primaryWeight: 100, canaryWeight: 0, matchedToCanary: true } })).resolves.toEqual({ changed: true });

    expect((await traefikObject('ingressroute', 'ab-web-ab')).spec).toEqual({
      entryPoints: ['websecure'],
      routes: [
        {
          kind: 'Rule',
          match: '(Host(`ab.shop.test`)) && (Header(`x-canary`, `insider`))',
          priority: 11,
          middlewares: [{ name: 'rate-limit' }],
          services: [{ name: 'ab-web-canary', port: 8080 }],
        },
      ],
      tls: { secretName: 'ab-web-tls' },
    });
    await expect(router().getWeights({ split })).resolves.toEqual({ primaryWeight: 100, canaryWeight: 0, matchedToCanary: true });
    // The API server hands the route back with its keys in its own order: still the same route, nothing to write.
    await expect(router().setWeights({ split, weights: { primaryWeight: 100, canaryWeight: 0, matchedToCanary: true } })).resolves.toEqual({ changed: false });

    await expect(router().setWeights({ split, weights: { primaryWeight: 100, canaryWeight: 0 } })).resolves.toEqual({ changed: true });

    await expect(traefikObject('ingressroute', 'ab-web-ab')).rejects.toThrow(/NotFound/);
    await expect(router().getWeights({ split })).resolves.toEqual({ primaryWeight: 100, canaryWeight: 0 });
    expect((await traefikObject('ingressroute', 'ab-web')).spec.routes).toHaveLength(1);
  });
});

describe("scripts/worker-kubeconfig.sh: the kubeconfig docker compose's worker reads", () => {
  test("authenticates as deploy/chart's ServiceAccount with the cluster's CA: the chart's Role in shop, nothing beyond it", async () => {
    const out = path.join(scratchDir('worker-kubeconfig-'), 'worker.kubeconfig');
    await run('bash', [path.join(ROOT, 'scripts/worker-kubeconfig.sh'), out, WORKER_NAMESPACE, WORKER_RELEASE, '1h'], {
      env: { ...process.env, KUBECONFIG: cluster.adminKubeconfig, KUBECTL: path.join(tools.binDir, 'kubectl') },
    });
    expect(statSync(out).mode & 0o777).toBe(0o600);
    // `kubectl auth can-i` prints yes or no, and exits 1 for no.
    const canI = async (...args: string[]) => {
      try {
        return (await run(path.join(tools.binDir, 'kubectl'), ['--kubeconfig', out, 'auth', 'can-i', ...args])).stdout.trim();
      } catch (error) {
        const failure = error as { stdout?: string; stderr?: string };
        return failure.stdout?.trim() || `error: ${failure.stderr ?? String(error)}`;
      }
    };
    expect(await canI('update', 'traefikservices.traefik.io', '--namespace', SHOP)).toBe('yes');
    expect(await canI('get', 'deployments.apps', '--namespace', SHOP)).toBe('yes');
    expect(await canI('get', 'secrets', '--namespace', 'kube-system')).toBe('no');
    expect(await canI('update', 'traefikservices.traefik.io', '--namespace', 'default')).toBe('no');
    // A/B testing: the `-ab` IngressRoute is created and deleted beside the service's own, in shop only.
    expect(await canI('create', 'ingressroutes.traefik.io', '--namespace', SHOP)).toBe('yes');
    expect(await canI('delete', 'ingressroutes.traefik.io', '--namespace', SHOP)).toBe('yes');
    expect(await canI('create', 'ingressroutes.traefik.io', '--namespace', 'default')).toBe('no');
    expect(await canI('delete', 'ingressroutes.traefik.io', '--namespace', 'default')).toBe('no');
    // The worker's own client verifies the API server's certificate with the CA the file carries.
    const config = new k8s.KubeConfig();
    config.loadFromFile(out);
    expect(config.getCurrentCluster()?.skipTLSVerify).toBeFalsy();
    await expect(config.makeApiClient(k8s.AppsV1Api).listNamespacedDeployment({ namespace: SHOP })).resolves.toBeDefined();
  });
});

describe('the API server away for 20 s', () => {
  test('readiness keeps polling through the outage, a weight change fails with a clear error and lands when retried after it, nothing written before is lost', async () => {
    const release = 'shop-outage';
    await deployer().install({ target: demoTarget(), release, version: '1.0.0' });
    const router = new TraefikTrafficRouter(workerKubeConfig().makeApiClient(k8s.CustomObjectsApi));
    await router.setWeights({ split, weights: { primaryWeight: 90, canaryWeight: 10 } });

    await cluster.stopApiServer();
    const stoppedAt = Date.now();
    const progress: string[] = [];
    const readiness = new KubernetesReadiness(workerKubeConfig().makeApiClient(k8s.AppsV1Api), 500).waitReady({ namespace: SHOP, name: release, timeoutMs: 120_000, onProgress: (detail) => progress.push(detail) });
    const refused = await failure(router.setWeights({ split, weights: { primaryWeight: 75, canaryWeight: 25 } }));
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 20_000 - (Date.now() - stoppedAt))));
    await cluster.startApiServer();
    await readiness;

    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(20_000);
    expect(refused.message).toMatch(/^TraefikService shop\/web get error: .*ECONNREFUSED/);
    expect(progress.some((detail) => /ECONNREFUSED/.test(detail))).toBe(true);
    await expect(router.getWeights({ split })).resolves.toEqual({ primaryWeight: 90, canaryWeight: 10 });
    await expect(router.setWeights({ split, weights: { primaryWeight: 75, canaryWeight: 25 } })).resolves.toEqual({ changed: true });
    expect((await weightsInApi()).map((service) => service.weight)).toEqual([75, 25]);
    // The controllers' watches come back with client-go's backoff (up to ~40 s here): give helm --wait room.
    const upgraded = await deployer().install({ target: { ...demoTarget(), timeoutMs: 120_000 }, release, version: '1.1.0' });
    expect(upgraded).toEqual({ release, revision: 2, version: '1.1.0', status: 'deployed' });
  }, 240_000);
});
