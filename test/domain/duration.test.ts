import { DURATION_PATTERN, durationMs, formatMs, promRange } from '../../src/workflows/domain/duration';

describe('durationMs', () => {
  test.each([
    ['500ms', 500],
    ['10s', 10_000],
    ['1m', 60_000],
    ['90s', 90_000],
    ['1h', 3_600_000],
    ['0s', 0],
    [' 2m ', 120_000],
  ])('reads %j as %d ms', (text, ms) => {
    expect(durationMs(text)).toBe(ms);
  });

  test.each(['', '1', 'm', '1.5m', '-1s', '1d', '10 s', '1m30s', 'ten seconds'])('refuses %j with advice on how to write a duration', (text) => {
    expect(() => durationMs(text)).toThrow(/is not a duration: write it like 500ms, 10s, 1m or 1h/);
  });

  test('the pattern the config schema uses accepts exactly what durationMs reads', () => {
    expect(DURATION_PATTERN.test('250ms')).toBe(true);
    expect(DURATION_PATTERN.test('1.5s')).toBe(false);
  });
});

describe('promRange', () => {
  test.each([
    ['1m', '1m'],
    ['60s', '1m'],
    ['90s', '90s'],
    ['2h', '2h'],
    ['120m', '2h'],
    ['10s', '10s'],
    ['1000ms', '1s'],
    ['1500ms', '2s'],
    ['500ms', '1s'],
    ['1ms', '1s'],
    ['0s', '1s'],
  ])('turns the interval %j into the PromQL range %j', (interval, range) => {
    expect(promRange(durationMs(interval))).toBe(range);
  });
});

describe('formatMs', () => {
  test.each([
    [0, '0ms'],
    [850, '850ms'],
    [999.4, '999ms'],
    [999.6, '1.0s'],
    [1_000, '1.0s'],
    [12_345, '12.3s'],
    [59_940, '59.9s'],
    [59_960, '1m00s'],
    [60_000, '1m00s'],
    [125_000, '2m05s'],
    [119_500, '2m00s'],
    [3_600_000, '60m00s'],
  ])('formats %d ms as %j', (ms, text) => {
    expect(formatMs(ms)).toBe(text);
  });
});
