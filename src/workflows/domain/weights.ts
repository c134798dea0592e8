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
