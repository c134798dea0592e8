/** The ways a release can go (DESIGN.md): the config's `strategy`. */
export const STRATEGIES = { canary: 'canary', blueGreen: 'blueGreen', abTesting: 'abTesting', direct: 'direct' } as const;
export type Strategy = (typeof STRATEGIES)[keyof typeof STRATEGIES];
