import { STATUS_CODES } from 'node:http';
import type { AxiosInstance } from 'axios';
import { METRIC_MESSAGES, outcomeOfNumber, type MetricFault, type MetricOutcome } from '../../workflows/domain/analysis';
import type { SamplesOutcome } from '../../workflows/domain/mann-whitney';
import type { MetricsProvider } from '../ports';

/** The longest piece of an answer's body quoted in a message, in characters. */
export const BODY_EXCERPT_CHARS = 200;

/**
 * A body made fit to quote in one line of a reason: HTML tags and control characters (ANSI escapes,
 * newlines, NULs) become spaces, runs of blanks one space, and it is cut at `maxChars`.
 */
export function bodyExcerpt(body: string, maxChars = BODY_EXCERPT_CHARS): string {
  const printable = body
    .replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/\u001b\[[0-9;?]*[A-Za-z]|[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return printable.length > maxChars ? `${printable.slice(0, maxChars)}…` : printable;
}

/** Prometheus' sample encoding: decimal strings, plus `NaN`, `+Inf`, `-Inf`. Null for anything else. */
export function parseSampleValue(text: unknown): number | null {
  if (typeof text !== 'string') return null;
  const trimmed = text.trim();
  if (trimmed === 'NaN') return Number.NaN;
  if (trimmed === '+Inf' || trimmed === 'Inf') return Number.POSITIVE_INFINITY;
  if (trimmed === '-Inf') return Number.NEGATIVE_INFINITY;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(trimmed)) return null;
  return Number(trimmed);
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The label set of a series as PromQL writes it, for naming the series of a many-series answer. */
function labelsOf(metric: unknown): string {
  if (!isObject(metric)) return '{}';
  return `{${Object.entries(metric).map(([label, value]) => `${label}=${JSON.stringify(String(value))}`).join(',')}}`;
}

/** Error codes of a request that never got an answer, by what a person should read. */
const TIMEOUT_CODES = new Set(['ECONNABORTED', 'ETIMEDOUT', 'ESOCKETTIMEDOUT']);
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ERR_SOCKET_CONNECTION_TIMEOUT']);

/**
 * MetricsProvider over Prometheus' HTTP API (`/api/v1/query`). The axios instance carries the base
 * URL, the bearer token header and the per-query timeout (ms). Never throws: every answer, and every
 * request that got none, is an outcome (see `MetricOutcome`), so the round is judged (a failed check)
 * instead of being retried forever. Values are always finite; NaN and ±Inf are kinds of their own.
 */
export class PrometheusMetricsProvider implements MetricsProvider {
  constructor(private readonly http: AxiosInstance) {}

  async query({ query }: { query: string }): Promise<MetricOutcome> {
    let status: number;
    let body: string;
    let contentType: string;
    try {
      // The body is read as text and parsed here, so a non-JSON answer (a proxy's error page) is quoted, not lost.
      const response = await this.http.get<string>('/api/v1/query', { params: { query }, validateStatus: () => true, responseType: 'text', transformResponse: (data: unknown) => data });
      status = response.status;
      body = typeof response.data === 'string' ? response.data : response.data == null ? '' : String(response.data);
      contentType = String(response.headers?.['content-type'] ?? '');
    } catch (error) {
      return this.outcomeOfFailedRequest(error);
    }
    return PrometheusMetricsProvider.outcomeOfAnswer(status, body, contentType);
  }

  /** `/api/v1/query_range`: one series' finite values (NaN windows, without requests, left out); faults as `query` reports them. */
  async queryRange({ query, startMs, endMs, stepMs }: { query: string; startMs: number; endMs: number; stepMs: number }): Promise<SamplesOutcome> {
    let status: number;
    let body: string;
    let contentType: string;
    try {
      const params = { query, start: (startMs / 1000).toFixed(3), end: (endMs / 1000).toFixed(3), step: `${Math.max(1, Math.round(stepMs / 1000))}s` };
      const response = await this.http.get<string>('/api/v1/query_range', { params, validateStatus: () => true, responseType: 'text', transformResponse: (data: unknown) => data });
      status = response.status;
      body = typeof response.data === 'string' ? response.data : response.data == null ? '' : String(response.data);
      contentType = String(response.headers?.['content-type'] ?? '');
    } catch (error) {
      return this.outcomeOfFailedRequest(error) as MetricFault;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return PrometheusMetricsProvider.outcomeOfAnswer(status, body, contentType) as MetricFault;
    }
    if (status < 200 || status >= 300 || !isObject(parsed) || parsed.status !== 'success') return PrometheusMetricsProvider.outcomeOfAnswer(status, body, contentType) as MetricFault;
    const data = isObject(parsed.data) ? parsed.data : {};
    if (data.resultType !== 'matrix' || !Array.isArray(data.result)) return { kind: 'badAnswer', message: `the range query returned ${bodyExcerpt(String(data.resultType ?? 'no result'), 40)}, not a matrix` };
    const series = data.result as unknown[];
    if (series.length > 1) return { kind: 'manySeries', seriesCount: series.length, message: METRIC_MESSAGES.manySeries(series.length) };
    const only = series[0];
    const values = isObject(only) && Array.isArray(only.values) ? (only.values as unknown[]) : [];
    return { kind: 'samples', values: values.map((pair) => parseSampleValue(Array.isArray(pair) ? pair[1] : undefined)).filter((value): value is number => value !== null && Number.isFinite(value)) };
  }

  private outcomeOfFailedRequest(error: unknown): MetricOutcome {
    const { code, message } = (isObject(error) ? error : {}) as { code?: unknown; message?: unknown };
    const text = typeof message === 'string' && message ? message : String(error);
    if (typeof code === 'string' && TIMEOUT_CODES.has(code)) {
      return { kind: 'timeout', message: `Prometheus did not answer within ${this.http.defaults.timeout}ms` };
    }
    if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) {
      const detail = code === 'ECONNRESET' || code === 'EPIPE' ? `the connection was closed before an answer (${text})` : text;
      return { kind: 'unreachable', message: `Prometheus unreachable: ${detail}` };
    }
    return { kind: 'error', message: `Prometheus query failed: ${bodyExcerpt(text)}` };
  }

  /** The outcome of an HTTP answer: its status, its body as text and its content type. */
  static outcomeOfAnswer(status: number, body: string, contentType = ''): MetricOutcome {
    let parsed: unknown;
    let isJson = true;
    try {
      parsed = JSON.parse(body);
    } catch {
      isJson = false;
    }
    if (status < 200 || status >= 300) {
      const statusText = `${status}${STATUS_CODES[status] ? ` ${STATUS_CODES[status]}` : ''}`;
      // Prometheus' own error answers are JSON with errorType and error; anything else is quoted as text.
      const promError = isJson && isObject(parsed) && typeof parsed.error === 'string' ? `${typeof parsed.errorType === 'string' ? `${parsed.errorType}: ` : ''}${parsed.error}` : null;
      const excerpt = bodyExcerpt(promError ?? body);
      return { kind: 'httpError', status, message: `Prometheus answered ${statusText}${excerpt ? `: ${excerpt}` : ' with an empty body'}` };
    }
    if (!isJson) {
      const what = contentType ? ` (${bodyExcerpt(contentType.split(';')[0] ?? '', 60)})` : '';
      const excerpt = bodyExcerpt(body);
      return { kind: 'badAnswer', message: `Prometheus answered ${status} with a body that is not JSON${what}: ${excerpt ? `"${excerpt}"` : 'an empty body'}; is the metrics server URL that of Prometheus?` };
    }
    return PrometheusMetricsProvider.outcomeOf(parsed);
  }

  /** The outcome of a parsed `/api/v1/query` body: one sample of a vector or a scalar is a value. */
  static outcomeOf(body: unknown): MetricOutcome {
    const malformed = (why: string): MetricOutcome => ({ kind: 'badAnswer', message: `Prometheus answered JSON that is not a query result (${why}): ${bodyExcerpt(JSON.stringify(body) ?? String(body), 120)}` });
    if (!isObject(body)) return malformed('not an object');
    if (body.status !== 'success') {
      const error = typeof body.error === 'string' ? `${typeof body.errorType === 'string' ? `${body.errorType}: ` : ''}${body.error}` : null;
      return error ? { kind: 'badAnswer', message: `Prometheus answered an error: ${bodyExcerpt(error)}` } : malformed(`status ${JSON.stringify(body.status) ?? 'missing'}`);
    }
    const data = body.data;
    if (!isObject(data)) return malformed('no data');
    if (data.resultType === 'scalar') {
      const sample = Array.isArray(data.result) ? data.result : [];
      return PrometheusMetricsProvider.outcomeOfSample(sample[1]);
    }
    if (data.resultType === 'vector') {
      if (!Array.isArray(data.result)) return malformed('a vector without a result list');
      const series = data.result as unknown[];
      if (series.length === 0) return { kind: 'noData', message: METRIC_MESSAGES.noData };
      if (series.length > 1) {
        const named = series.slice(0, 3).map((one) => labelsOf(isObject(one) ? one.metric : undefined)).join(', ');
        const more = series.length > 3 ? ', …' : '';
        return { kind: 'manySeries', seriesCount: series.length, message: `${METRIC_MESSAGES.manySeries(series.length)} (${bodyExcerpt(named + more, 160)})` };
      }
      const only = series[0];
      if (isObject(only) && !Array.isArray(only.value) && 'histogram' in only) {
        return { kind: 'badAnswer', message: 'the query returned a native histogram; it must return a single number (e.g. histogram_quantile(0.99, ...))' };
      }
      return PrometheusMetricsProvider.outcomeOfSample(isObject(only) && Array.isArray(only.value) ? only.value[1] : undefined);
    }
    const resultType = typeof data.resultType === 'string' ? data.resultType : 'none';
    const which = resultType === 'matrix' ? 'a matrix (a range vector)' : resultType === 'string' ? 'a string' : `result type ${bodyExcerpt(resultType, 40)}`;
    return { kind: 'badAnswer', message: `the query returned ${which}; it must return a single number (an instant vector of one series, or a scalar)` };
  }

  private static outcomeOfSample(text: unknown): MetricOutcome {
    const value = parseSampleValue(text);
    if (value === null) {
      return { kind: 'badAnswer', message: `Prometheus answered a sample that is not a number: ${bodyExcerpt(JSON.stringify(text) ?? 'nothing', 60)}` };
    }
    return outcomeOfNumber(value);
  }
}
