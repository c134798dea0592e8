/*
 * Steady HTTP load for the local stack: N requests per second to one URL over keep-alive
 * connections, counted by the version that answered (header `x-version`) and by status.
 *
 *   node dist/load/load-generator.js <url> [--rps 50] [--duration 10s] [--report 1s]
 *
 * As a module: `new LoadGenerator({ url, rps }).start()`, read `snapshot()` at any time, `stop()`.
 */
import http from 'node:http';

export interface LoadGeneratorOptions {
  /** The URL every request GETs, e.g. Traefik's entry URL of a split. */
  url: string;
  /** Requests started per second (> 0). */
  rps: number;
  /** ms before a request is abandoned and counted as an error (default 5000). */
  timeoutMs?: number;
  /** Requests allowed in flight; a request due while that many are open is counted as `skipped`, not queued (default 256). */
  maxInFlight?: number;
  /** Called for every finished request (e.g. to keep a log or assert on it). */
  onResponse?: (response: LoadResponse) => void;
  /** Headers sent with every request, e.g. `{ 'x-canary': 'insider' }` for an A/B rule. */
  headers?: Record<string, string>;
  /**
   * Simulated users, each with its own cookie jar (default 1): requests go to them in turn, each
   * sends back the cookies it was given (a sticky session's cookie among them).
   */
  clients?: number;
  /** Cookies every client starts with, e.g. `{ type: 'insider' }` for a cookie rule. */
  cookies?: Record<string, string>;
}

/** One finished request. Times are epoch ms (Date.now()). */
export interface LoadResponse {
  /** The `x-version` header, or `none` when there was no answer or no header. */
  version: string;
  /** HTTP status, or 0 when no answer came (refused, reset, timed out). */
  status: number;
  sentAt: number;
  at: number;
  /** What went wrong when status is 0. */
  error?: string;
  /** The client (0 .. clients-1) that sent it. */
  client: number;
}

/** Counts of one version. Times are epoch ms; `lastSentAt` is when the last request it answered was sent. */
export interface VersionCounts {
  total: number;
  /** Answers with a 5xx status. */
  serverErrors: number;
  byStatus: Record<string, number>;
  firstAt: number;
  /** When the first 5xx of this version arrived: the first bad sample Traefik's metrics can count. */
  firstErrorAt: number | null;
  lastAt: number;
  lastSentAt: number;
}

export interface LoadSnapshot {
  /** Requests started. */
  sent: number;
  /** Requests finished (answered or failed). */
  completed: number;
  inFlight: number;
  /** Requests not sent because `maxInFlight` were open. */
  skipped: number;
  /** Requests that got no HTTP answer. */
  failed: number;
  byStatus: Record<string, number>;
  byVersion: Record<string, VersionCounts>;
}

const NO_VERSION = 'none';
/** The scheduler's tick, ms: at 200 rps each tick starts about two requests. */
const TICK_MS = 10;

/** Sends `rps` GET requests per second to `url` until stopped; counts by version and status. */
export class LoadGenerator {
  private readonly agent: http.Agent;
  private readonly timeoutMs: number;
  private readonly maxInFlight: number;
  private timer: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private counts: LoadSnapshot = LoadGenerator.empty();
  private readonly open = new Set<Promise<void>>();
  /** Each client's cookies, by name. */
  private readonly jars: Array<Map<string, string>>;
  private nextClient = 0;

