/*
 * PrometheusMetricsProvider against a local server that speaks Prometheus' /api/v1/query: every
 * answer a real Prometheus (or the proxy in front of it) can give becomes an outcome, never a throw.
 */
import { createServer, type Server } from 'node:http';
import axios from 'axios';
import { PrometheusMetricsProvider } from '../../src/activities/adapters/prometheus-metrics';
import { FakePrometheus } from '../support/stand-ins';

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

  test('reports an empty vector (no requests in the window) as noData, not as a value', async () => {
    prometheus.answer = () => ({ noData: true });

    await expect(providerFor(prometheus.url).query({ query: 'up' })).resolves.toEqual({ kind: 'noData' });
  });

  test('passes a NaN sample (0/0 success ratio) through as the value NaN', async () => {
    prometheus.answer = () => ({ nan: true });

    const outcome = await providerFor(prometheus.url).query({ query: 'up' });

    expect(outcome.kind).toBe('value');
    expect(outcome.kind === 'value' && Number.isNaN(outcome.value)).toBe(true);
  });

  test("turns a 400 error answer into an error outcome quoting Prometheus' own message", async () => {
    prometheus.answer = () => ({ error: '1:5: parse error: unexpected "}" in label matching', status: 400 });

    const outcome = await providerFor(prometheus.url).query({ query: 'up{' });

    expect(outcome).toEqual({ kind: 'error', message: expect.stringContaining('1:5: parse error: unexpected "}" in label matching') });
    expect(outcome.kind === 'error' && outcome.message).toContain('400');
  });

  test('quotes the body of a non-JSON answer from a proxy in front of Prometheus', async () => {
    const proxy = await fixedAnswerServer(502, 'text/plain', 'upstream connect error or disconnect/reset before headers');
    try {
      const outcome = await providerFor(proxy.url).query({ query: 'up' });

      expect(outcome).toEqual({ kind: 'error', message: expect.stringContaining('502') });
      expect(outcome.kind === 'error' && outcome.message).toContain('upstream connect error');
    } finally {
      await proxy.close();
    }
  });

  test('refuses a matrix answer with an error saying the query must return a single number', async () => {
    const server = await fixedAnswerServer(200, 'application/json', JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [] } }));
    try {
      const outcome = await providerFor(server.url).query({ query: 'up[5m]' });

      expect(outcome).toEqual({ kind: 'error', message: expect.stringContaining('single number') });
    } finally {
      await server.close();
    }
  });

  test('reads a scalar answer as its value', async () => {
    const server = await fixedAnswerServer(200, 'application/json', JSON.stringify({ status: 'success', data: { resultType: 'scalar', result: [1700000000, '42.5'] } }));
    try {
      await expect(providerFor(server.url).query({ query: 'scalar(up)' })).resolves.toEqual({ kind: 'value', value: 42.5 });
    } finally {
      await server.close();
    }
  });

  test('gives up on a Prometheus that does not answer within the axios timeout, saying so', async () => {
    prometheus.answer = () => ({ hangMs: 1_500 });
    const started = Date.now();

    const outcome = await providerFor(prometheus.url, { timeout: 150 }).query({ query: 'up' });

    expect(outcome).toEqual({ kind: 'error', message: expect.stringContaining('did not answer within 150ms') });
    expect(Date.now() - started).toBeLessThan(1_200);
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // let the stand-in's pending answer finish
  });

  test('reports a refused connection as Prometheus unreachable', async () => {
    const url = await closedPortUrl();

    const outcome = await providerFor(url).query({ query: 'up' });

    expect(outcome).toEqual({ kind: 'error', message: expect.stringMatching(/Prometheus unreachable: .*ECONNREFUSED/) });
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
