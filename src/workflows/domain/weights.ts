/** Inputs of the weight schedule, as in the config's `analysis` block (weights are 0-100). */
export interface WeightScheduleInput {
  stepWeight: number;
  stepWeights?: number[];
  maxWeight: number;
}

/**
 * The canary weights of a rollout, in order. `stepWeights` overrides `stepWeight`; weights above
 * `maxWeight` are dropped and the schedule always ends at `maxWeight`, the weight at which the
 * canary is promoted (Flagger: promotion once canaryWeight >= maxWeight).
 */
export function weightSchedule({ stepWeight, stepWeights, maxWeight }: WeightScheduleInput): number[] {
  const steps = stepWeights?.length
    ? stepWeights.filter((weight) => weight < maxWeight)
    : Array.from({ length: Math.ceil(maxWeight / stepWeight) - 1 }, (_, i) => (i + 1) * stepWeight);
  return [...steps, maxWeight];
}

/** Primary and canary weights for a canary weight; they always sum to 100. */
export function splitWeights(canaryWeight: number): { primaryWeight: number; canaryWeight: number } {
  const canary = Math.min(100, Math.max(0, Math.round(canaryWeight)));
  return { primaryWeight: 100 - canary, canaryWeight: canary };
}

/** What a router serves: the weighted split and, for a mirrored blue-green, the share copied to the canary. */
export interface TrafficRoute {
  primaryWeight: number;
  canaryWeight: number;
  /** Percent (1-100) of the primary's requests also sent to the canary, its answers discarded; absent or 0: none. */
  mirrorPercent?: number;
  /** A/B testing: requests matching the split's abTest rules go to the canary through a router above the main one. Absent: no such router. */
  matchedToCanary?: boolean;
}

/** Whether two routes serve alike (an absent mirror is no mirror). */
export function sameRoute(a: TrafficRoute, b: TrafficRoute): boolean {
  return a.primaryWeight === b.primaryWeight && a.canaryWeight === b.canaryWeight && (a.mirrorPercent ?? 0) === (b.mirrorPercent ?? 0) && Boolean(a.matchedToCanary) === Boolean(b.matchedToCanary);
}

/** `primary 100%, canary 0%, mirrored 50%` for reasons and logs. */
export function describeRoute(route: TrafficRoute, names = { primary: 'primary', canary: 'canary' }): string {
  const mirror = route.mirrorPercent ? `, ${route.mirrorPercent}% of ${names.primary}'s requests mirrored to ${names.canary}` : '';
  const matched = route.matchedToCanary ? `, matching requests to ${names.canary}` : '';
  return `${names.primary} ${route.primaryWeight}%, ${names.canary} ${route.canaryWeight}%${mirror}${matched}`;
}

/** Why a router cannot serve `route`, or null: integer weights 0-100 summing to 100; a mirror (1-100%) only while the canary serves nobody. */
export function routeProblem(route: TrafficRoute): string | null {
  const valid = (weight: number) => Number.isInteger(weight) && weight >= 0 && weight <= 100;
  if (!valid(route.primaryWeight) || !valid(route.canaryWeight) || route.primaryWeight + route.canaryWeight !== 100) {
    return `weights must be integers 0-100 summing to 100, got ${route.primaryWeight}/${route.canaryWeight}`;
  }
  const mirror = route.mirrorPercent ?? 0;
  if (!valid(mirror)) return `mirrorPercent must be an integer 0-100, got ${mirror}`;
  if (mirror > 0 && route.canaryWeight !== 0) return `a mirror copies the primary's requests to a canary that serves nobody: weights must be 100/0 while mirroring, got ${route.primaryWeight}/${route.canaryWeight}`;
  if (route.matchedToCanary && (route.canaryWeight !== 0 || mirror > 0)) return `an A/B test sends only the matching requests to the canary: weights must be 100/0 without a mirror, got ${route.primaryWeight}/${route.canaryWeight}${mirror ? ` mirroring ${mirror}%` : ''}`;
  return null;
}
