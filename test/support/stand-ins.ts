/*
 * Local HTTP servers that speak the protocols of the cluster's pieces, for adapter and workflow
 * tests: the Kubernetes API (TraefikService, Deployment), Prometheus' query API and a Slack webhook.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

async function body(request: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of request) text += chunk;
  return text;
}

function json(response: ServerResponse, status: number, value: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(value));
}

export interface WeightChange {
  namespace: string;
  name: string;
  weights: Record<string, number>;
  /** While the TraefikService is of kind mirroring: the mirrored Service's percent, by name. */
  mirrors?: Record<string, number>;
  at: number;
}

/** A Kubernetes API server stand-in: TraefikServices (get, replace with resourceVersion, merge patch) and Deployments (get). */
export class FakeKubernetesApi {
  readonly traefikServices = new Map<string, any>();
  /** IngressRoutes by namespace/name; addService adds the service's own, routing to its TraefikService. */
  readonly ingressRoutes = new Map<string, any>();
  /** Creations and deletions of IngressRoutes, in order (A/B testing's `-ab` route). */
  readonly ingressRouteChanges: Array<{ action: 'create' | 'replace' | 'delete'; namespace: string; name: string; at: number }> = [];
  readonly deployments = new Map<string, any>();
  readonly weightChanges: WeightChange[] = [];
  readonly requests: Array<{ method: string; path: string; authorization?: string }> = [];
  /** Answer the next N writes with 409 (someone else changed the object). */
  conflictsToInject = 0;
  /** When set, every request answers 503 (the API server is away). */
  unavailable = false;
  /** Delay before answering a write, in ms (a slow API server). */
  writeDelayMs = 0;
  private server = createServer((request, response) => void this.handle(request, response));
  url = '';
  kubeconfigPath = '';

