/**
 * The benchmark's chart, as hand-written SVG (no dependencies): step lag p50 / p99 (log scale) and
 * worker RSS against the number of concurrent canaries, each with its target line.
 */
import type { BenchReport } from './report';

const WIDTH = 920;
const HEIGHT = 400;
const PANEL = { width: 380, height: 250, top: 70 };
const LEFT_PANEL_X = 80;
const RIGHT_PANEL_X = 530;
const COLORS = { p50: '#2563eb', p99: '#dc2626', rss: '#059669', server: '#9ca3af', target: '#f59e0b', axis: '#374151', grid: '#e5e7eb' };

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function text(x: number, y: number, content: string, attributes = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attributes}>${escape(content)}</text>`;
}

function formatMs(ms: number): string {
  if (ms >= 1000) return `${Number((ms / 1000).toPrecision(ms >= 100_000 ? 3 : 2))} s`;
  return `${ms} ms`;
}

interface Series {
  label: string;
  color: string;
  values: Array<number | null>;
  dashed?: boolean;
  /** Where the value labels go relative to the points. */
  labels: 'above' | 'below';
}

interface Panel {
  x: number;
  title: string;
  levels: number[];
  series: Series[];
  target: { value: number; label: string };
  scale: 'log' | 'linear';
  unit: (value: number) => string;
  /** Appended to a level's tick label, e.g. ` (deadline)`. */
  notes: string[];
}

function drawPanel(panel: Panel): string {
  const { x, levels, series, target } = panel;
  const { top, width, height } = PANEL;
  const bottom = top + height;
  const values = series.flatMap((entry) => entry.values).filter((value): value is number => value !== null);
  const parts: string[] = [];
  let toY: (value: number) => number;
  let ticks: number[];
  if (panel.scale === 'log') {
    const floor = 1;
    const maxValue = Math.max(target.value * 2, ...values);
    const decades = Math.max(1, Math.ceil(Math.log10(maxValue)));
    ticks = Array.from({ length: decades + 1 }, (_, i) => 10 ** i);
    const span = Math.log10(ticks[ticks.length - 1]!) - Math.log10(floor);
    toY = (value) => bottom - ((Math.log10(Math.max(floor, value)) - Math.log10(floor)) / span) * height;
  } else {
    const maxValue = Math.max(target.value * 1.2, ...values) * 1.05;
    const step = niceStep(maxValue / 5);
    ticks = Array.from({ length: Math.floor(maxValue / step) + 1 }, (_, i) => i * step);
    const top = ticks[ticks.length - 1]! + step;
    ticks.push(top);
    toY = (value) => bottom - (value / top) * height;
  }
  const toX = (index: number) => x + (levels.length === 1 ? width / 2 : 40 + (index * (width - 80)) / (levels.length - 1));

  parts.push(text(x + width / 2, top - 30, panel.title, 'text-anchor="middle" font-size="15" font-weight="600"'));
  for (const tick of ticks) {
    const y = toY(tick);
    parts.push(`<line x1="${x}" y1="${y.toFixed(1)}" x2="${x + width}" y2="${y.toFixed(1)}" stroke="${COLORS.grid}"/>`);
    parts.push(text(x - 8, y + 4, panel.unit(tick), 'text-anchor="end" font-size="11" fill="#4b5563"'));
  }
  parts.push(`<line x1="${x}" y1="${top}" x2="${x}" y2="${bottom}" stroke="${COLORS.axis}"/>`);
  parts.push(`<line x1="${x}" y1="${bottom}" x2="${x + width}" y2="${bottom}" stroke="${COLORS.axis}"/>`);
  levels.forEach((level, index) => parts.push(text(toX(index), bottom + 18, `${level.toLocaleString('en-US')}${panel.notes[index] ?? ''}`, 'text-anchor="middle" font-size="12"')));
  parts.push(text(x + width / 2, bottom + 40, 'concurrent canary releases (one worker, one dev server)', 'text-anchor="middle" font-size="12" fill="#4b5563"'));

  const targetY = toY(target.value);
  parts.push(`<line x1="${x}" y1="${targetY.toFixed(1)}" x2="${x + width}" y2="${targetY.toFixed(1)}" stroke="${COLORS.target}" stroke-width="2" stroke-dasharray="6 4"/>`);
  parts.push(text(x + 4, targetY - 6, target.label, `font-size="11" fill="${COLORS.target}"`));

  for (const entry of series) {
    const points = entry.values.map((value, index) => (value === null ? null : ([toX(index), toY(value), value] as const)));
    const drawn = points.filter((point): point is readonly [number, number, number] => point !== null);
    if (drawn.length > 1) {
      parts.push(`<polyline fill="none" stroke="${entry.color}" stroke-width="2.5"${entry.dashed ? ' stroke-dasharray="3 3"' : ''} points="${drawn.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(' ')}"/>`);
    }
    for (const [px, py, value] of drawn) {
      const label = panel.unit(Math.round(value));
      parts.push(`<circle cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="4" fill="${entry.color}"><title>${escape(`${entry.label}: ${label}`)}</title></circle>`);
      parts.push(text(px, entry.labels === 'above' ? py - 9 : py + 17, label, `text-anchor="middle" font-size="10" fill="${entry.color}"`));
    }
  }
  series.forEach((entry, index) => {
    const lx = x + 10 + index * 125;
    parts.push(`<line x1="${lx}" y1="${top - 12}" x2="${lx + 18}" y2="${top - 12}" stroke="${entry.color}" stroke-width="3"${entry.dashed ? ' stroke-dasharray="3 3"' : ''}/>`);
    parts.push(text(lx + 24, top - 8, entry.label, 'font-size="11"'));
  });
  return parts.join('\n');
}

function niceStep(raw: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
  for (const factor of [1, 2, 2.5, 5, 10]) if (raw <= factor * magnitude) return factor * magnitude;
  return 10 * magnitude;
}

export function renderChart(report: BenchReport): string {
  const levels = report.concurrency.map((result) => result.concurrency);
  const notes = report.concurrency.map((result) => (result.timedOut ? ' (deadline)' : result.releasesWithMissedSteps ? ' (missed steps)' : ''));
  const lag = drawPanel({
    x: LEFT_PANEL_X,
    title: 'Step lag (due → applied at the router)',
    levels,
    series: [
      { label: 'p50', color: COLORS.p50, values: report.concurrency.map((result) => result.stepLagMs.p50), labels: 'below' },
      { label: 'p99', color: COLORS.p99, values: report.concurrency.map((result) => result.stepLagMs.p99), labels: 'above' },
    ],
    target: { value: 1000, label: 'target p99 < 1 s' },
    scale: 'log',
    unit: formatMs,
    notes,
  });
  const rss = drawPanel({
    x: RIGHT_PANEL_X,
    title: 'Peak RSS',
    levels,
    series: [
      { label: 'worker', color: COLORS.rss, values: report.concurrency.map((result) => result.worker.rssPeakMb), labels: 'above' },
      { label: 'dev server', color: COLORS.server, values: report.concurrency.map((result) => result.server.rssPeakMb), dashed: true, labels: 'below' },
    ],
    target: { value: 300, label: 'target worker < 300 MB' },
    scale: 'linear',
    unit: (value) => `${value} MB`,
    notes,
  });
  const caption = `docutag-release: canaries with interval ${report.settings.canary.intervalMs / 1000} s, 10 steps, in-memory adapters; ${report.environment.cpus} cores, Node ${report.environment.node}, SDK ${report.environment.temporalSdk}; ${report.startedAt.slice(0, 16).replace('T', ' ')} UTC`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    lag,
    rss,
    text(WIDTH / 2, HEIGHT - 8, caption, 'text-anchor="middle" font-size="11" fill="#6b7280"'),
    '</svg>',
    '',
  ].join('\n');
}
