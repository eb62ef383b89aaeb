/**
 * Seeded randomness for the simulator: the same scenario and seed give the same community and the
 * same messages (issue "Deterministic"). Nothing here reads `Math.random` or the wall clock.
 *
 * Generator: mulberry32 (32-bit state, period 2^32, passes the gjrand/PractRand tests a simulation
 * needs). Every independent purpose draws from its own stream, derived from the seed and a label
 * (`stream(seed, 'plan', site, day)`), so that turning one behaviour or fault on or off leaves the
 * draws of the others, and so the rest of the community, unchanged.
 */

/** A source of uniform numbers in [0, 1). */
export type Rng = () => number;

/** FNV-1a over UTF-16 code units, then a murmur3 finaliser: a 32-bit hash of `text`. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** mulberry32 seeded with a 32-bit integer. */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An independent stream for one purpose: `stream(seed, 'faults', 'maple-court', 3)`. */
export function stream(seed: number | string, ...labels: (string | number)[]): Rng {
  return mulberry32(hash32([String(seed), ...labels.map(String)].join('\u0000')));
}

/** An integer in [min, max] (both included). */
export function int(rng: Rng, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1));
}

/** A number in [min, max). */
export function between(rng: Rng, min: number, max: number): number {
  return min + rng() * (max - min);
}

/** True with probability `p`. */
export function chance(rng: Rng, p: number): boolean {
  return p > 0 && rng() < p;
}

/** One element of a non-empty list. */
export function pick<T>(rng: Rng, list: readonly T[]): T {
  if (list.length === 0) throw new RangeError('pick from an empty list');
  return list[Math.floor(rng() * list.length)]!;
}

/** A key of `weights` with probability proportional to its weight (weights ≥ 0, not all 0). */
export function weighted<K extends string>(rng: Rng, weights: Readonly<Record<K, number>>): K {
  const entries = Object.entries(weights) as [K, number][];
  const total = entries.reduce((a, [, w]) => a + w, 0);
  let r = rng() * total;
  for (const [k, w] of entries) {
    if (r < w) return k;
    r -= w;
  }
  return entries[entries.length - 1]![0];
}

/** An index of `weights` with probability proportional to its weight. */
export function weightedIndex(
  rng: Rng,
  weights: readonly number[],
  total = weights.reduce((a, w) => a + w, 0),
): number {
  let r = rng() * total;
  for (let i = 0; i < weights.length; i++) {
    if (r < weights[i]!) return i;
    r -= weights[i]!;
  }
  return weights.length - 1;
}

/** A Poisson-distributed count with mean `lambda` (Knuth's method; fine for the small means used here). */
export function poisson(rng: Rng, lambda: number): number {
  if (lambda <= 0) return 0;
  if (lambda > 30) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * normal(rng)));
  const limit = Math.exp(-lambda);
  let k = 0;
  let p = rng();
  while (p > limit) {
    k++;
    p *= rng();
  }
  return k;
}

/** A standard normal draw (Box–Muller). */
export function normal(rng: Rng): number {
  const u = 1 - rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/** Fisher–Yates shuffle of a copy of `list`. */
export function shuffled<T>(rng: Rng, list: readonly T[]): T[] {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
