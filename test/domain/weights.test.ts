import { routeProblem, sameRoute, splitWeights, weightSchedule, type TrafficRoute, type WeightScheduleInput } from '../../src/workflows/domain/weights';

describe('weightSchedule', () => {
  const cases: Array<[string, WeightScheduleInput, number[]]> = [
    ['steps by stepWeight up to 100 with the defaults', { stepWeight: 10, maxWeight: 100 }, [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]],
    ['steps by 25 and ends at 100', { stepWeight: 25, maxWeight: 100 }, [25, 50, 75, 100]],
    ['ends at maxWeight when stepWeight does not divide it', { stepWeight: 30, maxWeight: 100 }, [30, 60, 90, 100]],
    ['stops at a maxWeight below 100', { stepWeight: 10, maxWeight: 50 }, [10, 20, 30, 40, 50]],
    ['jumps straight to maxWeight when stepWeight equals it', { stepWeight: 100, maxWeight: 100 }, [100]],
    ['jumps straight to maxWeight when stepWeight exceeds it', { stepWeight: 60, maxWeight: 50 }, [50]],
    ['uses stepWeights instead of stepWeight and ends at maxWeight', { stepWeight: 10, stepWeights: [5, 10, 25, 50], maxWeight: 100 }, [5, 10, 25, 50, 100]],
    ['drops stepWeights above maxWeight', { stepWeight: 10, stepWeights: [5, 20, 60, 80], maxWeight: 50 }, [5, 20, 50]],
    ['does not repeat maxWeight when stepWeights already ends at it', { stepWeight: 10, stepWeights: [1, 2, 10, 80], maxWeight: 80 }, [1, 2, 10, 80]],
    ['falls back to stepWeight when stepWeights is empty', { stepWeight: 50, stepWeights: [], maxWeight: 100 }, [50, 100]],
  ];
  test.each(cases)('%s', (_name, input, expected) => {
    expect(weightSchedule(input)).toEqual(expected);
  });

  test('always ends at maxWeight, the weight at which the canary is promoted', () => {
    for (const stepWeight of [1, 3, 7, 10, 33, 99]) {
      for (const maxWeight of [5, 50, 77, 100]) {
        const schedule = weightSchedule({ stepWeight, maxWeight });
        expect(schedule[schedule.length - 1]).toBe(maxWeight);
        expect(schedule.every((weight, i) => i === 0 || weight > schedule[i - 1]!)).toBe(true);
        expect(schedule.every((weight) => weight >= 1 && weight <= maxWeight)).toBe(true);
      }
    }
  });
});

describe('splitWeights', () => {
  const cases: Array<[string, number, { primaryWeight: number; canaryWeight: number }]> = [
    ['puts all traffic on the primary at canary weight 0', 0, { primaryWeight: 100, canaryWeight: 0 }],
    ['splits 90/10 at canary weight 10', 10, { primaryWeight: 90, canaryWeight: 10 }],
    ['splits 50/50 at canary weight 50', 50, { primaryWeight: 50, canaryWeight: 50 }],
    ['puts all traffic on the canary at weight 100', 100, { primaryWeight: 0, canaryWeight: 100 }],
    ['rounds a fractional canary weight to a whole percent', 33.4, { primaryWeight: 67, canaryWeight: 33 }],
    ['clamps a canary weight above 100', 150, { primaryWeight: 0, canaryWeight: 100 }],
    ['clamps a negative canary weight to 0', -5, { primaryWeight: 100, canaryWeight: 0 }],
  ];
  test.each(cases)('%s', (_name, canaryWeight, expected) => {
    const split = splitWeights(canaryWeight);
    expect(split).toEqual(expected);
    expect(split.primaryWeight + split.canaryWeight).toBe(100);
  });
});

describe('routeProblem', () => {
  const cases: Array<[string, TrafficRoute, RegExp | null]> = [
    ['accepts 90/10', { primaryWeight: 90, canaryWeight: 10 }, null],
    ['accepts a mirror of 100% at 100/0', { primaryWeight: 100, canaryWeight: 0, mirrorPercent: 100 }, null],
    ['accepts a mirror of 0% as no mirror', { primaryWeight: 60, canaryWeight: 40, mirrorPercent: 0 }, null],
    ['refuses weights that do not sum to 100', { primaryWeight: 90, canaryWeight: 20 }, /summing to 100, got 90\/20/],
    ['refuses fractional weights', { primaryWeight: 89.5, canaryWeight: 10.5 }, /integers 0-100/],
    ['refuses a mirror while the canary serves users', { primaryWeight: 90, canaryWeight: 10, mirrorPercent: 50 }, /weights must be 100\/0 while mirroring, got 90\/10/],
    ['refuses a mirror above 100%', { primaryWeight: 100, canaryWeight: 0, mirrorPercent: 150 }, /mirrorPercent must be an integer 0-100, got 150/],
    ['refuses a fractional mirror', { primaryWeight: 100, canaryWeight: 0, mirrorPercent: 2.5 }, /mirrorPercent must be an integer/],
  ];
  test.each(cases)('%s', (_name, route, expected) => {
    const problem = routeProblem(route);
    if (expected === null) expect(problem).toBeNull();
    else expect(problem).toMatch(expected);
  });
});

describe('sameRoute', () => {
  const cases: Array<[string, TrafficRoute, TrafficRoute, boolean]> = [
    ['equal weights without mirrors', { primaryWeight: 100, canaryWeight: 0 }, { primaryWeight: 100, canaryWeight: 0 }, true],
    ['an absent mirror is a 0% mirror', { primaryWeight: 100, canaryWeight: 0 }, { primaryWeight: 100, canaryWeight: 0, mirrorPercent: 0 }, true],
    ['a mirror differs from none at the same weights', { primaryWeight: 100, canaryWeight: 0 }, { primaryWeight: 100, canaryWeight: 0, mirrorPercent: 100 }, false],
    ['mirrors of different shares differ', { primaryWeight: 100, canaryWeight: 0, mirrorPercent: 50 }, { primaryWeight: 100, canaryWeight: 0, mirrorPercent: 100 }, false],
    ['different weights differ', { primaryWeight: 90, canaryWeight: 10 }, { primaryWeight: 80, canaryWeight: 20 }, false],
  ];
  test.each(cases)('%s', (_name, a, b, same) => {
    expect(sameRoute(a, b)).toBe(same);
    expect(sameRoute(b, a)).toBe(same);
  });
});
