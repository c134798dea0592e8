/**
 * Deployment windows and freezes: whether a release may move forward at an instant, and if not, when
 * it may. Pure: the instant comes in (the workflow's clock, a test's), and time zones are read with
 * Intl, so "Mon-Thu 09:00-16:00 Europe/Berlin" means Berlin's wall clock in summer and in winter.
 */

/** `days` as the config writes it: `Mon-Thu`, `Mon,Wed,Fri`, `Sat-Sun`, `*` (every day). */
export interface DeploymentWindow {
  days: string;
  /** Wall-clock time in `timezone`, `HH:MM` or `HH:MM:SS`; `to` before `from` runs past midnight. */
  from: string;
  to: string;
  /** IANA zone, e.g. Europe/Berlin; default UTC. */
  timezone?: string | undefined;
}

/** A period in which nothing moves forward (ISO instants). */
export interface Freeze {
  from: string;
  to: string;
  reason: string;
}

export type WindowVerdict = { open: true } | { open: false; opensAtMs: number | null; why: string };

const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const TIME = /^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/;
const DAY_MS = 86_400_000;
/** How far ahead an opening is looked for; further is "no window opens". */
const LOOKAHEAD_DAYS = 8;

/** The weekdays (0 = Sunday) a `days` text names, or a message saying what is wrong with it. */
export function parseDays(text: string): { days: Set<number> } | { problem: string } {
  const trimmed = text.trim();
  if (trimmed === '*') return { days: new Set([0, 1, 2, 3, 4, 5, 6]) };
  const days = new Set<number>();
  const index = (name: string) => DAY_NAMES.findIndex((day) => day.toLowerCase() === name.trim().slice(0, 3).toLowerCase() && name.trim().length >= 3);
  for (const part of trimmed.split(',')) {
    const [start, end, ...rest] = part.split('-');
    const first = index(start ?? '');
    const last = end === undefined ? first : index(end);
    if (rest.length || first < 0 || last < 0) return { problem: `"${part.trim()}" is not a day or a range of days: use Mon, Tue, Wed, Thu, Fri, Sat, Sun, ranges like Mon-Thu, lists like Mon,Wed,Fri, or *` };
    for (let day = first; ; day = (day + 1) % 7) {
      days.add(day);
      if (day === last) break;
    }
  }
  return { days };
}

/** Seconds since midnight of `HH:MM[:SS]`, or null. */
export function parseTimeOfDay(text: string): number | null {
  const match = TIME.exec(text.trim());
  return match ? Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3] ?? 0) : null;
}

/** Whether an IANA time zone is known to this runtime. */
export function knownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Wall-clock parts of an instant in a zone. */
function wallClock(ms: number, zone: string): { year: number; month: number; day: number; weekday: number; seconds: number } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', weekday: 'short' })
      .formatToParts(new Date(ms))
      .map((part) => [part.type, part.value]),
  );
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    weekday: DAY_NAMES.indexOf(parts.weekday as (typeof DAY_NAMES)[number]),
    seconds: Number(parts.hour) * 3600 + Number(parts.minute) * 60 + Number(parts.second),
  };
}

/** The instant of a wall-clock time in a zone (the zone's offset read at that instant, twice for DST edges). */
function instantOf(date: { year: number; month: number; day: number }, seconds: number, zone: string): number {
  const naive = Date.UTC(date.year, date.month - 1, date.day) + seconds * 1000;
  const offset = (ms: number) => {
    const wall = wallClock(ms, zone);
    return Date.UTC(wall.year, wall.month - 1, wall.day) + wall.seconds * 1000 - Math.floor(ms / 1000) * 1000;
  };
  const first = naive - offset(naive);
  return naive - offset(first);
}

function inWindow(ms: number, window: DeploymentWindow, days: Set<number>): boolean {
  const zone = window.timezone ?? 'UTC';
  const { weekday, seconds } = wallClock(ms, zone);
  const from = parseTimeOfDay(window.from) ?? 0;
  const to = parseTimeOfDay(window.to) ?? 0;
  if (from < to) return days.has(weekday) && seconds >= from && seconds < to;
  // Past midnight: the evening belongs to its day, the small hours to the day before.
  return (days.has(weekday) && seconds >= from) || (days.has((weekday + 6) % 7) && seconds < to);
}

/** Where each window opens in the next days, as instants. */
function openingsAfter(ms: number, window: DeploymentWindow, days: Set<number>): number[] {
  const zone = window.timezone ?? 'UTC';
  const from = parseTimeOfDay(window.from) ?? 0;
  const openings: number[] = [];
  for (let k = -1; k <= LOOKAHEAD_DAYS; k++) {
    const date = wallClock(ms + k * DAY_MS, zone);
    if (!days.has(date.weekday)) continue;
    const at = instantOf(date, from, zone);
    if (at > ms) openings.push(at);
  }
  return openings;
}

export function describeWindow(window: DeploymentWindow): string {
  return `${window.days} ${window.from}-${window.to} ${window.timezone ?? 'UTC'}`;
}

/**
 * Open when no freeze covers the instant and, if windows are set, one of them does. Closed, it says
 * why and when it opens: openings can only begin where a window starts or a freeze ends, so those
 * instants are the ones tried.
 */
export function windowVerdict(nowMs: number, windows: readonly DeploymentWindow[], freezes: readonly Freeze[]): WindowVerdict {
  const parsed = windows.flatMap((window) => {
    const days = parseDays(window.days);
    return 'days' in days ? [{ window, days: days.days }] : [];
  });
  const freezeAt = (ms: number) => freezes.find((freeze) => Date.parse(freeze.from) <= ms && ms < Date.parse(freeze.to));
  const windowed = (ms: number) => !parsed.length || parsed.some(({ window, days }) => inWindow(ms, window, days));
  const openAt = (ms: number) => windowed(ms) && !freezeAt(ms);
  if (openAt(nowMs)) return { open: true };
  const candidates = [...parsed.flatMap(({ window, days }) => openingsAfter(nowMs, window, days)), ...freezes.map((freeze) => Date.parse(freeze.to)).filter((ms) => ms > nowMs)].sort((a, b) => a - b);
  const opensAtMs = candidates.find(openAt) ?? null;
  const freeze = freezeAt(nowMs);
  const why = freeze ? `freeze until ${freeze.to}: ${freeze.reason}` : `outside the deployment window${parsed.length === 1 ? '' : 's'} ${parsed.map(({ window }) => describeWindow(window)).join(', ')}`;
  return { open: false, opensAtMs, why };
}

/** `deployment window Mon-Thu 09:00-16:00 Europe/Berlin (opens 2026-12-08T08:00:00.000Z)`: status.waitingFor while it waits. */
export function windowWaitingFor(verdict: Extract<WindowVerdict, { open: false }>): string {
  const opens = verdict.opensAtMs === null ? `no opening in the next ${LOOKAHEAD_DAYS - 1} days` : `opens ${new Date(verdict.opensAtMs).toISOString()}`;
  return `${verdict.why} (${opens}; abort stops, start --override-window goes anyway)`;
}
