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

  test('closed by default: Temporal and the Web UI listen on 127.0.0.1 unless the operator opts in, and the UI cannot write', () => {
    expect(compose.services.temporal.ports).toEqual(['${TEMPORAL_BIND:-127.0.0.1}:7233:7233']);
    expect(compose.services['temporal-ui'].ports).toEqual(['${TEMPORAL_UI_BIND:-127.0.0.1}:8233:8080']);
    expect(compose.services['temporal-ui'].environment.TEMPORAL_DISABLE_WRITE_ACTIONS).toBe('${TEMPORAL_UI_WRITE_ACTIONS_DISABLED:-true}');
    for (const service of Object.values(compose.services)) {
      for (const port of (service.ports ?? []) as string[]) expect(port).toMatch(/^\$\{[A-Z_]+:-127\.0\.0\.1\}:/);
    }
  });

  test("the worker reads a kubeconfig of its own (deploy/chart's ServiceAccount), never the operator's ~/.kube", () => {
    const worker = compose.services.worker;
    expect(worker.environment.KUBECONFIG).toBe('/kube/config');
    expect(worker.volumes).toEqual(['${DOCUTAG_WORKER_KUBECONFIG:-./.data/worker.kubeconfig}:/kube/config:ro']);
    expect(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')).toContain('scripts/worker-kubeconfig.sh');
  });

  test('the Dockerfile verifies helm\'s checksum and downloads it for the build platform', () => {
    const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/ARG TARGETARCH/);
    expect(dockerfile).toMatch(/helm-\$\{HELM_VERSION\}-linux-\$\{TARGETARCH\}\.tar\.gz/);
    expect(dockerfile).toMatch(/sha256sum -c -/);
    expect(dockerfile).not.toMatch(/linux-amd64/);
  });

  test('the worker image is built from the Dockerfile, which runs the CLI worker command', () => {
    const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    expect(compose.services.worker.build).toBe('.');
    expect(dockerfile).toMatch(/ENTRYPOINT \["node", "bin\/docutag-release.js"\]/);
    expect(dockerfile).toMatch(/helm/);
  });
});