  async start(): Promise<this> {
    this.url = await listen(this.server);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kubeconfig-'));
    this.kubeconfigPath = path.join(dir, 'config');
    writeFileSync(
      this.kubeconfigPath,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{ name: test, cluster: { server: "' + this.url + '", insecure-skip-tls-verify: true } }]',
        'users: [{ name: test, user: { token: kube-test-token-7f3a } }]',
        'contexts: [{ name: test, context: { cluster: test, user: test } }]',
        'current-context: test',
      ].join('\n'),
    );
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** Adds a weighted TraefikService with the primary at 100 and the canary at 0, and ready Deployments for both. */
  addService(namespace: string, name: string, primary = name, canary = `${name}-canary`): void {
    this.traefikServices.set(`${namespace}/${name}`, {
      apiVersion: 'traefik.io/v1alpha1',
      kind: 'TraefikService',
      metadata: { name, namespace, resourceVersion: '1' },
      spec: { weighted: { services: [{ name: primary, port: 80, weight: 100 }, { name: canary, port: 80, weight: 0 }] } },
    });
    for (const deployment of [primary, canary]) this.setDeployment(namespace, deployment, { ready: true });
    this.ingressRoutes.set(`${namespace}/${name}`, {
      apiVersion: 'traefik.io/v1alpha1',
      kind: 'IngressRoute',
      metadata: { name, namespace, resourceVersion: '1' },
      spec: { entryPoints: ['websecure'], routes: [{ kind: 'Rule', match: `Host(\`${name}.docutag.test\`)`, services: [{ name, kind: 'TraefikService' }] }] },
    });
  }

  setDeployment(namespace: string, name: string, { ready }: { ready: boolean }): void {
    this.deployments.set(`${namespace}/${name}`, {
      metadata: { name, namespace, generation: 2 },
      spec: { replicas: 2 },
      status: { observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: ready ? 2 : 1, readyReplicas: ready ? 2 : 1 },
    });
  }

  /** The canary weight of each change to one TraefikService, in order. */
  canaryWeights(namespace: string, name: string, canary = `${name}-canary`): number[] {
    return this.weightChanges.filter((change) => change.namespace === namespace && change.name === name).map((change) => change.weights[canary] ?? 0);
  }

  currentWeights(namespace: string, name: string): Record<string, number> {
    const services = this.traefikServices.get(`${namespace}/${name}`)?.spec.weighted?.services ?? [];
    return Object.fromEntries(services.map((service: { name: string; weight: number }) => [service.name, service.weight]));
  }

  private async handleIngressRoute(request: IncomingMessage, response: ServerResponse, namespace: string, name: string | undefined): Promise<void> {
    const notFound = (missing: string) => json(response, 404, { kind: 'Status', code: 404, message: `ingressroutes.traefik.io "${missing}" not found` });
    const text = request.method === 'GET' || request.method === 'DELETE' ? '' : await body(request);
    if (request.method === 'POST' && !name) {
      const object = JSON.parse(text);
      const key = `${namespace}/${object.metadata.name}`;
      if (this.ingressRoutes.has(key)) return json(response, 409, { kind: 'Status', code: 409, message: `ingressroutes.traefik.io "${object.metadata.name}" already exists` });
      const created = { ...object, metadata: { ...object.metadata, resourceVersion: '1' } };
      this.ingressRoutes.set(key, created);
      this.ingressRouteChanges.push({ action: 'create', namespace, name: object.metadata.name, at: Date.now() });
      return json(response, 201, created);
    }
    if (!name) return json(response, 405, { message: 'method not allowed' });
    const key = `${namespace}/${name}`;
    const current = this.ingressRoutes.get(key);
    if (!current) return notFound(name);
    if (request.method === 'GET') return json(response, 200, current);
    if (request.method === 'DELETE') {
      this.ingressRoutes.delete(key);
      this.ingressRouteChanges.push({ action: 'delete', namespace, name, at: Date.now() });
      return json(response, 200, { kind: 'Status', status: 'Success' });
    }
    if (request.method !== 'PUT') return json(response, 405, { message: 'method not allowed' });
    const next = JSON.parse(text);
    if (next.metadata?.resourceVersion !== current.metadata.resourceVersion) return json(response, 409, { kind: 'Status', code: 409, message: 'the object has been modified' });
    next.metadata.resourceVersion = String(Number(current.metadata.resourceVersion) + 1);
    this.ingressRoutes.set(key, next);
    this.ingressRouteChanges.push({ action: 'replace', namespace, name, at: Date.now() });
    return json(response, 200, next);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = request.url ?? '';
    this.requests.push({ method: request.method ?? '', path: url, ...(request.headers.authorization ? { authorization: request.headers.authorization } : {}) });
    if (this.unavailable) return json(response, 503, { kind: 'Status', code: 503, message: 'the server is currently unable to handle the request' });
    const ingressRoute = /^\/apis\/traefik\.io\/v1alpha1\/namespaces\/([^/]+)\/ingressroutes(?:\/([^/?]+))?/.exec(url);
    if (ingressRoute) return this.handleIngressRoute(request, response, ingressRoute[1]!, ingressRoute[2]);
    const traefik = /^\/apis\/traefik\.io\/v1alpha1\/namespaces\/([^/]+)\/traefikservices\/([^/?]+)/.exec(url);
    if (traefik) {
      const key = `${traefik[1]}/${traefik[2]}`;
      const current = this.traefikServices.get(key);
      if (!current) return json(response, 404, { kind: 'Status', code: 404, message: `traefikservices.traefik.io "${traefik[2]}" not found` });
      if (request.method === 'GET') return json(response, 200, current);
      const text = await body(request);
      if (this.writeDelayMs) await new Promise((resolve) => setTimeout(resolve, this.writeDelayMs));
      if (this.conflictsToInject > 0) {
        this.conflictsToInject -= 1;
        current.metadata.resourceVersion = String(Number(current.metadata.resourceVersion) + 1);
        return json(response, 409, { kind: 'Status', code: 409, message: 'Operation cannot be fulfilled on traefikservices.traefik.io: the object has been modified' });
      }
      let next: any;
      if (request.method === 'PUT') {
        next = JSON.parse(text);
        if (next.metadata?.resourceVersion !== current.metadata.resourceVersion) {
          return json(response, 409, { kind: 'Status', code: 409, message: 'Operation cannot be fulfilled on traefikservices.traefik.io: the object has been modified' });
        }
      } else if (request.method === 'PATCH') {
        next = { ...current, spec: { ...current.spec, ...JSON.parse(text).spec } };
      } else return json(response, 405, { message: 'method not allowed' });
      next.metadata = { ...next.metadata, resourceVersion: String(Number(current.metadata.resourceVersion) + 1) };
      this.traefikServices.set(key, next);
      const mirroring = next.spec.weighted ? undefined : next.spec.mirroring;
      const weights = mirroring ? { [mirroring.name]: 100 } : Object.fromEntries(next.spec.weighted.services.map((service: { name: string; weight: number }) => [service.name, service.weight]));
      const mirrors = mirroring ? { mirrors: Object.fromEntries(mirroring.mirrors.map((mirror: { name: string; percent: number }) => [mirror.name, mirror.percent])) } : {};
      this.weightChanges.push({ namespace: traefik[1]!, name: traefik[2]!, weights, ...mirrors, at: Date.now() });
      return json(response, 200, next);
    }
    const deployment = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments\/([^/?]+)/.exec(url);
    if (deployment && request.method === 'GET') {
      const found = this.deployments.get(`${deployment[1]}/${deployment[2]}`);
      return found ? json(response, 200, found) : json(response, 404, { kind: 'Status', code: 404, message: `deployments.apps "${deployment[2]}" not found` });
    }
    return json(response, 404, { kind: 'Status', code: 404, message: `no route ${request.method} ${url}` });
  }
}

