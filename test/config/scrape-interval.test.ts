/*
 * `validate` warns when analysis.interval is shorter than twice the scrape interval: pure rules
 * table-tested, then the CLI against a real Prometheus reading its own /api/v1/status/config.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../../src/support/tools';
import { runCli } from '../../src/client/cli';
import type { CliIO } from '../../src/client/output';
import { promDurationMs, scrapeIntervalOf, scrapeIntervalWarning } from '../../src/config/scrape-interval';

describe('promDurationMs', () => {
  test.each([
    ['15s', 15_000],
    ['1m30s', 90_000],
    ['500ms', 500],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['soon', null],
    ['', null],
    ['15', null],
  ])('%s is %s', (text, expected) => {
    expect(promDurationMs(text)).toBe(expected);
  });
});

describe('scrapeIntervalOf a Prometheus configuration', () => {
  test.each([
    ['a traefik job of its own', 'global: { scrape_interval: 15s }\nscrape_configs: [{ job_name: traefik, scrape_interval: 30s }, { job_name: node, scrape_interval: 5m }]', { ms: 30_000, source: 'job "traefik"' }],
    ['a traefik job on the global interval', 'global: { scrape_interval: 20s }\nscrape_configs: [{ job_name: kube-traefik }]', { ms: 20_000, source: 'job "kube-traefik" (global.scrape_interval)' }],
    ['the longest of several traefik jobs', 'scrape_configs: [{ job_name: traefik-a, scrape_interval: 10s }, { job_name: traefik-b, scrape_interval: 45s }]', { ms: 45_000, source: 'job "traefik-b"' }],
    ['no traefik job: the global interval', 'global: { scrape_interval: 10s }\nscrape_configs: [{ job_name: node, scrape_interval: 5m }]', { ms: 10_000, source: 'global.scrape_interval' }],
    ["nothing set: Prometheus' default 1m", 'scrape_configs: []', { ms: 60_000, source: "Prometheus' default global scrape_interval" }],
    ['not a configuration', '- just\n- a list', null],
    ['not YAML', 'global: [unclosed', null],
  ])('%s', (_name, yaml, expected) => {
    expect(scrapeIntervalOf(yaml)).toEqual(expected);
  });
});

describe('scrapeIntervalWarning', () => {
  const scrape = { ms: 30_000, source: 'job "traefik"' };
  test.each([
    ['1m', null],
    ['2m', null],
    ['59s', 'analysis.interval 59s is shorter than twice the scrape interval (30.0s, job "traefik")'],
    ['10s', 'Set analysis.interval to at least 1m00s'],
  ])('analysis.interval %s', (interval, expected) => {
    const warning = scrapeIntervalWarning(interval, scrape);
    if (expected === null) expect(warning).toBeNull();
    else expect(warning).toContain(expected);
  });
});

async function validate(config: object, env: NodeJS.ProcessEnv) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'scrape-validate-'));
  const file = path.join(dir, 'release.yaml');
  writeFileSync(file, stringify(config));
  let out = '';
  let err = '';
  const io: CliIO = { out: (text) => (out += `${text}\n`), err: (text) => (err += `${text}\n`), isTTY: false };
  const code = await runCli(['validate', '--config', file], io, env);
  rmSync(dir, { recursive: true, force: true });
  return { code, out, err };
}

const service = { service: { name: 'web', namespace: 'shop' }, helm: { chart: './chart' } };
const localService = { service: { name: 'web', namespace: 'shop' }, target: 'local', local: { command: 'node server.js' } };

describe('validate and the scrape interval', () => {
  test('the local stack scrapes every second: a 1s interval is warned about, 2s is not', async () => {
    const short = await validate({ ...localService, analysis: { interval: '1s' } }, {});
    expect(short.code).toBe(0);
    expect(short.err).toMatch(/^Warning: analysis\.interval 1s is shorter than twice the scrape interval \(1\.0s, the local stack's Prometheus\)/);
    expect((await validate({ ...localService, analysis: { interval: '2s' } }, {})).err).toBe('');
  });

  test('without PROMETHEUS_URL it says how to check, and still exits 0', async () => {
    const result = await validate({ ...service, analysis: { interval: '5s' } }, {});
    expect(result.code).toBe(0);
    expect(result.out).toContain('Note: set PROMETHEUS_URL (as on the worker) to check analysis.interval against the scrape interval');
  });

  test('a Prometheus that cannot be reached is a note, not a failure', async () => {
    const port = await freePort();
    const result = await validate({ ...service, analysis: { interval: '5s' } }, { PROMETHEUS_URL: `http://127.0.0.1:${port}` });
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/Note: could not read the scrape interval from http:\/\/127\.0\.0\.1:\d+\/api\/v1\/status\/config \(.*ECONNREFUSED/);
  });
});

/** The Prometheus binary CI installs (scripts/prometheus.sh); the suite needs it. */
function prometheusBinary(): string {
  return execFileSync('bash', ['-c', 'command -v prometheus || ls /usr/bin/prometheus'], { encoding: 'utf8' }).trim();
}

describe('validate against a real Prometheus (global 15s, job traefik every 30s)', () => {
  let server: ChildProcess;
  let dir: string;
  let url: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'prom-scrape-'));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    writeFileSync(
      path.join(dir, 'prometheus.yml'),
      ['global: { scrape_interval: 15s }', 'scrape_configs:', '  - job_name: traefik', '    scrape_interval: 30s', `    static_configs: [{ targets: ["127.0.0.1:${port}"] }]`].join('\n'),
    );
    server = spawn(prometheusBinary(), [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        if ((await fetch(`${url}/-/ready`)).ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error('Prometheus did not become ready within 60 s');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }, 90_000);

  afterAll(async () => {
    if (server && server.exitCode === null) await new Promise((resolve) => (server.once('exit', resolve), server.kill('SIGTERM')));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('analysis.interval 30s is warned about, naming the traefik job and the fix; 1m passes quietly', async () => {
    const short = await validate({ ...service, analysis: { interval: '30s' } }, { PROMETHEUS_URL: url });
    expect(short.code).toBe(0);
    expect(short.err).toBe(
      'Warning: analysis.interval 30s is shorter than twice the scrape interval (30.0s, job "traefik"): a round\'s rate() window then holds fewer than two samples and reads "no data" or NaN on a healthy canary, a failed check. Set analysis.interval to at least 1m00s, or scrape Traefik more often.\n',
    );
    const enough = await validate({ ...service, analysis: { interval: '1m' } }, { PROMETHEUS_URL: url });
    expect(enough).toMatchObject({ code: 0, err: '' });
    expect(enough.out).not.toContain('Note:');
  });

  test('a config naming that server as metricsServer is checked against it as well', async () => {
    const result = await validate({ ...service, metricsServer: url, analysis: { interval: '20s' } }, { PROMETHEUS_URL: url });
    expect(result.err).toContain('analysis.interval 20s is shorter than twice the scrape interval (30.0s, job "traefik")');
  });
});
