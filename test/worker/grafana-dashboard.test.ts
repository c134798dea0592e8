/*
 * deploy/grafana/docutag-release.json: every panel queries what the worker exports (the real
 * Prometheus in metrics.test.ts runs each query against a scraped worker).
 */
import { readFileSync } from 'node:fs';
import { RELEASE_METRICS } from '../../src/workflows/metrics';
import { DASHBOARD, dashboardQueries, type Panel } from '../support/dashboard';

const HISTOGRAM_SUFFIXES = ['_bucket', '_count', '_sum'];
const exported = new Set(Object.values(RELEASE_METRICS).flatMap((name) => (name === RELEASE_METRICS.durationSeconds ? HISTOGRAM_SUFFIXES.map((suffix) => `${name}${suffix}`) : [name])));

describe('the Grafana dashboard', () => {
  test('has the panels an operator looks for: phase, weight, check values against bounds, failed checks, durations', () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[]; templating: { list: Array<{ name: string; query: string }> } };
    expect(dashboard.panels.map((panel) => panel.title)).toEqual([
      'Release phase',
      'Canary weight',
      'Check values against their bounds',
      'Failed checks (per 5 minutes)',
      'Release duration p50 / p95 by outcome',
      'Releases by outcome (24 h)',
    ]);
    expect(dashboard.templating.list.find((variable) => variable.name === 'service')?.query).toBe(`label_values(${RELEASE_METRICS.status}, service)`);
  });

  test('every panel queries only metrics the worker exports, and every exported metric is on a panel', () => {
    const queries = dashboardQueries();
    const used = new Set<string>();
    for (const { panel, expr } of queries) {
      const names = expr.match(/\b(docutag_release_[a-z_]+|temporal_[a-z_]+)\b/g) ?? [];
      expect({ panel, names: names.length }).not.toEqual({ panel, names: 0 });
      for (const name of names) {
        expect({ panel, name, exported: exported.has(name) }).toEqual({ panel, name, exported: true });
        used.add(name.replace(/_(bucket|count|sum)$/, ''));
      }
    }
    expect([...used].sort()).toEqual(Object.values(RELEASE_METRICS).sort());
  });
});
