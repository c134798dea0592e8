/*
 * PrometheusMetricsProvider against a local server that speaks Prometheus' /api/v1/query: every
 * answer a real Prometheus (or the proxy in front of it) can give becomes an outcome, never a throw.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import axios from 'axios';
import { createActivities, type ActivityDeps } from '../../src/activities';
import { StaticMetricsProvider } from '../../src/activities/adapters/in-memory';
import { freePort } from '../../src/support/tools';
import type { MetricsProvider } from '../../src/activities/ports';
import { bodyExcerpt, parseSampleValue, PrometheusMetricsProvider } from '../../src/activities/adapters/prometheus-metrics';
import { judgeCheck, type MetricOutcome } from '../../src/workflows/domain/analysis';
import { FakePrometheus, type PromAnswer } from '../support/stand-ins';

let prometheus: FakePrometheus;
beforeAll(async () => {
  prometheus = await new FakePrometheus().start();
});
afterAll(async () => {
  await prometheus?.stop();
});
beforeEach(() => {
  prometheus.queries.length = 0;
});

const providerFor = (baseURL: string, options: { timeout?: number; token?: string } = {}) =>
  new PrometheusMetricsProvider(
    axios.create({ baseURL, timeout: options.timeout ?? 2_000, headers: options.token ? { Authorization: `Bearer ${options.token}` } : {} }),
  );

/** A port on which nothing listens: bound once, then released. */
async function closedPortUrl(): Promise<string> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

