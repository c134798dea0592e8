/** The Grafana dashboard the project ships (deploy/grafana), read as the tests check it. */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const DASHBOARD = path.join(__dirname, '../../deploy/grafana/docutag-release.json');

export interface Panel {
  title: string;
  type: string;
  targets?: Array<{ expr: string }>;
}

/** Every panel's queries, `$service` as Grafana's "All" sends it. */
export function dashboardQueries(): Array<{ panel: string; expr: string }> {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[] };
  return dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel: panel.title, expr: target.expr.replaceAll('$service', '.*') })));
}
