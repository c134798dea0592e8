import { parseDays, parseTimeOfDay, windowVerdict, windowWaitingFor } from '../../src/workflows/domain/windows';

const at = (iso: string) => Date.parse(iso);
const berlin = { days: 'Mon-Thu', from: '09:00', to: '16:00', timezone: 'Europe/Berlin' };

describe('parseDays', () => {
  test.each([
    ['Mon-Thu', [1, 2, 3, 4]],
    ['Mon,Wed,Fri', [1, 3, 5]],
    ['Fri-Mon', [0, 1, 5, 6]],
    ['sat-sun', [0, 6]],
    ['Monday', [1]],
    ['*', [0, 1, 2, 3, 4, 5, 6]],
  ])('%s', (text, days) => {
    expect([...(parseDays(text) as { days: Set<number> }).days].sort()).toEqual(days);
  });

  test.each(['Mo-Th', 'Mon-', 'Mon-Tue-Wed', 'weekdays', ''])('refuses %j, saying what it takes', (text) => {
    expect(parseDays(text)).toEqual({ problem: expect.stringContaining('use Mon, Tue, Wed, Thu, Fri, Sat, Sun, ranges like Mon-Thu') });
  });
});

describe('parseTimeOfDay', () => {
  test.each([
    ['09:00', 32_400],
    ['16:30:15', 59_415],
    ['24:00', null],
    ['9:00', null],
    ['09:60', null],
  ])('%s → %s', (text, seconds) => {
    expect(parseTimeOfDay(text)).toBe(seconds);
  });
});

describe('windowVerdict: Mon-Thu 09:00-16:00 Europe/Berlin', () => {
  test.each([
    ['a Tuesday noon in winter (UTC+1)', '2026-12-08T11:00:00Z', null],
    ['a Tuesday 09:00 sharp, Berlin', '2026-12-08T08:00:00Z', null],
    ['a Tuesday 08:59:59, Berlin: opens a second later', '2026-12-08T07:59:59Z', '2026-12-08T08:00:00.000Z'],
    ['a Tuesday 16:00 sharp (the end is outside): opens Wednesday 09:00', '2026-12-08T15:00:00Z', '2026-12-09T08:00:00.000Z'],
    ['a Thursday evening: opens Monday 09:00', '2026-12-10T17:00:00Z', '2026-12-14T08:00:00.000Z'],
    ['a Saturday: opens Monday', '2026-12-12T10:00:00Z', '2026-12-14T08:00:00.000Z'],
    ['a Tuesday in summer (UTC+2): 09:00 Berlin is 07:00 UTC', '2026-07-07T06:30:00Z', '2026-07-07T07:00:00.000Z'],
    ['the Friday before the spring change: opens Monday at 07:00 UTC', '2026-03-27T12:00:00Z', '2026-03-30T07:00:00.000Z'],
  ])('%s', (_, now, opensAt) => {
    const verdict = windowVerdict(at(now), [berlin], []);
    if (opensAt === null) expect(verdict).toEqual({ open: true });
    else expect(verdict).toEqual({ open: false, opensAtMs: at(opensAt), why: 'outside the deployment window Mon-Thu 09:00-16:00 Europe/Berlin' });
  });

  test('a window past midnight (Fri 22:00 - 02:00 UTC) covers the small hours of Saturday, not of Friday', () => {
    const night = { days: 'Fri', from: '22:00', to: '02:00' };
    expect(windowVerdict(at('2026-12-12T01:30:00Z'), [night], [])).toEqual({ open: true });
    expect(windowVerdict(at('2026-12-11T01:30:00Z'), [night], [])).toMatchObject({ open: false, opensAtMs: at('2026-12-11T22:00:00Z') });
  });

  test('two windows: the earlier opening of the two', () => {
    const mornings = { days: 'Mon-Fri', from: '06:00', to: '08:00' };
    expect(windowVerdict(at('2026-12-08T16:00:00Z'), [berlin, mornings], [])).toMatchObject({ open: false, opensAtMs: at('2026-12-09T06:00:00Z'), why: 'outside the deployment windows Mon-Thu 09:00-16:00 Europe/Berlin, Mon-Fri 06:00-08:00 UTC' });
  });
});

describe('windowVerdict with freezes', () => {
  const holidays = { from: '2026-12-23T00:00:00+01:00', to: '2026-12-28T00:00:00+01:00', reason: 'year-end freeze' };
  test('no windows: open but inside a freeze, which ends at its `to`', () => {
    expect(windowVerdict(at('2026-12-24T10:00:00Z'), [], [holidays])).toEqual({ open: false, opensAtMs: at('2026-12-27T23:00:00Z'), why: 'freeze until 2026-12-28T00:00:00+01:00: year-end freeze' });
    expect(windowVerdict(at('2026-12-22T10:00:00Z'), [], [holidays])).toEqual({ open: true });
  });

  test('a freeze ending outside the window: it opens at the next window after the freeze', () => {
    // The freeze ends Monday 2026-12-28 00:00 Berlin; the window opens that Monday at 09:00.
    expect(windowVerdict(at('2026-12-24T10:00:00Z'), [berlin], [holidays])).toMatchObject({ open: false, opensAtMs: at('2026-12-28T08:00:00Z') });
  });

  test('overlapping freezes: open only after both', () => {
    const second = { from: '2026-12-27T00:00:00Z', to: '2026-12-29T00:00:00Z', reason: 'migration' };
    expect(windowVerdict(at('2026-12-24T10:00:00Z'), [], [holidays, second])).toMatchObject({ open: false, opensAtMs: at('2026-12-29T00:00:00Z') });
  });

  test('a freeze that never ends within a week: no opening, said so', () => {
    const long = { from: '2026-01-01T00:00:00Z', to: '2027-01-01T00:00:00Z', reason: 'the year of no change' };
    const verdict = windowVerdict(at('2026-06-01T00:00:00Z'), [berlin], [long]);
    expect(verdict).toMatchObject({ open: false, opensAtMs: null });
    expect(windowWaitingFor(verdict as never)).toBe('freeze until 2027-01-01T00:00:00Z: the year of no change (no opening in the next 7 days; abort stops, start --override-window goes anyway)');
  });
});
