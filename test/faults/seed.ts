/*
 * Seeded randomness for the fault suite: every run prints its seed, and FAULT_SEED=<seed> replays
 * the same choices (kill moments, generated configs).
 */

/** The run's seed: FAULT_SEED when set, else a fresh one; printed so a failure can be replayed. */
export function faultSeed(suite: string): number {
  const fromEnv = process.env.FAULT_SEED;
  const seed = fromEnv !== undefined && /^\d+$/.test(fromEnv) ? Number(fromEnv) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0;
  process.stdout.write(`${suite}: seed ${seed} (replay with FAULT_SEED=${seed})\n`);
  return seed;
}

/** mulberry32: small, fast, good enough to pick test cases. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }
}
