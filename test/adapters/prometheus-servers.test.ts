/*
 * Secrets by server: the worker's Prometheus token goes only to PROMETHEUS_URL, each listed server
 * (DOCUTAG_PROMETHEUS_SERVERS) gets its own token, and a metricsServer taken from a config that the
 * worker does not list is refused before any request (worker activity, `validate`, `start`).
 * Recorded by local HTTP servers that keep every request's Authorization header.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { stringify } from 'yaml';
import { createActivities, type ActivityDeps } from '../../src/activities';
import { runCli } from '../../src/client/cli';
import type { CliIO } from '../../src/client/output';
import { prometheusServerKey } from '../../src/config/metrics-servers';
import { readWorkerEnv, redactSecrets } from '../../src/worker/environment';
import { createMetricsServers, MetricsServerRefusedError } from '../../src/targets/kubernetes/prometheus-servers';
import { FakePrometheus } from '../support/stand-ins';

let main: FakePrometheus;
let listed: FakePrometheus;
let listedWithoutToken: FakePrometheus;
let elsewhere: FakePrometheus;
beforeAll(async () => {
  [main, listed, listedWithoutToken, elsewhere] = await Promise.all([0, 1, 2, 3].map(() => new FakePrometheus().start()));
});
afterAll(async () => Promise.all([main, listed, listedWithoutToken, elsewhere].map((server) => server?.stop())));
beforeEach(() => [main, listed, listedWithoutToken, elsewhere].forEach((server) => (server.queries.length = 0)));

const workerEnv = () =>
  readWorkerEnv({
    PROMETHEUS_URL: main.url,
    PROMETHEUS_BEARER_TOKEN: 'main-token-1234',
    DOCUTAG_PROMETHEUS_SERVERS: `${listed.url}=PROM_EU_TOKEN, ${listedWithoutToken.url}`,
    PROM_EU_TOKEN: 'eu-token-5678',
  });

const query = { query: 'up' };

describe('Prometheus tokens by server', () => {
  test('the worker token goes to PROMETHEUS_URL, with or without a metricsServer naming it', async () => {
    const metricsFor = createMetricsServers(workerEnv());
    await metricsFor().query(query);
    await metricsFor(`${main.url}/`).query(query);
    expect(main.queries.map((entry) => entry.authorization)).toEqual(['Bearer main-token-1234', 'Bearer main-token-1234']);
  });

  test('a listed server gets its own token, never PROMETHEUS_BEARER_TOKEN; one listed without a token gets none', async () => {
    const metricsFor = createMetricsServers(workerEnv());
    await metricsFor(listed.url).query(query);
    await metricsFor(listedWithoutToken.url).query(query);
    expect(listed.queries.map((entry) => entry.authorization)).toEqual(['Bearer eu-token-5678']);
    expect(listedWithoutToken.queries).toEqual([{ query: 'up' }]);
  });

  test('a metricsServer the worker does not list is refused before any request, naming the field and the fix', () => {
    const metricsFor = createMetricsServers(workerEnv());
    expect(() => metricsFor(elsewhere.url)).toThrow(MetricsServerRefusedError);
    expect(() => metricsFor(elsewhere.url)).toThrow(/metricsServer http:\/\/127\.0\.0\.1:\d+ is not one of the worker's Prometheus servers.*Remove metricsServer.*DOCUTAG_PROMETHEUS_SERVERS/);
    // Same host, other port or path, or credentials in the URL: not the listed server.
    const other = new URL(main.url);
    for (const url of [`${main.url}/other`, `http://user:pass@${other.host}`, `https://${other.host}`]) expect(() => metricsFor(url)).toThrow(MetricsServerRefusedError);
    expect(elsewhere.queries).toEqual([]);
  });

  test('a worker without PROMETHEUS_URL or a list sends no token anywhere: every metricsServer is refused', () => {
    const metricsFor = createMetricsServers(readWorkerEnv({ PROMETHEUS_BEARER_TOKEN: 'main-token-1234' }));
    expect(() => metricsFor(elsewhere.url)).toThrow(/none: PROMETHEUS_URL and DOCUTAG_PROMETHEUS_SERVERS are unset/);
  });

  test('the queryChecks activity fails non-retryably (MetricsServerRefused) for an unlisted metricsServer', async () => {
    const deps = { metricsFor: createMetricsServers(workerEnv()) } as unknown as ActivityDeps;
    const failure = await createActivities(deps)
      .queryChecks({ checks: [{ name: 'request-success-rate', query: 'up', threshold: 99, comparison: 'min' } as never], metricsServer: elsewhere.url })
      .then(() => null, (error: unknown) => error);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'MetricsServerRefused', nonRetryable: true });
    expect((failure as Error).message).toContain('metricsServer');
    expect(elsewhere.queries).toEqual([]);
  });
});

describe('the worker environment lists its servers', () => {
  test('a bad entry or a token variable that is not set stops the worker at start, saying how to write it', () => {
    expect(() => readWorkerEnv({ DOCUTAG_PROMETHEUS_SERVERS: 'prometheus:9090' })).toThrow(/DOCUTAG_PROMETHEUS_SERVERS: "prometheus:9090" is not a Prometheus base URL: write URL or URL=TOKEN_ENV_VAR/);
    expect(() => readWorkerEnv({ DOCUTAG_PROMETHEUS_SERVERS: 'https://u:p@prom:9090' })).toThrow(/no user:password/);
    expect(() => readWorkerEnv({ DOCUTAG_PROMETHEUS_SERVERS: 'https://prom-eu:9090=PROM_EU_TOKEN' })).toThrow(/names PROM_EU_TOKEN for its token, but PROM_EU_TOKEN is unset or empty/);
  });

  test('empty optional variables (compose\'s ${VAR:-}) count as unset instead of stopping the worker', () => {
    const env = readWorkerEnv({ PROMETHEUS_BEARER_TOKEN: '', SLACK_WEBHOOK_URL: '', PROMETHEUS_URL: '', DOCUTAG_PROMETHEUS_SERVERS: '' });
    expect(env.PROMETHEUS_BEARER_TOKEN).toBeUndefined();
    expect(env.SLACK_WEBHOOK_URL).toBeUndefined();
    expect(env.prometheusServers).toEqual([]);
  });

  test('the listed servers\' tokens are redacted like PROMETHEUS_BEARER_TOKEN', () => {
    expect(redactSecrets('answered 403 for eu-token-5678 and main-token-1234', workerEnv())).toBe('answered 403 for [redacted] and [redacted]');
  });

  test('server URLs compare by scheme, host, port and path (trailing slash and default port ignored)', () => {
    expect(prometheusServerKey('HTTP://Prom.Monitoring:80/')).toBe(prometheusServerKey('http://prom.monitoring'));
    expect(prometheusServerKey('https://prom:9090/x')).not.toBe(prometheusServerKey('https://prom:9090'));
    expect(prometheusServerKey('https://prom:9090/?q=1')).toBeNull();
  });
});

describe('validate and start refuse an unlisted metricsServer when their environment lists the servers', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'metrics-server-'));
  const configFile = (metricsServer: string) => {
    const file = path.join(dir, `${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, stringify({ service: { name: 'web', namespace: 'shop' }, helm: { chart: './chart' }, metricsServer }));
    return file;
  };
  const cli = async (argv: string[], env: NodeJS.ProcessEnv) => {
    let out = '';
    let err = '';
    const io: CliIO = { out: (text) => (out += `${text}\n`), err: (text) => (err += `${text}\n`), isTTY: false };
    // An address nothing listens on: a refused config must exit 2 before connecting.
    const code = await runCli(argv, io, { TEMPORAL_ADDRESS: '127.0.0.1:1', ...env });
    return { code, out, err };
  };

  test('validate exits 2 naming metricsServer and the fix; a listed server passes', async () => {
    const env = { PROMETHEUS_URL: 'http://prometheus.monitoring:9090', DOCUTAG_PROMETHEUS_SERVERS: 'https://prom-eu.example:9090' };
    const refused = await cli(['validate', '--config', configFile('http://elsewhere:9090')], env);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/- metricsServer: metricsServer http:\/\/elsewhere:9090 is not one of the worker's Prometheus servers .*DOCUTAG_PROMETHEUS_SERVERS=/);
    expect((await cli(['validate', '--config', configFile('https://prom-eu.example:9090/')], env)).code).toBe(0);
    expect((await cli(['validate', '--config', configFile('http://prometheus.monitoring:9090')], env)).code).toBe(0);
  });

  test('start exits 2 before contacting Temporal', async () => {
    const refused = await cli(['start', '--config', configFile('http://elsewhere:9090'), '--version', '1.1.0'], { PROMETHEUS_URL: 'http://prometheus.monitoring:9090' });
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('metricsServer');
  });

  test('without the list in its environment, validate passes and says the worker decides', async () => {
    const result = await cli(['validate', '--config', configFile('http://elsewhere:9090')], {});
    expect(result.code).toBe(0);
    expect(result.out).toContain('must be one of the worker\'s Prometheus servers');
  });
});
