/**
 * A small seeded PRNG (mulberry32) and the draws the demo company needs. Every random
 * choice in the simulation comes from one of these, derived from the demo's seed and a
 * label (`lead:42`, `rep-behaviour:42:1`), so a choice about one lead never depends on how
 * many numbers were drawn for another: same seed ⇒ same company ⇒ same fate for every lead.
 */

/** A 32-bit hash of a string (FNV-1a), to derive sub-seeds from labels. */
export const hash32 = (s: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** mulberry32: a fast 32-bit generator with a good enough spread for simulations. */
export const mulberry32 = (seed: number): (() => number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Draws from a seeded stream. */
export class Rng {
  private readonly next: () => number
  constructor(readonly seed: number) {
    this.next = mulberry32(seed)
  }

  /** A new independent stream for `label`, derived from this stream's seed (not its position). */
  static of(seed: number, ...label: ReadonlyArray<string | number>): Rng {
    return new Rng(hash32(`${seed >>> 0}:${label.join(":")}`))
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.next()
  }

  /** Uniform in [lo, hi). */
  between(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next()
  }

  /** An integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1))
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p
  }

  pick<A>(xs: ReadonlyArray<A>): A {
    if (xs.length === 0) throw new Error("pick from an empty list")
    return xs[Math.floor(this.next() * xs.length)]!
  }

  /** One of `entries`, with probability proportional to its weight. */
  weighted<A>(entries: ReadonlyArray<readonly [A, number]>): A {
    const total = entries.reduce((s, [, w]) => s + w, 0)
    let r = this.next() * total
    for (const [a, w] of entries) {
      r -= w
      if (r < 0) return a
    }
    return entries[entries.length - 1]![0]
  }

  /** Standard normal (Box–Muller). */
  normal(mean = 0, sd = 1): number {
    const u = 1 - this.next()
    const v = this.next()
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
  }

  /** Log-normal with the given median: most values near it, a long tail above. */
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(this.normal(0, sigma))
  }

  /** Exponential with the given mean. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next())
  }
}
