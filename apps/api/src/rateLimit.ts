/**
 * A token bucket per caller (in this process): `perSecond` sustained, `burst` at once.
 *
 * The buckets are bounded: callers are counted by the hash of whatever token they send, so
 * a client inventing tokens would otherwise grow the map without end. The map is kept in
 * order of last use; past `maxBuckets` the least recently used go. A bucket unused for
 * `burst / perSecond` seconds is full again, so forgetting it changes nothing.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>()
  constructor(private readonly perSecond: number, private readonly burst: number, private readonly maxBuckets = 50_000) {}

  /** Take one token; returns 0 when allowed, else the milliseconds until one is available. */
  take(key: string, now: number): number {
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: now }
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.perSecond)
    b.at = now
    // re-inserted: the map's order is the order of last use
    this.buckets.delete(key)
    this.buckets.set(key, b)
    if (this.buckets.size > this.maxBuckets) this.buckets.delete(this.buckets.keys().next().value!)
    if (b.tokens >= 1) {
      b.tokens -= 1
      return 0
    }
    return Math.ceil(((1 - b.tokens) / this.perSecond) * 1000)
  }

  /** Buckets held now (tests). */
  get size(): number {
    return this.buckets.size
  }
}
