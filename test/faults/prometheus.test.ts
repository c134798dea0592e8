/*
 * Prometheus faults: unreachable for longer or shorter than threshold × interval, and answering
 * slower than PROMETHEUS_TIMEOUT_MS (1000 ms in the harness). Prometheus sits behind a TCP proxy
 * the test can take away (connections refused, as when the pod is gone) and bring back on the same port.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { WorkflowHandle } from '@temporalio/client';
import { statusQuery } from '../../src/workflows/messages';
import type { ReleaseResult } from '../../src/workflows/types';
import { eventually, ReleaseHarness } from '../support/harness';
import { readableHistory, secretsIn } from '../support/secrets';

/** A TCP proxy to the Prometheus stand-in that can be switched off: while down, its port refuses connections. */
class SwitchableProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** Closes the port and every open connection: the next query gets ECONNREFUSED. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise((resolve) => server.close(resolve));
  }
}

let harness: ReleaseHarness;
let proxy: SwitchableProxy;
beforeAll(async () => {
  harness = await ReleaseHarness.start({ inProcessWorker: false });
  const target = new URL(harness.prometheus.url);
  proxy = new SwitchableProxy({ host: target.hostname, port: Number(target.port) });
  await proxy.up();
  // The worker's PROMETHEUS_URL is the proxy.
  harness.prometheus.url = proxy.url;
  await harness.startWorker();
});
afterAll(async () => {
  await proxy?.down();
  await harness?.stop();
});
beforeEach(async () => {
  harness.prometheus.answer = (query) => (query.includes('histogram_quantile') ? { value: 120 } : { value: 99.9 });
  await proxy.down();
  await proxy.up();
});

const status = (handle: WorkflowHandle) => handle.query(statusQuery);

