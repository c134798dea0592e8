/*
 * Which Prometheus servers a release may be measured on. The worker's Prometheus token goes only to
 * PROMETHEUS_URL and to the servers the worker's own environment lists (DOCUTAG_PROMETHEUS_SERVERS,
 * each with the env var of its token), never to a URL a config names: anyone who can start a
 * workflow writes the config, and a config URL of theirs would receive the token every round.
 * Pure (no I/O), shared by the worker (which enforces it) and the CLI (which checks it early when
 * its environment lists the same servers).
 */

/** One Prometheus server the worker may query: its base URL and the env var holding its bearer token, if any. */
export interface PrometheusServerEntry {
  url: string;
  /** Name of the worker env var with this server's bearer token; absent: queried without a token. */
  tokenEnv?: string;
}

/** A Prometheus server the worker may query, with the token it sends there (read from the env var the list names). */
export interface PrometheusServer {
  url: string;
  token?: string;
}

/** The env var that lists the extra servers: `URL` or `URL=TOKEN_ENV_VAR`, separated by commas or spaces. */
export const PROMETHEUS_SERVERS_ENV = 'DOCUTAG_PROMETHEUS_SERVERS';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The comparable form of a Prometheus base URL: scheme, lower-case host, port only when not the
 * default, path without trailing slashes. Null when it is not a plain http(s) URL (credentials, a
 * query or a fragment make it something else than a base URL).
 */
export function prometheusServerKey(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
  if (parsed.username || parsed.password || parsed.search || parsed.hash) return null;
  return `${parsed.protocol}//${parsed.host}${parsed.pathname.replace(/\/+$/, '')}`;
}

/** Parses DOCUTAG_PROMETHEUS_SERVERS; `issues` name each bad entry and how to write it. */
export function parsePrometheusServers(text: string | undefined): { servers: PrometheusServerEntry[]; issues: string[] } {
  const servers: PrometheusServerEntry[] = [];
  const issues: string[] = [];
  for (const entry of (text ?? '').split(/[\s,]+/).filter(Boolean)) {
    const equals = entry.lastIndexOf('=');
    const tail = equals > 0 ? entry.slice(equals + 1) : '';
    const [url, tokenEnv] = equals > 0 && ENV_NAME.test(tail) ? [entry.slice(0, equals), tail] : [entry, undefined];
    if (!prometheusServerKey(url)) {
      issues.push(`"${entry}" is not a Prometheus base URL: write URL or URL=TOKEN_ENV_VAR (http(s), no user:password, query or fragment), e.g. https://prometheus.eu:9090=PROMETHEUS_EU_TOKEN`);
      continue;
    }
    servers.push(tokenEnv ? { url, tokenEnv } : { url });
  }
  return { servers, issues };
}

/**
 * The servers a worker with this environment queries: PROMETHEUS_URL (with PROMETHEUS_BEARER_TOKEN)
 * first, then the listed ones. Entries with issues are left out (readWorkerEnv refuses them).
 */
export function allowedPrometheusServers(env: { PROMETHEUS_URL?: string | undefined; DOCUTAG_PROMETHEUS_SERVERS?: string | undefined }): PrometheusServerEntry[] {
  const primary: PrometheusServerEntry[] = env.PROMETHEUS_URL ? [{ url: env.PROMETHEUS_URL, tokenEnv: 'PROMETHEUS_BEARER_TOKEN' }] : [];
  return [...primary, ...parsePrometheusServers(env.DOCUTAG_PROMETHEUS_SERVERS).servers];
}

/** The allowed entry a config's metricsServer names, or undefined. */
export function findPrometheusServer<T extends { url: string }>(servers: readonly T[], metricsServer: string): T | undefined {
  const key = prometheusServerKey(metricsServer);
  return key === null ? undefined : servers.find((server) => prometheusServerKey(server.url) === key);
}

/** Why a config's metricsServer is refused (naming the field and the fix), or null when the worker may query it. */
export function metricsServerRefusal(servers: ReadonlyArray<{ url: string }>, metricsServer: string | undefined): string | null {
  if (metricsServer === undefined || findPrometheusServer(servers, metricsServer)) return null;
  const known = servers.length ? servers.map((server) => server.url).join(', ') : 'none: PROMETHEUS_URL and DOCUTAG_PROMETHEUS_SERVERS are unset';
  return (
    `metricsServer ${metricsServer} is not one of the worker's Prometheus servers (${known}); the worker sends its Prometheus token only to those. ` +
    `Remove metricsServer to use the worker's PROMETHEUS_URL, or add the URL on the worker: ${PROMETHEUS_SERVERS_ENV}="${metricsServer}=ENV_VAR_OF_ITS_TOKEN"`
  );
}