/**
 * What the Prometheus stand-in answers for a query: a one-series vector of `value` (or of a sample
 * as Prometheus encodes it, e.g. `'+Inf'`), an empty vector, NaN, `series` one-series-each samples,
 * Prometheus' JSON error, no answer for `hangMs`, or a `raw` answer (a proxy's error page, a broken body).
 */
export type PromAnswer =
  | { value: number }
  | { sample: string }
  | { noData: true }
  | { nan: true }
  | { series: number }
  | { error: string; status?: number }
  | { hangMs: number }
  | { raw: { status: number; body: string; contentType?: string } };

/** A healthy release's metrics: success rate 99.9%, p99 120 ms. */
export const healthyMetrics = (query: string): PromAnswer => (query.includes('histogram_quantile') ? { value: 120 } : { value: 99.9 });

/**
 * Prometheus `/api/v1/query` and `/api/v1/query_range` stand-in; `answer` decides per query (default:
 * healthy), `rangeAnswer` the values of a range query, one per step (default: `answer`'s value at every step).
 */
export class FakePrometheus {
  readonly queries: Array<{ query: string; authorization?: string }> = [];
  readonly rangeQueries: Array<{ query: string; start: number; end: number; step: string }> = [];
  answer: (query: string) => PromAnswer = healthyMetrics;
  rangeAnswer: ((query: string, steps: number) => number[] | { error: string }) | undefined;
  private server = createServer((request, response) => void this.handle(request, response));
  url = '';

  async start(): Promise<this> {
    this.url = await listen(this.server);
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname === '/api/v1/query_range') return this.handleRange(url, response);
    if (url.pathname !== '/api/v1/query') return json(response, 404, { status: 'error', error: 'not found' });
    const query = url.searchParams.get('query') ?? '';
    this.queries.push({ query, ...(request.headers.authorization ? { authorization: request.headers.authorization } : {}) });
    const answer = this.answer(query);
    if ('hangMs' in answer) {
      await new Promise((resolve) => setTimeout(resolve, answer.hangMs));
      return json(response, 200, { status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [Date.now() / 1000, '99'] }] } });
    }
    if ('error' in answer) return json(response, answer.status ?? 400, { status: 'error', errorType: 'bad_data', error: answer.error });
    if ('raw' in answer) {
      response.writeHead(answer.raw.status, { 'content-type': answer.raw.contentType ?? 'text/plain' });
      response.end(answer.raw.body);
      return;
    }
    const at = Date.now() / 1000;
    const result =
      'noData' in answer
        ? []
        : 'series' in answer
          ? Array.from({ length: answer.series }, (_, index) => ({ metric: { service: `svc-${index + 1}` }, value: [at, '99'] }))
          : [{ metric: {}, value: [at, 'nan' in answer ? 'NaN' : 'sample' in answer ? answer.sample : String(answer.value)] }];
    return json(response, 200, { status: 'success', data: { resultType: 'vector', result } });
  }

  private handleRange(url: URL, response: ServerResponse): void {
    const query = url.searchParams.get('query') ?? '';
    const [start, end] = ['start', 'end'].map((name) => Number(url.searchParams.get(name)));
    const step = url.searchParams.get('step') ?? '';
    this.rangeQueries.push({ query, start: start!, end: end!, step });
    const steps = Math.max(1, Math.floor((end! - start!) / Number.parseFloat(step)) + 1);
    const fallback = (): number[] => {
      const answer = this.answer(query);
      return 'value' in answer ? Array.from({ length: steps }, () => answer.value) : [];
    };
    const values = this.rangeAnswer ? this.rangeAnswer(query, steps) : fallback();
    if (!Array.isArray(values)) return json(response, 400, { status: 'error', errorType: 'bad_data', error: values.error });
    const result = values.length ? [{ metric: {}, values: values.map((value, index) => [start! + index * Number.parseFloat(step), String(value)]) }] : [];
    return json(response, 200, { status: 'success', data: { resultType: 'matrix', result } });
  }
}

