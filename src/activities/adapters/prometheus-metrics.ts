import type { AxiosInstance } from 'axios';
import type { MetricOutcome } from '../../workflows/domain/analysis';
import type { MetricsProvider } from '../ports';

interface PromResponse {
  status: 'success' | 'error';
  error?: string;
  data?: { resultType: 'vector' | 'scalar' | 'matrix' | 'string'; result: unknown };
}

/**
 * MetricsProvider over Prometheus' HTTP API (`/api/v1/query`). The axios instance carries the base
 * URL, the bearer token header and the per-query timeout. Never throws: a failed request is an
 * `error` outcome so the round can be judged (a failed check) instead of being retried forever.
 */
export class PrometheusMetricsProvider implements MetricsProvider {
  constructor(private readonly http: AxiosInstance) {}

  async query({ query }: { query: string }): Promise<MetricOutcome> {
    let body: PromResponse;
    try {
      const response = await this.http.get<PromResponse>('/api/v1/query', { params: { query }, validateStatus: () => true });
      body = response.data;
      if (response.status >= 400 || body?.status !== 'success') {
        const detail = body?.error ?? (typeof response.data === 'string' ? String(response.data).slice(0, 200) : `HTTP ${response.status}`);
        return { kind: 'error', message: `Prometheus answered ${response.status}: ${detail}` };
      }
    } catch (error) {
      const axiosError = error as { code?: string; message?: string };
      const message = axiosError.code === 'ECONNABORTED' || axiosError.code === 'ETIMEDOUT' ? `Prometheus did not answer within ${this.http.defaults.timeout}ms` : `Prometheus unreachable: ${axiosError.message ?? String(error)}`;
      return { kind: 'error', message };
    }
    return PrometheusMetricsProvider.outcomeOf(body);
  }

  /** The first sample of a vector or a scalar; an empty vector is "no data". */
  static outcomeOf(body: PromResponse): MetricOutcome {
    const data = body.data;
    if (data?.resultType === 'scalar') return { kind: 'value', value: Number((data.result as [number, string])[1]) };
    if (data?.resultType === 'vector') {
      const samples = data.result as Array<{ value: [number, string] }>;
      if (samples.length === 0) return { kind: 'noData' };
      return { kind: 'value', value: Number(samples[0]!.value[1]) };
    }
    return { kind: 'error', message: `unexpected result type ${data?.resultType ?? 'none'}; the query must return a single number` };
  }
}
