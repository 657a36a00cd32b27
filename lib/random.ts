/**
 * Seeded randomness. Every random choice in the course goes through here so the same seed
 * gives the same numbers on the same backend.
 *
 * - `makeRng(seed)`: a small, fast PRNG (mulberry32) for shuffles, splits and sampling.
 * - `seedEverything(seed)`: also replaces `Math.random` (which tfjs uses for unseeded ops
 *   and layer initialisers without an explicit seed) by a seeded generator.
 */
import seedrandom from 'seedrandom';

export interface Rng {
  /** uniform in [0, 1) */
  next(): number;
  /** integer in [0, n) */
  int(n: number): number;
  /** standard normal (Box–Muller) */
  normal(): number;
  /** a fresh 32-bit seed, e.g. for a tfjs op's `seed` argument */
  seed(): number;
}

export function makeRng(seed: number): Rng {
  let a = seed >>> 0 || 0x9e3779b9;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    normal: () => {
      const u = 1 - next();
      const v = next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    seed: () => Math.floor(next() * 2 ** 31),
  };
}

/** Fisher–Yates shuffle of a copy of `items`. */
export function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** A seeded permutation of 0..n-1. */
export function permutation(n: number, rng: Rng): number[] {
  return shuffled(
    Array.from({ length: n }, (_, i) => i),
    rng,
  );
}

let mathRandomSeed: number | null = null;

/** Seed Math.random globally (tfjs falls back to it) and return an Rng for our own use. */
export function seedEverything(seed: number): Rng {
  seedrandom(String(seed), { global: true });
  mathRandomSeed = seed;
  return makeRng(seed);
}

export function currentGlobalSeed(): number | null {
  return mathRandomSeed;
}