describe('Prometheus unreachable', () => {
  test('for longer than threshold × interval: rolled back, with "Prometheus unreachable" as the reason', async () => {
    const config = harness.config({ analysis: { interval: '1s', threshold: 2 } });
    const handle = await harness.start(config, '1.1.0');
    await eventually('canary at 25%', () => status(handle), (s) => s.canaryWeight === 25, 60_000);
    await proxy.down();
    const downSince = Date.now();
    const outcome = (await handle.result()) as ReleaseResult;
    const downMs = Date.now() - downSince;

    expect(downMs).toBeGreaterThan(2 * 1000);
    expect(outcome.outcome).toBe('rolledBack');
    expect(outcome.reason).toMatch(/^failed checks reached the threshold \(2\/2\): request-success-rate: the metrics query failed \(Prometheus unreachable: connect ECONNREFUSED 127\.0\.0\.1:\d+\); counted as a failed check/);
    expect(outcome.status.lastChecks.map((check) => check.passed)).toEqual([false, false]);
    expect(harness.canaryWeights(config)).toEqual([25, 0]);
    const { primary, canary } = config.helm.releases;
    expect(harness.helmStory(config)).not.toContain(`upgrade ${primary}`);
    expect(harness.helmStory(config).at(-1)).toBe(`uninstall ${canary}`);
    expect(harness.slack.delivered().find((text) => text.includes(`Rolled back shop/${config.service.name}`))).toContain('Prometheus unreachable');
    expect(secretsIn(readableHistory(await handle.fetchHistory()))).toEqual([]);
  });

  test('for less than threshold × interval: one failed check, then the release carries on and is promoted', async () => {
    const config = harness.config({ analysis: { interval: '1s', threshold: 3 } });
    const handle = await harness.start(config, '1.1.0');
    await eventually('canary at 25%', () => status(handle), (s) => s.canaryWeight === 25, 60_000);
    await proxy.down();
    const downSince = Date.now();
    const failed = await eventually('a failed check while Prometheus is away', () => status(handle), (s) => s.failedChecks === 1, 30_000);
    await proxy.up();
    const downMs = Date.now() - downSince;
    const outcome = (await handle.result()) as ReleaseResult;

    process.stdout.write(`Prometheus was unreachable for ${downMs} ms (threshold × interval = 3000 ms)\n`);
    expect(failed.lastChecks[0]!.reason).toContain('Prometheus unreachable');
    expect(outcome.outcome).toBe('promoted');
    expect(outcome.status.failedChecks).toBe(1);
    expect(outcome.status.events.some((event) => /failed check 1\/3: request-success-rate: the metrics query failed \(Prometheus unreachable/.test(event.message))).toBe(true);
    // The weight held while the check failed, and moved on afterwards: no step skipped.
    expect(harness.canaryWeights(config)).toEqual([25, 50, 75, 100, 0]);
  });
});

describe('Prometheus answering slowly', () => {
  test('a query slower than PROMETHEUS_TIMEOUT_MS times out and counts as a failed check; status answers at once meanwhile', async () => {
    const config = harness.config({ analysis: { interval: '1s', threshold: 2 } });
    let slowQueryArrived: (at: number) => void;
    const slowQuery = new Promise<number>((resolve) => (slowQueryArrived = resolve));
    let slowAnswered = false;
    harness.prometheus.answer = (query) => {
      if (query.includes('histogram_quantile')) return { value: 120 };
      if (!slowAnswered && query.includes(`shop-${config.traffic.canaryService}-[0-9]`)) {
        slowAnswered = true;
        slowQueryArrived(Date.now());
        return { hangMs: 5_000 };
      }
      return { value: 99.9 };
    };
    const handle = await harness.start(config, '1.1.0');

    // While the worker waits for Prometheus, the workflow is not blocked: a status query is answered at once.
    const arrivedAt = await slowQuery;
    const asked = Date.now();
    const during = await status(handle);
    const answeredInMs = Date.now() - asked;
    process.stdout.write(`status answered in ${answeredInMs} ms while the slow query was in flight\n`);
    expect(during.iteration).toBe(1);
    expect(during.lastChecks).toEqual([]); // the round's verdict is not in yet: the query is still running
    expect(during.phase).toBe('Progressing');
    expect(answeredInMs).toBeLessThan(1_000);

    const afterTimeout = await eventually('the timed-out round judged', () => status(handle), (s) => s.lastChecks.length > 0, 30_000);
    expect(Date.now() - arrivedAt).toBeLessThan(5_000); // judged on the timeout, not on the late answer
    expect(afterTimeout.failedChecks).toBe(1);
    expect(afterTimeout.lastChecks.find((check) => check.name === 'request-success-rate')).toMatchObject({
      passed: false,
      value: null,
      reason: 'request-success-rate: the metrics query failed (Prometheus did not answer within 1000ms); counted as a failed check',
    });
    const outcome = (await handle.result()) as ReleaseResult;
    expect(outcome.outcome).toBe('promoted');
    expect(harness.canaryWeights(config)).toEqual([25, 50, 75, 100, 0]);
  });

  test('a Prometheus that stays slow rolls the release back on timeouts, with that reason', async () => {
    const config = harness.config({ analysis: { interval: '1s', threshold: 2 } });
    harness.prometheus.answer = (query) => (query.includes(`shop-${config.traffic.canaryService}-[0-9]`) ? { hangMs: 3_000 } : { value: 99.9 });
    const outcome = (await harness.run(config, '1.1.0')) as ReleaseResult;
    expect(outcome.outcome).toBe('rolledBack');
    expect(outcome.reason).toContain('failed checks reached the threshold (2/2): request-success-rate: the metrics query failed (Prometheus did not answer within 1000ms)');
    expect(harness.canaryWeights(config)).toEqual([25, 0]);
  });
});

describe('Prometheus answering something other than a number', () => {
  const canaryQuery = (config: { traffic: { canaryService: string } }, query: string) => !query.includes('histogram_quantile') && query.includes(`shop-${config.traffic.canaryService}-[0-9]`);

  test('NaN for the success rate (0/0: no requests in the window) is a failed check, never a crash: rolled back after threshold checks, the reason naming NaN', async () => {
    const config = harness.config({ analysis: { interval: '1s', threshold: 3 } });
    harness.prometheus.answer = (query) => (canaryQuery(config, query) ? { nan: true } : query.includes('histogram_quantile') ? { value: 120 } : { value: 99.9 });
    const handle = await harness.start(config, '1.1.0');

    const held = await eventually('the first failed check', () => status(handle), (s) => s.failedChecks >= 1, 60_000);
    expect(held.lastChecks.find((check) => check.name === 'request-success-rate')).toMatchObject({ passed: false, value: null, reason: expect.stringMatching(/^request-success-rate: NaN: no requests in the window\?/) });
    const outcome = (await handle.result()) as ReleaseResult;

    expect(outcome.outcome).toBe('rolledBack');
    expect(outcome.reason).not.toMatch(/TypeError|Cannot read properties|toFixed/);
    expect(outcome.reason).toMatch(/^failed checks reached the threshold \(3\/3\): request-success-rate: NaN: no requests in the window\?.*; counted as a failed check/);
    expect(outcome.status.failedChecks).toBe(3);
    expect(outcome.status.events.filter((event) => /failed check [12]\/3: request-success-rate: NaN/.test(event.message))).toHaveLength(2);
    expect(typeof outcome.detectionMs).toBe('number');
    expect(outcome.detectionMs).toBeGreaterThanOrEqual(2 * 1000);
    expect(harness.canaryWeights(config)).toEqual([25, 0]);
    const { primary, canary } = config.helm.releases;
    expect(harness.helmStory(config)).not.toContain(`upgrade ${primary}`);
    expect(harness.helmStory(config).at(-1)).toBe(`uninstall ${canary}`);
    expect(harness.slack.delivered().find((text) => text.includes(`Rolled back shop/${config.service.name}`))).toContain('NaN: no requests in the window?');
  });

  test('NaN in the first round only (a fresh canary before its first requests) holds the weight once, then the release is promoted', async () => {
    const config = harness.config({ analysis: { interval: '1s', threshold: 3 } });
    let nanAnswered = false;
    harness.prometheus.answer = (query) => {
      if (canaryQuery(config, query) && !nanAnswered) {
        nanAnswered = true;
        return { nan: true };
      }
      return query.includes('histogram_quantile') ? { value: 120 } : { value: 99.9 };
    };
    const outcome = (await harness.run(config, '1.1.0')) as ReleaseResult;

    expect(outcome.outcome).toBe('promoted');
    expect(outcome.status.failedChecks).toBe(1);
    expect(outcome.status.events.some((event) => /failed check 1\/3: request-success-rate: NaN: no requests in the window\?/.test(event.message))).toBe(true);
    expect(harness.canaryWeights(config)).toEqual([25, 50, 75, 100, 0]);
  });

  test('503 from Prometheus counts as a failed check: rolled back after threshold checks, the reason quoting the answer', async () => {
    const config = harness.config({ analysis: { interval: '1s', threshold: 2 } });
    harness.prometheus.answer = (query) =>
      canaryQuery(config, query) ? { raw: { status: 503, body: 'upstream overloaded:\r\n\u001b[31mtoo many queries\u001b[0m' } } : query.includes('histogram_quantile') ? { value: 120 } : { value: 99.9 };
    const outcome = (await harness.run(config, '1.1.0')) as ReleaseResult;

    expect(outcome.outcome).toBe('rolledBack');
    expect(outcome.reason).toMatch(/^failed checks reached the threshold \(2\/2\): request-success-rate: the metrics query failed \(Prometheus answered 503 Service Unavailable: upstream overloaded: too many queries\); counted as a failed check/);
    expect(outcome.status.lastChecks.find((check) => check.name === 'request-success-rate')).toMatchObject({ passed: false, value: null });
    expect(typeof outcome.detectionMs).toBe('number');
    expect(harness.canaryWeights(config)).toEqual([25, 0]);
    expect(harness.helmStory(config)).not.toContain(`upgrade ${config.helm.releases.primary}`);
  });
});