/** A server answering every request with one fixed status, content type and body (a proxy in front of Prometheus). */
async function fixedAnswerServer(status: number, contentType: string, body: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((_request, response) => {
    response.writeHead(status, { 'content-type': contentType });
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('PrometheusMetricsProvider', () => {
  test('returns the value of the first sample of a vector answer', async () => {
    prometheus.answer = () => ({ value: 98.25 });

    await expect(providerFor(prometheus.url).query({ query: 'up' })).resolves.toEqual({ kind: 'value', value: 98.25 });
  });

  test('reads a scalar answer as its value', async () => {
    const server = await fixedAnswerServer(200, 'application/json', JSON.stringify({ status: 'success', data: { resultType: 'scalar', result: [1700000000, '42.5'] } }));
    try {
      await expect(providerFor(server.url).query({ query: 'scalar(up)' })).resolves.toEqual({ kind: 'value', value: 42.5 });
    } finally {
      await server.close();
    }
  });

  test('sends the configured bearer token with the query', async () => {
    prometheus.answer = () => ({ value: 1 });

    await providerFor(prometheus.url, { token: 'prom-token-51c2' }).query({ query: 'up' });

    expect(prometheus.queries).toEqual([{ query: 'up', authorization: 'Bearer prom-token-51c2' }]);
  });

  test('sends no Authorization header when no token is configured', async () => {
    prometheus.answer = () => ({ value: 1 });

    await providerFor(prometheus.url).query({ query: 'up' });

    expect(prometheus.queries).toEqual([{ query: 'up' }]);
  });

  test("delivers Flagger's success-rate PromQL (braces, regex, quotes, +Inf, ranges) to Prometheus unchanged", async () => {
    const query =
      'sum(rate(traefik_service_request_duration_seconds_bucket{service=~"shop-shop-web-canary-[0-9]+@kubernetescrd",code!~"5..",le="+Inf"}[1m])) ' +
      '/ sum(rate(traefik_service_request_duration_seconds_bucket{service=~"shop-shop-web-canary-[0-9]+@kubernetescrd",le="+Inf"}[1m])) * 100 & a#b?c=d%20';
    let received = '';
    prometheus.answer = (sent) => {
      received = sent;
      return { value: 99.5 };
    };

    const outcome = await providerFor(prometheus.url).query({ query });

    expect(received).toBe(query);
    expect(outcome).toEqual({ kind: 'value', value: 99.5 });
  });
});

/** An outcome crosses Temporal as JSON: it must come back unchanged (no NaN or ±Inf turned into null). */
function expectJsonSafe(outcome: MetricOutcome): void {
  expect(JSON.parse(JSON.stringify(outcome))).toEqual(outcome);
  if (outcome.kind === 'value') expect(Number.isFinite(outcome.value)).toBe(true);
}

const NGINX_502 = '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.25.3</center>\r\n</body>\r\n</html>\r\n';
const NOISY_503 = `\u001b[31mupstream\u0000 overloaded\u0007\r\n${'retry later; '.repeat(60)}`;

describe('PrometheusMetricsProvider: every answer is an outcome with a message a person understands', () => {
  const cases: Array<[string, PromAnswer, Partial<MetricOutcome> & { kind: MetricOutcome['kind'] }, RegExp | null]> = [
    ['a one-series vector is its value', { value: 98.25 }, { kind: 'value', value: 98.25 }, null],
    ['a sample in exponent notation is its value', { sample: '1.5e2' }, { kind: 'value', value: 150 }, null],
    ['an empty vector is no data', { noData: true }, { kind: 'noData' }, /^no data returned from the metric provider/],
    ['a NaN sample (0/0: no requests in the window) is NaN', { nan: true }, { kind: 'nan' }, /^NaN: no requests in the window\?/],
    ['a +Inf sample is +Inf', { sample: '+Inf' }, { kind: 'positiveInfinity' }, /^\+Inf: /],
    ['a -Inf sample is -Inf', { sample: '-Inf' }, { kind: 'negativeInfinity' }, /^-Inf: /],
    ['three series name the count and ask for an aggregation', { series: 3 }, { kind: 'manySeries', seriesCount: 3 }, /^3 series: the query must aggregate to one series, e\.g\. sum\(\.\.\.\) .*service="svc-1"/],
    ['a sample that is not a number is a bad answer', { sample: 'ninety' }, { kind: 'badAnswer' }, /a sample that is not a number: "ninety"/],
    ['a 200 HTML page (not Prometheus) is a bad answer quoting it', { raw: { status: 200, contentType: 'text/html', body: '<html><body><h1>Grafana</h1></body></html>' } }, { kind: 'badAnswer' }, /^Prometheus answered 200 with a body that is not JSON \(text\/html\): "Grafana"/],
    ['a cut-off JSON body is a bad answer', { raw: { status: 200, contentType: 'application/json', body: '{"status":"success","data":{"resultTy' } }, { kind: 'badAnswer' }, /not JSON \(application\/json\): "\{"status":"success"/],
    ['an empty 200 body is a bad answer', { raw: { status: 200, body: '' } }, { kind: 'badAnswer' }, /not JSON \(text\/plain\): an empty body/],
    ['JSON that is not a query result is a bad answer', { raw: { status: 200, contentType: 'application/json', body: '{"hello":"world"}' } }, { kind: 'badAnswer' }, /JSON that is not a query result \(status missing\)/],
    ['a success without data is a bad answer', { raw: { status: 200, contentType: 'application/json', body: '{"status":"success"}' } }, { kind: 'badAnswer' }, /JSON that is not a query result \(no data\)/],
    ['a matrix asks for a single number', { raw: { status: 200, contentType: 'application/json', body: JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [] } }) } }, { kind: 'badAnswer' }, /the query returned a matrix \(a range vector\); it must return a single number/],
    ['a scalar NaN is NaN', { raw: { status: 200, contentType: 'application/json', body: JSON.stringify({ status: 'success', data: { resultType: 'scalar', result: [1700000000, 'NaN'] } }) } }, { kind: 'nan' }, /^NaN: /],
    ["a 400 quotes Prometheus' own error", { error: '1:5: parse error: unexpected "}" in label matching', status: 400 }, { kind: 'httpError', status: 400 }, /^Prometheus answered 400 Bad Request: bad_data: 1:5: parse error: unexpected "\}" in label matching$/],
    ['a 401 from an auth proxy is an HTTP error', { raw: { status: 401, body: 'Unauthorized' } }, { kind: 'httpError', status: 401 }, /^Prometheus answered 401 Unauthorized: Unauthorized$/],
    ["a 502 nginx page is quoted as its text, without the HTML", { raw: { status: 502, contentType: 'text/html', body: NGINX_502 } }, { kind: 'httpError', status: 502 }, /^Prometheus answered 502 Bad Gateway: 502 Bad Gateway 502 Bad Gateway nginx\/1\.25\.3$/],
    ['a 503 quotes a short excerpt without control characters', { raw: { status: 503, body: NOISY_503 } }, { kind: 'httpError', status: 503 }, /^Prometheus answered 503 Service Unavailable: upstream overloaded retry later; .*…$/],
    ['a 500 with an empty body says so', { raw: { status: 500, body: '' } }, { kind: 'httpError', status: 500 }, /^Prometheus answered 500 Internal Server Error with an empty body$/],
  ];

  test.each(cases)('%s', async (_name, answer, expected, message) => {
    prometheus.answer = () => answer;

    const outcome = await providerFor(prometheus.url).query({ query: 'sum(rate(x[1m]))' });

    expect(outcome).toMatchObject(expected);
    if (message) expect(outcome.kind !== 'value' && outcome.message).toMatch(message);
    expectJsonSafe(outcome);
    if (outcome.kind !== 'value') {
      expect(outcome.message).not.toMatch(/[\u0000-\u001f\u007f]/);
      expect(outcome.message.length).toBeLessThan(400);
    }
  });

  test('answers of different kinds never share a message, so the reason says which one came back', async () => {
    const kindOfMessage = new Map<string, Set<string>>();
    for (const [, answer] of cases) {
      prometheus.answer = () => answer;
      const outcome = await providerFor(prometheus.url).query({ query: 'up' });
      if (outcome.kind === 'value') continue;
      kindOfMessage.set(outcome.message, (kindOfMessage.get(outcome.message) ?? new Set()).add(outcome.kind));
    }
    expect([...kindOfMessage.values()].filter((kinds) => kinds.size > 1)).toEqual([]);
    expect(new Set([...kindOfMessage.values()].flatMap((kinds) => [...kinds]))).toEqual(new Set(['noData', 'nan', 'positiveInfinity', 'negativeInfinity', 'manySeries', 'badAnswer', 'httpError']));
  });

  test('a Prometheus that does not answer within the axios timeout is a timeout, saying so', async () => {
    prometheus.answer = () => ({ hangMs: 1_500 });
    const started = Date.now();

    const outcome = await providerFor(prometheus.url, { timeout: 150 }).query({ query: 'up' });

    expect(outcome).toEqual({ kind: 'timeout', message: 'Prometheus did not answer within 150ms' });
    expect(Date.now() - started).toBeLessThan(1_200);
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // let the stand-in's pending answer finish
  });

  test('a refused connection is Prometheus unreachable', async () => {
    const url = await closedPortUrl();

    const outcome = await providerFor(url).query({ query: 'up' });

    expect(outcome).toEqual({ kind: 'unreachable', message: expect.stringMatching(/^Prometheus unreachable: connect ECONNREFUSED 127\.0\.0\.1:\d+$/) });
  });

  test('a connection closed before an answer is Prometheus unreachable, saying the connection was closed', async () => {
    const server = createServer((request) => request.socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const outcome = await providerFor(`http://127.0.0.1:${(server.address() as { port: number }).port}`).query({ query: 'up' });

      expect(outcome).toEqual({ kind: 'unreachable', message: expect.stringMatching(/^Prometheus unreachable: the connection was closed before an answer/) });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('an unknown host is Prometheus unreachable', async () => {
    const outcome = await providerFor('http://prometheus.invalid').query({ query: 'up' });

    expect(outcome).toMatchObject({ kind: 'unreachable', message: expect.stringMatching(/^Prometheus unreachable: .*(ENOTFOUND|EAI_AGAIN)/) });
  });

  test('every answer judged as a check fails and names what came back (none is judged as a number)', async () => {
    for (const [, answer, expected] of cases.filter(([, , outcome]) => outcome.kind !== 'value')) {
      prometheus.answer = () => answer;
      const outcome = await providerFor(prometheus.url).query({ query: 'up' });
      const check = judgeCheck({ name: 'request-success-rate', bound: 'min', threshold: 99, unit: '%', outcome });
      expect({ kind: expected.kind, passed: check.passed, value: check.value }).toEqual({ kind: expected.kind, passed: false, value: null });
      expect(check.reason).toContain(outcome.kind === 'value' ? '' : outcome.message);
    }
  });
});

describe('the queryChecks activity: a provider that breaks its contract still gives readings', () => {
  const check = { name: 'request-success-rate', bound: 'min' as const, threshold: 99, unit: '%', query: 'sum(rate(x[1m]))' };
  const activitiesWith = (metrics: MetricsProvider) => createActivities({ metricsFor: () => metrics } as unknown as ActivityDeps);

  test('a provider that throws gives an error reading, not a thrown activity', async () => {
    const thrower: MetricsProvider = { query: async () => Promise.reject(new Error('socket exploded')) };

    await expect(activitiesWith(thrower).queryChecks({ checks: [check] })).resolves.toEqual([
      { name: 'request-success-rate', bound: 'min', threshold: 99, unit: '%', outcome: { kind: 'error', message: 'the metrics provider failed: socket exploded' } },
    ]);
  });

  test.each([
    [Number.NaN, 'nan'],
    [Infinity, 'positiveInfinity'],
    [-Infinity, 'negativeInfinity'],
  ])('a provider returning the value %p gives the %s outcome, safe for JSON', async (number, kind) => {
    const [reading] = await activitiesWith(new StaticMetricsProvider(() => ({ kind: 'value', value: number }))).queryChecks({ checks: [check] });

    expect(reading!.outcome.kind).toBe(kind);
    expectJsonSafe(reading!.outcome);
  });
});

describe('parseSampleValue and bodyExcerpt', () => {
  test.each([
    ['99.5', 99.5],
    ['-0.25', -0.25],
    ['1e-3', 0.001],
    ['NaN', Number.NaN],
    ['+Inf', Number.POSITIVE_INFINITY],
    ['-Inf', Number.NEGATIVE_INFINITY],
    ['', null],
    ['0x10', null],
    ['ninety', null],
  ])('parses %j as %p', (text, expected) => {
    expect(parseSampleValue(text)).toBe(expected);
  });

  test('a body excerpt is one printable line of at most 200 characters', () => {
    const excerpt = bodyExcerpt(`line one\r\nline\ttwo\u0000\u001b[1;31m red\u001b[0m ${'x'.repeat(500)}`);
    expect(excerpt.startsWith('line one line two red x')).toBe(true);
    expect(excerpt.length).toBe(201);
    expect(excerpt.endsWith('…')).toBe(true);
  });
});

/** The Prometheus binary when this machine has one (CI installs it with scripts/prometheus.sh), else null: never installed from here. */
function prometheusBinary(): string | null {
  try {
    return execFileSync('bash', ['-c', 'command -v prometheus || ls /usr/bin/prometheus'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || null;
  } catch {
    return null;
  }
}

const realPrometheus = prometheusBinary();
(realPrometheus ? describe : describe.skip)('PrometheusMetricsProvider against a real Prometheus (scraping itself every second)', () => {
  let server: ChildProcess;
  let dir: string;
  let provider: PrometheusMetricsProvider;
  /** A counter of Prometheus' own that exists from the start and stays at 0: its rate over any window is 0. */
  const idle = 'prometheus_tsdb_head_truncations_failed_total';

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'prom-verdicts-'));
    const port = await freePort();
    writeFileSync(
      path.join(dir, 'prometheus.yml'),
      ['global: { scrape_interval: 1s, evaluation_interval: 1s }', 'scrape_configs:', '  - job_name: prometheus', `    static_configs: [{ targets: ["127.0.0.1:${port}"] }]`].join('\n'),
    );
    server = spawn(realPrometheus!, [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
    provider = providerFor(`http://127.0.0.1:${port}`, { timeout: 5_000 });
    // rate() needs two samples in its window: wait until the idle counter's rate is a number (0).
    const deadline = Date.now() + 60_000;
    for (;;) {
      const outcome = await provider.query({ query: `sum(rate(${idle}[1m]))` });
      if (outcome.kind === 'value') break;
      if (Date.now() > deadline) throw new Error(`Prometheus never had two samples of ${idle}: ${JSON.stringify(outcome)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }, 90_000);

  afterAll(async () => {
    if (server && server.exitCode === null) await new Promise((resolve) => (server.once('exit', resolve), server.kill('SIGTERM')));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a success rate over a window without requests (0/0) is the NaN outcome, and a failed check saying so', async () => {
    const outcome = await provider.query({ query: `sum(rate(${idle}[1m])) / sum(rate(${idle}[1m])) * 100` });

    expect(outcome).toEqual({ kind: 'nan', message: expect.stringMatching(/^NaN: no requests in the window\?/) });
    expectJsonSafe(outcome);
    const check = judgeCheck({ name: 'request-success-rate', bound: 'min', threshold: 99, unit: '%', outcome });
    expect(check).toMatchObject({ passed: false, value: null });
    expect(check.reason).toMatch(/^request-success-rate: NaN: no requests in the window\?.*; counted as a failed check$/);
  });

  test.each([
    ['1/0 is +Inf', 'vector(1) / vector(0)', { kind: 'positiveInfinity' }],
    ['-1/0 is -Inf', 'vector(-1) / vector(0)', { kind: 'negativeInfinity' }],
    ['a metric that does not exist is no data', 'sum(rate(traefik_service_requests_total{service="nowhere"}[1m]))', { kind: 'noData' }],
    ['a query without sum() over several series is many series', 'prometheus_http_requests_total', { kind: 'manySeries' }],
    ['a syntax error is a 400 quoting Prometheus', 'sum(rate(x[1m]', { kind: 'httpError', status: 400, message: expect.stringMatching(/^Prometheus answered 400 Bad Request: bad_data: .*parse error/) }],
    ['a range query is a bad answer asking for a single number', `${idle}[1m]`, { kind: 'badAnswer', message: expect.stringContaining('must return a single number') }],
    ['a scalar is its value', 'scalar(vector(42.5))', { kind: 'value', value: 42.5 }],
  ])('%s', async (_name, query, expected) => {
    const outcome = await provider.query({ query });

    expect(outcome).toMatchObject(expected);
    expectJsonSafe(outcome);
  });
});