/** A Slack incoming-webhook stand-in; `statuses` are answered in order, then 200. */
export class FakeSlack {
  readonly messages: Array<{ text: string; channel?: string; status: number }> = [];
  statuses: number[] = [];
  /** Answer every request with this status (e.g. 500 for "Slack is down"). */
  alwaysStatus: number | undefined;
  /** Error answers quote the request path, as some proxies' error pages do (a leak test: the path is the secret). */
  echoPathInErrors = false;
  private server = createServer((request, response) => void this.handle(request, response));
  url = '';

  async start(): Promise<this> {
    this.url = `${await listen(this.server)}/services/T000/B000/XXXXsecretXXXX`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  delivered(): string[] {
    return this.messages.filter((message) => message.status === 200).map((message) => message.text);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const payload = JSON.parse((await body(request)) || '{}') as { text: string; channel?: string };
    const status = this.alwaysStatus ?? this.statuses.shift() ?? 200;
    this.messages.push({ ...payload, status });
    response.writeHead(status, status === 429 ? { 'retry-after': '0' } : {});
    response.end(status === 200 ? 'ok' : status === 429 ? 'rate_limited' : this.echoPathInErrors ? `internal_error: no service at ${request.url}` : 'internal_error');
  }
}

/** What a webhook stand-in answers: a status (and body), or no answer for `hangMs`. */
export type HookAnswer = number | { status: number; body?: string } | { hangMs: number };

export interface HookCall {
  path: string;
  payload: { name?: string; namespace?: string; phase?: string; checksum?: string; metadata?: Record<string, string> };
  contentType?: string;
  status: number | null;
  at: number;
}

/**
 * Flagger-style webhooks (load tester, gates) as one local HTTP server: each path is a hook whose
 * answer the test sets with `answer(path, ...)` (default 200 "ok"); every POST is recorded.
 */
export class FakeWebhooks {
  readonly calls: HookCall[] = [];
  private readonly answers = new Map<string, HookAnswer | ((nth: number) => HookAnswer)>();
  private server = createServer((request, response) => void this.handle(request, response));
  baseUrl = '';

  async start(): Promise<this> {
    this.baseUrl = await listen(this.server);
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** The URL of the hook at `path` (e.g. `/gate/svc-1`). */
  url(path: string): string {
    return `${this.baseUrl}${path}`;
  }

  /** Sets the answer of a hook: fixed, or a function of the call's number at that path (1-based). */
  answer(path: string, answer: HookAnswer | ((nth: number) => HookAnswer)): void {
    this.answers.set(path, answer);
  }

  callsTo(path: string): HookCall[] {
    return this.calls.filter((call) => call.path === path);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const text = await body(request);
    let payload: HookCall['payload'] = {};
    try {
      payload = JSON.parse(text || '{}');
    } catch {
      // recorded as empty; the test sees the content type
    }
    const nth = this.callsTo(path).length + 1;
    const configured = this.answers.get(path) ?? 200;
    const answer = typeof configured === 'function' ? configured(nth) : configured;
    const call: HookCall = { path, payload, ...(request.headers['content-type'] ? { contentType: request.headers['content-type'] } : {}), status: null, at: Date.now() };
    this.calls.push(call);
    if (typeof answer === 'object' && 'hangMs' in answer) {
      await new Promise((resolve) => setTimeout(resolve, answer.hangMs));
      if (!response.destroyed) response.end();
      return;
    }
    const status = typeof answer === 'number' ? answer : answer.status;
    const reply = typeof answer === 'number' ? (status < 300 ? 'ok' : 'not yet') : (answer.body ?? '');
    call.status = status;
    response.writeHead(status, { 'content-type': 'text/plain' });
    response.end(reply);
  }
}
