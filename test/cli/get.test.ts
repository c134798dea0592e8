import { canaryRows, renderCanaryLines, type ListedRelease } from '../../src/client/commands/get';

const at = (iso: string) => new Date(iso);
const releases: ListedRelease[] = [
  { service: 'docutag/docutag-controller', startedAt: at('2026-12-07T09:00:00.000Z'), closedAt: at('2026-12-07T09:05:00.000Z'), phase: 'Succeeded', weight: 0 },
  // The newest release of a service is its row; the older one is history.
  { service: 'docutag/docutag-controller', startedAt: at('2026-12-08T10:00:00.000Z'), closedAt: null, phase: 'Progressing', weight: 0, runningId: 'release-docutag-docutag-controller', live: { phase: 'Progressing', weight: 30, lastTransitionTime: '2026-12-08T10:00:04.512Z' } },
  { service: 'docutag/api', startedAt: at('2026-12-08T08:00:00.000Z'), closedAt: at('2026-12-08T08:03:10.250Z'), phase: 'RolledBack', weight: 0 },
  { service: 'shop/web', startedAt: at('2026-12-08T07:00:00.000Z'), closedAt: at('2026-12-08T07:01:00.000Z'), phase: 'Succeeded', weight: 0 },
];

describe('get: the canary table', () => {
  test("the newest release of each service in the namespace, with a running one's live weight and last phase change, sorted by name", () => {
    expect(canaryRows(releases, 'docutag')).toEqual([
      { namespace: 'docutag', name: 'api', status: 'RolledBack', weight: 0, lastTransitionTime: '2026-12-08T08:03:10Z' },
      { namespace: 'docutag', name: 'docutag-controller', status: 'Progressing', weight: 30, lastTransitionTime: '2026-12-08T10:00:04Z' },
    ]);
  });

  test("Flagger's columns, as kubectl prints them; every namespace adds a NAMESPACE column; -w lines keep the header's widths", () => {
    const lines = renderCanaryLines(canaryRows(releases, 'docutag'), { allNamespaces: false, header: true });
    expect(lines).toEqual([
      'NAME                 STATUS             WEIGHT   LASTTRANSITIONTIME',
      'api                  RolledBack         0        2026-12-08T08:03:10Z',
      'docutag-controller   Progressing        30       2026-12-08T10:00:04Z',
    ]);
    const all = renderCanaryLines(canaryRows(releases), { allNamespaces: true, header: true });
    expect(all[0]).toMatch(/^NAMESPACE\s+NAME\s+STATUS\s+WEIGHT\s+LASTTRANSITIONTIME$/);
    expect(all.at(-1)).toMatch(/^shop\s+web\s+Succeeded\s+0\s+2026-12-08T07:01:00Z$/);
    const widths = [18, 16, 6, 20];
    const [header, row] = [renderCanaryLines([], { allNamespaces: false, header: true, widths })[0]!, renderCanaryLines([canaryRows(releases, 'shop')[0]!], { allNamespaces: false, header: false, widths })[0]!];
    expect(row.indexOf('Succeeded')).toBe(header.indexOf('STATUS'));
    expect(row.indexOf('2026-12-08T07:01:00Z')).toBe(header.indexOf('LASTTRANSITIONTIME'));
  });
});
