import { probe, type LocalProcessDeployer } from '../../src/targets/local/process-deployer';
import type { TraefikFileRouter } from '../../src/targets/local/traefik-file-router';
import { LoadGenerator, type LoadResponse } from '../../src/load/load-generator';
import { collect, DEMO_APP, groupAlive, provideTools, ROOT, startStack, target, TOOLS_TIMEOUT_MS, uniqueSplit, waitUntil } from './support';

/*
 * LocalProcessDeployer: each release is a real process of the demo app; upgrades go through a real
 * Traefik under load, so "no request lost" is checked on the traffic itself.
 */
describe('LocalProcessDeployer', () => {
  let stack: Awaited<ReturnType<typeof startStack>>;
  let deployer: LocalProcessDeployer;
  let router: TraefikFileRouter;

  beforeAll(() => {
    provideTools();
  }, TOOLS_TIMEOUT_MS);

  beforeAll(async () => {
    stack = await startStack(provideTools());
    deployer = stack.createDeployer({ local: DEMO_APP, cwd: ROOT, drainMs: 500 });
    router = stack.createRouter();
  });

  afterAll(async () => {
    await stack?.cleanup();
  });

  it('installs a release as a process on a free port, with VERSION and the set values in its environment', async () => {
    const revision = await deployer.install({ target: target('lab', { FAULT_ERROR_RATE: '1' }), release: 'always-fails', version: '0.9.0' });
    expect(revision).toEqual({ release: 'always-fails', revision: 1, version: '0.9.0', status: 'deployed' });
    const url = deployer.urlOf('lab', 'always-fails')!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(stack.endpoints.get('lab', 'always-fails')).toBe(url);
    expect(await probe(`${url}/healthz`)).toBe(200);
    expect(await probe(`${url}/`)).toBe(500);
    await deployer.uninstall({ target: target('lab'), release: 'always-fails' });
  });

  it('upgrades the primary under load through Traefik without a failed request, then stops the old process', async () => {
    const split = uniqueSplit('shop');
    await deployer.install({ target: target('shop'), release: split.primaryService, version: '1.0.0' });
    await router.ensureSplit({ split });
    const oldPid = deployer.pidOf('shop', split.primaryService)!;
    const responses: LoadResponse[] = [];
    const load = new LoadGenerator({ url: stack.entryUrl(split), rps: 200, onResponse: (response) => responses.push(response) }).start();
    try {
      await waitUntil(() => responses.length >= 100, () => `${responses.length} responses`);
      const upgraded = await deployer.install({ target: target('shop'), release: split.primaryService, version: '1.1.0' });
      const upgradedAt = Date.now();
      expect(upgraded).toMatchObject({ revision: 2, version: '1.1.0', status: 'deployed' });
      expect(groupAlive(oldPid)).toBe(false);
      await waitUntil(() => responses.filter((response) => response.sentAt > upgradedAt).length >= 200, () => `${responses.length} responses`);
    } finally {
      await load.stop();
    }
    expect(responses.filter((response) => response.status !== 200)).toEqual([]);
    const versions = new Set(responses.map((response) => response.version));
    expect(versions).toEqual(new Set(['1.0.0', '1.1.0']));
    expect(await router.getWeights({ split })).toEqual({ primaryWeight: 100, canaryWeight: 0 });
  });

  it('keeps the old process serving when the new version never becomes healthy, and records the revision as failed', async () => {
    const split = uniqueSplit('shop');
    await deployer.install({ target: target('shop'), release: split.primaryService, version: '1.0.0' });
    await router.ensureSplit({ split });
    const brokenTarget = { ...target('shop', {}, 3_000), local: { ...DEMO_APP, command: 'echo starting; exit 3' } };
    await expect(deployer.install({ target: brokenTarget, release: split.primaryService, version: '1.1.0' })).rejects.toThrow(/exited \(code 3\).*starting/);
    expect(await deployer.describe({ target: target('shop'), release: split.primaryService })).toMatchObject({ revision: 2, version: '1.1.0', status: 'failed' });
    const load = new LoadGenerator({ url: stack.entryUrl(split), rps: 100 }).start();
    try {
      const counts = await collect(load, 50);
      expect(counts.byVersion['1.0.0']?.byStatus['200']).toBe(counts.completed);
    } finally {
      await load.stop();
    }
  });

  it('runs the test command against the release: passes for a good version, fails for one answering 500', async () => {
    await deployer.install({ target: target('qa'), release: 'good', version: '1.0.0' });
    await deployer.install({ target: target('qa', { FAULT_ERROR_RATE: '1' }), release: 'bad', version: '1.0.1' });
    const good = await deployer.test({ target: target('qa'), release: 'good', timeoutMs: 10_000 });
    expect(good.passed).toBe(true);
    expect(good.output).toContain('PASS GET');
    const bad = await deployer.test({ target: target('qa'), release: 'bad', timeoutMs: 10_000 });
    expect(bad.passed).toBe(false);
    expect(bad.output).toMatch(/FAIL GET .*\/ -> 500/);
    expect(await deployer.test({ target: target('qa'), release: 'absent', timeoutMs: 10_000 })).toEqual({ passed: false, output: 'release qa/absent is not running' });
  });

  it('rolls back to an earlier revision as a new revision, and keeps the history as helm does', async () => {
    await deployer.install({ target: target('hist'), release: 'api', version: '1.0.0' });
    await deployer.install({ target: target('hist'), release: 'api', version: '2.0.0' });
    const rolledBack = await deployer.rollback({ target: target('hist'), release: 'api', revision: 1 });
    expect(rolledBack).toEqual({ release: 'api', revision: 3, version: '1.0.0', status: 'deployed' });
    const history = await deployer.history({ target: target('hist'), release: 'api', max: 10 });
    expect(history.map(({ revision, status, description }) => ({ revision, status, description }))).toEqual([
      { revision: 1, status: 'superseded', description: 'Install complete' },
      { revision: 2, status: 'superseded', description: 'Upgrade complete' },
      { revision: 3, status: 'deployed', description: 'Rollback to 1' },
    ]);
    expect(await deployer.describe({ target: target('hist'), release: 'api', revision: 2 })).toMatchObject({ version: '2.0.0' });
    expect(await probe(`${deployer.urlOf('hist', 'api')!}/`)).toBe(200);
    await expect(deployer.rollback({ target: target('hist'), release: 'api', revision: 9 })).rejects.toThrow('local rollback hist/api failed: it has no revision 9');
  });

  it('uninstall stops the process group, frees the port and forgets the release; a second uninstall succeeds', async () => {
    await deployer.install({ target: target('gone'), release: 'svc', version: '1.0.0' });
    const pid = deployer.pidOf('gone', 'svc')!;
    const url = deployer.urlOf('gone', 'svc')!;
    await deployer.waitReady({ namespace: 'gone', name: 'svc', timeoutMs: 5_000 });
    await deployer.uninstall({ target: target('gone'), release: 'svc' });
    expect(groupAlive(pid)).toBe(false);
    expect(await probe(`${url}/healthz`)).toBe(0);
    expect(stack.endpoints.get('gone', 'svc')).toBeUndefined();
    expect(await deployer.describe({ target: target('gone'), release: 'svc' })).toBeNull();
    await expect(deployer.uninstall({ target: target('gone'), release: 'svc' })).resolves.toBeUndefined();
    await expect(deployer.waitReady({ namespace: 'gone', name: 'svc', timeoutMs: 1_000 })).rejects.toThrow(/no process of it is running/);
  });

  it('refuses to install without a local command', async () => {
    const bare = stack.createDeployer({ cwd: ROOT });
    await expect(bare.install({ target: target('none'), release: 'svc', version: '1.0.0' })).rejects.toThrow(/no local command/);
  });
});
