import { spawn } from 'node:child_process';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { ensureSearchAttributes, REQUIRED_SEARCH_ATTRIBUTES } from '../../src/worker/worker';
import { readWorkerEnv, redactSecrets } from '../../src/worker/environment';
import { temporalSettings } from '../../src/worker/connection';
import { startDevServer } from '../support/dev-server';
import { ReleaseHarness, ROOT } from '../support/harness';

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

describe('worker settings', () => {
  test('reads Temporal connection settings in Temporal\'s env conventions', () => {
    const settings = temporalSettings({ TEMPORAL_ADDRESS: 'temporal.internal:7233', TEMPORAL_NAMESPACE: 'releases', TEMPORAL_API_KEY: 'key-123' });
    expect(settings.address).toBe('temporal.internal:7233');
    expect(settings.namespace).toBe('releases');
    expect(settings.connectionOptions).toMatchObject({ apiKey: 'key-123' });
    expect(temporalSettings({}).address).toBe('localhost:7233');
  });

  test('redacts the Slack webhook URL and the Prometheus token from log text', () => {
    const env = readWorkerEnv({ SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T0/B0/abcdef', PROMETHEUS_BEARER_TOKEN: 'tok-very-secret' });
    expect(redactSecrets('posting to https://hooks.slack.com/services/T0/B0/abcdef with tok-very-secret', env)).toBe('posting to [redacted] with [redacted]');
  });
});