  constructor(private readonly options: LoadGeneratorOptions) {
    if (!(options.rps > 0)) throw new Error(`rps must be above 0, got ${options.rps}`);
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.maxInFlight = options.maxInFlight ?? 256;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: this.maxInFlight });
    const clients = options.clients ?? 1;
    if (!(Number.isInteger(clients) && clients >= 1)) throw new Error(`clients must be a whole number of at least 1, got ${clients}`);
    this.jars = Array.from({ length: clients }, () => new Map(Object.entries(options.cookies ?? {})));
  }

  private static empty(): LoadSnapshot {
    return { sent: 0, completed: 0, inFlight: 0, skipped: 0, failed: 0, byStatus: {}, byVersion: {} };
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  /** Starts sending; requests are spread evenly over each second (a late tick catches up). */
  start(): this {
    if (this.timer) return this;
    this.startedAt = Date.now();
    let due = 0;
    this.timer = setInterval(() => {
      const target = Math.floor(((Date.now() - this.startedAt) * this.options.rps) / 1000);
      for (; due < target; due++) {
        if (this.open.size >= this.maxInFlight) this.counts.skipped += 1;
        else this.send();
      }
    }, TICK_MS);
    return this;
  }

  /** Stops sending, waits for the requests in flight, closes the connections; returns the final counts. */
  async stop(): Promise<LoadSnapshot> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all([...this.open]);
    this.agent.destroy();
    return this.snapshot();
  }

  /** A copy of the counts so far. */
  snapshot(): LoadSnapshot {
    return structuredClone({ ...this.counts, inFlight: this.open.size });
  }

  /** Starts counting from zero (requests in flight are counted in the new period). */
  reset(): void {
    this.counts = LoadGenerator.empty();
  }

  /** Epoch ms of the last answer from `version`, or undefined when it never answered. */
  lastResponseAt(version: string): number | undefined {
    return this.counts.byVersion[version]?.lastAt;
  }

  private send(): void {
    const sentAt = Date.now();
    this.counts.sent += 1;
    const client = this.nextClient;
    this.nextClient = (this.nextClient + 1) % this.jars.length;
    const jar = this.jars[client]!;
    const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
    const headers = { ...this.options.headers, ...(cookie ? { cookie } : {}) };
    const done = new Promise<LoadResponse>((resolve) => {
      const request = http.get(this.options.url, { agent: this.agent, timeout: this.timeoutMs, headers }, (response) => {
        response.resume();
        keepCookies(jar, response.headers['set-cookie']);
        const header = response.headers['x-version'];
        const version = (Array.isArray(header) ? header[0] : header) || NO_VERSION;
        response.on('end', () => resolve({ version, status: response.statusCode ?? 0, sentAt, at: Date.now(), client }));
        response.on('error', (error) => resolve({ version, status: 0, sentAt, at: Date.now(), error: error.message, client }));
      });
      request.on('timeout', () => request.destroy(new Error(`no answer within ${this.timeoutMs}ms`)));
      request.on('error', (error) => resolve({ version: NO_VERSION, status: 0, sentAt, at: Date.now(), error: error.message, client }));
    }).then((response) => this.record(response));
    this.open.add(done);
    void done.finally(() => this.open.delete(done));
  }

  private record(response: LoadResponse): void {
    const counts = this.counts;
    counts.completed += 1;
    if (response.status === 0) counts.failed += 1;
    const status = String(response.status);
    counts.byStatus[status] = (counts.byStatus[status] ?? 0) + 1;
    const version = (counts.byVersion[response.version] ??= { total: 0, serverErrors: 0, byStatus: {}, firstAt: response.at, firstErrorAt: null, lastAt: response.at, lastSentAt: response.sentAt });
    version.total += 1;
    if (response.status >= 500) {
      version.serverErrors += 1;
      version.firstErrorAt ??= response.at;
    }
    version.byStatus[status] = (version.byStatus[status] ?? 0) + 1;
    version.lastAt = Math.max(version.lastAt, response.at);
    version.lastSentAt = Math.max(version.lastSentAt, response.sentAt);
    this.options.onResponse?.(response);
  }
}

/** A browser's cookie jar, in small: `Set-Cookie` name=value kept, Max-Age=0 (or a past Expires) removes. */
function keepCookies(jar: Map<string, string>, setCookie: string[] | undefined): void {
  for (const line of setCookie ?? []) {
    const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
    const separator = pair.indexOf('=');
    if (separator <= 0) continue;
    const name = pair.slice(0, separator);
    const expired = attributes.some((attribute) => /^max-age=(0|-\d+)$/i.test(attribute) || (/^expires=/i.test(attribute) && Date.parse(attribute.slice(8)) < Date.now()));
    if (expired) jar.delete(name);
    else jar.set(name, pair.slice(separator + 1));
  }
}

/** One line of counts: `sent 500  1.0.0: 450 (200×450)  1.1.0: 50 (200×40 500×10)`. */
export function formatSnapshot(snapshot: LoadSnapshot): string {
  const versions = Object.entries(snapshot.byVersion)
    .map(([version, counts]) => `${version}: ${counts.total} (${Object.entries(counts.byStatus).map(([status, n]) => `${status}×${n}`).join(' ')})`)
    .join('  ');
  return `sent ${snapshot.sent}  done ${snapshot.completed}  ${versions}${snapshot.skipped ? `  skipped ${snapshot.skipped}` : ''}`;
}

/** Parses `10s`, `500ms`, `2m` into ms. */
function parseDurationMs(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text);
  if (!match) throw new Error(`expected a duration like 500ms, 10s or 2m, got "${text}"`);
  return Number(match[1]) * { ms: 1, s: 1000, m: 60_000 }[match[2] as 'ms' | 's' | 'm'];
}

async function main(argv: string[]): Promise<number> {
  const [url, ...rest] = argv;
  if (!url || url.startsWith('-')) {
    process.stderr.write('usage: load-generator <url> [--rps 50] [--duration 10s] [--report 1s]\n');
    return 2;
  }
  const flags = new Map<string, string>();
  for (let i = 0; i < rest.length; i += 2) flags.set(rest[i]!.replace(/^--/, ''), rest[i + 1] ?? '');
  const rps = Number(flags.get('rps') ?? 50);
  const durationMs = flags.has('duration') ? parseDurationMs(flags.get('duration')!) : Infinity;
  const reportMs = parseDurationMs(flags.get('report') ?? '1s');
  const generator = new LoadGenerator({ url, rps }).start();
  const report = setInterval(() => process.stdout.write(`${formatSnapshot(generator.snapshot())}\n`), reportMs);
  await new Promise<void>((resolve) => {
    const finish = () => resolve();
    process.once('SIGINT', finish);
    process.once('SIGTERM', finish);
    if (Number.isFinite(durationMs)) setTimeout(finish, durationMs);
  });
  clearInterval(report);
  const final = await generator.stop();
  process.stdout.write(`${JSON.stringify(final)}\n`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: Error) => {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    },
  );
}
