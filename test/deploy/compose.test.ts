import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

const ROOT = path.resolve(__dirname, '../..');
const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, any> };

describe('docker-compose.yml for production', () => {
  test('runs Temporal on PostgreSQL, the Web UI and the worker', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['postgresql', 'temporal', 'temporal-ui', 'worker']);
    expect(compose.services.temporal.environment.DB).toBe('postgres12');
    expect(compose.services.temporal.environment.POSTGRES_SEEDS).toBe('postgresql');
    expect(compose.services['temporal-ui'].environment.TEMPORAL_ADDRESS).toBe('temporal:7233');
  });

  test('the worker gets its Temporal address and its secrets from the environment, never literally', () => {
    const worker = compose.services.worker;
    expect(worker.command).toEqual(['worker']);
    expect(worker.environment.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(worker.environment.SLACK_WEBHOOK_URL).toMatch(/^\$\{SLACK_WEBHOOK_URL/);
    expect(worker.environment.PROMETHEUS_BEARER_TOKEN).toMatch(/^\$\{PROMETHEUS_BEARER_TOKEN/);
    expect(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')).not.toMatch(/hooks\.slack\.com/);
  });

  test('the worker image is built from the Dockerfile, which runs the CLI worker command', () => {
    const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    expect(compose.services.worker.build).toBe('.');
    expect(dockerfile).toMatch(/ENTRYPOINT \["node", "bin\/docutag-release.js"\]/);
    expect(dockerfile).toMatch(/helm/);
  });
});
