import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { ensureSearchAttributes, REQUIRED_SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes';
import { readWorkerEnv, redactSecrets } from '../../src/worker/environment';
import { temporalSettings } from '../../src/temporal/connection';
import { createRedactingLogger } from '../../src/worker/logging';
import { workerRuntimeOptions } from '../../src/worker/metrics';
import { TolerantPayloadCodec } from '../../src/worker/payload-codec';
import { createRedactor, redactActivities } from '../../src/worker/redaction';
import { startDevServer } from '../support/dev-server';
import { ReleaseHarness, ROOT } from '../support/harness';
import { secretsIn, TEST_SECRETS } from '../support/secrets';

function runWorker(env: NodeJS.ProcessEnv, afterStart?: (child: ReturnType<typeof spawn>) => void): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/docutag-release.js'), 'worker'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk;
      if (afterStart && out.includes('worker on task queue')) {
        afterStart(child);
        afterStart = undefined;
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

describe('the worker process', () => {
  test('drains and exits 0 on SIGTERM', async () => {
    const harness = await ReleaseHarness.start({ inProcessWorker: false });
    try {
      const result = await runWorker(harness.workerEnv(), (child) => child.kill('SIGTERM'));
      expect(result.out).toContain('worker on task queue docutag-release');
      expect(result.out).toContain('worker drained and stopped');
      expect(result.code).toBe(0);
    } finally {
      await harness.stop();
    }
  });

  test('refuses a bad environment with the variable and what was expected', async () => {
    const result = await runWorker({ ...process.env, PROMETHEUS_URL: 'prometheus:9090', TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(result.code).toBe(1);
    expect(result.err).toContain('PROMETHEUS_URL');
    expect(result.err).toContain('expected the Prometheus base URL');
  });

  test('its log output (own lines, workflow and activity logs, Temporal core at DEBUG) never shows a secret, even when a dependency quotes one back', async () => {
    const harness = await ReleaseHarness.start({ inProcessWorker: false });
    try {
      harness.slack.alwaysStatus = 500;
      harness.slack.echoPathInErrors = true;
      harness.prometheus.answer = () => ({ error: `bearer token ${TEST_SECRETS.prometheusToken} is not allowed to query`, status: 403 });
      const config = harness.config();
      let handle: Awaited<ReturnType<ReleaseHarness['start']>> | undefined;
      const result = await runWorker({ ...harness.workerEnv(), DOCUTAG_LOG_LEVEL: 'debug' }, (child) => {
        void (async () => {
          handle = await harness.start(config, '1.1.0');
          await handle.result();
          child.kill('SIGTERM');
        })();
      });
      const output = `${result.out}\n${result.err}`;
      expect(result.code).toBe(0);
      // What a person reads in the worker's logs: its start line, the workflow's story, the failed Slack calls, core's debug lines.
      expect(result.out).toContain('worker on task queue docutag-release');
      expect(result.err).toContain('Rolling back: failed checks reached the threshold');
      expect(result.err).toContain('Notification failed (the release goes on): Slack webhook delivery failed');
      expect(result.err).toMatch(/\[DEBUG\] .*sdkComponent: 'core'/);
      // The quoted secrets arrived and were redacted, in the logs as in the history.
      expect(result.err).toContain('[redacted]');
      expect(secretsIn(output, { ...TEST_SECRETS, slackWebhookUrl: harness.slack.url })).toEqual([]);
      expect(handle).toBeDefined();
    } finally {
      await harness.stop();
    }
  });

  test('registers the missing search attributes on a fresh server, and none the second time', async () => {
    const server = await startDevServer();
    try {
      const connection = await Connection.connect({ address: server.address });
      expect((await ensureSearchAttributes(connection, 'default')).sort()).toEqual(Object.keys(REQUIRED_SEARCH_ATTRIBUTES).sort());
      expect(await ensureSearchAttributes(connection, 'default')).toEqual([]);
      await connection.close();
    } finally {
      await server.stop();
    }
  });
});

describe('Temporal connection settings (TEMPORAL_* env, @temporalio/envconfig)', () => {
  const pem = (name: string, text: string) => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'tls-')), name);
    writeFileSync(file, text);
    return file;
  };

  test('TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE, with localhost:7233 and default when unset', () => {
    expect(temporalSettings({ TEMPORAL_ADDRESS: 'temporal.internal:7233', TEMPORAL_NAMESPACE: 'releases' })).toMatchObject({ address: 'temporal.internal:7233', namespace: 'releases' });
    expect(temporalSettings({})).toMatchObject({ address: 'localhost:7233', namespace: 'default', connectionOptions: { address: 'localhost:7233' } });
    expect(temporalSettings({}).connectionOptions.tls).toBeUndefined();
  });

  test('TEMPORAL_API_KEY is sent as the API key and turns TLS on', () => {
    const settings = temporalSettings({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_API_KEY: 'key-123' });
    expect(settings.connectionOptions).toMatchObject({ apiKey: 'key-123', tls: true });
  });

  test('TEMPORAL_TLS=true turns TLS on with the system roots; TEMPORAL_TLS=false turns it off even with an API key', () => {
    expect(temporalSettings({ TEMPORAL_TLS: 'true' }).connectionOptions.tls).toEqual({ serverNameOverride: undefined, serverRootCACertificate: undefined, clientCertPair: undefined });
    expect(temporalSettings({ TEMPORAL_TLS: '1' }).connectionOptions.tls).toBeTruthy();
    expect(temporalSettings({ TEMPORAL_TLS: 'false', TEMPORAL_API_KEY: 'key-123' }).connectionOptions.tls).toBe(false);
  });

  test('TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH are read into the mTLS pair', () => {
    const crt = pem('client.pem', '-----BEGIN CERTIFICATE-----\nclient\n-----END CERTIFICATE-----\n');
    const key = pem('client.key', '-----BEGIN PRIVATE KEY-----\nkey\n-----END PRIVATE KEY-----\n');
    const tls = temporalSettings({ TEMPORAL_TLS_CLIENT_CERT_PATH: crt, TEMPORAL_TLS_CLIENT_KEY_PATH: key }).connectionOptions.tls as { clientCertPair: { crt: Uint8Array; key: Uint8Array } };
    expect(Buffer.from(tls.clientCertPair.crt).toString()).toContain('client');
    expect(Buffer.from(tls.clientCertPair.key).toString()).toContain('PRIVATE KEY');
  });

  test('TEMPORAL_TLS_SERVER_CA_CERT_PATH and TEMPORAL_TLS_SERVER_NAME set the trusted CA and the name to verify', () => {
    const ca = pem('ca.pem', '-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n');
    const tls = temporalSettings({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca, TEMPORAL_TLS_SERVER_NAME: 'temporal.internal' }).connectionOptions.tls as { serverRootCACertificate: Uint8Array; serverNameOverride: string };
    expect(Buffer.from(tls.serverRootCACertificate).toString()).toContain('ca');
    expect(tls.serverNameOverride).toBe('temporal.internal');
  });

  test('the *_DATA variants carry the PEM inline', () => {
    const tls = temporalSettings({ TEMPORAL_TLS_CLIENT_CERT_DATA: 'CERT', TEMPORAL_TLS_CLIENT_KEY_DATA: 'KEY', TEMPORAL_TLS_SERVER_CA_CERT_DATA: 'CA' }).connectionOptions.tls as { clientCertPair: { crt: Uint8Array; key: Uint8Array }; serverRootCACertificate: Uint8Array };
    expect(Buffer.from(tls.clientCertPair.crt).toString()).toBe('CERT');
    expect(Buffer.from(tls.clientCertPair.key).toString()).toBe('KEY');
    expect(Buffer.from(tls.serverRootCACertificate).toString()).toBe('CA');
  });

  test('TEMPORAL_GRPC_META_* become gRPC headers', () => {
    expect(temporalSettings({ TEMPORAL_GRPC_META_X_TENANT: 'shop' }).connectionOptions.metadata).toEqual({ 'x-tenant': 'shop' });
  });

  test('a client certificate without its key (or the reverse) is refused, naming both variables', () => {
    const crt = pem('client.pem', 'CERT');
    expect(() => temporalSettings({ TEMPORAL_TLS_CLIENT_CERT_PATH: crt })).toThrow(/TEMPORAL_TLS_CLIENT_CERT_PATH .* is set but TEMPORAL_TLS_CLIENT_KEY_PATH .* is not/);
    expect(() => temporalSettings({ TEMPORAL_TLS_CLIENT_KEY_DATA: 'KEY' })).toThrow(/TEMPORAL_TLS_CLIENT_KEY_PATH .* is set but TEMPORAL_TLS_CLIENT_CERT_PATH/);
  });

  test('an unreadable certificate file is refused with its path', () => {
    expect(() => temporalSettings({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/nonexistent/ca.pem' })).toThrow(/cannot read the Temporal connection settings .*\/nonexistent\/ca\.pem/);
  });

  test('TEMPORAL_TLS_DISABLE_HOST_VERIFICATION=true is refused (the SDK cannot do it) with what to set instead', () => {
    expect(() => temporalSettings({ TEMPORAL_TLS: 'true', TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: 'true' })).toThrow(/TEMPORAL_TLS_SERVER_NAME/);
    expect(() => temporalSettings({ TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: 'false' })).not.toThrow();
  });
});

describe('worker settings', () => {
  test('DOCUTAG_STICKY_QUEUE_TIMEOUT and DOCUTAG_LOG_LEVEL are validated, with what was expected', () => {
    expect(readWorkerEnv({ DOCUTAG_STICKY_QUEUE_TIMEOUT: '1s', DOCUTAG_LOG_LEVEL: 'debug' })).toMatchObject({ DOCUTAG_STICKY_QUEUE_TIMEOUT: '1s', DOCUTAG_LOG_LEVEL: 'DEBUG' });
    expect(readWorkerEnv({})).toMatchObject({ DOCUTAG_LOG_LEVEL: 'INFO', DOCUTAG_METRICS_PORT: 0 });
    expect(readWorkerEnv({}).DOCUTAG_STICKY_QUEUE_TIMEOUT).toBeUndefined();
    expect(() => readWorkerEnv({ DOCUTAG_STICKY_QUEUE_TIMEOUT: '1000' })).toThrow(/DOCUTAG_STICKY_QUEUE_TIMEOUT: expected a duration like 500ms, 1s or 10s/);
    expect(() => readWorkerEnv({ DOCUTAG_STICKY_QUEUE_TIMEOUT: '0s' })).toThrow(/DOCUTAG_STICKY_QUEUE_TIMEOUT: expected a duration above zero/);
    expect(() => readWorkerEnv({ DOCUTAG_LOG_LEVEL: 'loud' })).toThrow(/DOCUTAG_LOG_LEVEL: expected one of TRACE, DEBUG, INFO, WARN, ERROR/);
    expect(() => readWorkerEnv({ DOCUTAG_METRICS_PORT: '70000' })).toThrow(/DOCUTAG_METRICS_PORT/);
  });

  test('the Runtime serves Prometheus metrics only with DOCUTAG_METRICS_PORT, and forwards core\'s logs to the worker\'s logger', () => {
    const logger = createRedactingLogger({ level: 'INFO', redact: (text) => text, write: () => {} });
    const on = workerRuntimeOptions({ env: { DOCUTAG_METRICS_PORT: 9464, DOCUTAG_LOG_LEVEL: 'INFO' }, logger });
    expect(on.telemetryOptions?.metrics).toMatchObject({ prometheus: { bindAddress: '0.0.0.0:9464' } });
    expect(on.telemetryOptions?.logging).toMatchObject({ forward: {} });
    expect(on.logger).toBe(logger);
    expect(workerRuntimeOptions({ env: { DOCUTAG_METRICS_PORT: 0, DOCUTAG_LOG_LEVEL: 'INFO' }, logger }).telemetryOptions?.metrics).toBeUndefined();
  });

  test('redacts the Slack webhook URL and the Prometheus token from log text', () => {
    const env = readWorkerEnv({ SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T0/B0/abcdef', PROMETHEUS_BEARER_TOKEN: 'tok-very-secret' });
    expect(redactSecrets('posting to https://hooks.slack.com/services/T0/B0/abcdef with tok-very-secret', env)).toBe('posting to [redacted] with [redacted]');
  });

  test('redacts the webhook\'s path and token when quoted without the host, the Temporal API key, and the kubeconfig\'s token', () => {
    const kubeconfig = path.join(mkdtempSync(path.join(os.tmpdir(), 'kubeconfig-')), 'config');
    writeFileSync(kubeconfig, ['apiVersion: v1', 'kind: Config', 'clusters: [{ name: c, cluster: { server: "https://k8s:6443" } }]', 'users: [{ name: u, user: { token: kube-token-abc123 } }]', 'contexts: [{ name: c, context: { cluster: c, user: u } }]', 'current-context: c'].join('\n'));
    const redact = createRedactor(readWorkerEnv({ SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T0001/B0001/tokentokentoken', TEMPORAL_API_KEY: 'temporal-key-xyz', KUBECONFIG: kubeconfig }));
    expect(redact('404 for /services/T0001/B0001/tokentokentoken')).toBe('404 for [redacted]');
    expect(redact('invalid token tokentokentoken')).toBe('invalid token [redacted]');
    expect(redact('key temporal-key-xyz, kube kube-token-abc123')).toBe('key [redacted], kube [redacted]');
    expect(redact('nothing secret in /services or hooks.slack.com')).toBe('nothing secret in /services or hooks.slack.com');
  });

  test('every activity\'s result and failure is redacted before it reaches the history; the failure keeps its type and retry policy', async () => {
    const redact = (text: string) => text.split('s3cr3t-token').join('[redacted]');
    const activities = redactActivities(
      {
        async query() {
          return { outcome: { kind: 'error', message: 'Prometheus answered 401: s3cr3t-token' }, list: ['s3cr3t-token', 42] };
        },
        async install() {
          throw ApplicationFailure.nonRetryable('helm said s3cr3t-token', 'DeployFailed');
        },
      },
      redact,
    );
    await expect(activities.query()).resolves.toEqual({ outcome: { kind: 'error', message: 'Prometheus answered 401: [redacted]' }, list: ['[redacted]', 42] });
    const failure = await activities.install().catch((error: ApplicationFailure) => error);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ message: 'helm said [redacted]', type: 'DeployFailed', nonRetryable: true });
    expect(failure.stack).not.toContain('s3cr3t-token');
  });

  test('the worker\'s Runtime logger redacts every line, message and metadata', () => {
    const lines: string[] = [];
    const logger = createRedactingLogger({ level: 'INFO', redact: (text) => text.split('s3cr3t').join('[redacted]'), write: (line) => lines.push(line) });
    logger.info('posting to https://hooks/s3cr3t', { error: new Error('refused by s3cr3t'), workflowId: 'release-shop-web' });
    logger.debug('below the level s3cr3t');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT.*\[INFO\] posting to https:\/\/hooks\/\[redacted\] .*refused by \[redacted\].*release-shop-web/s);
    expect(lines[0]).not.toContain('s3cr3t');
  });
});

describe('payloads nobody can decode', () => {
  const utf8 = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');
  const payload = (encoding: string | undefined, data: string) => ({ metadata: (encoding === undefined ? {} : { encoding: Buffer.from(encoding) }) as Record<string, Uint8Array>, data: Buffer.from(data) });

  test('readable payloads pass the worker\'s codec untouched; undecodable ones become a string that says what was wrong', async () => {
    const codec = new TolerantPayloadCodec();
    const readable = [payload('json/plain', '{"reason":"ok"}'), payload('binary/null', ''), payload('binary/plain', '\u00ff')];
    expect(await codec.decode(readable)).toEqual(readable);
    const decoded = await codec.decode([payload('json/plain', '{"reason": '), payload('application/x-unknown', 'x'), payload(undefined, '{}')]);
    expect(decoded.map((item) => utf8(item.metadata!.encoding))).toEqual(['json/plain', 'json/plain', 'json/plain']);
    expect(decoded.map((item) => JSON.parse(utf8(item.data)))).toEqual([
      expect.stringMatching(/^undecodable payload: not valid JSON \(/),
      'undecodable payload: unknown encoding application/x-unknown',
      'undecodable payload: no encoding in its metadata',
    ]);
    expect(await codec.encode(readable)).toBe(readable);
  });
});
